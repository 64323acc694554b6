// worker-client.js - the page's render worker (worker.js), one per page,
// shared by every view (a module singleton). OpenSCAD's wasm is fetched (by
// the view's `getWasm`: the kernel or a URL) only when a view first renders
// in the page and the worker has no good copy kept in Cache Storage (which it
// compiles as it starts); a page whose views all render in the kernel never
// fetches it. The worker itself never blocks on OpenSCAD (that runs in its
// runners), so a stale render is abandoned there, not by restarting it.
// Messages are posted to the worker at once: it holds those that need its
// start or OpenSCAD's module until they are there (waiting here would wait
// for the page's main thread to see the worker's replies, and in a notebook
// that thread is busy building the view).
//
// The worker's render log (start, done, abandon, cancel, hold events) is kept
// in globalThis.scadliveRenderLog (the last LOG_KEEP events), for tests and
// benchmarks, and each view gets its own events.
import { mayUseFonts } from "./model-needs.js";
import { blobOf } from "./library-files.js";

const WORKER_SOURCE = __SCADLIVE_WORKER_SOURCE__; // inlined by build.mjs
const LOG_KEEP = 5000;
// where a page's first pixels wait (performance marks, read by the benchmark)
const mark = (name) => performance.mark?.(`scadlive:${name}`);

// The client lives on globalThis, not in this module: JupyterLab imports the
// widget's module once per widget model (a module instance each), and every
// view of the page must share one worker and one numbering of views.
const GLOBAL = "__scadlivePageWorker";

export { mark };

export function pageWorker() {
  if (globalThis[GLOBAL]) return globalThis[GLOBAL];
  let client = null;
  let nextViewId = 1;
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  let wasmSent = null;
  let fontsSent = null;
  const views = new Map(); // attached view id -> fn(event) for its render events
  const replies = new Map(); // request id -> fn(reply)
  const log = (globalThis.scadliveRenderLog ??= []);

  mark("worker-created");
  const worker = new Worker(url, { type: "module" });
  worker.onmessage = (e) => {
    const m = e.data;
    if (m.type === "event") {
      log.push(m);
      if (log.length > LOG_KEEP) log.splice(0, log.length - LOG_KEEP);
      views.get(m.viewer)?.(m);
      return;
    }
    replies.get(m.id)?.(m);
  };
  const ready = new Promise((resolve, reject) => {
    worker.addEventListener("message", (e) => {
      if (e.data.type === "ready") { mark("worker-ready"); resolve(); }
      else if (e.data.type === "error" && (e.data.id === null || e.data.id === undefined)) reject(new Error(e.data.message));
    });
  });
  ready.catch(() => {}); // reported through `started`
  // The worker loads its C core as it starts; its settings come with the
  // first view (the host may set them after importing the widget): the
  // total WASM heap across OpenSCAD instances, plus cached results (default
  // 1 GiB per page, globalThis.scadliveMemoryBudget), and the bytes of full
  // renders kept across page loads (default 128 MiB per origin, 0: none;
  // globalThis.scadliveKeptResultsBytes).
  let initSent = false;
  const init = () => {
    if (initSent) return;
    initSent = true;
    worker.postMessage({ type: "init", memoryBudget: globalThis.scadliveMemoryBudget,
      keptResultsBytes: globalThis.scadliveKeptResultsBytes });
  };

  const ensureWasm = (getWasm) => {
    wasmSent ??= (async () => {
      mark("wasm-asked");
      // the worker compiles the copy kept in Cache Storage as it starts
      const cached = await new Promise((resolve) => {
        const onReply = (e) => {
          if (!["wasm-ready", "wasm-missing", "wasm-failed"].includes(e.data.type)) return;
          worker.removeEventListener("message", onReply);
          resolve(e.data.type === "wasm-ready");
        };
        worker.addEventListener("message", onReply);
        worker.postMessage({ type: "wasm-cached" });
      });
      if (cached) { mark("wasm-compiled"); return; }
      const wasm = await getWasm();
      mark("wasm-bytes");
      // not waiting for the worker's start: it compiles while its C core loads
      await new Promise((resolve, reject) => {
        const onReply = (e) => {
          if (e.data.type !== "wasm-ready" && e.data.type !== "wasm-failed") return;
          worker.removeEventListener("message", onReply);
          if (e.data.type === "wasm-ready") { mark("wasm-compiled"); resolve(); }
          else reject(new Error(e.data.message));
        };
        worker.addEventListener("message", onReply);
        worker.postMessage({ type: "wasm", wasm }, [wasm]);
      });
    })();
    return wasmSent;
  };

  // Give the worker the contents of `files` ({path: content hash}) it does
  // not have yet, once each (library-files.js keeps them for the page).
  const workerBlobs = new Set();
  const sendBlobs = (files) => {
    const fresh = {};
    for (const h of Object.values(files || {})) {
      if (workerBlobs.has(h) || !blobOf(h)) continue;
      fresh[h] = blobOf(h).slice(0);
      workerBlobs.add(h);
    }
    if (Object.keys(fresh).length) worker.postMessage({ type: "blobs", blobs: fresh }, Object.values(fresh));
  };

  // The fonts, fetched once per page and given to the worker before the
  // first model that may call text().
  const ensureFonts = (getFonts) => {
    fontsSent ??= (async () => {
      const fonts = await getFonts();
      worker.postMessage({ type: "fonts", fonts });
    })();
    return fontsSent;
  };

  client = {
    // a page-wide id for a new view
    newViewId: () => { init(); return nextViewId++; },
    // resolves when the worker started (and, given `getWasm`, OpenSCAD's wasm compiled in it)
    started: (getWasm) => Promise.all([ready, getWasm ? ensureWasm(getWasm) : null]),
    // a view's render events ({event, generation, quality, t, ms}) go to `onEvent`
    attach(vid, onEvent) { views.set(vid, onEvent); },
    // A view went away: its replies and the worker's state for it are dropped.
    detach(vid) {
      views.delete(vid);
      for (const id of [...replies.keys()]) if (id.startsWith(`${vid}:`)) replies.delete(id);
      worker.postMessage({ type: "forget", viewer: vid });
    },
    // call `fn(reply)` for replies to request `id` until `offReply(id)`
    onReply: (id, fn) => replies.set(id, fn),
    offReply: (id) => replies.delete(id),
    // A render request of a view: {type:"update", viewer, generation, kind, id, ...}.
    // `askers` = {getWasm, getFonts} of the view, for what the page lacks yet.
    // Posted at once (the worker holds it until OpenSCAD's module is there; if
    // the wasm fails, the request gets that error), after the fonts if the
    // model may call text().
    postUpdate(msg, askers) {
      if (!views.has(msg.viewer)) return; // a detached view
      ensureWasm(askers.getWasm).catch(() => {}); // reported by `started` and by the request
      const post = () => {
        if (!views.has(msg.viewer)) return;
        sendBlobs(msg.files);
        worker.postMessage(msg);
      };
      if (mayUseFonts(msg.source, msg.files)) ensureFonts(askers.getFonts).then(post, post);
      else post();
    },
    // A request answered once, with no debouncing: {type:"params"|"mesh"|"export", id, ...}
    postOther(msg) {
      sendBlobs(msg.files);
      worker.postMessage(msg);
    },
    // stop the view's running render (its last model stays) and drop its pending one
    cancel(vid) { worker.postMessage({ type: "cancel", viewer: vid }); },
  };
  globalThis[GLOBAL] = client;
  return client;
}
