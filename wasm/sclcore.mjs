// sclcore.mjs - the scadlive C core (Emscripten build) as a JavaScript API.
//
//   import { loadCore } from "./sclcore.mjs";
//   const core = await loadCore();
//   core.params(source, "title")      -> OpenSCAD customizer JSON (object)
//   core.hiddenNames(source)          -> ["name", ...]: what a /* [Hidden] */ group declares
//                                        (not in the schema; set them as -D defines)
//   core.parseMesh(bytes)             -> { positions, indices, faceColors, stats }
//   core.threeMfParts(mesh, "title")  -> [{ name, text }]: the XML parts of a 3MF file
//                                        (mesh as parseMesh returns it; zip them to get the file)
//   core.logLines(log)                -> [{ level, text, file?, line? }] (OpenSCAD's message lines)
//   core.classifyFailure(log, { name, source, format })
//                                     -> { code, reason, message, file?, line } (why a render failed)
//   core.overrides(schema, values)    -> ["name=literal", ...]
//   core.scadRefs(text)               -> ["part.scad", "MCAD/gears.scad", ...] (include/use/import/surface names)
//   core.renderKey({...})             -> 32 hex chars
//   core.contentHash(bytes)           -> 32 hex chars (XXH3-128 of the bytes)
//   core.duration("1h")               -> 3600000
//   new core.MemoryManager({ budgetBytes, threshold })
//   new core.ResultCache({ budgetBytes, ttlMs, memory })
//   new core.Debouncer({ windowMs, staleAfterMs, slowPreviewMs, holdAfterMs })
//
// Every failure throws SclError with the C core's code, message and
// location (line, column, offset, field). Arrays handed out are fresh JS
// copies (transferable to another thread); nothing leaks from the WASM heap.
import createSclCore from "./sclcore_wasm.mjs";

export class SclError extends Error {
  constructor(e) {
    super(e.message);
    this.name = "SclError";
    this.code = e.code;
    this.line = e.line || 0;
    this.column = e.column || 0;
    this.offset = e.offset ?? -1;
    this.field = e.field || "";
  }
}

