// The Jupyter demo notebook (notebooks/demo.ipynb) end to end, in a real
// JupyterLab server and a real Jupyter Notebook 7 server (each started here,
// with the scadlive package from the checkout, its bridge, and Debian's
// Chromium). For each: Run All Cells from the Run menu; the model appears
// (status line and yellow pixels on the canvas); the cell that awaits
// render_async in a loop completes inside the running cell (full progress bar
// and its summary line); the export cell writes a binary STL of the current
// parameters; the customizer shows the parameters the loop set; a slider
// changes the mesh; the params and export cells run again, and viewer.params
// follows the slider with the export writing the model as the slider left it.
// Finally the server stops and
// nothing it started (kernel, bridge) is left running.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sleep, useChromium } from "./lib.mjs";
import { checkCancel, checkDragAndRelease, checkLightBesideSlow } from "./heavy-checks.mjs";
import { runAll, startJupyter, tail } from "./jupyter-server.mjs";

const WAIT = 120000; // every wait is bounded by this
const NOTEBOOKS = ["notebooks/demo.ipynb", "tests/browser/notebooks/heavy.ipynb"];
const chromium = useChromium();

// Count the model's yellow pixels (the widget's default colour, shaded) in a
// screenshot of the viewer's canvas; the background, grid and axes are not yellow.
async function yellowPixels(page, canvas) {
  const png = (await canvas.screenshot()).toString("base64");
  return page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const img = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
    const ctx = new OffscreenCanvas(img.width, img.height).getContext("2d");
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, img.width, img.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 90 && d[i + 1] > 70 && d[i] - d[i + 2] > 50 && d[i + 1] - d[i + 2] > 40) n++;
    return n;
  }, png);
}

// Parse a binary STL: 80-byte header, triangle count, 50 bytes per triangle.
function binaryStl(path) {
  assert.ok(existsSync(path), `${path} was not written`);
  const bytes = readFileSync(path);
  assert.ok(bytes.length >= 84, `${path} has only ${bytes.length} bytes`);
  const triangles = bytes.readUInt32LE(80);
  assert.equal(bytes.length, 84 + 50 * triangles, `${path} is not a binary STL (${bytes.length} bytes, ${triangles} triangles)`);
  assert.ok(triangles > 0, `${path} has no triangles`);
  return triangles;
}

