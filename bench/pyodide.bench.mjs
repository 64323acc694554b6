// pyodide.bench.mjs - a render through scadlive under Pyodide (what marimo
// WASM / JupyterLite run: OpenSCAD's WebAssembly called from Python in the
// page) against the same render through the native bridge, in one run.
// candleStand.scad with count=5 and cube(10), medians of 7; every Pyodide
// render is a fresh OpenSCAD instance (there is no cache there), so the
// bridge's cache is defeated by a comment that changes each time.
// Reports Pyodide / bridge; also Pyodide's start-up (loadPyodide, web_ready,
// first render).
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const CANDLE = "/usr/share/openscad/examples/Parametric/candleStand.scad";
const dist = join(ROOT, "build", "bench", "pyodide-dist");
rmSync(dist, { recursive: true, force: true });
execFileSync(join(ROOT, "scripts", "wheel-pure.sh"), [dist], { stdio: "pipe" });
const wheel = join(dist, readdirSync(dist).find((f) => f.endsWith("-py3-none-any.whl")));

const t0 = performance.now();
const py = await loadPyodide();
const loadMs = performance.now() - t0;
py.unpackArchive(new Uint8Array(readFileSync(wheel)), "wheel");
py.FS.writeFile("/tmp/candleStand.scad", new Uint8Array(readFileSync(CANDLE)));
const TIMED = `
import json, statistics, time
async def timed(n, make):
    runs = []
    for i in range(n):
        t = time.perf_counter()
        await make(i)
        runs.append((time.perf_counter() - t) * 1000)
    return statistics.median(runs)
`;
const mine = JSON.parse(await py.runPythonAsync(`${TIMED}
import scadlive
t = time.perf_counter(); await scadlive.web_ready(); ready = (time.perf_counter() - t) * 1000
first = await timed(1, lambda i: scadlive.render_async(path="/tmp/candleStand.scad", params={"count": 5}))
candle = await timed(7, lambda i: scadlive.render_async(path="/tmp/candleStand.scad", params={"count": 5}))
cube = await timed(7, lambda i: scadlive.render_async("cube(10);"))
json.dumps({"ready": ready, "first": first, "candle": candle, "cube": cube})`));

const native = JSON.parse(execFileSync(join(ROOT, ".venv", "bin", "python"), ["-c", `
import asyncio, sys, time
sys.path.insert(0, ${JSON.stringify(join(ROOT, "python"))})
import scadlive
${TIMED}
async def main():
    await scadlive.render_async("cube(1);")  # the bridge is up
    text = open(${JSON.stringify(CANDLE)}).read()
    candle = await timed(7, lambda i: scadlive.render_async(text + f"\\n// {time.time()} {i}\\n", params={"count": 5}))
    cube = await timed(7, lambda i: scadlive.render_async(f"cube(10); // {time.time()} {i}"))
    print(json.dumps({"candle": candle, "cube": cube}))
asyncio.run(main())
`], { encoding: "utf8" }).trim().split("\n").pop());

const f = (ms) => `${ms.toFixed(0)} ms`;
console.log("pyodide: scadlive under Pyodide (npm pyodide, Node) vs the native bridge, same run");
console.log(`  start-up: loadPyodide ${f(loadMs)}, web_ready ${f(mine.ready)}, first render ${f(mine.first)}`);
console.log(`  candleStand count=5: pyodide ${f(mine.candle)}, bridge ${f(native.candle)}, ratio ${(mine.candle / native.candle).toFixed(2)}`);
console.log(`  cube(10):            pyodide ${f(mine.cube)}, bridge ${f(native.cube)}, ratio ${(mine.cube / native.cube).toFixed(2)}`);
