// index.js - the anywidget front end of scadlive.Viewer: `render({model, el})`
// builds one view, wires the model's traits and messages to it, and returns
// its cleanup. The parts live in their own modules: the view's elements
// (view-dom.js), the three.js view (viewer.js), the customizer (panel.js),
// the page's shared render worker (worker-client.js), and what the view asks
// the kernel for (kernel-requests.js).
import { Viewer3D } from "./viewer.js";
import { buildPanel, showValues } from "./panel.js";
import { buildView } from "./view-dom.js";
import { viewDownloads } from "./downloads.js";
import { followHostTheme, hostIsDark } from "./theme.js";
import { bufferOf, kernelRequests } from "./kernel-requests.js";
import { mark, pageWorker } from "./worker-client.js";
import { progressBox } from "./progress.js";
import { fragmentsFor } from "./preview.js";
import { filesOf, receiveBlobs } from "./library-files.js";
import { mayNameFiles } from "./model-needs.js";
import { attachTools, viewPng } from "./tools.js";
import { attachPresets } from "./presets.js";
import { attachAnimation } from "./animation.js";
import { attachCaptures } from "./captures.js";

// The page's render worker starts as soon as the widget's module is loaded:
// loading its C core takes a few hundred ms, which would otherwise start only
// when the first view is made (in JupyterLab, after the kernel ran the cell).
mark("module-loaded");
pageWorker();

// How long a new view waits for the kernel's list of included files before
// its first render goes ahead without them.
const FILES_WAIT_MS = 5000;

