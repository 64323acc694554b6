// build.mjs - bundle the widget with esbuild into build/widget/:
//   widget.js      the single ES module anywidget loads (the worker's code inlined as text)
//   openscad.wasm  OpenSCAD's WebAssembly, sent to the page once (by the kernel or the test page)
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const OUT = join(ROOT, "build", "widget");
mkdirSync(OUT, { recursive: true });
const worker = await build({
  entryPoints: [join(HERE, "src", "worker.js")], bundle: true, format: "esm", write: false,
  minify: true, logLevel: "error", platform: "browser",
});
await build({
  entryPoints: [join(HERE, "src", "index.js")], bundle: true, format: "esm", minify: true,
  outfile: join(OUT, "widget.js"), logLevel: "error", platform: "browser",
  define: { __SCADLIVE_WORKER_SOURCE__: JSON.stringify(worker.outputFiles[0].text) },
});
copyFileSync(join(ROOT, "build", "openscad", "openscad.wasm"), join(OUT, "openscad.wasm"));
