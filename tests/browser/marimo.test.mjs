// The demo notebook end to end: a real marimo server (started here) with the
// scadlive package, its bridge, and Debian's Chromium. The model appears, the
// cell that awaits render_async in a loop completes, a slider moves the model
// and viewer.params follows (a dependent cell re-runs), and the export cell
// writes an STL file.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let marimo, browser, url, workdir;

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
});

before(async () => {
  workdir = mkdtempSync(join(tmpdir(), "scl-marimo-"));
  const port = await freePort();
  url = `http://127.0.0.1:${port}/`;
  marimo = spawn(join(ROOT, ".venv/bin/marimo"), ["run", join(ROOT, "notebooks/demo.py"), "--host", "127.0.0.1",
    "--port", String(port), "--headless", "--no-token"], {
    cwd: workdir, env: { ...process.env, PYTHONPATH: join(ROOT, "python") },
    stdio: ["ignore", openSync(join(workdir, "marimo.log"), "w"), openSync(join(workdir, "marimo.log"), "a")],
    detached: true,
  });
  for (let i = 0; i < 120; i++) {
    try { if ((await fetch(url)).ok) break; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--use-gl=swiftshader", "--enable-unsafe-swiftshader"],
  });
});

after(async () => {
  await browser?.close();
  if (marimo) try { process.kill(-marimo.pid, "SIGTERM"); } catch { /* gone */ }
  rmSync(workdir, { recursive: true, force: true });
});

// Find text inside marimo's shadow roots.
const deepText = (page, selector) => page.evaluate((sel) => {
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.matches(sel)) return el.textContent;
      if (el.shadowRoot) { const r = walk(el.shadowRoot); if (r !== null) return r; }
    }
    return null;
  };
  return walk(document);
}, selector);

let pageText = async () => "";
async function until(fn, what, timeout = 120000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeout) {
      const log = existsSync(join(workdir, "marimo.log")) ? readFileSync(join(workdir, "marimo.log"), "utf8").slice(-3000) : "";
      throw new Error(`timed out waiting for ${what}; the page says:\n${await pageText()}\nmarimo's log:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

test("the demo notebook renders, awaits render_async, follows a slider and exports", { timeout: 300000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1300, height: 1100 } });
  pageText = () => page.evaluate(() => document.body.innerText).catch(() => "");
  await page.goto(url);
  await until(async () => /triangles/.test((await deepText(page, ".scl-status")) || ""), "the model");
  // the cell awaiting render_async six times completes inside the running kernel
  const body = await until(async () => {
    const t = await page.evaluate(() => document.body.innerText);
    return /Triangles per candle count: 3: \d+, 4: \d+, 5: \d+, 6: \d+, 7: \d+, 8: \d+/.test(t) && t;
  }, "the render_async loop");
  assert.match(body, /Triangles per candle count/);
  // move the "count" slider in the widget: viewer.params follows in Python
  await page.evaluate(() => {
    const walk = (root) => {
      for (const el of root.querySelectorAll("*")) {
        if (el.matches('.scl-field[data-name="count"] input[type=range]')) return el;
        if (el.shadowRoot) { const r = walk(el.shadowRoot); if (r) return r; }
      }
      return null;
    };
    const slider = walk(document);
    slider.value = "11";
    slider.dispatchEvent(new Event("input", { bubbles: true }));
    slider.dispatchEvent(new Event("change", { bubbles: true }));
  });
  await until(async () => /'count': 11/.test(await page.evaluate(() => document.body.innerText)), "viewer.params to follow");
  // the export cell writes the STL into the kernel's working directory
  await page.getByRole("button", { name: "Export STL" }).click();
  const stl = join(workdir, "candleStand.stl");
  await until(async () => existsSync(stl) && readFileSync(stl).length > 84, "the exported STL");
  const bytes = readFileSync(stl);
  assert.equal(bytes.length, 84 + 50 * bytes.readUInt32LE(80));
  await page.close();
});
