// Every kind of OpenSCAD model and output in the page (real Chromium, the
// standalone test page): a 2D model drawn flat with SVG and DXF downloads
// that match OpenSCAD's own exports (Debian's native OpenSCAD 2021 and the
// WASM build in Node, the same program the page runs), the log console
// (ECHO, WARNING lines with their line numbers), the error banner (the
// location once; no "last good model" when none was shown), and the 3MF
// download with colours, read back by lib3mf.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInstance } from "../../renderer/openscad-instance.mjs";
import { canvasPixels, useTempDir, useTestPage } from "./lib.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const testPage = useTestPage();
const work = useTempDir("scl-models-");

const status = (page) => page.locator(".scl-status").first().textContent();
async function waitStatus(page, re, timeout = 60000) {
  await page.waitForFunction((src) => {
    const s = document.querySelector(".scl-status");
    return s && !s.classList.contains("updating") && new RegExp(src).test(s.textContent);
  }, re.source, { timeout });
  return status(page);
}

// A fresh page whose first model is `source`, saved as model.scad (nothing shown before it).
async function freshPage(source, options = {}) {
  const page = await testPage.browser.newPage(options);
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.errors = errors;
  const dir = `/build/scl-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
  mkdirSync(join(ROOT, dir));
  writeFileSync(join(ROOT, dir, "model.scad"), source);
  page.on("close", () => rmSync(join(ROOT, dir), { recursive: true, force: true }));
  await page.goto(testPage.url(`model=${dir}/model.scad`));
  return page;
}

async function downloadOf(page, label) {
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: label }).click()]);
  return { name: dl.suggestedFilename(), bytes: readFileSync(await dl.path()) };
}

// OpenSCAD 2025 WASM in Node (what the page runs) exporting `source` to `ext`.
async function wasmExport(source, ext) {
  const { default: OpenSCAD } = await import("../../build/openscad/openscad-factory.mjs");
  const compiled = await WebAssembly.compile(readFileSync(join(ROOT, "build/openscad/openscad.wasm")));
  const os = await createInstance(OpenSCAD, compiled, () => {});
  os.FS.mkdir("/work");
  os.FS.writeFile("/work/model.scad", source);
  assert.equal(os.callMain(["/work/model.scad", "-o", `/work/out.${ext}`, "--backend=manifold"]), 0);
  return Buffer.from(os.FS.readFile(`/work/out.${ext}`));
}

// Debian's OpenSCAD 2021 (native) exporting `source` to `ext`.
function nativeExport(source, ext) {
  const scad = join(work.path, "oracle.scad");
  writeFileSync(scad, source);
  const out = join(work.path, `oracle.${ext}`);
  execFileSync("openscad", ["-o", out, scad], { stdio: "ignore", timeout: 60000 });
  return readFileSync(out);
}

// The outline edges of a 2D export, [[x0, y0, x1, y1], ...], read independently
// of the page's own parser: SVG paths (M/L/z) or DXF LINE and LWPOLYLINE entities.
function svgEdges(text) {
  const edges = [];
  for (const [, d] of text.matchAll(/\sd="([^"]*)"/g)) {
    for (const sub of d.split(/[Mm]/).slice(1)) {
      const pts = [...sub.matchAll(/(-?[\d.e+-]+),(-?[\d.e+-]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
      pts.forEach((p, i) => { const q = pts[(i + 1) % pts.length]; edges.push([p[0], p[1], q[0], q[1]]); });
    }
  }
  return edges;
}
function dxfEdges(text) {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const pairs = [];
  for (let i = 0; i + 1 < lines.length; i += 2) pairs.push([Number(lines[i]), lines[i + 1]]);
  const edges = [];
  for (let i = 0; i < pairs.length; i++) {
    if (pairs[i][0] !== 0 || !["LINE", "LWPOLYLINE"].includes(pairs[i][1])) continue;
    const kind = pairs[i][1];
    const codes = [];
    for (i++; i < pairs.length && pairs[i][0] !== 0; i++) codes.push(pairs[i]);
    i--;
    const all = (c) => codes.filter(([k]) => k === c).map(([, v]) => Number(v));
    if (kind === "LINE") edges.push([all(10)[0], all(20)[0], all(11)[0], all(21)[0]]);
    else {
      const xs = all(10), ys = all(20);
      const closed = (all(70)[0] || 0) & 1;
      for (let k = 0; k + 1 < xs.length + closed; k++) {
        const n = (k + 1) % xs.length;
        edges.push([xs[k], ys[k], xs[n], ys[n]]);
      }
    }
  }
  return edges;
}
// Green's theorem over the outline edges: the shape's area, holes subtracted.
const area = (edges) => Math.abs(edges.reduce((s, [x0, y0, x1, y1]) => s + x0 * y1 - x1 * y0, 0) / 2);
// Every point of `a` lies within `tol` of a point of `b`.
const allNear = (a, b, tol) => a.every(([x, y]) => b.some(([u, v]) => Math.abs(x - u) <= tol && Math.abs(y - v) <= tol));
const points = (edges) => edges.map(([x, y]) => [x, y]);

const GASKET = `// a laser-cut gasket
echo("gasket", 60);
difference() {
  circle(d = 60);
  circle(d = 30);
  for (a = [0:90:270]) rotate(a) translate([22, 0]) circle(d = 5);
}
`;

test("a 2D model is drawn flat, with SVG and DXF downloads that match OpenSCAD's own", { timeout: 180000 }, async () => {
  const page = await freshPage(GASKET, { acceptDownloads: true });
  const text = await waitStatus(page, /^2D shape/);
  assert.match(text, /^2D shape, 6 outlines, [\d.]+ mm²/);
  // the ring is drawn filled (the 2D shape's yellow, lit from above); its
  // centre hole shows the background (light theme: #f4f4f4)
  const { width, height, data } = await canvasPixels(page);
  const at = (x, y) => Array.from(data.subarray(3 * (y * width + x), 3 * (y * width + x) + 3));
  const yellow = ([r, g, b]) => r > 180 && g > 150 && b < 110;
  let filled = 0;
  for (let k = 0; k < data.length; k += 3) if (yellow([data[k], data[k + 1], data[k + 2]])) filled++;
  assert.ok(filled > 30000, `only ${filled} pixels of the ring drawn`);
  // inside the hole, beside the axes and grid lines through the origin
  const hole = [width / 2 + 0.04 * height, height / 2 - 0.04 * height].map(Math.round);
  for (let dy = -2; dy <= 2; dy++)
    for (let dx = -2; dx <= 2; dx++) assert.deepEqual(at(hole[0] + dx, hole[1] + dy), [244, 244, 244], "the hole shows the background");
  // the hole's row crosses the ring left of the hole (not the centre row itself:
  // seen straight from above, the X axis and a grid line lie on it)
  const row = Array.from({ length: width >> 1 }, (_, x) => yellow(at(x, hole[1]))).filter(Boolean).length;
  assert.ok(row > width / 20, `only ${row} pixels of the ring on the hole's row`);
  assert.match(await page.locator(".scl-error").first().evaluate((e) => (e.hidden ? "" : e.textContent)), /^$/);
  // 3D downloads are hidden, 2D ones offered
  assert.equal(await page.getByRole("button", { name: "Download STL" }).isVisible(), false);
  const svg = await downloadOf(page, "Download SVG");
  const dxf = await downloadOf(page, "Download DXF");
  assert.equal(svg.name, "model.svg");
  assert.equal(dxf.name, "model.dxf");
  // byte for byte what OpenSCAD WASM exports for the same model
  assert.equal(svg.bytes.toString(), (await wasmExport(GASKET, "svg")).toString());
  assert.equal(dxf.bytes.toString(), (await wasmExport(GASKET, "dxf")).toString());
  // and the same shape as Debian's native OpenSCAD 2021 exports: area, outline points
  for (const [name, edgesOf, mine] of [["svg", svgEdges, svg.bytes], ["dxf", dxfEdges, dxf.bytes]]) {
    const ours = edgesOf(mine.toString());
    const oracle = edgesOf(nativeExport(GASKET, name).toString());
    assert.equal(ours.length, oracle.length, `${name}: edge count`);
    const expected = Math.PI * (30 ** 2 - 15 ** 2 - 4 * 2.5 ** 2);
    assert.ok(Math.abs(area(ours) - area(oracle)) < 1e-3 * area(oracle), `${name}: area ${area(ours)} vs ${area(oracle)}`);
    assert.ok(Math.abs(area(ours) - expected) < 0.03 * expected, `${name}: area ${area(ours)}, a true gasket ${expected}`);
    assert.ok(allNear(points(ours), points(oracle), 2e-3) && allNear(points(oracle), points(ours), 2e-3), `${name}: outline points`);
  }
  // back to 3D: the mesh downloads return
  await page.evaluate(() => globalThis.models[0].set("source", "cube(10);"));
  await waitStatus(page, /^12 triangles/);
  assert.equal(await page.getByRole("button", { name: "Download STL" }).isVisible(), true);
  assert.equal(await page.getByRole("button", { name: "Download SVG" }).isVisible(), false);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the console under the view shows ECHO and WARNING lines with their line numbers", { timeout: 120000 }, async () => {
  const page = await freshPage('echo("hello", 3);\nx = 1;\nx = 2;\ncube(unknown_size);\nmodule m() echo(in_m = true) cube(1);\ntranslate([5, 0, 0]) m();\n');
  await waitStatus(page, /triangles/);
  const rows = await page.locator(".scl-console .scl-log-row").evaluateAll((els) => els.map((el) =>
    [...el.children].map((c) => c.textContent)));
  const echo = rows.find((r) => r[0] === "ECHO");
  // OpenSCAD prints no location for echo(); the page tags the model's calls with their lines
  assert.deepEqual(echo, ["ECHO", '"hello", 3', "model.scad, line 1"]);
  // an echo() in a module: the line of the call inside it
  assert.deepEqual(rows.find((r) => r[0] === "ECHO" && /in_m/.test(r[1])), ["ECHO", "in_m = true", "model.scad, line 5"]);
  const unknown = rows.find((r) => r[0] === "WARNING" && /unknown_size/.test(r[1]));
  assert.ok(unknown, JSON.stringify(rows));
  assert.equal(unknown[2], "model.scad, line 4");
  assert.doesNotMatch(unknown[1], /line 4|\/work\//, "the location is shown once, in its column");
  assert.match(await page.locator(".scl-console summary").textContent(), /2 echoes, 2 warnings/);
  // collapsible; dark with the view
  await page.locator(".scl-console summary").click();
  assert.equal(await page.locator(".scl-console").evaluate((d) => d.open), false);
  await page.evaluate(() => globalThis.models[0].set("theme", "dark"));
  const colour = await page.locator(".scl-console").evaluate((d) => getComputedStyle(d).backgroundColor);
  assert.ok(colour.match(/\d+/g).slice(0, 3).every((v) => Number(v) < 80), colour);
  // a cached result shows its lines again
  await page.evaluate(() => globalThis.models[0].set("source", "cube(1);"));
  await waitStatus(page, /^12 triangles/);
  assert.match(await page.locator(".scl-console summary").textContent(), /no output/);
  await page.evaluate(() => globalThis.models[0].set("source", 'echo("hello", 3);\nx = 1;\nx = 2;\ncube(unknown_size);\n'));
  await waitStatus(page, /triangles/);
  assert.match(await page.locator(".scl-console summary").textContent(), /1 echo, 2 warnings/);
  await page.evaluate(() => globalThis.models[0].set("source", "cube(1);"));
  await waitStatus(page, /\(cache\)/);
  await page.evaluate(() => globalThis.models[0].set("source", 'echo("hello", 3);\nx = 1;\nx = 2;\ncube(unknown_size);\n'));
  await waitStatus(page, /\(cache\)/);
  assert.match(await page.locator(".scl-console summary").textContent(), /1 echo, 2 warnings/);
  await page.close();
});

