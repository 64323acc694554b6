// host.js - a minimal anywidget host for the standalone test page: a model
// with get/set/on/save_changes/send, as anywidget provides it in Jupyter and
// marimo, with no kernel behind it (the wasm comes by URL instead).
// `emit(msg, buffers)` delivers a custom message as a kernel would send it;
// `sent` collects what the page sent to the kernel.
export function createModel(initial) {
  const state = { ...initial };
  const listeners = new Map();
  const sent = [];
  return {
    get: (k) => state[k],
    set: (k, v) => {
      const old = state[k];
      state[k] = v;
      if (old !== v) for (const f of listeners.get(`change:${k}`) || []) f();
    },
    on: (ev, f) => listeners.set(ev, [...(listeners.get(ev) || []), f]),
    off: (ev, f) => listeners.set(ev, (listeners.get(ev) || []).filter((g) => g !== f)),
    save_changes: () => {},
    send: (msg, _callbacks, buffers) => { sent.push({ msg, buffers }); },
    emit: (msg, buffers = []) => { for (const f of listeners.get("msg:custom") || []) f(msg, buffers); },
    sent,
    state,
  };
}
