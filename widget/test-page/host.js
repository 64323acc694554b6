// host.js - a minimal anywidget host for the standalone test page: a model
// with get/set/on/save_changes/send, as anywidget provides it in Jupyter and
// marimo, with no kernel behind it (the wasm comes by URL instead).
export function createModel(initial) {
  const state = { ...initial };
  const listeners = new Map();
  return {
    get: (k) => state[k],
    set: (k, v) => {
      const old = state[k];
      state[k] = v;
      if (old !== v) for (const f of listeners.get(`change:${k}`) || []) f();
    },
    on: (ev, f) => listeners.set(ev, [...(listeners.get(ev) || []), f]),
    off: () => {},
    save_changes: () => {},
    send: () => {},
    state,
  };
}