test("the error banner names file and line once; no 'last good model' when none was shown", { timeout: 120000 }, async () => {
  const page = await freshPage("cube(10);\n\nx = ;\n");
  await page.waitForSelector(".scl-error:not([hidden])", { timeout: 60000 });
  const banner = await page.locator(".scl-error").textContent();
  assert.match(banner, /^model\.scad, line 3: /);
  assert.equal(banner.match(/line 3/g).length, 1, banner);
  assert.doesNotMatch(banner, /\/work\//);
  await page.waitForFunction(() => document.querySelector(".scl-status").textContent === "error");
  // now a model is shown; the next error keeps it
  await page.evaluate(() => globalThis.models[0].set("source", "cube(10);"));
  await waitStatus(page, /^12 triangles/);
  await page.evaluate(() => globalThis.models[0].set("source", "include <NoSuchLib/std.scad>\ncuboid(10);\n"));
  await page.waitForFunction(() => /last good model shown/.test(document.querySelector(".scl-status").textContent));
  const missing = await page.locator(".scl-error").textContent();
  // the real cause, as the bridge says it: the missing include, at its line
  assert.match(missing, /^model\.scad, line 1: cannot find 'NoSuchLib\/std\.scad' \(include\)/);
  assert.doesNotMatch(missing, /no geometry/);
  const error = await page.evaluate(() => globalThis.models[0].get("error"));
  assert.equal(error.line, 1);
  assert.equal(error.file, "model.scad");
  assert.equal(error.reason, "missing_file");
  // the console has OpenSCAD's own warning
  assert.match(await page.locator(".scl-console").textContent(), /Can't open include file 'NoSuchLib\/std\.scad'/);
  // a module calling itself without end: the stack runs out (a crash in WASM), said as such
  await page.evaluate(() => globalThis.models[0].set("source", "module m() m();\nm();\n"));
  await page.waitForFunction(() => /recursion/.test(document.querySelector(".scl-error").textContent));
  assert.equal((await page.evaluate(() => globalThis.models[0].get("error"))).reason, "recursion");
  await page.close();
});

test("the 3MF download keeps color() and matches the OFF (read back by lib3mf)", { timeout: 120000 }, async () => {
  const page = await freshPage('color("red") cube(10);\ncolor([0, 0, 1]) translate([20, 0, 0]) cube(5);\ntranslate([0, 20, 0]) cube(3);\n',
    { acceptDownloads: true });
  await waitStatus(page, /^36 triangles/);
  const off = await downloadOf(page, "Download OFF");
  const threemf = await downloadOf(page, "Download 3MF");
  assert.equal(threemf.name, "model.3mf");
  const file = join(work.path, "page.3mf");
  writeFileSync(file, threemf.bytes);
  // lib3mf (PyPI), an independent reader: triangles, volume and colours
  const read = execFileSync(join(ROOT, ".venv/bin/python"), ["-c", `
import json, sys, zipfile, lib3mf
dates = sorted({i.date_time for i in zipfile.ZipFile(sys.argv[1]).infolist()})
w = lib3mf.get_wrapper(); m = w.CreateModel(); m.QueryReader("3mf").ReadFromFile(sys.argv[1])
objs = m.GetMeshObjects(); objs.MoveNext(); mesh = objs.GetCurrentMeshObject()
v = [tuple(p.Coordinates) for p in mesh.GetVertices()]
vol = 0.0
for t in mesh.GetTriangleIndices():
    a, b, c = (v[i] for i in t.Indices)
    vol += (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) + a[2] * (b[0] * c[1] - b[1] * c[0])) / 6
colours = {}
groups = {}
for t in range(mesh.GetTriangleCount()):
    p = mesh.GetTriangleProperties(t)
    if p.ResourceID == 0:
        colours["none"] = colours.get("none", 0) + 1
        continue
    if p.ResourceID not in groups:
        groups[p.ResourceID] = m.GetBaseMaterialGroupByID(p.ResourceID)
    c = groups[p.ResourceID].GetDisplayColor(p.PropertyIDs[0])
    key = "%02x%02x%02x" % (c.Red, c.Green, c.Blue)
    colours[key] = colours.get(key, 0) + 1
print(json.dumps({"dates": dates, "millimetres": m.GetUnit() == lib3mf.ModelUnit.MilliMeter, "triangles": mesh.GetTriangleCount(), "volume": vol, "colours": colours}))
`, file]).toString();
  const got = JSON.parse(read);
  assert.equal(got.millimetres, true);
  // dated as the bridge dates its 3MF entries: the same model, the same bytes
  assert.deepEqual(got.dates, [[2020, 1, 1, 0, 0, 0]]);
  const { loadCore } = await import("../../build/wasm/sclcore.mjs");
  const fromOff = (await loadCore()).parseMesh(off.bytes);
  assert.equal(got.triangles, fromOff.stats.triangles);
  assert.ok(Math.abs(got.volume - fromOff.stats.volume) < 1e-6 * fromOff.stats.volume, `${got.volume} vs ${fromOff.stats.volume}`);
  assert.ok(Math.abs(got.volume - (1000 + 125 + 27)) < 1e-3);
  assert.equal(got.colours.ff0000, 12, JSON.stringify(got.colours));
  assert.equal(got.colours["0000ff"], 12, JSON.stringify(got.colours));
  assert.equal(Object.values(got.colours).reduce((a, b) => a + b, 0), 36);
  assert.deepEqual(page.errors, []);
  await page.close();
});
