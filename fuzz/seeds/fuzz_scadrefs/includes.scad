include <parts.scad>
use <sub/b.scad> // include <no.scad>
/* use <x.scad> */ s="include <y.scad>";
box();
