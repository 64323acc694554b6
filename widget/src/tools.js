// tools.js - the view's toolbar and keyboard shortcuts: fit, home and the
// standard views, perspective/orthographic, wireframe, x-ray, axes, the
// bounding box with its dimensions, measurement, a section plane with its
// offset, and a PNG of the view. Double-click fits. Also the layout: the
// panel goes below the view when the widget is narrower than NARROW_PX.
import { Measure } from "./measure.js";
import { sliderWithBox } from "./number-box.js";
import { download } from "./view-dom.js";

const NARROW_PX = 800;

export const TOOLS_STYLE = `
.scl-view:focus{outline:none}
.scl-view:focus-visible{outline:2px solid var(--scl-active)}
.scl-toolbar{position:absolute;left:6px;right:6px;top:6px;display:flex;flex-wrap:wrap;gap:3px;pointer-events:none}
.scl-toolbar button{pointer-events:auto;font:inherit;font-size:11px;line-height:1.2;padding:2px 6px;border:1px solid var(--scl-line);border-radius:4px;background:var(--scl-face);color:inherit;cursor:pointer;opacity:.9}
.scl-toolbar button[aria-pressed=true]{background:var(--scl-active);font-weight:600}
.scl-toolbar .scl-sep{width:6px}
.scl-section{position:absolute;left:6px;top:var(--scl-under-toolbar,32px);padding:3px 6px;border:1px solid var(--scl-line);border-radius:4px;background:var(--scl-face);font-size:12px}
.scl-section button{font:inherit;font-size:11px;padding:1px 6px;margin-right:2px;border:1px solid var(--scl-line);border-radius:4px;background:var(--scl-face);color:inherit;cursor:pointer}
.scl-section button[aria-pressed=true]{background:var(--scl-active);font-weight:600}
.scl-section input[type=range]{width:140px;vertical-align:middle}
.scl-section input[type=number]{font:inherit;font-size:12px;padding:1px 4px;border:1px solid var(--scl-line);border-radius:4px;background:var(--scl-input);color:inherit}
.scl-readout{position:absolute;right:6px;bottom:6px;padding:2px 6px;border-radius:4px;background:rgba(0,0,0,.6);color:#fff;font-size:12px;white-space:pre}
`;

// Toolbar entries: [id, label, title (with its shortcut), toggle?]
const TOOLS = [
  ["fit", "Fit", "Fit the model in the view (F, or double-click)"],
  ["home", "Home", "Home view (H)"],
  ["top", "Top", "View from the top (T)"],
  ["front", "Front", "View from the front (1)"],
  ["right", "Right", "View from the right (3)"],
  ["iso", "Iso", "Isometric view (0)"],
  null,
  ["ortho", "Ortho", "Orthographic projection (O)", true],
  ["wireframe", "Wire", "Wireframe (W)", true],
  ["xray", "X-ray", "X-ray: see through the faces (X)", true],
  ["axes", "Axes", "Axes with labels (A)", true],
  ["bbox", "Box", "Bounding box with its dimensions (B)", true],
  ["measure", "Measure", "Measure between two vertices (M; Esc clears)", true],
  ["section", "Section", "Section plane (S)", true],
  null,
  ["png", "PNG", "Download a PNG of the view (P)"],
];

const KEYS = { f: "fit", h: "home", t: "top", 1: "front", 3: "right", 0: "iso", o: "ortho", w: "wireframe",
  x: "xray", a: "axes", b: "bbox", m: "measure", s: "section", p: "png" };

// A PNG of the view as a Blob (the canvas keeps its drawing buffer).
export function viewPng(v3d) {
  v3d.show();
  v3d.draw();
  return new Promise((resolve, reject) => v3d.renderer.domElement.toBlob(
    (b) => (b ? resolve(b) : reject(new Error("the view could not be encoded as PNG"))), "image/png"));
}

