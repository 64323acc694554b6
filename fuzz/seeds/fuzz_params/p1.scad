/* [Tab One] */
// slider
a = 10; // [1:100]
// step slider
b = 5; // [0:0.5:10]
c = 3; // [20]
d = 2; // 0.5
e = 1.5; // [1.5:2.25:9]
s = "abc"; // 8
dd = "x"; // [x, y, z]
ln = 10; // [10:Small, 20:Large]
ls = "a"; // [a:Alpha, b:Beta]
bo = false;
v = [1, 2, 3]; // [0:10]
v2 = [1.5, 2];
v5 = [1,2,3,4,5];
vs = ["a"];
neg = -5; // [-10:10]
ex = 1e3;
/* [Hidden] */
h = 1;
/* [Global] */
g = 2;
/*[ Spaced ]*/
sp = 3; //[1:5]
  // indented description
ind = 4;
//desc with // inner
di = 5;
expr = 1+2;
un = undef;
x = 1; y = 2; // two on a line
module m() { cube(1); }
after = 7;
