// runtime.mjs - scadlive's renderer inside Pyodide (marimo WASM, JupyterLite, Node):
// OpenSCAD's WebAssembly and the C core's Emscripten build, driven from Python
// (scadlive/_pyodide.py) through Pyodide's JavaScript bridge.
//
// Python reads every file from the wheel (Pyodide's file system) and imports
// the modules from data: URLs, in the browser and in Node alike (no CDN, no
// server path); the one import below is rewritten to the data: URL of the
// wheel's renderer/openscad-instance.mjs (what the bridge's Node renderer and
// the widget's worker share).
//
//   const rt = await createRuntime({ openscadFactory, openscadWasm, sclcore, fonts });
//   rt.core                          the C core (wasm/sclcore.mjs's API)
//   await rt.render({ source, name, defines, format, withFonts, files })
//                                    -> { ok, exit, log, data, ms }
//
// OpenSCAD's module is compiled once and kept; every render instantiates it
// afresh (callMain runs once per instance), as renderer/wasm-worker.mjs and
// the widget's worker do. Each render collects its own log lines, so renders
// awaited concurrently never mix their output.

import { createInstance, mkdirs } from "./openscad-instance.mjs";

const FONTS_CONF = '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig><dir>/fonts</dir></fontconfig>';

// openscadFactory: the Emscripten factory (openscad-factory.mjs's default export);
// openscadWasm: the bytes of openscad.wasm; sclcore: loadCore's module namespace;
// fonts: [[name, bytes], ...] mounted into renders that may call text().
export async function createRuntime({ openscadFactory, openscadWasm, sclcore, fonts = [] }) {
  const [compiled, core] = await Promise.all([WebAssembly.compile(openscadWasm), sclcore.loadCore()]);

  // files: { "dir/x.scad": Uint8Array, "MCAD/gears.scad": ... }: what the model
  // includes, keyed relative to its directory (/work), library files by their
  // path in the library folder, as the bridge's renderers lay them out.
  async function render({ source, name = "model.scad", defines = [], format = "binstl",
                          withFonts = false, files = {} }) {
    const log = [];
    const os = await createInstance(openscadFactory, compiled, (line) => log.push(line));
    const t0 = performance.now();
    if (withFonts) {
      os.FS.mkdir("/fonts");
      for (const [fname, bytes] of fonts) os.FS.writeFile("/fonts/" + fname, bytes);
      os.FS.writeFile("/fonts/fonts.conf", FONTS_CONF);
    }
    const work = "/work";
    mkdirs(os.FS, work);
    for (const [path, bytes] of Object.entries(files)) {
      const full = work + "/" + path;
      mkdirs(os.FS, full.slice(0, full.lastIndexOf("/")));
      os.FS.writeFile(full, bytes);
    }
    const main = work + "/" + name;
    mkdirs(os.FS, main.slice(0, main.lastIndexOf("/")));
    os.FS.writeFile(main, source);
    const out = work + "/__out." + (format.endsWith("stl") ? "stl" : format);
    const args = [main, "-o", out, "--backend=manifold", `--export-format=${format}`];
    for (const d of defines) args.push("-D", d);
    let exit;
    try {
      exit = os.callMain(args);
    } catch (e) {
      exit = typeof e?.status === "number" ? e.status : -1;
      log.push(`renderer: OpenSCAD aborted: ${e?.message ?? e}`);
    }
    let data = new Uint8Array(0);
    try { data = os.FS.readFile(out); } catch { /* no output */ }
    return { ok: exit === 0 && data.length > 0, exit, log: log.join("\n"), data, ms: performance.now() - t0 };
  }

  return { core, render };
}