// root: the widget's root element; view: the element holding the canvas;
// fileName(ext): a download's name.
export function attachTools({ root, view, v3d, fileName }) {
  const style = document.createElement("style");
  style.textContent = TOOLS_STYLE;
  root.prepend(style);
  const bar = document.createElement("div");
  bar.className = "scl-toolbar";
  const readout = document.createElement("div");
  readout.className = "scl-readout";
  readout.hidden = true;
  const measure = new Measure(v3d, readout);
  const buttons = {};
  for (const t of TOOLS) {
    if (!t) {
      const sep = document.createElement("span");
      sep.className = "scl-sep";
      bar.append(sep);
      continue;
    }
    const [id, label, title, toggle] = t;
    const b = document.createElement("button");
    b.textContent = label;
    b.title = title;
    b.dataset.tool = id;
    if (toggle) b.setAttribute("aria-pressed", "false");
    b.addEventListener("click", () => run(id));
    buttons[id] = b;
    bar.append(b);
  }

  // the section plane's controls: axis and offset
  const section = document.createElement("div");
  section.className = "scl-section";
  section.hidden = true;
  const axisButtons = ["X", "Y", "Z"].map((name, axis) => {
    const b = document.createElement("button");
    b.textContent = name;
    b.dataset.axis = String(axis);
    b.title = `Cut across the ${name} axis`;
    b.addEventListener("click", () => setSection(axis, null));
    return b;
  });
  const offset = sliderWithBox({ min: 0, max: 1, step: 0, value: 0, onInput: (v) => setSection(null, v), onChange: (v) => setSection(null, v) });
  offset.el.classList.add("scl-section-offset");
  section.append(...axisButtons, offset.el);
  let cut = { axis: 0, offset: null };
  // the offset slider spans the model along the axis, in 200 steps
  const sectionRange = () => {
    const b = v3d.bounds;
    const lo = b ? b.min.getComponent(cut.axis) : 0, hi = b ? b.max.getComponent(cut.axis) : 1;
    const step = Number(((hi - lo) / 200 || 0.01).toPrecision(2));
    const min = Math.floor(lo / step) * step, max = Math.ceil(hi / step) * step;
    return { min: Number(min.toFixed(10)), max: Number(max.toFixed(10)), step };
  };
  function setSection(axis, value) {
    if (axis !== null && axis !== cut.axis) { cut.axis = axis; cut.offset = null; }
    const r = sectionRange();
    offset.setRange(r);
    if (value !== null) cut.offset = value;
    if (cut.offset === null) cut.offset = Number((((r.min + r.max) / 2 - r.min) / r.step).toFixed(0)) * r.step + r.min;
    offset.setValue(Number(cut.offset.toFixed(10)));
    axisButtons.forEach((b, i) => b.setAttribute("aria-pressed", String(i === cut.axis)));
    v3d.setSection({ axis: cut.axis, offset: cut.offset });
  }

  const state = { ortho: false, wireframe: false, xray: false, axes: true, bbox: false, measure: false, section: false };
  const showBox = () => {
    if (measure.active) return;
    const d = v3d.overlays.dimensions;
    readout.hidden = !(state.bbox && d);
    if (!readout.hidden) readout.textContent = `bounding box ${d.map((x) => String(Number(x.toFixed(3)))).join(" × ")}`;
  };
  const toggles = {
    ortho: (on) => v3d.setProjection(on ? "orthographic" : "perspective"),
    wireframe: (on) => v3d.setWireframe(on),
    xray: (on) => v3d.setXray(on),
    axes: (on) => { v3d.overlays.axesVisible = on; v3d.draw(); },
    bbox: (on) => { v3d.overlays.boxVisible = on; v3d.draw(); showBox(); },
    measure: (on) => { measure.setActive(on); showBox(); },
    section: (on) => {
      section.hidden = !on;
      if (on) setSection(null, null);
      else { v3d.setSection(null); cut.offset = null; }
    },
  };
  function run(id) {
    if (id in toggles) {
      state[id] = !state[id];
      buttons[id].setAttribute("aria-pressed", String(state[id]));
      toggles[id](state[id]);
    } else if (id === "fit") v3d.fit();
    else if (id === "png") viewPng(v3d).then((b) => download(b, fileName(".png"), "image/png"));
    else v3d.view(id);
  }
  buttons.axes.setAttribute("aria-pressed", "true");

  // a new model: the section slider and the readout follow its bounds
  const onMesh = () => {
    if (state.section) setSection(null, cut.offset);
    showBox();
  };
  v3d.meshListeners.add(onMesh);

  // keyboard shortcuts while the view has the focus (a click gives it). The
  // listener is on the window in the capture phase, ahead of hosts' own
  // (JupyterLab handles keys on the document first: B would insert a cell).
  view.tabIndex = 0;
  view.setAttribute("data-lm-suppress-shortcuts", "true");
  const onKey = (e) => {
    const path = e.composedPath();
    if (!path.includes(view) || e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|SELECT|TEXTAREA)$/.test(path[0]?.tagName)) return;
    const key = e.key.toLowerCase();
    if (key === "escape" && state.measure) measure.clear();
    else if (KEYS[key]) run(KEYS[key]);
    else return;
    e.preventDefault();
    e.stopPropagation();
  };
  globalThis.addEventListener("keydown", onKey, true);
  const canvas = v3d.renderer.domElement;
  const onDblClick = () => v3d.fit();
  canvas.addEventListener("dblclick", onDblClick);
  // after the host's own handlers of the press (JupyterLab focuses the cell on mousedown)
  const focus = () => setTimeout(() => view.focus({ preventScroll: true }), 0);
  canvas.addEventListener("pointerdown", focus);

  // narrow widgets: the panel below the view
  const layout = () => root.classList.toggle("scl-narrow", root.clientWidth > 0 && root.clientWidth < NARROW_PX);
  const rootObserver = new ResizeObserver(layout);
  rootObserver.observe(root);
  layout();

  view.append(bar, section, readout);
  // What sits under the toolbar (the section controls, the progress box, the
  // error banner) is placed by --scl-under-toolbar: the toolbar wraps to more
  // rows in a narrow view, and a fixed offset put those boxes over its buttons.
  const underToolbar = () => view.style.setProperty("--scl-under-toolbar", `${bar.offsetTop + bar.offsetHeight + 4}px`);
  const barObserver = new ResizeObserver(underToolbar);
  barObserver.observe(bar);
  underToolbar();
  return {
    run,
    state,
    measure,
    dispose() {
      rootObserver.disconnect();
      barObserver.disconnect();
      v3d.meshListeners.delete(onMesh);
      globalThis.removeEventListener("keydown", onKey, true);
      canvas.removeEventListener("dblclick", onDblClick);
      canvas.removeEventListener("pointerdown", focus);
      measure.dispose();
    },
  };
}
