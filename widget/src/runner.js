// runner.js - one OpenSCAD run at a time, in a worker of its own.
//
// OpenSCAD's callMain cannot be interrupted, so it runs here and not in the
// render worker (worker.js): the render worker stays free to answer and to
// terminate a runner whose render became stale; a spare runner, given the
// WebAssembly.Module the render worker compiled, is ready in milliseconds.
// Each run uses a fresh OpenSCAD instance (callMain runs once per instance);
// the next one is made right after a run.
//
// In:  {type:"init", module: WebAssembly.Module, fonts}      -> {type:"ready", heapBytes}
//      {type:"fonts", fonts}
//      {type:"run", id, files: {path: ArrayBuffer}, fonts: bool, name, scad, args}
//                                                            -> {type:"done", id, exit, output, log, renderMs, heapBytes}
//      (after each run, once the next instance is made)      -> {type:"ready", heapBytes}
import OpenSCAD from "../../build/openscad/openscad-factory.mjs";
import { createInstance, mkdirs } from "../../renderer/openscad-instance.mjs";

const encoder = new TextEncoder();
let compiled = null;
let fonts = {};
let next = null;
let lines = null;

const prepareNext = () => {
  next = createInstance(OpenSCAD, compiled, (line) => lines && lines.push(line));
  next.then((os) => postMessage({ type: "ready", heapBytes: os.HEAPU8.length }),
    (err) => postMessage({ type: "failed", message: `OpenSCAD did not start: ${err.message}` }));
};

function run(os, { id, files, useFonts, name, scad, args }) {
  const log = [];
  lines = log;
  if (useFonts && Object.keys(fonts).length) {
    mkdirs(os.FS, "/fonts");
    for (const [f, bytes] of Object.entries(fonts)) os.FS.writeFile("/fonts/" + f, new Uint8Array(bytes));
    os.FS.writeFile("/fonts/fonts.conf", '<?xml version="1.0"?><fontconfig><dir>/fonts</dir></fontconfig>');
  }
  mkdirs(os.FS, "/work");
  for (const [path, bytes] of Object.entries(files)) {
    mkdirs(os.FS, "/work/" + path.split("/").slice(0, -1).join("/"));
    os.FS.writeFile("/work/" + path, new Uint8Array(bytes));
  }
  os.FS.writeFile("/work/" + name, encoder.encode(scad));
  const out = args[args.indexOf("-o") + 1];
  const t0 = performance.now();
  let exit;
  try { exit = os.callMain(args); } catch (e) { exit = -1; log.push(String((e && e.message) || e)); }
  const renderMs = performance.now() - t0;
  let output = null;
  try { output = os.FS.readFile(out); } catch { /* none */ }
  lines = null;
  postMessage({ type: "done", id, exit, output, log: log.join("\n"), renderMs, heapBytes: os.HEAPU8.length },
    output ? [output.buffer] : []);
}

self.onmessage = async (e) => {
  const msg = e.data;
  if (msg.type === "init") {
    compiled = msg.module;
    fonts = msg.fonts || {};
    prepareNext();
  } else if (msg.type === "fonts") {
    fonts = msg.fonts || {};
  } else if (msg.type === "run") {
    const os = await next;
    run(os, msg);
    prepareNext();
  }
};
