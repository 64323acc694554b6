// build.mjs - bundle the widget with esbuild into build/widget/:
//   widget.js      the single ES module anywidget loads (the render worker's and the runner's code inlined as text)
//   openscad.wasm  OpenSCAD's WebAssembly, sent to the page once (by the kernel or the test page)
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..");
const OUT = join(ROOT, "build", "widget");
mkdirSync(OUT, { recursive: true });
// the runner (OpenSCAD's own worker) is inlined as text into the render worker, which is inlined into the widget
const runner = await build({
  entryPoints: [join(HERE, "src", "runner.js")], bundle: true, format: "esm", write: false,
  minify: true, logLevel: "error", platform: "browser",
});
const worker = await build({
  entryPoints: [join(HERE, "src", "worker.js")], bundle: true, format: "esm", write: false,
  minify: true, logLevel: "error", platform: "browser",
  define: { __SCADLIVE_RUNNER_SOURCE__: JSON.stringify(runner.outputFiles[0].text) },
});
await build({
  entryPoints: [join(HERE, "src", "index.js")], bundle: true, format: "esm", minify: true,
  outfile: join(OUT, "widget.js"), logLevel: "error", platform: "browser",
  define: { __SCADLIVE_WORKER_SOURCE__: JSON.stringify(worker.outputFiles[0].text) },
});
copyFileSync(join(ROOT, "build", "openscad", "openscad.wasm"), join(OUT, "openscad.wasm"));
