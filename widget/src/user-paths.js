// user-paths.js - OpenSCAD names files by where the renderers put them ("in
// file /work/model.scad", "/work/MCAD/gears.scad", "'/work/part.stl'"): show
// the model's own names.
export const userPaths = (text) => text.replace(/(^|["' ])\/work\//g, "$1");
