// flat.js - a 2D result (OpenSCAD's SVG export of a 2D top level) as a flat
// shape on the XY plane: its outlines, and triangles filling them for the
// view. OpenSCAD writes each polygon of the shape as one closed subpath
// ("M x,y L x,y ... z") with y negated (SVG's y points down); outer outlines
// and holes alternate by nesting (the even-odd rule), which is how they are
// told apart here.
// three.js's earcut only: importing "three" here put all of three.js (~260 KB)
// into the render worker's script, which every page loads and parses first
import { Earcut } from "three/src/extras/Earcut.js";

// The closed outlines of OpenSCAD's SVG: [[x0, y0, x1, y1, ...], ...] in model coordinates.
export function svgOutlines(svg) {
  const outlines = [];
  for (const [, d] of svg.matchAll(/\sd="([^"]*)"/g)) {
    let current = null;
    for (const [, cmd, x, y] of d.matchAll(/([MLZmlz])|(-?[\d.]+(?:e[-+]?\d+)?)[ ,]+(-?[\d.]+(?:e[-+]?\d+)?)/gi)) {
      if (cmd === "M" || cmd === "m") { current = []; outlines.push(current); }
      else if (cmd === "Z" || cmd === "z") current = null;
      else if (x !== undefined) {
        if (!current) { current = []; outlines.push(current); }
        current.push(Number(x), -Number(y));
      }
    }
  }
  // a closed subpath may repeat its first point at the end
  for (const o of outlines) {
    const n = o.length;
    if (n >= 4 && o[0] === o[n - 2] && o[1] === o[n - 1]) o.length = n - 2;
  }
  return outlines.filter((o) => o.length >= 6);
}

const signedArea = (o) => {
  let a = 0;
  for (let i = 0, n = o.length; i < n; i += 2) {
    const j = (i + 2) % n;
    a += o[i] * o[j + 1] - o[j] * o[i + 1];
  }
  return a / 2;
};

// Whether point (x, y) is inside outline o (even-odd ray crossing).
const inside = (x, y, o) => {
  let c = false;
  for (let i = 0, n = o.length, j = n - 2; i < n; j = i, i += 2) {
    if ((o[i + 1] > y) !== (o[j + 1] > y) && x < ((o[j] - o[i]) * (y - o[i + 1])) / (o[j + 1] - o[i + 1]) + o[i]) c = !c;
  }
  return c;
};

// The flat shape of some outlines: {positions, indices, edges, stats} with
// z = 0, triangles facing +z, the outlines as edge segments, and stats
// {dim: 2, outlines, triangles, vertices, area, min, max}.
export function flatShape(outlines) {
  // nesting depth: how many other outlines hold a point of this one
  // (OpenSCAD's polygons do not cross, so one point decides)
  const depth = outlines.map((o, i) => outlines.reduce((d, p, j) => d + (j !== i && inside(o[0], o[1], p) ? 1 : 0), 0));
  const areas = outlines.map((o) => Math.abs(signedArea(o)));
  const positions = [];
  const indices = [];
  const edges = [];
  let area = 0;
  outlines.forEach((outer, i) => {
    if (depth[i] % 2) return; // a hole: filled around by its outer outline
    // its holes: the outlines one level deeper inside it (two outlines of one
    // depth never nest, so no other outline of this depth holds them)
    const holes = outlines.filter((h, j) => depth[j] === depth[i] + 1 && inside(h[0], h[1], outer));
    const base = positions.length / 3;
    const rings = [outer, ...holes];
    // earcut takes the rings' points as one flat [x, y, ...] list and where each hole starts
    const holeStarts = [];
    let points = outer.length / 2;
    for (const h of holes) { holeStarts.push(points); points += h.length / 2; }
    const flat = Earcut.triangulate(rings.flat(), holeStarts);
    const tris = [];
    for (let k = 0; k < flat.length; k += 3) tris.push([flat[k], flat[k + 1], flat[k + 2]]);
    for (const o of rings) for (let k = 0; k < o.length; k += 2) positions.push(o[k], o[k + 1], 0);
    for (const [a, b, c] of tris) {
      // facing +z (counter-clockwise seen from above)
      const [ax, ay, bx, by, cx, cy] = [a, b, c].flatMap((v) => [positions[3 * (base + v)], positions[3 * (base + v) + 1]]);
      const ccw = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax) > 0;
      indices.push(base + a, ccw ? base + b : base + c, ccw ? base + c : base + b);
    }
    area += areas[i] - holes.reduce((s, h) => s + Math.abs(signedArea(h)), 0);
  });
  for (const o of outlines)
    for (let k = 0, n = o.length; k < n; k += 2) edges.push(o[k], o[k + 1], 0, o[(k + 2) % n], o[(k + 3) % n], 0);
  const min = [Infinity, Infinity, 0], max = [-Infinity, -Infinity, 0];
  for (let k = 0; k < positions.length; k += 3)
    for (const d of [0, 1]) { min[d] = Math.min(min[d], positions[k + d]); max[d] = Math.max(max[d], positions[k + d]); }
  return {
    positions: new Float32Array(positions), indices: new Uint32Array(indices), faceColors: null, edges: new Float32Array(edges),
    stats: { dim: 2, outlines: outlines.length, triangles: indices.length / 3, vertices: positions.length / 3, area,
      min: positions.length ? min : [0, 0, 0], max: positions.length ? max : [0, 0, 0] },
  };
}
