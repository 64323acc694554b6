// downloads.js - a view's download buttons. The shown result carries some
// files with it (a 3D model's STL, and its OFF when OpenSCAD wrote one: a
// model with colours; a 2D shape's SVG); the others are made by the worker
// when asked: a 3MF of the shown mesh (the C core's XML, zipped), the OFF of
// a model without colours (written from the shown mesh), and a 2D model's
// DXF (OpenSCAD's own export of the same request; for a shape the kernel
// rendered, the kernel's, since the page then may have no OpenSCAD of its own).
import { DOWNLOADS, download } from "./view-dom.js";

// `fileName(ext)` names a file; `onError(error)` shows a failed one;
// `fromKernel(format)` (optional) resolves to the kernel's render in `format`.
export function viewDownloads(dom, w, vid, fileName, onError, fromKernel = null) {
  let shown = null; // {result, request}: the shown result and the render request it answers (null from the kernel)
  let asked = 0;
  const fromWorker = (msg) => new Promise((resolve, reject) => {
    const id = `${vid}:export:${++asked}`;
    w.onReply(id, (m) => {
      w.offReply(id);
      if (m.type === "export") resolve(m.bytes);
      else reject(m);
    });
    w.postOther({ ...msg, type: "export", id });
  });
  // a copy of the shown mesh for the worker (the shown one stays drawn)
  const meshOf = (result) => ({ positions: result.positions.slice(), indices: result.indices.slice(),
    faceColors: result.faceColors && result.faceColors.slice() });
  const make = {
    off: ({ result }) => fromWorker({ format: "off", mesh: meshOf(result) }),
    "3mf": ({ result }) => fromWorker({ format: "3mf", title: fileName(""), mesh: meshOf(result) }),
    dxf: ({ request }) => (request
      ? fromWorker({ format: "dxf", source: request.source, name: request.name, params: request.params,
        schema: request.schema, files: request.files })
      : fromKernel("dxf")),
  };
  for (const d of DOWNLOADS) {
    dom.buttons[d.ext].onclick = async () => {
      if (!shown) return;
      const at = shown;
      try {
        download(at.result.downloads[d.ext] || await make[d.ext](at), fileName(`.${d.ext}`), d.type);
      } catch (err) {
        onError({ ...err, message: `${d.label} failed: ${err.message}` });
      }
    };
  }
  return {
    // a result was shown (answering `request`, or null when the kernel rendered it)
    show(result, request) {
      shown = { result, request };
      const dim = result.stats.dim === 2 ? 2 : 3;
      const solid = dim === 3 && result.indices.length > 0; // a mesh the worker can write as OFF and 3MF
      const available = { ...Object.fromEntries(Object.keys(result.downloads || {}).map((k) => [k, true])),
        off: solid, "3mf": solid, dxf: dim === 2 && (!!request || !!fromKernel) };
      dom.showDownloads(dim, available);
    },
  };
}
