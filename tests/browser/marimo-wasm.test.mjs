// The marimo WASM demo (notebooks/wasm_demo.py: a live model, a second one
// using MCAD from the wheel, an awaited render_async cell, an STL download) exported with `marimo export
// html-wasm` and run in Debian's Chromium from a local static server, with no
// internet: Python runs in Pyodide in the page and scadlive renders with
// OpenSCAD's WebAssembly (docs/pyodide.md).
//
// The exported page loads Pyodide from a CDN and its lock file from marimo's
// site; the browser context routes those to local files instead:
//   https://cdn.jsdelivr.net/pyodide/vX/full/F  -> node_modules/pyodide-marimo/F (Pyodide X,
//                                                  the exact version the page checks), else
//                                                  .deps/pyodide-wheels/F (wheels from PyPI)
//   https://wasm.marimo.app/pyodide-lock.json   -> .deps/pyodide-wheels/pyodide-lock.json
//                                                  (scripts/pyodide-wheels.sh, run by setup.sh)
// and refuses every other outside request. scadlive's pure wheel (built here,
// or SCADLIVE_PURE_WHEEL) is put in the page's public/ folder, where the
// notebook's first cell installs it from with micropip.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { canvasPixels, deepTexts, moveSlider, paintedPixels, until, useChromium, useTempDir } from "./lib.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NOTEBOOK = join(ROOT, "notebooks", "wasm_demo.py");
const PYODIDE_DIR = join(ROOT, "node_modules", "pyodide-marimo");
const WHEELS_DIR = join(ROOT, ".deps", "pyodide-wheels");
const chromium = useChromium();
const tmp = useTempDir("scl-marimo-wasm-");
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
  ".json": "application/json", ".wasm": "application/wasm", ".png": "image/png", ".svg": "image/svg+xml",
  ".ico": "image/x-icon", ".woff2": "font/woff2", ".ttf": "font/ttf", ".zip": "application/zip" };
const typeOf = (file) => TYPES[extname(file)] || "application/octet-stream";
let server;
let origin;
const refused = []; // outside URLs the page asked for and did not get
const served = []; // outside URLs answered with local files

after(() => new Promise((resolve) => (server ? server.close(resolve) : resolve())));

