// wasm.bench.mjs - the same core natively and in WASM, on the same inputs,
// in one run: mesh parse+index of a 100k-triangle binary STL, customizer
// parsing of the example corpus, cache hit latency. Reports WASM / native.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const { loadCore } = await import(join(ROOT, "build", "wasm", "sclcore.mjs"));
const core = await loadCore();
const result = (text, key) => Number(new RegExp(`${key}=([0-9.]+)`).exec(text)[1]);
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

mkdirSync(join(ROOT, "build", "bench"), { recursive: true });
const stlPath = join(ROOT, "build", "bench", "sphere100k.stl");
const nativeMesh = execFileSync(join(ROOT, "build", "native", "bench_mesh"), ["--write", stlPath], { encoding: "utf8" });
const stl = readFileSync(stlPath);
const runs = [];
for (let i = 0; i < 21; i++) {
  const t0 = performance.now();
  core.parseMesh(stl);
  runs.push(performance.now() - t0);
}
const wasmMesh = median(runs);
const nativeMeshMs = result(nativeMesh, "native_parse_ms");

const walk = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith(".scad") ? [join(d, e.name)] : []);
const sources = walk("/usr/share/openscad/examples").map((f) => readFileSync(f));
const nativeParams = execFileSync(join(ROOT, "build", "native", "bench_params"), { encoding: "utf8" });
let t0 = performance.now();
const ROUNDS = 50;
for (let r = 0; r < ROUNDS; r++) for (const s of sources) { try { core.params(s, "t"); } catch { /* syntax */ } }
const wasmParams = (performance.now() - t0) / ROUNDS;
const nativeParamsMs = result(nativeParams, "native_params_ms");

const cache = new core.ResultCache({ budgetBytes: 1 << 30 });
const value = new Uint8Array(64 * 1024);
const keys = Array.from({ length: 1000 }, (_, i) => `key-${i}`);
for (const k of keys) { cache.acquire(k, 0, 0); cache.complete(k, 0, value); }
t0 = performance.now();
const N = 100000;
for (let i = 0; i < N; i++) cache.acquire(keys[i % 1000], 1, 0);
const wasmHitUs = ((performance.now() - t0) / N) * 1000;

console.log("native vs WASM (same inputs, same run)");
console.log(`  mesh parse+index ${result(nativeMesh, "triangles")} triangles: native ${nativeMeshMs.toFixed(2)} ms, WASM ${wasmMesh.toFixed(2)} ms, WASM/native ${(wasmMesh / nativeMeshMs).toFixed(2)}`);
console.log(`  params, ${sources.length} example files:    native ${nativeParamsMs.toFixed(2)} ms, WASM ${wasmParams.toFixed(2)} ms, WASM/native ${(wasmParams / nativeParamsMs).toFixed(2)}`);
console.log(`  cache hit (JS API, copies 64 KiB out): WASM ${wasmHitUs.toFixed(2)} us`);
