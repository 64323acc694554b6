// pyodide.test.mjs - scadlive in Pyodide (as marimo WASM and JupyterLite run it),
// in Node with the npm `pyodide` package, offline: the pure wheel
// (scripts/wheel-pure.sh) is unpacked into Pyodide's site-packages from a
// local file, and scadlive renders with the OpenSCAD WebAssembly and C core it
// carries (scadlive/_pyodide.py). No dependency beyond the standard library is
// needed on the render path (pyzmq and Node are marked sys_platform != "emscripten");
// the Viewer needs anywidget, unpacked with its dependencies from the wheels
// scripts/pyodide-wheels.sh fetched (.deps/pyodide-wheels, its pyodide-lock.json).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CANDLE = "/usr/share/openscad/examples/Parametric/candleStand.scad";
const PYODIDE_WHEELS = join(ROOT, ".deps", "pyodide-wheels");
let py;

// The wheels of `names` and everything they depend on, per the lock file.
function wheelClosure(names) {
  const lockPath = join(PYODIDE_WHEELS, "pyodide-lock.json");
  assert.ok(existsSync(lockPath), `${lockPath} is missing: run scripts/setup.sh (scripts/pyodide-wheels.sh)`);
  const { packages } = JSON.parse(readFileSync(lockPath, "utf8"));
  const files = new Set();
  const visit = (name) => {
    const p = packages[name];
    assert.ok(p, `no ${name} in ${lockPath}`);
    if (files.has(p.file_name)) return;
    files.add(p.file_name);
    p.depends.forEach(visit);
  };
  names.forEach(visit);
  return [...files].map((f) => join(PYODIDE_WHEELS, f));
}

// The native CLI's file of `model` with `defines`, rendered in `cwd` (the
// format follows the extension: binary STL, 3MF).
function nativeRender(model, defines, cwd, ext = "stl") {
  const out = join(cwd, `native.${ext}`);
  execFileSync(join(ROOT, "build", "native", "scadlive"),
    ["render", model, ...defines.flatMap((d) => ["-D", d]), "-o", out], { stdio: "pipe", cwd });
  return new Uint8Array(readFileSync(out));
}
const nativeStl = (model, defines, cwd) => nativeRender(model, defines, cwd, "stl");

// Python in .venv with this checkout's scadlive (native: its private bridge).
function nativePython(code, args) {
  const env = { ...process.env, PYTHONPATH: join(ROOT, "python") };
  delete env.SCADLIVE_CONNECTION_FILE;
  return execFileSync(join(ROOT, ".venv", "bin", "python"), ["-c", code, ...args], { env, encoding: "utf8" });
}

// Parametric, with color() (named, RGBA) and an uncoloured part, and a sphere
// whose facets follow $fn (so a preview differs from the full render).
const COLOURED = `size = 10; // [1:30]
color("red") cube(size);
color([0, 0.5, 1, 0.5]) translate([size * 2, 0, 0]) sphere(r = size / 2);
translate([0, size * 2, 0]) cylinder(h = 3, r = 2);
`;

