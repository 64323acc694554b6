import("a.stl");
surface(file = "h.dat");
/* use <x.scad> */ s = "include <y.scad>";
use<MCAD/gears.scad>
