// user-paths.js - OpenSCAD names files by where the renderers put them ("in
// file /work/model.scad", "/work/MCAD/gears.scad"): show the model's own names.
export const userPaths = (text) => text.replace(/(in file "?)\/work\//g, "$1");
