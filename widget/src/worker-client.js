// worker-client.js - the page's render worker, one per page, shared by every
// view (a module singleton). OpenSCAD's wasm is fetched (by the view's
// `getWasm`) and compiled in the worker only when a view first renders in the
// page; a page whose views all render in the kernel never loads it.
//
// A render that became stale (newer parameters wait behind it) and runs
// longer than STALE_MS is abandoned: OpenSCAD cannot be interrupted, so the
// worker is terminated and a fresh one renders every view's latest
// parameters; unanswered requests are sent again.
import { mayUseFonts } from "./model-needs.js";

const WORKER_SOURCE = __SCADLIVE_WORKER_SOURCE__; // inlined by build.mjs
const STALE_MS = 3000;
const STALE_CHECK_MS = 500;

let client = null;

export function pageWorker() {
  if (client) return client;
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  let wasmBytes = null; // the original bytes, kept for a restarted worker
  let wasmSent = null;
  let fontsSent = null;
  let fonts = null;
  // attached view id -> {msg: latest update, askers, postsSinceResult, waitingSince}
  const views = new Map();
  const others = new Map(); // unanswered params/mesh requests, re-sent after a restart
  const replies = new Map(); // request id -> fn(reply)
  let staleTimer = null;
  let worker = null;
  let ready = null;

  const start = () => {
    worker = new Worker(url, { type: "module" });
    worker.onmessage = (e) => {
      others.delete(e.data.id);
      const v = views.get(e.data.viewer);
      if (v && (e.data.type === "result" || e.data.type === "error")) v.postsSinceResult = 0;
      replies.get(e.data.id)?.(e.data);
    };
    const w = worker;
    ready = new Promise((resolve, reject) => {
      const wasm = wasmBytes ? wasmBytes.slice(0) : undefined; // a restarted worker compiles it at once
      w.addEventListener("message", (e) => {
        if (e.data.type === "ready") resolve();
        else if (e.data.id === null || e.data.id === undefined) reject(new Error(e.data.message));
      });
      // total WASM heap across OpenSCAD instances, plus cached results (default 1 GiB per page)
      w.postMessage({ type: "init", wasm, fonts: fonts || {}, memoryBudget: globalThis.scadliveMemoryBudget },
        wasm ? [wasm] : []);
    });
  };

  const ensureWasm = (getWasm) => {
    wasmSent ??= (async () => {
      const wasm = await getWasm();
      await ready;
      wasmBytes = wasm;
      const w = worker;
      await new Promise((resolve, reject) => {
        const onReply = (e) => {
          if (e.data.type !== "wasm-ready" && e.data.type !== "wasm-failed") return;
          w.removeEventListener("message", onReply);
          if (e.data.type === "wasm-ready") resolve();
          else reject(new Error(e.data.message));
        };
        w.addEventListener("message", onReply);
        const copy = wasm.slice(0);
        w.postMessage({ type: "wasm", wasm: copy }, [copy]);
      });
    })();
    return wasmSent;
  };

  // The fonts, fetched once per page and given to the worker before the
  // first model that may call text().
  const ensureFonts = (getFonts) => {
    fontsSent ??= (async () => {
      fonts = await getFonts();
      await ready;
      worker.postMessage({ type: "fonts", fonts });
    })();
    return fontsSent;
  };

  const restart = () => {
    worker.terminate();
    client.restarts++;
    globalThis.scadliveWorkerRestarts = client.restarts;
    start();
    // the new worker compiles the wasm in its init if the page has it; else it is sent again when needed
    wasmSent = wasmBytes ? ready : null;
    for (const v of views.values()) {
      if (!v.postsSinceResult) continue;
      v.postsSinceResult = 0;
      postUpdate(v.msg, v.askers); // the latest parameters of every waiting view
    }
    for (const msg of [...others.values()]) postOther(msg);
  };
  const checkStale = () => {
    const now = performance.now();
    if ([...views.values()].some((v) => v.postsSinceResult >= 2 && now - v.waitingSince > STALE_MS)) restart();
  };

  // A render request of a view: {type:"update", viewer, generation, kind, id, ...}.
  // `askers` = {getWasm, getFonts} of the view, for what the page lacks yet.
  const postUpdate = (msg, askers) => {
    const v = views.get(msg.viewer);
    if (!v) return; // a detached view
    if (v.postsSinceResult === 0) v.waitingSince = performance.now();
    v.postsSinceResult++;
    v.msg = msg;
    v.askers = askers;
    const needFonts = mayUseFonts(msg.source, msg.files) ? ensureFonts(askers.getFonts) : null;
    Promise.all([ready, ensureWasm(askers.getWasm), needFonts]).then(() => worker.postMessage(msg), () => {});
  };
  // A request answered once, with no debouncing: {type:"params"|"mesh", id, ...}
  const postOther = (msg) => {
    others.set(msg.id, msg);
    ready.then(() => worker.postMessage(msg), () => {});
  };

  client = {
    restarts: 0,
    // resolves when the worker started (and, given `getWasm`, OpenSCAD's wasm compiled in it)
    started: (getWasm) => Promise.all([ready, getWasm ? ensureWasm(getWasm) : null]),
    attach(vid) {
      views.set(vid, { msg: null, askers: null, postsSinceResult: 0, waitingSince: 0 });
      staleTimer ??= setInterval(checkStale, STALE_CHECK_MS);
    },
    // A view went away: its requests, replies and the worker's state for it are dropped.
    detach(vid) {
      views.delete(vid);
      for (const id of [...replies.keys()]) if (id.startsWith(`${vid}:`)) replies.delete(id);
      for (const id of [...others.keys()]) if (id.startsWith(`${vid}:`)) others.delete(id);
      ready.then(() => worker.postMessage({ type: "forget", viewer: vid }), () => {});
      if (!views.size) { clearInterval(staleTimer); staleTimer = null; }
    },
    // call `fn(reply)` for replies to request `id` until `offReply(id)`
    onReply: (id, fn) => replies.set(id, fn),
    offReply: (id) => replies.delete(id),
    postUpdate,
    postOther,
  };
  start();
  return client;
}
