// runner.js - one OpenSCAD run at a time, in a worker of its own.
//
// OpenSCAD's callMain cannot be interrupted, so it runs here and not in the
// render worker (worker.js): the render worker stays free to answer and to
// terminate a runner whose render became stale; a spare runner, given the
// WebAssembly.Module the render worker compiled, is ready in milliseconds.
// Each run uses a fresh OpenSCAD instance (callMain runs once per instance);
// the next one is made right after a run.
//
// An abandoned run stops itself. Terminating the runner would not stop it:
// Chromium lets a worker that is running script go on for 2 s before it
// stops it by force (Blink's kForcibleTerminationDelay), and an OpenSCAD run
// never yields: for those 2 s the abandoned run took a core from the runs
// that replaced it (seen in the threads' CPU time: three runners busy on two
// cores while a light view rendered beside a slow one). So each run comes
// with a blob: URL (`alive`) that the render worker revokes when it abandons
// the run; the run then throws, and the runner makes its next instance and
// stays (runner-pool.js: a new worker would have V8 optimize OpenSCAD's
// JavaScript glue all over again). OpenSCAD's calls into JavaScript check it, at
// most every CHECK_MS and first after FIRST_CHECK_MS (a light model's run
// makes no check: a check costs 1.5-5 ms), with a synchronous request: the one thing a busy
// worker can read that another thread changes, without SharedArrayBuffer
// (which needs a cross-origin isolated page; notebooks are not).
//
// A page whose policy refuses such requests (a Content-Security-Policy
// without blob: in connect-src) would make every check fail, and every run
// over 200 ms stop itself: so the runner first reads `probe`, a URL the pool
// never revokes, and checks runs only if that worked.
//
// In:  {type:"init", module: WebAssembly.Module, fonts, probe: blob: URL} -> {type:"ready", heapBytes, checks}
//      {type:"fonts", fonts}
//      {type:"run", id, files: {path: ArrayBuffer}, fonts: bool, name, scad, args, alive: blob: URL}
//                                                            -> {type:"done", id, exit, output, log, renderMs, heapBytes}
//      (after each run, once the next instance is made)      -> {type:"ready", heapBytes}
//      (a run whose `alive` URL was revoked stops: no "done"; the next instance is made -> {type:"ready"})
import OpenSCAD from "../../build/openscad/openscad-factory.mjs";
import { createInstance, mkdirs } from "../../renderer/openscad-instance.mjs";

const encoder = new TextEncoder();
let compiled = null;
let fonts = {};
let next = null;
let lines = null;

// the running run's `alive` URL, and when it was last checked
const CHECK_MS = 100;
const FIRST_CHECK_MS = 200;
const CHECK_EVERY_CALLS = 1024;
let alive = null;
let checkedAt = 0;
let calls = 0;
class Abandoned extends Error {}
let checks = false; // whether this page lets the runner read a blob: URL (the probe)
const readable = (url) => {
  try {
    const xhr = new XMLHttpRequest();
    xhr.open("GET", url, false);
    xhr.send();
    return true;
  } catch {
    return false; // revoked: a network error
  }
};
const onCall = () => {
  if (!alive || !checks || (++calls & (CHECK_EVERY_CALLS - 1))) return;
  const t = performance.now();
  if (t - checkedAt < CHECK_MS) return;
  checkedAt = t;
  if (!readable(alive)) throw new Abandoned("abandoned");
};

const prepareNext = () => {
  next = createInstance(OpenSCAD, compiled, (line) => lines && lines.push(line), { onCall });
  next.then((os) => postMessage({ type: "ready", heapBytes: os.HEAPU8.length, checks }),
    (err) => postMessage({ type: "failed", message: `OpenSCAD did not start: ${err.message}` }));
};

// One run on the instance `os`, answered by {type:"done"}; an abandoned run
// stops part way and posts nothing.
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
  checkedAt = t0 + FIRST_CHECK_MS - CHECK_MS;
  let exit;
  try {
    exit = os.callMain(args);
  } catch (e) {
    if (e instanceof Abandoned) return;
    exit = -1;
    log.push(String((e && e.message) || e));
  }
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
    checks = !!msg.probe && readable(msg.probe);
    compiled = msg.module;
    fonts = msg.fonts || {};
    prepareNext();
  } else if (msg.type === "fonts") {
    fonts = msg.fonts || {};
  } else if (msg.type === "run") {
    const os = await next;
    alive = msg.alive || null;
    run(os, msg);
    alive = null;
    lines = null;
    // abandoned or not, the next instance: the pool keeps a runner whose run
    // stopped itself (runner-pool.js), or has terminated it already
    prepareNext();
  }
};