// ipykernel 7 handles a comm message that arrives while a cell awaits (here
// the page's updates during the render_async loop) concurrently and sends no
// busy/idle for it; ipywidgets' front end waits for that idle before it sends
// the widget's next sync, so a plain trait sync would never bring the
// slider's params to the kernel. The widget also sends its state as a custom
// message, which does get through: this checks that it does.
async function demo(t, app, notebookPath) {
  const server = await startJupyter(app, NOTEBOOKS);
  const page = await chromium.browser.newPage({ viewport: { width: 1400, height: 1200 } });
  const widgetErrors = [];
  page.on("pageerror", (e) => { if (/blob:|scadlive|scl-/.test(`${e.stack}`)) widgetErrors.push(e.stack); });
  const until = async (fn, what, timeout = WAIT) => {
    for (const t0 = Date.now(); ; await sleep(500)) {
      const v = await fn();
      if (v) return v;
      if (Date.now() - t0 > timeout) {
        const text = await page.evaluate(() => document.body.innerText).catch(() => "");
        throw new Error(`jupyter ${app}: timed out waiting for ${what}; the page says:\n${text}\n`
          + `the server's log:\n${tail(server.log)}`);
      }
    }
  };
  let passed = false;
  try {
    await page.goto(`${server.base}/${notebookPath}`);
    const cells = page.locator(".jp-Notebook .jp-Cell");
    await until(async () => (await cells.count()) === 5, "the notebook's five cells");
    const cell = (marker) => cells.filter({ has: page.locator(".jp-InputArea", { hasText: marker }) });
    const output = (c) => c.locator(".jp-OutputArea").first().innerText().catch(() => "");
    const prompt = (c) => c.locator(".jp-InputPrompt").first().innerText().catch(() => "");
    const cellRenderAsync = cell("render_async(");
    const cellParams = cell("viewer.params");
    const cellExport = cell("viewer.export(");
    for (const c of [cellRenderAsync, cellParams, cellExport]) assert.equal(await c.count(), 1);
    await runAll(t, page, until, () => prompt(cell("scadlive.Viewer(")));

    // the render_async loop completes inside the running cell: a full progress bar and its summary
    const summary = await until(async () => {
      const m = /Triangles per candle count: 3: (\d+), 4: \d+, 5: \d+, 6: \d+, 7: \d+, 8: (\d+)/.exec(await output(cellRenderAsync));
      return m && { count8: Number(m[2]) };
    }, "the render_async loop's summary");
    const bar = await cellRenderAsync.locator("progress").evaluate((p) => [p.value, p.max]);
    assert.deepEqual(bar, [6, 6], "the progress bar did not reach the end");

    // the export cell writes the model with the parameters the loop left (count 8)
    const wrote = /Wrote (\S+) \((\d+) bytes\)/;
    const first = await until(async () => wrote.exec(await output(cellExport)), "the export cell's output");
    const stlPath = join(server.root, "candleStand.stl");
    assert.equal(first[1], stlPath);
    assert.equal(binaryStl(stlPath), summary.count8, "the exported STL is not the model the loop rendered last");
    assert.equal(readFileSync(stlPath).length, Number(first[2]));

    // the model appears: status line and pixels, with the loop's last parameters
    const status = page.locator(".scl-status");
    assert.equal(await status.count(), 1);
    const settled = async () => {
      const [text, updating] = await status.evaluate((s) => [s.textContent, s.classList.contains("updating")]);
      const m = /^(\d+) triangles/.exec(text);
      return !updating && m ? Number(m[1]) : 0;
    };
    await until(async () => (await settled()) === summary.count8, `the widget to show ${summary.count8} triangles`);
    const canvas = page.locator(".scl-view canvas");
    await canvas.scrollIntoViewIfNeeded();
    const yellow = await until(async () => { const n = await yellowPixels(page, canvas); return n > 5000 && n; },
      "the model to be drawn (yellow pixels)");
    assert.ok(yellow > 5000);
    const slider = page.locator('.scl-field[data-name="count"] input[type=range]');
    assert.equal(await slider.inputValue(), "8", "the customizer does not show the parameters render_async set");

    // move the "count" slider (drag then release): the mesh changes ...
    await slider.evaluate((el) => {
      el.value = "11";
      el.dispatchEvent(new Event("input", { bubbles: true }));
      el.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await until(async () => { const n = await settled(); return n !== summary.count8 && n; }, "the slider to change the mesh");

    assert.ok(await yellowPixels(page, canvas) > 5000, "the model is not drawn after the slider moved");

    // ... and viewer.params in the kernel follows: run the params cell again (select it, Ctrl+Enter),
    // then the export cell, which writes the model as the slider left it (11 candles, more triangles than 8)
    const runCell = async (c, what) => {
      const before = await prompt(c);
      await c.locator(".jp-InputPrompt").first().click();
      await page.keyboard.press("Control+Enter");
      await until(async () => { const p = await prompt(c); return /\[\d+\]/.test(p) && p !== before; }, `${what} to run again`);
      return output(c);
    };
    const params = await runCell(cellParams, "the params cell");
    assert.match(params, /'count': \d+/, params);
    assert.ok(wrote.test(await runCell(cellExport, "the export cell")), "the export cell printed no path");
    const exported = binaryStl(stlPath);
    // viewer.params followed the slider (after the render_async loop ran in an awaiting cell)
    assert.match(params, /'count': 11\b/, `viewer.params did not follow the slider:\n${params}`);
    assert.ok(exported > summary.count8, `the STL exported after the slider moved has ${exported} triangles, 8 candles had ${summary.count8}`);
    // the page, once its full-quality render of the release is in, shows that same model
    await until(async () => (await settled()) === exported, `the widget to show ${exported} triangles (the exported STL)`);
    // right-drag pans the view: a right click on it opens no context menu (the cell menu listens on the document)
    await canvas.scrollIntoViewIfNeeded();
    const area = await canvas.boundingBox();
    const at = [area.x + area.width / 2, area.y + area.height / 2];
    const hit = await page.evaluate(([x, y]) => { let e = document.elementFromPoint(x, y); while (e?.shadowRoot) e = e.shadowRoot.elementFromPoint(x, y) || e; return e?.tagName; }, at);
    assert.equal(hit, "CANVAS", `the click would reach a ${hit}, not the view's canvas`);
    await page.mouse.click(at[0], at[1], { button: "right" });
    await sleep(500);
    assert.equal(await page.locator(".lm-Menu").count(), 0, "a context menu opened over the view");
    // keys typed in the focused view are its shortcuts, not the notebook's (B would insert a cell)
    const cellCount = await cells.count();
    await page.keyboard.press("b");
    await sleep(300);
    assert.equal(await page.locator("[data-tool=bbox]").getAttribute("aria-pressed"), "true", `B did not reach the view; focus: ${await page.evaluate(() => { let a = document.activeElement; const out = []; while (a) { out.push(`${a.tagName}.${a.className}`); a = a.shadowRoot?.activeElement; } return out.join(" > "); })}; menus ${await page.locator(".lm-Menu").count()}`);
    await page.keyboard.press("b");
    await sleep(500);
    assert.equal(await cells.count(), cellCount, "B in the view also ran the notebook's shortcut");
    assert.deepEqual(widgetErrors, []);
    passed = true;
  } finally {
    await page.close();
    const left = await server.stop();
    server.cleanup();
    // (checked only if everything else passed: a failure above is the one to report)
    if (passed) assert.deepEqual(left, [], `jupyter ${app}: processes still running after the server stopped`);
  }
}

test("JupyterLab runs the demo notebook", { timeout: 300000 }, (t) => demo(t, "lab", "lab/tree/demo.ipynb"));

test("Jupyter Notebook 7 runs the demo notebook", { timeout: 300000 }, (t) => demo(t, "notebook", "notebooks/demo.ipynb"));

test("JupyterLab: a slow model stays live (few renders for a drag, the release at once, Cancel, a light view beside it)",
  { timeout: 900000 }, async (t) => {
    const server = await startJupyter("lab", NOTEBOOKS);
    const page = await chromium.browser.newPage({ viewport: { width: 1400, height: 1400 } });
    const until = async (fn, what, timeout = WAIT) => {
      for (const t0 = Date.now(); ; await sleep(500)) {
        const v = await fn();
        if (v) return v;
        if (Date.now() - t0 > timeout) throw new Error(`timed out waiting for ${what}; the server's log:\n${tail(server.log)}`);
      }
    };
    try {
      await page.goto(`${server.base}/lab/tree/heavy.ipynb`);
      const cells = page.locator(".jp-Notebook .jp-Cell");
      await until(async () => (await cells.count()) === 2, "the notebook's two cells");
      const viewsCell = cells.filter({ has: page.locator(".jp-InputArea", { hasText: "scadlive.Viewer(" }) });
      await runAll(t, page, until, () => viewsCell.locator(".jp-InputPrompt").first().innerText().catch(() => ""));
      await until(async () => (await page.locator(".scl-status").count()) === 2, "both views");
      // one render worker for the page, though JupyterLab imports the widget's module once per widget
      const workers = page.workers().length;
      await checkDragAndRelease(page);
      await checkLightBesideSlow(page, 17);
      await checkCancel(page);
      const lanes = await page.evaluate(() => Math.max(2, Math.min(4, navigator.hardwareConcurrency || 2)));
      assert.ok(workers <= 1 + lanes + 2, `${workers} workers for two views`);
    } finally {
      await page.close();
      await server.stop();
      server.cleanup();
    }
  });
