// The widget worker's pure helpers: the drag-preview resolution cap (a source
// rewrite) and the packed result the cache keeps (mesh, crease edges, STL, OFF).
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCore } from "../../build/wasm/sclcore.mjs";
import { PREVIEW_FRAGMENTS, capResolution } from "../../widget/src/preview.js";
import { creaseEdges, packResult, unpackResult, writeOff } from "../../widget/src/packed.js";

test("previews cap $fn and $fa wherever the model sets them", () => {
  const c = (s) => capResolution(s, 16);
  assert.equal(c("$fn=360;"), "$fn = min(16, 360);");
  assert.equal(c("  $fa = 0.5;\n  $fs = 0.5;"), "  $fa = max(22.5, 0.5);\n  $fs = 0.5;");
  assert.equal(c("cylinder(r=1, $fn=f(2, [3, 4]), h=2);"), "cylinder(r=1, $fn = min(16, f(2, [3, 4])), h=2);");
  assert.equal(c("let ($fn = a ? 8 : 64) circle(1);"), "let ($fn = min(16, a ? 8 : 64)) circle(1);");
  assert.equal(c("module m($fn=100) {}"), "module m($fn = min(16, 100)) {}");
  // comparisons, other names, strings and comments are left alone
  for (const s of ["if ($fn == 3) cube();", "for ($fn = [6, 48]) circle(1);", "x$fn=3;", "echo(\"$fn=360\");", "// $fn=360\n/* $fa=1 */ cube();", "$fs=0.1;"])
    assert.equal(c(s), s);
  assert.equal(c("$fn=360 // comment, here\n;"), "$fn = min(16, 360 // comment, here\n);");
  assert.ok(PREVIEW_FRAGMENTS >= 8);
});

test("a packed result holds the mesh, crease edges, STL and OpenSCAD's OFF, and unpacks without copies", async () => {
  const core = await loadCore();
  const off = new TextEncoder().encode("OFF\n8 6 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n0 0 1\n1 0 1\n1 1 1\n0 1 1\n" +
    "4 0 3 2 1\n4 4 5 6 7\n4 0 1 5 4\n4 1 2 6 5\n4 2 3 7 6\n4 3 0 4 7\n");
  const mesh = core.parseMesh(off);
  const bytes = packResult(mesh, off, (m) => core.writeBinStl(m));
  const r = unpackResult(bytes);
  assert.deepEqual([...r.positions], [...mesh.positions]);
  assert.deepEqual([...r.indices], [...mesh.indices]);
  assert.equal(r.faceColors, null);
  assert.deepEqual(r.stats, mesh.stats);
  assert.deepEqual([...r.off], [...off]);
  assert.equal(core.parseMesh(r.stl).stats.triangles, 12);
  assert.equal(r.positions.buffer, bytes.buffer, "views, not copies");
  // without OpenSCAD's OFF (a model without colours) none is packed: it is written when asked for
  const plain = unpackResult(packResult(mesh, null, (m) => core.writeBinStl(m)));
  assert.equal(plain.off, null);
  assert.deepEqual(Object.keys(plain.downloads), ["stl"]);
  // a cube: its 12 edges are creases, the 6 face diagonals are not
  assert.equal(r.edges.length, 12 * 6);
  for (let i = 0; i < r.edges.length; i += 6) {
    const d = [0, 1, 2].filter((k) => r.edges[i + k] !== r.edges[i + 3 + k]).length;
    assert.equal(d, 1, "a crease edge runs along one axis");
  }
  // an open mesh: a single triangle has 3 open edges
  assert.equal(creaseEdges(new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0]), new Uint32Array([0, 1, 2])).length, 18);
});

test("the OFF written from a mesh (models without colours) parses to the same mesh", async () => {
  const core = await loadCore();
  const stl = core.writeBinStl({ positions: new Float32Array([0, 0, 0, 1.5, 0, 0, 0, 1.25, 0, 0, 0, 0.1]),
    indices: new Uint32Array([0, 2, 1, 0, 1, 3, 1, 2, 3, 0, 3, 2]) });
  const mesh = core.parseMesh(stl);
  const back = core.parseMesh(writeOff(mesh.positions, mesh.indices));
  assert.deepEqual([...back.positions], [...mesh.positions]);
  assert.deepEqual([...back.indices], [...mesh.indices]);
  assert.equal(back.stats.volume, mesh.stats.volume);
});


