// openscad-instance.test.mjs - the shared OpenSCAD instance maker
// (renderer/openscad-instance.mjs): a run can be stopped part way from its
// calls into JavaScript (`onCall`), which is how the widget's runner stops
// an abandoned render at once instead of when Chromium ends its worker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createInstance } from "../../renderer/openscad-instance.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const { default: OpenSCAD } = await import(`${ROOT}build/openscad/openscad-factory.mjs`);
const compiled = await WebAssembly.compile(readFileSync(`${ROOT}build/openscad/openscad.wasm`));
// a new array per run: Emscripten's callMain puts the program's name in front of the one it gets
const args = () => ["/work/m.scad", "-o", "/work/out.stl", "--backend=manifold", "--export-format=binstl"];

async function instance(scad, options) {
  const os = await createInstance(OpenSCAD, compiled, () => {}, options);
  os.FS.mkdir("/work");
  os.FS.writeFile("/work/m.scad", scad);
  return os;
}
const exists = (os, path) => { try { os.FS.stat(path); return true; } catch { return false; } };

test("onCall sees OpenSCAD's calls into JavaScript and the run gives the same model", async () => {
  const scad = "difference() { cube(10, center = true); sphere(6, $fn = 24); }";
  const plain = await instance(scad);
  assert.equal(plain.callMain(args()), 0);
  let calls = 0;
  const checked = await instance(scad, { onCall: () => { calls++; } });
  assert.equal(checked.callMain(args()), 0);
  assert.ok(calls > 100, `only ${calls} calls into JavaScript`);
  assert.deepEqual(checked.FS.readFile("/work/out.stl"), plain.FS.readFile("/work/out.stl"));
});

test("a throw from onCall stops the run part way: callMain throws it and writes no output", async () => {
  class Stop extends Error {}
  let calls = 0;
  let after = 0; // calls seen after the throw
  let thrown = false;
  const os = await instance(readFileSync(`${ROOT}tests/fixtures/scad/slow-sweep.scad`, "utf8"), {
    onCall: () => {
      if (thrown) { after++; return; }
      if (++calls === 50000) { thrown = true; throw new Stop("stop"); }
    },
  });
  assert.throws(() => os.callMain(args()), Stop);
  assert.equal(after, 0, "OpenSCAD went on after the throw");
  assert.equal(exists(os, "/work/out.stl"), false);
});