function render({ model, el }) {
  const w = pageWorker();
  const vid = w.newViewId();
  if (vid === 1) mark("first-view");
  const kernel = kernelRequests(model);
  // OpenSCAD's wasm is fetched and compiled while the view is built and the
  // kernel is asked for the model's files (the first render needs it; errors
  // are reported by that render)
  if (model.get("renderer") !== "kernel") w.started(kernel.getWasm).catch(() => {});
  const dom = buildView(el, { width: model.get("width"), height: model.get("height") || 480 });
  const theme = () => {
    const t = model.get("theme");
    return t === "dark" || (t !== "light" && hostIsDark());
  };
  const v3d = new Viewer3D(dom.view, { dark: theme() });
  dom.view.insertBefore(v3d.renderer.domElement, dom.status);
  dom.setDark(theme());
  // a download's name: the model's, with the format's extension
  const fileName = (ext) => (model.get("name") || "model.scad").replace(/\.scad$/, "") + ext;
  const tools = attachTools({ root: dom.root, view: dom.view, v3d, fileName });

  w.attach(vid, (e) => onRenderEvent(e));
  const listeners = []; // [event, fn] registered on the model, removed on cleanup
  const on = (event, fn) => { model.on(event, fn); listeners.push([event, fn]); };

  let shownAny = false; // whether a model was ever shown in this view
  let ownLatest = "none"; // the page's own render of its latest request: "none" (pending), "ok", "error"
  let generation = 0;
  let latestId = null; // the id of this view's latest render request
  let shownGen = 0; // the generation of the shown model: an older result is never shown after it
  let files = {}; // the files the model includes: {path: content hash} (library-files.js has the contents)
  let filesSeq = 0; // the latest "files" message, so that an older one resolving later is dropped
  // whether the files are known: the kernel said which (the test page has no
  // kernel), or the model names none (then the kernel's answer, asked for all
  // the same, can only be empty: the first render does not wait for it)
  let filesKnown = !!globalThis.scadliveWasmUrl || !mayNameFiles(model.get("source"));

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
    dom.hideError();
    dom.setStatus(`rendering in the kernel (the browser cannot: ${reason})`, true);
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

  // the banner (file and line once) and the status, which says "last good
  // model shown" only when there is one
  const showError = (error, updating = false) => {
    dom.showError(error);
    v3d.show();
    dom.setStatus(shownAny ? "error (last good model shown)" : "error", updating);
  };

  // `request`: the render request `m` answers (null for the kernel's mesh)
  const showResult = (m, request = null) => {
    if (m.type === "abandoned") return; // a stale request the worker will not render
    if (m.type === "error" && m.code === "BUDGET" && model.get("renderer") === "auto" && kernelReason === null) {
      moveToKernel(m.message);
      return;
    }
    if (!m.fromKernel && inKernel()) return; // a late answer of the page's worker
    if (m.fromKernel) {
      // the kernel's model stands in only until the page has its own of its
      // latest request (which may have been asked before the kernel's came):
      // it does not move the generation the page's results are ordered by
      if (!inKernel() && ownLatest === "ok") return;
    } else {
      const gen = Number(String(m.id).split(":").pop()); // NaN for the schema's reply
      if (gen < shownGen) return; // a newer result is shown already
      if (gen > shownGen) shownGen = gen;
    }
    // still updating while a newer request of this view is on its way
    const updating = !m.fromKernel && m.id !== latestId;
    if (!m.fromKernel && m.id === latestId) ownLatest = m.type === "error" ? "error" : "ok";
    const warnings = dom.showWarnings(m.log);
    dom.console.show(m.messages); // parsed by the core (page renders) or in the kernel's reply
    if (m.type === "error") {
      const error = { message: m.message, line: m.line || null, file: m.file || null, code: m.code || null, reason: m.reason || null };
      showError(error, updating);
      saveState({ error, status: "error", warnings });
      return;
    }
    dom.hideError();
    v3d.setMesh(m);
    if (vid === 1 && !shownAny) {
      mark("first-draw");
      // the frame with it is committed (on software GL: read back) after this
      // frame's animation callbacks: the first task after them
      requestAnimationFrame(() => setTimeout(() => mark("first-frame")));
    }
    // the parameters of the model shown (the page's renders), for tests and tools
    if (m.params) dom.root.dataset.params = JSON.stringify(m.params);
    shownAny = true;
    downloads.show(m, request);
    const where = m.fromKernel ? (m.cache === "miss" ? " (kernel)" : ` (kernel, ${m.cache})`) : m.cache === "hit" ? " (cache)" : m.cache === "kept" ? " (kept)" : "";
    // a drag's preview says how coarse it is (the release renders the model's own)
    const what = fragmentsFor(m.quality) ? ` (preview, $fn ${fragmentsFor(m.quality)})` : "";
    const size = m.stats.dim === 2
      ? `2D shape, ${m.stats.outlines} outline${m.stats.outlines === 1 ? "" : "s"}, ${m.stats.area.toFixed(1)} mm²`
      : `${m.stats.triangles} triangles`;
    const text = `${size}, ${Number(m.renderMs || 0).toFixed(0)} ms${where}${what}`;
    dom.setStatus(text, updating);
    saveState({ status: text, error: {}, warnings });
  };

  // Render the current parameters (with `extra` on top: an animation's $t);
  // resolves with the shown result, or null when a newer request replaced it.
  const shownWaiters = new Map(); // request id -> resolve
  const requestRender = (kind, extra = null) => new Promise((resolve) => {
    for (const [id, done] of shownWaiters) { shownWaiters.delete(id); done(null); } // replaced
    if (inKernel()) { // the kernel renders on every params/source change and sends the mesh
      dom.status.classList.add("updating");
      resolve(null);
      return;
    }
    const gen = ++generation;
    if (vid === 1 && !latestId) mark("first-render-asked");
    const id = `${vid}:${gen}`;
    latestId = id;
    ownLatest = "none";
    shownWaiters.set(id, resolve);
    const request = {
      type: "update", viewer: vid, generation: gen, kind, id,
      source: model.get("source"), name: model.get("name") || "model.scad",
      params: { ...(model.get("params") || {}), ...(extra || {}) }, schema: model.get("schema") || null, files,
    };
    w.onReply(id, (m) => {
      w.offReply(id);
      showResult(m, request);
      shownWaiters.get(id)?.(m.type === "error" ? null : m);
      shownWaiters.delete(id);
    });
    dom.status.classList.add("updating");
    w.postUpdate(request, kernel);
    w.started(kernel.getWasm).catch((err) => {
      workerFailed = err.message;
      if (model.get("renderer") === "auto") {
        if (kernelReason === null) moveToKernel(`the render worker failed to start: ${err.message}`);
      } else {
        dom.setStatus(`renderer failed to start: ${err.message}`);
      }
    });
  });

  // The worker's render events for this view: the progress box while one
  // runs; the status while a drag is held (previews cost more than it allows).
  const progress = progressBox(dom.view, () => cancel());
  const onRenderEvent = (e) => {
    if (e.event === "start") progress.started(e.t, e.quality === "full" ? "rendering" : "rendering a preview");
    else if (e.event === "hold") dom.setStatus("last model; release to render", false);
    else progress.stopped();
  };
  // Cancel (the control, or viewer.cancel() from Python): the running render
  // stops, its pending one is dropped, the last model stays.
  const cancel = () => {
    progress.stopped();
    if (inKernel()) model.send({ type: "cancel" });
    else w.cancel(vid);
    dom.setStatus("cancelled (last model shown)", false);
  };

  // a model rendered in the kernel (binary STL), indexed by the core in the worker
  const showKernelMesh = (msg, stl) => {
    const id = `${vid}:kernel:${++generation}`;
    w.onReply(id, (m) => {
      w.offReply(id);
      showResult({ ...m, fromKernel: true, renderMs: msg.render_ms ?? m.renderMs, cache: msg.cache || "miss", log: msg.log || "",
        messages: msg.messages || null });
    });
    w.postOther({ type: "mesh", id, stl, format: msg.format || "binstl" });
  };

  on("msg:custom", (msg, buffers) => {
    if (kernel.handle(msg, buffers)) return;
    if (msg.type === "cancel") cancel(); // viewer.cancel() from Python
    else if (msg.type === "kernel-render") { // a render in the kernel started or ended
      if (msg.state === "start") progress.started(Date.now(), "rendering in the kernel");
      else progress.stopped();
    } else if (msg.type === "files") {
      const seq = ++filesSeq;
      filesOf(msg, (buffers || []).map(bufferOf), (hashes) => model.send({ type: "need-blobs", hashes })).then((named) => {
        if (seq !== filesSeq) return;
        const had = Object.keys(files).length;
        files = named;
        const first = !filesKnown;
        filesKnown = true;
        // the first render waited for this; later, nothing to re-render for no files
        if (first || had || Object.keys(files).length) requestRender("release");
      });
    } else if (msg.type === "blobs") {
      receiveBlobs(msg.hashes || [], (buffers || []).map(bufferOf), msg.asked || []);
    } else if (msg.type === "mesh" && buffers && buffers[0]) {
      // A view that renders in the page follows the parameters and source the
      // kernel rendered (render_async sets them), and its own result keeps
      // color()'s colours, which the kernel's STL lacks: that result stays.
      // The kernel's mesh is shown while the page has none for its latest
      // request (pending, or failed).
      if (!inKernel() && ownLatest === "ok") return;
      showKernelMesh(msg, bufferOf(buffers[0]));
    }
  });

  let latestSchemaId = null;
  // the customizer schema: the kernel's if it sent one, else (and after every
  // source change) parsed by the C core in the worker
  const refreshSchema = (sourceChanged = false) => {
    const schema = model.get("schema");
    if (!sourceChanged && schema && (schema.parameters !== undefined || schema.title)) {
      buildPanel(dom.panelFields, schema, model.get("params") || {}, onParam, onReset);
      return;
    }
    // each request its own id: a source changed while the schema of the
    // previous one is on its way must not get that one's panel
    const id = `${vid}:schema:${++generation}`;
    latestSchemaId = id;
    w.onReply(id, (m) => {
      w.offReply(id);
      if (id !== latestSchemaId) return;
      if (m.type === "schema") {
        saveState({ schema: m.schema });
        buildPanel(dom.panelFields, m.schema, model.get("params") || {}, onParam, onReset);
      } else showResult({ ...m, file: m.file || model.get("name") || "model.scad" }); // the model's own text
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
    // the kernel coalesces a drag's values as the page does: it is told which kind the change is
    if (inKernel()) model.send({ type: "render-kind", kind });
    setParams({ ...(model.get("params") || {}), [name]: value });
    requestRender(kind);
  };
  const onReset = () => {
    const schema = model.get("schema") || {};
    const defaults = Object.fromEntries((schema.parameters || []).map((p) => [p.name, p.initial]));
    setParams(defaults);
    buildPanel(dom.panelFields, schema, defaults, onParam, onReset);
    requestRender("release");
  };
  const downloads = viewDownloads(dom, w, vid, fileName, (error) => dom.showError(error), kernel.getExport);
  // parameter sets (model.json, read and written by the kernel) and animation ($t)
  const presets = attachPresets({
    container: dom.panel,
    get: () => model.get("presets"),
    apply: (name) => {
      const values = { ...(model.get("params") || {}), ...((model.get("presets") || {})[name] || {}) };
      setParams(values);
      showValues(dom.panelFields, values);
      requestRender("release");
    },
    save: (name) => {
      const known = new Set(((model.get("schema") || {}).parameters || []).map((p) => p.name));
      const values = Object.fromEntries(Object.entries(model.get("params") || {}).filter(([k]) => known.has(k)));
      saveState({ presets: { ...(model.get("presets") || {}), [name]: values } });
    },
    remove: (name) => {
      const { [name]: _gone, ...rest } = model.get("presets") || {};
      saveState({ presets: rest });
    },
  });
  on("change:presets", () => presets.refresh());
  const capture = () => viewPng(v3d);
  const animation = attachAnimation({
    container: dom.panel, capture, fileName,
    renderFrame: (t) => requestRender("release", { $t: t }),
  });
  animation.setSource(model.get("source"));
  const captures = attachCaptures({
    model, capture, animation,
    size: () => [v3d.renderer.domElement.width, v3d.renderer.domElement.height],
  });

  on("change:source", () => {
    kernelReason = workerFailed && model.get("renderer") === "auto" ? kernelReason : null; // a new model: try the browser again
    refreshSchema(true);
    animation.setSource(model.get("source"));
    requestRender("release");
  });
  on("change:renderer", () => {
    if (model.get("renderer") !== "auto" && !workerFailed) kernelReason = null;
    requestRender("release");
  });
  // errors of renders done in the kernel arrive as the `error` trait
  const showKernelError = () => {
    const e = model.get("error") || {};
    if (!inKernel() || !e.message) return;
    showError(e);
    dom.console.show(e.messages); // OpenSCAD's log lines of the failed render
  };
  on("change:error", showKernelError);
  // an error the kernel set before this view existed: a repeat of the same
  // error is no change of the trait, so no event would ever show it
  showKernelError();
  on("change:params", () => {
    if (settingParams) return;
    showValues(dom.panelFields, model.get("params") || {});
    requestRender("change");
  });
  const applyTheme = () => {
    if (v3d.dark !== theme()) v3d.setTheme(theme());
    dom.setDark(theme());
  };
  on("change:theme", applyTheme);
  const stopFollowingHost = followHostTheme(applyTheme);
  refreshSchema();
  // The files the model includes come from the kernel on request (messages
  // sent before this view existed were lost). The first render waits for
  // them, so that a model using MCAD does not first fail without it; a page
  // without a kernel (the test page), or a model that names no file, has
  // none to wait for.
  let filesTimer = null;
  if (!globalThis.scadliveWasmUrl) model.send({ type: "need-files" });
  if (filesKnown) requestRender("release");
  else {
    filesTimer = setTimeout(() => { // a kernel that does not answer: render without files
      if (filesKnown) return;
      filesKnown = true;
      requestRender("release");
    }, FILES_WAIT_MS);
  }
  // a kernel-rendered model sent before this view existed was lost: ask again
  if (model.get("renderer") === "kernel") model.send({ type: "need-mesh" });

  return () => {
    for (const [event, fn] of listeners) model.off(event, fn);
    clearTimeout(filesTimer);
    stopFollowingHost();
    w.detach(vid);
    progress.dispose();
    tools.dispose();
    captures.dispose();
    animation.dispose();
    presets.dispose();
    v3d.dispose();
    dom.remove();
  };
}

export default { render };