export const MeshFormat = Object.freeze({ auto: 0, binstl: 1, asciistl: 2, off: 3 });
export const UpdateKind = Object.freeze({ change: 0, drag: 1, release: 2 });
export const Quality = Object.freeze({ full: 0, preview: 1, coarse: 2, coarsest: 3 });
const QUALITIES = ["full", "preview", "coarse", "coarsest"];
const DRAG_PLANS = ["preview", "coarse", "coarsest", "hold"];
const OUTCOMES = ["hit", "miss", "joined"];
const ACTIONS = ["none", "start", "cancel"];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function loadCore(options = {}) {
  const M = await createSclCore(options);
  const fn = (name) => {
    const f = M["_" + name];
    if (!f) throw new Error(`sclcore: missing export ${name}`);
    return f;
  };
  const malloc = fn("sclw_malloc");
  const free = fn("sclw_free");

  // Copy bytes (Uint8Array or string) into the heap; returns [ptr, len].
  function put(data, nulTerminate = false) {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    const ptr = malloc(bytes.length + (nulTerminate ? 1 : 0));
    M.HEAPU8.set(bytes, ptr);
    if (nulTerminate) M.HEAPU8[ptr + bytes.length] = 0;
    return [ptr, bytes.length];
  }
  // Run f with temporary heap strings/buffers, always freeing them.
  function withHeap(items, f) {
    const ptrs = items.map((it) => (it === null || it === undefined ? [0, 0] : put(it, true)));
    try {
      return f(...ptrs);
    } finally {
      for (const [p] of ptrs) if (p) free(p);
    }
  }
  // Parse and free an envelope returned by the glue.
  function envelope(ptr) {
    if (!ptr) throw new Error("sclcore: out of memory");
    const text = M.UTF8ToString(ptr);
    free(ptr);
    const env = JSON.parse(text);
    if (!env.ok) throw new SclError(env.error);
    return env.value;
  }
  const u32 = (ptr, i) => M.HEAPU32[(ptr >> 2) + i];

  const core = {
    module: M,
    SclError,

    params(source, title = "model") {
      return withHeap([source, title], ([src, len], [t]) => envelope(fn("sclw_params")(src, len, t)));
    },

    // The files a SCAD text names (include/use <...>, import/surface("...")),
    // outside comments and strings, as the bridge's dependency scan reads them.
    scadRefs(text) {
      return withHeap([text ?? ""], ([t]) => envelope(fn("sclw_scad_refs")(t)));
    },

    hiddenNames(source) {
      return withHeap([source], ([src, len]) => envelope(fn("sclw_params_hidden")(src, len)));
    },

    overrides(schema, values) {
      return withHeap([schema ? JSON.stringify(schema) : null, JSON.stringify(values)], ([s], [v]) =>
        envelope(fn("sclw_overrides")(s, v)));
    },

    renderKey(inputs) {
      return withHeap([JSON.stringify(inputs)], ([p]) => envelope(fn("sclw_render_key")(p)));
    },

    contentHash(bytes) {
      const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
      const [p, len] = put(data);
      const out = malloc(33);
      try {
        fn("sclw_content_hash")(p, len, out);
        return M.UTF8ToString(out);
      } finally {
        free(p);
        free(out);
      }
    },

    duration(text) {
      return withHeap([text], ([p]) => envelope(fn("sclw_duration")(p)));
    },

    parseMesh(bytes, { format = "auto", maxTriangles = 0 } = {}) {
      const fmt = MeshFormat[format];
      if (fmt === undefined) throw new TypeError(`unknown mesh format ${format}`);
      const [data, len] = put(bytes);
      const errOut = malloc(4);
      try {
        M.HEAPU32[errOut >> 2] = 0;
        const mesh = fn("sclw_mesh_parse")(data, len, fmt, maxTriangles, errOut);
        if (!mesh) envelope(u32(errOut, 0));
        try {
          const nv = fn("sclw_mesh_vertex_count")(mesh);
          const nt = fn("sclw_mesh_triangle_count")(mesh);
          const pos = fn("sclw_mesh_positions")(mesh);
          const idx = fn("sclw_mesh_indices")(mesh);
          const col = fn("sclw_mesh_face_colors")(mesh);
          const positions = new Float32Array(M.HEAPF32.buffer, pos, nv * 3).slice();
          const indices = new Uint32Array(M.HEAPU32.buffer, idx, nt * 3).slice();
          const faceColors = col ? new Float32Array(M.HEAPF32.buffer, col, nt * 4).slice() : null;
          const stats = envelope(fn("sclw_mesh_stats")(mesh));
          return { positions, indices, faceColors, stats };
        } finally {
          fn("sclw_mesh_destroy")(mesh);
        }
      } finally {
        free(data);
        free(errOut);
      }
    },

    // OpenSCAD's message lines, parsed as the bridge parses them (oslog.h).
    logLines(log) {
      return withHeap([log ?? ""], ([l]) => envelope(fn("sclw_log_lines")(l)));
    },

    // Why a render that wrote nothing failed, as the bridge says it (oslog.h):
    // code SYNTAX|RENDER, reason (syntax, missing_file, not_3d, not_2d,
    // recursion, out_of_memory, empty, assertion, error, no_output), a message
    // without location text, and file/line when known.
    classifyFailure(log, { name = "model.scad", source = "", format = "binstl" } = {}) {
      return withHeap([log ?? "", name, source, format], ([l], [n], [s], [f]) =>
        envelope(fn("sclw_log_classify")(l, n, s, f)));
    },

    // The XML parts of a 3MF package for indexed arrays with optional face
    // colours (as parseMesh returns them), by the C writer (threemf.h):
    // [{name: "[Content_Types].xml", text}, {name: "_rels/.rels", text},
    //  {name: "3D/3dmodel.model", text}]. A 3MF file is these parts zipped.
    threeMfParts({ positions, indices, faceColors = null }, title = "model") {
      const bytesOf = (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      const [p] = put(bytesOf(positions));
      const [i] = put(bytesOf(indices));
      const [c] = faceColors ? put(bytesOf(faceColors)) : [0];
      try {
        return withHeap([title], ([t]) =>
          envelope(fn("sclw_3mf_parts_from_arrays")(p, positions.length / 3, i, indices.length / 3, c, t)));
      } finally {
        free(p);
        free(i);
        if (c) free(c);
      }
    },

    // Binary STL of indexed arrays (as parseMesh returns them), by the C writer.
    writeBinStl({ positions, indices }) {
      const [p] = put(new Uint8Array(positions.buffer, positions.byteOffset, positions.byteLength));
      const [i] = put(new Uint8Array(indices.buffer, indices.byteOffset, indices.byteLength));
      const lenOut = malloc(4);
      try {
        const out = fn("sclw_binstl_from_arrays")(p, positions.length / 3, i, indices.length / 3, lenOut);
        if (!out) throw new SclError({ code: "INVALID_ARGUMENT", message: "indices out of range or out of memory" });
        const bytes = M.HEAPU8.slice(out, out + u32(lenOut, 0));
        free(out);
        return bytes;
      } finally {
        free(p);
        free(i);
        free(lenOut);
      }
    },
  };

  class MemoryManager {
    constructor({ budgetBytes = 1 << 30, threshold = 0.8 } = {}) {
      this.ptr = fn("sclw_memory_new")(budgetBytes, threshold);
      if (!this.ptr) throw new RangeError("memory budget must be positive");
    }
    reserve(bytes, what = "buffer") {
      return withHeap([what], ([w]) => envelope(fn("sclw_memory_reserve")(this.ptr, bytes, w)));
    }
    release(bytes) { fn("sclw_memory_release")(this.ptr, bytes); }
    stats() { return envelope(fn("sclw_memory_stats")(this.ptr)); }
    destroy() { if (this.ptr) fn("sclw_memory_destroy")(this.ptr); this.ptr = 0; }
  }

  class ResultCache {
    constructor({ budgetBytes = 256 * 1024 * 1024, ttlMs = 0, memory = null } = {}) {
      this.ptr = fn("sclw_cache_new")(budgetBytes, ttlMs, memory ? memory.ptr : 0);
      if (!this.ptr) throw new Error("sclcore: out of memory");
    }
    // -> { outcome: "hit"|"miss"|"joined", data?: Uint8Array, meta?: object|string }
    acquire(key, now, waiter = 0) {
      return withHeap([key], ([k, klen]) => {
        const out = malloc(12);
        try {
          const o = fn("sclw_cache_acquire")(this.ptr, k, klen, now, waiter, out);
          if (o < 0) throw new Error("sclcore: cache acquire failed");
          const result = { outcome: OUTCOMES[o] };
          if (o === 0) {
            result.data = M.HEAPU8.slice(u32(out, 0), u32(out, 0) + u32(out, 1));
            const meta = M.UTF8ToString(u32(out, 2));
            try { result.meta = meta ? JSON.parse(meta) : null; } catch { result.meta = meta; }
          }
          return result;
        } finally {
          free(out);
        }
      });
    }
    // -> waiter tokens to notify
    complete(key, now, data, meta = null) {
      const metaText = meta === null ? "" : typeof meta === "string" ? meta : JSON.stringify(meta);
      return withHeap([key, data, metaText], ([k, klen], [d, dlen], [m]) =>
        envelope(fn("sclw_cache_complete")(this.ptr, k, klen, now, d, dlen, m)));
    }
    fail(key) {
      return withHeap([key], ([k, klen]) => envelope(fn("sclw_cache_fail")(this.ptr, k, klen)));
    }
    cancelWaiter(key, waiter) {
      return withHeap([key], ([k, klen]) => fn("sclw_cache_cancel_waiter")(this.ptr, k, klen, waiter) === 1);
    }
    // -> promoted waiter token, or null when the slot was dropped
    abandon(key) {
      return withHeap([key], ([k, klen]) => {
        const w = fn("sclw_cache_abandon")(this.ptr, k, klen);
        return w < 0 ? null : w;
      });
    }
    expire(now) { return fn("sclw_cache_expire")(this.ptr, now); }
    stats() { return envelope(fn("sclw_cache_stats")(this.ptr)); }
    destroy() { if (this.ptr) fn("sclw_cache_destroy")(this.ptr); this.ptr = 0; }
  }

  class Debouncer {
    constructor({ windowMs = 100, staleAfterMs = 2000, slowPreviewMs = 250, holdAfterMs = 1000 } = {}) {
      this.ptr = fn("sclw_debounce_new")(windowMs, staleAfterMs, slowPreviewMs, holdAfterMs);
      if (!this.ptr) throw new Error("sclcore: out of memory");
    }
    update(now, kind, generation) {
      const k = UpdateKind[kind];
      if (k === undefined) throw new TypeError(`update kind must be change, drag or release, not ${kind}`);
      fn("sclw_debounce_update")(this.ptr, now, k, generation);
    }
    // -> { action: "none"|"start"|"cancel", generation, quality: "full"|"preview"|"coarse"|"coarsest" }
    poll(now) {
      const out = malloc(24);
      try {
        fn("sclw_debounce_poll")(this.ptr, now, out);
        const f = new Float64Array(M.HEAPF64.buffer, out, 3);
        return { action: ACTIONS[f[0]], generation: f[1], quality: QUALITIES[f[2]] };
      } finally {
        free(out);
      }
    }
    renderDone(generation, now) { return fn("sclw_debounce_render_done")(this.ptr, generation, now) === 1; }
    nextDeadline() {
      const t = fn("sclw_debounce_next_deadline")(this.ptr);
      return t < 0 ? null : t;
    }
    // a render at `quality` ("full"|"preview"|"coarse"|"coarsest") cost `ms` (the renderer's own time)
    observe(quality, ms) { fn("sclw_debounce_observe")(this.ptr, qualityCode(quality), ms); }
    // the estimated cost at `quality` in ms, or null before any was observed
    estimate(quality) {
      const t = fn("sclw_debounce_estimate")(this.ptr, qualityCode(quality));
      return t < 0 ? null : t;
    }
    // how a drag is rendered now: "preview" | "coarse" | "coarsest" | "hold" (no previews; the last model stays)
    dragPlan() { return DRAG_PLANS[fn("sclw_debounce_drag_plan")(this.ptr)]; }
    // stop everything: -> the generation of the render to stop, or null; the pending one is dropped
    cancelAll() {
      const g = fn("sclw_debounce_cancel_all")(this.ptr);
      return g < 0 ? null : g;
    }
    destroy() { if (this.ptr) fn("sclw_debounce_destroy")(this.ptr); this.ptr = 0; }
  }
  const qualityCode = (q) => {
    const c = Quality[q];
    if (c === undefined) throw new TypeError(`quality must be full, preview, coarse or coarsest, not ${q}`);
    return c;
  };

  core.MemoryManager = MemoryManager;
  core.ResultCache = ResultCache;
  core.Debouncer = Debouncer;
  core.heapBytes = () => M.HEAPU8.length;
  return core;
}
