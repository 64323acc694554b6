// progress.js - a render running longer than SHOW_AFTER_MS shows its elapsed
// time and a Cancel control over the view (Cancel keeps the last model).
const SHOW_AFTER_MS = 1000;
const TICK_MS = 100;

export const PROGRESS_STYLE = `
.scl-progress[hidden]{display:none}
.scl-progress{position:absolute;right:6px;top:var(--scl-under-toolbar,6px);display:flex;gap:6px;align-items:center;padding:2px 4px 2px 8px;border-radius:4px;background:rgba(0,0,0,.6);color:#fff;font-size:12px}
.scl-progress button{font:inherit;font-size:12px;padding:1px 8px;border:1px solid #bbb;border-radius:4px;background:#f4f4f4;color:#222;cursor:pointer}
`;

// `onCancel()` is called when the user presses Cancel.
export function progressBox(container, onCancel) {
  const box = document.createElement("div");
  box.className = "scl-progress";
  box.hidden = true;
  const text = document.createElement("span");
  const cancel = document.createElement("button");
  cancel.textContent = "Cancel";
  cancel.className = "scl-cancel";
  cancel.onclick = () => onCancel();
  box.append(text, cancel);
  container.append(box);
  let since = 0; // epoch ms the running render started, or 0
  let what = "";
  let timer = null;
  const tick = () => {
    const ms = Date.now() - since;
    box.hidden = ms < SHOW_AFTER_MS;
    text.textContent = `${what} ${(ms / 1000).toFixed(1)} s`;
  };
  const stop = () => {
    since = 0;
    clearInterval(timer);
    timer = null;
    box.hidden = true;
  };
  return {
    // a render started at `t` (epoch ms); `label` says what it is
    started(t, label) {
      since = t;
      what = label;
      timer ??= setInterval(tick, TICK_MS);
      tick();
    },
    stopped: stop,
    dispose: stop,
  };
}