// SCADLIVE_PURE_WHEEL=path tests that wheel instead of building one (scripts/test.sh
// builds it before node runs the test files of tests/wasm/ in parallel).
before(async () => {
  const dist = mkdtempSync(join(tmpdir(), "scadlive-pure-"));
  try {
    let wheel = process.env.SCADLIVE_PURE_WHEEL;
    if (!wheel) {
      execFileSync(join(ROOT, "scripts", "wheel-pure.sh"), [dist], { stdio: "pipe" });
      const made = readdirSync(dist).find((f) => f.endsWith("-py3-none-any.whl"));
      assert.ok(made, "wheel-pure.sh made no py3-none-any wheel");
      wheel = join(dist, made);
    }
    py = await loadPyodide();
    py.unpackArchive(new Uint8Array(readFileSync(wheel)), "wheel");
    for (const w of wheelClosure(["anywidget"])) py.unpackArchive(new Uint8Array(readFileSync(w)), "wheel");
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
  py.FS.writeFile("/tmp/candleStand.scad", new Uint8Array(readFileSync(CANDLE)));
});

const run = (code) => py.runPythonAsync(code);

test("the pure wheel imports under Pyodide without pyzmq or Node", async () => {
  const out = await run(`
import sys, scadlive
assert sys.platform == "emscripten"
[m for m in ("zmq", "anywidget") if m in sys.modules]`);
  assert.deepEqual(out.toJs(), []);
});

// Runs before any render, so the WebAssembly is not loaded yet (Node 20 has no
// JSPI to block on it): the Viewer gets its schema when it is.
test("Viewer: every renderer maps to the page; schema, params, render_async and export as natively", async () => {
  const dir = mkdtempSync(join(tmpdir(), "scadlive-native-"));
  try {
    const native = nativeStl(CANDLE, ["count=5", "centerCandle=false"], dir);
    const nativeSchema = JSON.parse(execFileSync(join(ROOT, "build", "native", "scadlive"), ["params", CANDLE], { encoding: "utf8" }));
    const out = (await run(`
import asyncio, json, scadlive
v = scadlive.Viewer(path="/tmp/candleStand.scad", renderer="kernel", params={"count": 5})
bad = scadlive.Viewer(path="/tmp/candleStand.scad", params={"cuont": 3})  # checked when the WASM is loaded
first = (v.renderer, v.schema, dict(v.params))
await scadlive.web_ready()
for _ in range(100):
    if v.schema and bad.error:
        break
    await asyncio.sleep(0.05)
after = (v.schema, dict(v.params))
stl = await v.render_async(params={"centerCandle": False})
path = await v.export_async("/tmp/exported.stl")
try:
    v.params = {"cuont": 3}
    typo = None
except Exception as e:
    typo = str(e)
json.dumps({"first": first, "schema": after[0], "params": after[1], "typo": typo, "late_typo": bad.error,
            "same": open(path, "rb").read() == stl, "status": v.error}), stl`)).toJs();
    const [text, stlProxy] = out;
    const got = JSON.parse(text);
    assert.deepEqual(got.first, ["browser", {}, { count: 5 }]);
    assert.deepEqual(got.schema, nativeSchema);
    const defaults = Object.fromEntries(nativeSchema.parameters.map((p) => [p.name, p.initial]));
    assert.deepEqual(got.params, { ...defaults, count: 5 });
    assert.match(got.typo, /cuont.*count/s);
    assert.match(got.late_typo.message, /cuont.*count/s); // given before the WASM was loaded: shown as the viewer's error
    assert.equal(got.same, true);
    assert.deepEqual(got.status, {});
    const mine = stlProxy;
    assert.deepEqual(mine.subarray(80), native.subarray(80));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("include/use files beside the model and in library_path: the same files and triangles as natively", async () => {
  const dir = mkdtempSync(join(tmpdir(), "scadlive-inc-"));
  try {
    const files = {
      "model/main.scad": "include <parts.scad>\nuse <sub/ring.scad> // include <none.scad>\nuse <shapes/star.scad>\nbox(); ring(); star();\n",
      "model/parts.scad": "c = 7;\nmodule box() { cube(c); }\n",
      "model/sub/ring.scad": "include <../parts.scad>\nmodule ring() { translate([c + 5, 0, 0]) rotate_extrude($fn=24) translate([4, 0]) circle(1, $fn=12); }\n",
      "lib/shapes/star.scad": "module star() { translate([0, 20, 0]) linear_extrude(2) polygon([[0,5],[1,1],[5,0],[1,-1],[0,-5],[-1,-1],[-5,0],[-1,1]]); }\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
      py.FS.mkdirTree(dirname("/tmp/inc/" + path));
      py.FS.writeFile("/tmp/inc/" + path, text);
    }
    const lib = join(dir, "lib");
    const deps = JSON.parse(execFileSync(join(ROOT, "build", "native", "scadlive"),
      ["deps", "--json", "--base-dir", join(dir, "model"), "--library-path", lib, join(dir, "model", "main.scad")], { encoding: "utf8" }));
    const out = join(dir, "native.stl");
    execFileSync(join(ROOT, "build", "native", "scadlive"),
      ["render", join(dir, "model", "main.scad"), "--library-path", lib, "-o", out], { stdio: "pipe", cwd: dir });
    const native = new Uint8Array(readFileSync(out));
    const [keys, mine] = (await run(`
import scadlive
v = scadlive.Viewer(path="/tmp/inc/model/main.scad", library_path=["/tmp/inc/lib"])
stl = await scadlive.render_async(path="/tmp/inc/model/main.scad", library_path="/tmp/inc/lib")
(sorted(v._files), stl)`)).toJs();
    assert.deepEqual(keys, deps.files.map((f) => f.path).sort());
    assert.deepEqual(keys, ["parts.scad", "shapes/star.scad", "sub/ring.scad"]);
    assert.deepEqual(mine.subarray(80), native.subarray(80));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("render_async('cube(10);') is a binary STL of 12 triangles", async () => {
  const out = await run(`
import struct, scadlive
stl = await scadlive.render_async("cube(10);")
res = await scadlive.render_async("cube(10);", full=True)
(len(stl), struct.unpack_from("<I", stl, 80)[0], res.triangles, res.bbox["max"])`);
  const [len, n, triangles, max] = out.toJs();
  assert.equal(n, 12);
  assert.equal(len, 84 + 50 * 12);
  assert.equal(triangles, 12);
  assert.deepEqual(max, [10, 10, 10]);
});

test("parameters() of candleStand.scad equal the native CLI's", async () => {
  const native = JSON.parse(execFileSync(join(ROOT, "build", "native", "scadlive"), ["params", CANDLE], { encoding: "utf8" }));
  const mine = JSON.parse(await run(`
import json, scadlive
json.dumps(scadlive.parameters(path="/tmp/candleStand.scad"))`));
  assert.ok(native.parameters.length > 0);
  assert.deepEqual(mine, native);
});

test("the same triangles as the native CLI (through its bridge) for candleStand with parameters", async () => {
  const dir = mkdtempSync(join(tmpdir(), "scadlive-native-"));
  try {
    const out = join(dir, "native.stl");
    execFileSync(join(ROOT, "build", "native", "scadlive"),
      ["render", CANDLE, "-D", "count=5", "-D", "centerCandle=false", "-o", out], { stdio: "pipe", cwd: dir });
    const native = new Uint8Array(readFileSync(out));
    const mine = (await run(`
import scadlive
await scadlive.render_async(path="/tmp/candleStand.scad", params={"count": 5, "centerCandle": False})`)).toJs();
    const count = (b) => new DataView(b.buffer, b.byteOffset).getUint32(80, true);
    assert.ok(count(native) > 100, `native render has ${count(native)} triangles`);
    assert.equal(count(mine), count(native));
    // the facets (normals, vertices) byte for byte; the 80-byte header is OpenSCAD's text
    assert.deepEqual(mine.subarray(80), native.subarray(80));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("params= are applied as OpenSCAD -D overrides", async () => {
  const out = await run(`
import scadlive
r = await scadlive.render_async("size = 10; // [1:50]\\ncube(size);", params={"size": 20}, full=True)
r.bbox["max"]`);
  assert.deepEqual(out.toJs(), [20, 20, 20]);
});

test("a /* [Hidden] */ variable in params= is a -D define; an unknown name is a ParameterError", async () => {
  const out = await run(`
import scadlive
src = "size = 10; // [1:50]\\n/* [Hidden] */\\nh = 2;\\ncube([size, size, h]);"
r = await scadlive.render_async(src, params={"size": 20, "h": 7}, full=True)
v = scadlive.Viewer(src, params={"h": 3})
try:
    await scadlive.render_async(src, params={"hh": 1})
    refused = ""
except scadlive.ParameterError as exc:
    refused = str(exc)
[r.bbox["max"], sorted(v.params.items()), refused]`);
  const [max, params, refused] = out.toJs();
  assert.deepEqual(max, [20, 20, 7]);
  assert.deepEqual(params, [["h", 3], ["size", 10]]);
  assert.match(refused, /unknown parameter "hh".*did you mean "size"/);
});

test("text() gets the wheel's fonts and use <MCAD/...> the wheel's MCAD", async () => {
  const out = await run(`
import scadlive
t = await scadlive.render_async('linear_extrude(1) text("Hi");', full=True)
m = await scadlive.render_async("use <MCAD/boxes.scad>\\nroundedBox([10, 20, 30], 2, true);", full=True)
(t.triangles, t.warnings, m.bbox["max"])`);
  const [textTriangles, warnings, max] = out.toJs();
  assert.ok(textTriangles > 20, `text("Hi") has ${textTriangles} triangles`);
  assert.deepEqual(warnings, []);
  assert.deepEqual(max.map((v) => Math.round(v)), [5, 10, 15]);
});

test("10 concurrent render_async calls each get their own model", async () => {
  const out = await run(`
import asyncio, scadlive
results = await asyncio.gather(*[scadlive.render_async(f"cube([{i + 1}, 2, 3]);", full=True) for i in range(10)])
[r.bbox["max"][0] for r in results]`);
  assert.deepEqual(out.toJs(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

test("a syntax error raises RenderError with its line", async () => {
  const out = await run(`
import scadlive
try:
    await scadlive.render_async("cube(10);\\nsphere(5);\\ncube(10;\\n");
    got = None
except scadlive.RenderError as e:
    got = (e.code, e.line, str(e))
got`);
  const [code, line, text] = out.toJs();
  assert.equal(code, "SYNTAX");
  assert.equal(line, 3);
  assert.match(text, /:3: /);
});

test("a blocking render() works with JSPI, else says to await render_async", async () => {
  const out = await run(`
import struct, scadlive
from pyodide.ffi import can_run_sync
try:
    got = struct.unpack_from("<I", scadlive.render("cube(3);"), 80)[0]
except scadlive.NotAvailableInPyodide as e:
    got = str(e)
(can_run_sync(), got)`);
  const [jspi, got] = out.toJs();
  if (jspi) assert.equal(got, 12);
  else assert.match(got, /await scadlive\.render_async/);
});

test("the bridge, renderer='kernel', batch raise a clear error at once", async () => {
  const out = await run(`
import scadlive
msgs = []
for call in (lambda: scadlive.render_async("cube(1);", renderer="kernel"),
             lambda: scadlive.render_async("cube(1);", renderer="openscad")):
    try:
        await call()
    except scadlive.NotAvailableInPyodide as e:
        msgs.append(str(e))
for name in ("batch",):
    try:
        getattr(scadlive, name)
    except scadlive.NotAvailableInPyodide as e:
        msgs.append(str(e))
from scadlive import _runtime
try:
    _runtime.process()
except scadlive.NotAvailableInPyodide as e:
    msgs.append(str(e))
msgs`);
  const msgs = out.toJs();
  assert.equal(msgs.length, 4);
  assert.match(msgs[0], /renderer='kernel' is not available under Pyodide/);
  assert.match(msgs[2], /scadlive\.batch is not available under Pyodide/);
  assert.match(msgs[3], /render bridge is not available under Pyodide/);
});

test("timeout= raises RenderError TIMEOUT, as natively", async () => {
  // the render runs synchronously in OpenSCAD's WebAssembly for longer than
  // 1 ms, so the timer has expired when control comes back
  const out = await run(`
import scadlive
try:
    await scadlive.render_async("minkowski() { cube(10); sphere(2, $fn=40); }", timeout=0.001)
    got = None
except scadlive.RenderError as e:
    got = e.code
got`);
  assert.equal(out, "TIMEOUT");
});

test("3MF: the same XML parts, entries and dates as the native CLI's, colours kept (read back by lib3mf)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "scadlive-3mf-"));
  try {
    writeFileSync(join(dir, "colours.scad"), COLOURED);
    const native = nativeRender(join(dir, "colours.scad"), ["size=12"], dir, "3mf");
    py.FS.writeFile("/tmp/colours.scad", COLOURED);
    const [mine, viaExport, viaViewer, triangles] = (await run(`
import scadlive
r = await scadlive.render_async(path="/tmp/colours.scad", params={"size": 12}, format="3mf", full=True)
v = scadlive.Viewer(path="/tmp/colours.scad", params={"size": 12})
p = await v.export_async("/tmp/colours.3mf")
r.data, await scadlive.render_async(path="/tmp/colours.scad", params={"size": 12}, format="3mf"), \
    open(p, "rb").read(), r.triangles`)).toJs();
    assert.deepEqual(viaExport, mine, "two renders of one model make the same file (fixed dates)");
    assert.deepEqual(viaViewer, mine, "Viewer.export_async to .3mf");
    writeFileSync(join(dir, "native.3mf"), native);
    writeFileSync(join(dir, "pyodide.3mf"), mine);
    // Python's zipfile unpacks both; lib3mf (PyPI), an independent reader, reads both
    const read = JSON.parse(nativePython(`
import base64, json, sys, zipfile, lib3mf
out = []
for path in sys.argv[1:]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        entries = [[i.filename, list(i.date_time), i.compress_type, base64.b64encode(z.read(i)).decode()]
                   for i in z.infolist()]
    w = lib3mf.get_wrapper(); m = w.CreateModel(); m.QueryReader("3mf").ReadFromFile(path)
    objs = m.GetMeshObjects(); objs.MoveNext(); mesh = objs.GetCurrentMeshObject()
    colours, groups = {}, {}
    for t in range(mesh.GetTriangleCount()):
        p = mesh.GetTriangleProperties(t)
        key = "none"
        if p.ResourceID:
            groups.setdefault(p.ResourceID, m.GetBaseMaterialGroupByID(p.ResourceID))
            c = groups[p.ResourceID].GetDisplayColor(p.PropertyIDs[0])
            key = "%02x%02x%02x%02x" % (c.Red, c.Green, c.Blue, c.Alpha)
        colours[key] = colours.get(key, 0) + 1
    out.append({"entries": entries, "triangles": mesh.GetTriangleCount(), "colours": colours,
                "name": objs.GetCurrentMeshObject().GetName()})
print(json.dumps(out))
`, [join(dir, "native.3mf"), join(dir, "pyodide.3mf")]));
    const [fromNative, fromPyodide] = read;
    assert.deepEqual(fromNative.entries.map((e) => e[0]), ["[Content_Types].xml", "_rels/.rels", "3D/3dmodel.model"]);
    assert.deepEqual(fromPyodide.entries, fromNative.entries); // names, order, dates, deflate, XML bytes
    assert.deepEqual(fromPyodide.entries.map((e) => e[1]), Array(3).fill([2020, 1, 1, 0, 0, 0]));
    assert.equal(fromPyodide.triangles, triangles);
    assert.equal(fromPyodide.name, "colours");
    assert.equal(fromPyodide.colours.ff0000ff, 12, JSON.stringify(fromPyodide.colours)); // the red cube
    assert.equal(Object.keys(fromPyodide.colours).length, 3, JSON.stringify(fromPyodide.colours)); // red, blue at alpha 0.5, the default
    assert.deepEqual(fromPyodide.colours, fromNative.colours);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("3MF of an empty model raises RenderError as natively; a 2D model names the formats that fit", async () => {
  const out = (await run(`
import scadlive
got = []
for src in ("cube(0);", "square(5);"):
    try:
        await scadlive.render_async(src, format="3mf")
        got.append(None)
    except scadlive.RenderError as e:
        got.append([e.code, str(e)])
got`)).toJs();
  assert.equal(out[0][0], "RENDER");
  assert.equal(out[1][0], "RENDER");
  assert.match(out[1][1], /svg|dxf|2D/i);
});

test("quality='preview': the same triangles as the native preview ($fn 24 unless params set it)", async () => {
  py.FS.writeFile("/tmp/colours.scad", COLOURED);
  const dir = mkdtempSync(join(tmpdir(), "scadlive-preview-"));
  try {
    writeFileSync(join(dir, "colours.scad"), COLOURED);
    const native = JSON.parse(nativePython(`
import base64, json, sys, scadlive
out = []
for params in ({"size": 12}, {"size": 12, "$fn": 6}):
    out.append(base64.b64encode(scadlive.render(path=sys.argv[1], params=params, quality="preview")).decode())
print(json.dumps(out))
`, [join(dir, "colours.scad")])).map((b) => new Uint8Array(Buffer.from(b, "base64")));
    const [preview, coarse, full, err] = (await run(`
import scadlive
m = "/tmp/colours.scad"
try:
    await scadlive.render_async(path=m, quality="draft")
    err = None
except ValueError as e:
    err = str(e)
(await scadlive.render_async(path=m, params={"size": 12}, quality="preview"),
 await scadlive.render_async(path=m, params={"size": 12, "$fn": 6}, quality="preview"),
 await scadlive.render_async(path=m, params={"size": 12}), err)`)).toJs();
    const triangles = (stl) => new DataView(stl.buffer, stl.byteOffset).getUint32(80, true);
    assert.deepEqual(preview.subarray(80), native[0].subarray(80));
    assert.deepEqual(coarse.subarray(80), native[1].subarray(80));
    assert.notEqual(triangles(preview), triangles(full), "the preview's sphere has 24 facets a circle");
    assert.ok(triangles(coarse) < triangles(preview), "params' own $fn wins");
    assert.match(err, /quality must be 'full' or 'preview'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Runs last. Pyodide's event loop never clears the JavaScript timer of a
// cancelled asyncio timer (WebLoop._timer_handle_cancelled is a no-op), so an
// asyncio.wait_for around each render left a 120 s timer behind and Node
// stayed alive for two minutes after the last test. scadlive now times its
// renders with a timer of its own that it clears.
test("no JavaScript timer outlives the renders (Node exits at once)", async () => {
  await run(`
import asyncio, scadlive
await asyncio.gather(*[scadlive.render_async("cube(1);") for _ in range(3)])`);
  await new Promise((resolve) => setTimeout(resolve, 50)); // the loop's own setTimeout(0) steps
  assert.deepEqual(process.getActiveResourcesInfo().filter((r) => r === "Timeout"), []);
});
