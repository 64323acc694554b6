// console.js - the log console under the view: OpenSCAD's ECHO, WARNING,
// DEPRECATED and ERROR lines (with TRACE lines after an error) of the shown
// render, each with its file and line when OpenSCAD names them. Collapsible
// (a <details>; the user's choice is kept while the view lives); colours
// follow the view's light/dark theme through the root's CSS variables.
import { CONSOLE_LEVELS, where } from "./log.js";
import { userPaths } from "./user-paths.js";

export const CONSOLE_STYLE = `
.scl-console{margin-top:4px;border:1px solid var(--scl-line);border-radius:4px;background:var(--scl-input);font-size:12px}
.scl-console>summary{cursor:pointer;padding:2px 6px;user-select:none;opacity:.85}
.scl-log{max-height:9em;overflow:auto;padding:0 6px 4px;font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.scl-log-row{display:flex;gap:8px;white-space:pre-wrap;word-break:break-word}
.scl-log-kind{flex:none;font-weight:600;min-width:6.5em}
.scl-log-text{flex:1}
.scl-log-where{flex:none;opacity:.7}
.scl-log-ECHO .scl-log-kind{color:#1d5fbf}
.scl-log-WARNING .scl-log-kind,.scl-log-DEPRECATED .scl-log-kind,.scl-log-FONT-WARNING .scl-log-kind,.scl-log-EXPORT-WARNING .scl-log-kind{color:#9a5b00}
.scl-log-ERROR .scl-log-kind,.scl-log-EXPORT-ERROR .scl-log-kind{color:#b00020}
.scl-log-TRACE{opacity:.75}
.scl-dark .scl-log-ECHO .scl-log-kind{color:#7fb0ff}
.scl-dark .scl-log-WARNING .scl-log-kind,.scl-dark .scl-log-DEPRECATED .scl-log-kind,.scl-dark .scl-log-FONT-WARNING .scl-log-kind,.scl-dark .scl-log-EXPORT-WARNING .scl-log-kind{color:#f0b050}
.scl-dark .scl-log-ERROR .scl-log-kind,.scl-dark .scl-log-EXPORT-ERROR .scl-log-kind{color:#ff6b81}
`;

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : word.endsWith("o") ? "es" : "s"}`;

export class LogConsole {
  constructor() {
    this.el = document.createElement("details");
    this.el.className = "scl-console";
    this.el.open = true;
    this.summary = document.createElement("summary");
    this.list = document.createElement("div");
    this.list.className = "scl-log";
    this.el.append(this.summary, this.list);
    this.entries = [];
    this.show("");
  }

  // Show a render's log lines ([{level, text, file, line}]), replacing the last.
  show(messages) {
    this.entries = (Array.isArray(messages) ? messages : []).filter((m) => CONSOLE_LEVELS.has(m.level))
      .map((m) => ({ kind: m.level, text: userPaths(m.text), file: m.file || null, line: m.line || null }));
    this.list.replaceChildren(...this.entries.map((e) => {
      const row = document.createElement("div");
      row.className = `scl-log-row scl-log-${e.kind}`;
      const kind = document.createElement("span");
      kind.className = "scl-log-kind";
      kind.textContent = e.kind;
      const text = document.createElement("span");
      text.className = "scl-log-text";
      text.textContent = e.text;
      const at = document.createElement("span");
      at.className = "scl-log-where";
      at.textContent = where(e);
      row.append(kind, text, at);
      return row;
    }));
    const count = (k) => this.entries.filter((e) => k.includes(e.kind)).length;
    const parts = [[count(["ECHO"]), "echo"], [count(["WARNING", "DEPRECATED", "FONT-WARNING", "EXPORT-WARNING"]), "warning"],
      [count(["ERROR", "EXPORT-ERROR"]), "error"]].filter(([n]) => n).map(([n, w]) => plural(n, w));
    this.summary.textContent = `Console${parts.length ? `: ${parts.join(", ")}` : " (no output)"}`;
  }
}