// A static file server for `dir` (what a user would put on GitHub Pages).
function serve(dir) {
  return new Promise((resolve) => {
    server = createServer((req, res) => {
      const path = normalize(join(dir, decodeURIComponent(new URL(req.url, "http://x").pathname)));
      const file = path.endsWith("/") ? join(path, "index.html") : path;
      if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": typeOf(file) }).end(readFileSync(file));
    }).listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

// The notebook's model text, rendered by the native CLI with `defines`.
function nativeStl(defines) {
  const model = /MODEL = """([\s\S]*?)"""/.exec(readFileSync(NOTEBOOK, "utf8"))[1];
  const scad = join(tmp.path, "model.scad");
  writeFileSync(scad, model);
  const out = join(tmp.path, "native.stl");
  execFileSync(join(ROOT, "build", "native", "scadlive"), ["render", scad, ...defines.flatMap((d) => ["-D", d]), "-o", out],
    { stdio: "pipe", cwd: tmp.path });
  return new Uint8Array(readFileSync(out));
}
const triangles = (stl) => new DataView(stl.buffer, stl.byteOffset).getUint32(80, true);

before(async () => {
  for (const [what, path] of [["npm pyodide-marimo (npm ci)", PYODIDE_DIR], ["the Pyodide wheels (scripts/setup.sh)", join(WHEELS_DIR, "pyodide-lock.json")]])
    assert.ok(existsSync(path), `${path} is missing: ${what}`);
  const out = join(tmp.path, "site");
  execFileSync(join(ROOT, ".venv", "bin", "marimo"), ["export", "html-wasm", NOTEBOOK, "-o", out, "--mode", "run"],
    { stdio: "pipe", env: { ...process.env, PATH: `${join(ROOT, ".venv", "bin")}:${process.env.PATH}` } });
  let wheel = process.env.SCADLIVE_PURE_WHEEL;
  if (!wheel) {
    const dist = join(tmp.path, "dist");
    execFileSync(join(ROOT, "scripts", "wheel-pure.sh"), [dist], { stdio: "pipe" });
    wheel = join(dist, readdirSync(dist).find((f) => f.endsWith("-py3-none-any.whl")));
  }
  const named = /public" \/ "([^"]+\.whl)"/.exec(readFileSync(NOTEBOOK, "utf8"))[1];
  assert.equal(wheel.split("/").pop(), named, "the notebook installs a wheel of another name than the one built");
  mkdirSync(join(out, "public"), { recursive: true });
  copyFileSync(wheel, join(out, "public", named));
  origin = await serve(out);
});

// Route the page's (and its workers') outside requests to local files.
async function offline(context) {
  await context.route("**/*", async (route) => {
    const url = new URL(route.request().url());
    if (url.origin === origin) return route.continue();
    const cors = { "access-control-allow-origin": "*" };
    let file = null;
    const cdn = /^\/pyodide\/v[\d.]+\/full\/(.+)$/.exec(url.pathname);
    if (url.hostname === "cdn.jsdelivr.net" && cdn) {
      const name = decodeURIComponent(cdn[1]);
      file = [join(PYODIDE_DIR, name), join(WHEELS_DIR, name)].find((f) => existsSync(f) && statSync(f).isFile());
    } else if (url.hostname === "wasm.marimo.app" && url.pathname === "/pyodide-lock.json") {
      file = join(WHEELS_DIR, "pyodide-lock.json");
    }
    if (!file) {
      refused.push(url.href);
      return route.fulfill({ status: 404, headers: cors, body: "offline test: not served" });
    }
    served.push(url.href);
    return route.fulfill({ status: 200, headers: { ...cors, "content-type": typeOf(file) }, body: readFileSync(file) });
  });
}

test("the marimo WASM export runs offline: the model shows, a slider re-renders, render_async completes, export downloads",
  { timeout: 600000 }, async (t) => {
    const context = await chromium.browser.newContext({ viewport: { width: 1300, height: 1100 }, acceptDownloads: true });
    await offline(context);
    const page = await context.newPage();
    const pageErrors = [];
    page.on("console", (m) => { if (m.type() === "error") pageErrors.push(m.text()); });
    const wait = (fn, what, timeout = 240000) => until(fn, what, { page, timeout }).catch((e) => {
      throw new Error(`${e.message}\npage errors:\n${pageErrors.slice(-15).join("\n")}\nrefused:\n${refused.join("\n")}`);
    });
    try {
      const t0 = Date.now();
      await page.goto(`${origin}/`);
      const status = async () => (await deepTexts(page, ".scl-status"))[0] || "";
      await wait(async () => /triangles/.test(await status()), "the model in the view", 420000);
      t.diagnostic(`model shown ${Date.now() - t0} ms after the page was opened (status: ${await status()})`);
      assert.ok(await paintedPixels(page) > 500, "the view draws nothing");

      // the second view's model uses MCAD (the wheel's library), sent by Python in the page
      await wait(async () => /triangles/.test((await deepTexts(page, ".scl-status"))[1] || ""), "the MCAD model in the second view");
      assert.ok(await paintedPixels(page, 1) > 500, "the second view draws nothing");

      // the cell that awaits render_async completed, with native's triangle count
      const body = async () => page.evaluate(() => document.body.innerText);
      const awaited = await wait(async () => /render_async with count=3: (\d+) triangles/.exec(await body()), "the render_async cell");
      assert.equal(Number(awaited[1]), triangles(nativeStl(["count=3"])));

      // a slider re-renders the view (and the cell that shows the parameters re-runs)
      const before = (await canvasPixels(page)).data;
      const shownBefore = await status();
      await moveSlider(page, '.scl-field[data-name="count"] input[type=range]', 8);
      await wait(async () => /'count': 8/.test(await body()), "the parameters cell after the slider");
      // the new model: its status names another triangle count (count=8 has
      // more parts). "Not updating" alone was also true before the render began.
      await wait(async () => {
        const now = await status();
        return now !== shownBefore && !/updating|rendering/.test(now) && /triangles/.test(now);
      }, "the re-render");
      let changed = 0;
      await wait(async () => {
        const afterPixels = (await canvasPixels(page)).data;
        changed = 0;
        for (let k = 0; k < before.length; k++) if (before[k] !== afterPixels[k]) changed++;
        return changed > 300;
      }, "the view to change after the slider", 30000).catch(() => {});
      assert.ok(changed > 300, `the view did not change after the slider (${changed} bytes differ)`);

      // the export cell re-ran with count=8: its download is the native CLI's STL
      const button = page.getByText("Download STL (count=8)");
      await wait(async () => (await button.count()) > 0, "the download for count=8");
      const [download] = await Promise.all([page.waitForEvent("download"), button.first().click()]);
      const got = new Uint8Array(readFileSync(await download.path()));
      const native = nativeStl(["count=8"]);
      assert.equal(download.suggestedFilename(), "holder.stl");
      assert.equal(triangles(got), triangles(native));
      assert.deepEqual(got.subarray(80), native.subarray(80));
      t.diagnostic(`outside requests answered with local files: ${served.length}; refused (not needed): ${refused.join(" ") || "none"}`);
      assert.ok(served.some((u) => u.endsWith("/pyodide.asm.wasm")) && served.some((u) => /marimo_base-.*\.whl$/.test(u)),
        "the page loaded Pyodide and marimo-base from somewhere other than the routed URLs");
    } finally {
      await context.close();
    }
  });
