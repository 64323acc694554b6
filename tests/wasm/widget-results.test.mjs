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

test("a packed result holds the mesh, crease edges, STL and OFF, and unpacks without copies", async () => {
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

