// view-dom.js - the elements of one view: the 3D area with its status line,
// error and warnings boxes over it, the log console under it, and the panel
// beside it (downloads, then the customizer's fields). Only DOM here: what
// is shown comes from index.js.
import { userPaths } from "./user-paths.js";
import { PROGRESS_STYLE } from "./progress.js";
import { CONSOLE_STYLE, LogConsole } from "./console.js";
import { formatError } from "./log.js";
import { element } from "./dom.js";

// The downloads a view offers: a 3D model's STL, OFF and 3MF, a 2D shape's
// SVG and DXF; only those of the shown model's kind are visible.
export const DOWNLOADS = [
  { ext: "stl", label: "Download STL", type: "model/stl", dim: 3 },
  { ext: "off", label: "Download OFF", type: "text/plain", dim: 3 },
  { ext: "3mf", label: "Download 3MF", type: "model/3mf", dim: 3 },
  { ext: "svg", label: "Download SVG", type: "image/svg+xml", dim: 2 },
  { ext: "dxf", label: "Download DXF", type: "image/vnd.dxf", dim: 2 },
];

// The panel styles its own controls: notebook hosts reset them (marimo's
// stylesheet leaves buttons and inputs with no border at all).
const STYLE = `
.scl-root{display:flex;gap:8px;font:13px system-ui,sans-serif;color:#222;--scl-line:#b8b8b8;--scl-face:#f4f4f4;--scl-input:#fff;--scl-active:#dde6fb}
.scl-root.scl-dark{color:#ddd;background:#1e1e1e;--scl-line:#555;--scl-face:#2c2c2c;--scl-input:#252525;--scl-active:#34405a}
.scl-main{flex:1;min-width:200px;display:flex;flex-direction:column}
.scl-view{position:relative}
.scl-status{position:absolute;left:6px;bottom:6px;padding:2px 6px;border-radius:4px;background:rgba(0,0,0,.55);color:#fff;font-size:12px}
.scl-status.updating::before{content:"⟳ updating… "}
.scl-error{position:absolute;left:6px;top:var(--scl-under-toolbar,34px);right:6px;padding:4px 6px;background:#b00020;color:#fff;border-radius:4px;white-space:pre-wrap}
.scl-warnings{position:absolute;left:6px;right:6px;bottom:30px;padding:3px 6px;background:rgba(150,90,0,.88);color:#fff;border-radius:4px;white-space:pre-wrap;font-size:12px}
.scl-panel{width:260px;overflow:auto}
.scl-panel button{font:inherit;font-size:12px;line-height:1.3;padding:3px 8px;margin:0 4px 4px 0;border:1px solid var(--scl-line);border-radius:4px;background:var(--scl-face);color:inherit;cursor:pointer}
.scl-panel button:disabled{opacity:.5;cursor:default}
.scl-tabs{display:flex;flex-wrap:wrap;margin-top:6px}
.scl-tab.active{background:var(--scl-active);font-weight:600}
.scl-panel input[type=number],.scl-panel input[type=text],.scl-panel select{font:inherit;padding:2px 4px;border:1px solid var(--scl-line);border-radius:4px;background:var(--scl-input);color:inherit;box-sizing:border-box;max-width:100%}
.scl-panel input[type=text],.scl-panel select{width:100%}
.scl-panel span>input[type=number]{width:64px;margin-right:4px}
.scl-panel input[type=range]{width:150px;vertical-align:middle}
.scl-number{width:64px;margin-left:4px}
.scl-hint{color:#b00020;font-size:11px;margin-top:2px;white-space:normal}
.scl-dark .scl-hint{color:#ff8a80}
.scl-invalid{border-color:#b00020!important}
.scl-presets,.scl-anim{margin:0 0 6px;padding-bottom:6px;border-bottom:1px solid var(--scl-line)}
.scl-panel .scl-presets select{width:150px;margin:0 4px 4px 0}
.scl-panel .scl-preset-name{width:150px;margin-right:4px}
.scl-anim-field{margin-right:6px;font-size:12px;white-space:nowrap}
.scl-anim-info{font-size:12px;opacity:.8;margin-top:2px}
.scl-root.scl-narrow{flex-direction:column}
.scl-root.scl-narrow .scl-panel{width:auto}
.scl-field{display:block;margin:8px 0}.scl-name{font-weight:600}.scl-caption{opacity:.75;font-size:12px;margin-bottom:2px}
`;

const MAX_WARNINGS_SHOWN = 5;

// Build the view inside `el`; returns its parts and what shows things in them.
export function buildView(el, { width = 0, height = 480 } = {}) {
  const root = element("div", "scl-root");
  if (width > 0) root.style.width = `${width}px`;
  const main = element("div", "scl-main");
  const view = element("div", "scl-view");
  view.style.height = `${height}px`;
  const status = element("div", "scl-status", { textContent: "starting…" });
  const errorBox = element("div", "scl-error", { hidden: true });
  const warningsBox = element("div", "scl-warnings", { hidden: true });
  const panel = element("div", "scl-panel");
  const buttons = Object.fromEntries(DOWNLOADS.map((d) =>
    [d.ext, element("button", `scl-download scl-download-${d.ext}`, { textContent: d.label, disabled: true, hidden: d.dim !== 3 })]));
  const downloads = element("div");
  downloads.append(...Object.values(buttons));
  const panelFields = element("div");
  panel.append(downloads, panelFields);
  const logConsole = new LogConsole();
  view.append(status, errorBox, warningsBox);
  main.append(view, logConsole.el);
  root.append(element("style", "", { textContent: STYLE + PROGRESS_STYLE + CONSOLE_STYLE }), main, panel);
  el.appendChild(root);

  return {
    root, view, status, errorBox, panel, panelFields, buttons, stlButton: buttons.stl, offButton: buttons.off,
    console: logConsole,
    // Show the downloads of a model of `dim` (2 or 3) dimensions; `available`: {ext: true} for the enabled ones.
    showDownloads(dim, available) {
      for (const d of DOWNLOADS) {
        buttons[d.ext].hidden = d.dim !== dim;
        buttons[d.ext].disabled = !available[d.ext];
      }
    },
    setStatus(text, updating) {
      status.textContent = text;
      if (updating !== undefined) status.classList.toggle("updating", updating);
    },
    // an error {message, line, file}: its location once, first
    showError(error) {
      errorBox.hidden = false;
      errorBox.textContent = formatError(error);
    },
    hideError() { errorBox.hidden = true; },
    // OpenSCAD's warnings of the shown render (from its log), with their
    // lines; returns all of them (a few are shown)
    showWarnings(log) {
      const lines = [...new Set((log || "").split("\n").filter((l) => /^(WARNING|DEPRECATED):/.test(l))
        .map((l) => userPaths(l.replace(/^WARNING:\s*/, ""))))];
      warningsBox.hidden = !lines.length;
      warningsBox.textContent = lines.slice(0, MAX_WARNINGS_SHOWN).join("\n") +
        (lines.length > MAX_WARNINGS_SHOWN ? `\n(${lines.length - MAX_WARNINGS_SHOWN} more)` : "");
      return lines;
    },
    setDark(dark) { root.classList.toggle("scl-dark", dark); },
    remove() { root.remove(); },
  };
}

// Offer `bytes` as a file download named `name`.
export function download(bytes, name, type) {
  if (!bytes) return;
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  element("a", "", { href: url, download: name }).click();
  setTimeout(() => URL.revokeObjectURL(url), 60000); // once the download surely started
}