test("a 2D result: OpenSCAD's SVG outlines filled by nesting, holes left open", async () => {
  const { flatShape, svgOutlines } = await import("../../widget/src/flat.js");
  // a 100 frame (outer + hole), a 40 island in its hole with a 10 hole; y negated as OpenSCAD writes SVG
  const square = (h) => `M ${-h},${-h} L ${h},${-h} L ${h},${h} L ${-h},${h} z`;
  const svg = `<svg><path d="\n${[50, 40, 20, 5].map(square).join("\n")}\n" stroke="black"/></svg>`;
  const outlines = svgOutlines(svg);
  assert.equal(outlines.length, 4);
  const shape = flatShape(outlines);
  assert.equal(shape.stats.dim, 2);
  assert.equal(shape.stats.area, 100 * 100 - 80 * 80 + 40 * 40 - 10 * 10);
  // the triangles cover exactly that area, all facing +z, at z = 0
  let covered = 0;
  for (let t = 0; t < shape.indices.length; t += 3) {
    const [a, b, c] = [0, 1, 2].map((k) => shape.indices[t + k] * 3);
    const p = shape.positions;
    const cross = (p[b] - p[a]) * (p[c + 1] - p[a + 1]) - (p[b + 1] - p[a + 1]) * (p[c] - p[a]);
    assert.ok(cross > 0, "facing +z");
    covered += cross / 2;
  }
  assert.ok(Math.abs(covered - shape.stats.area) < 1e-6, `${covered}`);
  assert.ok(shape.positions.every((v, i) => i % 3 !== 2 || v === 0));
  assert.equal(shape.edges.length, 16 * 6, "every outline's 4 sides");
  assert.deepEqual(shape.stats.min, [-50, -50, 0]);
  // y is flipped back to the model's: a square at y 20..25 in the model is at -25..-20 in SVG
  assert.deepEqual(svgOutlines('<path d="M 10,-20 L 15,-20 L 15,-25 L 10,-25 z"/>')[0], [10, 20, 15, 20, 15, 25, 10, 25]);
});

test("a 2D packed result carries its SVG; a 3D one its STL and OFF", async () => {
  const { packParts } = await import("../../widget/src/packed.js");
  const { flatShape, svgOutlines } = await import("../../widget/src/flat.js");
  const svg = new TextEncoder().encode('<path d="M 0,0 L 1,0 L 1,-1 z"/>');
  const r = unpackResult(packParts({ ...flatShape(svgOutlines(new TextDecoder().decode(svg))), downloads: { svg } }));
  assert.deepEqual([...r.svg], [...svg]);
  assert.equal(r.stl, null);
  assert.deepEqual(Object.keys(r.downloads), ["svg"]);
  assert.equal(r.stats.dim, 2);
  assert.equal(r.stats.area, 0.5);
});

test("the error banner prints the location once, first", async () => {
  const { formatError } = await import("../../widget/src/log.js");
  assert.equal(formatError({ message: "syntax error", line: 3, file: "part.scad" }), "part.scad, line 3: syntax error");
  assert.equal(formatError({ message: "syntax error", line: 3 }), "line 3: syntax error");
  assert.equal(formatError({ message: "out of memory", line: 0, file: null }), "out of memory");
});

test("echo() calls of the model are tagged with their lines, and the log gets them back as locations", async () => {
  const { tagEchoes, untagEcho } = await import("../../widget/src/echo-lines.js");
  assert.equal(tagEchoes('echo("a");\nx = echo() 3;\n// echo(1)\ns = "echo(";\nmyecho(2);\n  echo (\n  b = 1);'),
    'echo("@scl-line:1@", "a");\nx = echo("@scl-line:2@") 3;\n// echo(1)\ns = "echo(";\nmyecho(2);\n  echo("@scl-line:6@", \n  b = 1);');
  // a break between echo and ( stays a break, so the lines after keep their numbers
  assert.equal(tagEchoes('echo\n("x");\necho(1);'), 'echo(\n"@scl-line:1@", "x");\necho("@scl-line:3@", 1);');
  assert.equal(tagEchoes("cube(1);"), "cube(1);");
  // the core reads the log; the tags come out of the ECHO lines' text and become their line
  const core = await loadCore();
  const log = 'ECHO: "@scl-line:6@", b = 1\nECHO: "@scl-line:2@"\nECHO: "untagged"\nWARNING: w in file /work/model.scad, line 4';
  assert.deepEqual(core.logLines(log).map((m) => untagEcho(m, "model.scad")), [
    { level: "ECHO", text: "b = 1", file: "model.scad", line: 6 },
    { level: "ECHO", text: "", file: "model.scad", line: 2 },
    { level: "ECHO", text: '"untagged"' },
    { level: "WARNING", text: "w", file: "model.scad", line: 4 }]);
});
