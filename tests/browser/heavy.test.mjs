// Heavy models stay live (the standalone page, Debian's Chromium): with a
// slow model (tests/fixtures/scad/slow-sweep.scad, seconds per full render)
// a slider drag starts no more renders than it has time for, the release
// starts the final render at once (a preview in flight is abandoned: its
// runner is terminated and a spare takes over), the final model has the
// released values, Cancel stops a render and keeps the last model, and a
// light viewer's render completes while the slow one runs. Counts come from
// the render worker's own log (globalThis.scadliveRenderLog); no timings are
// asserted here (they are in bench/browser.bench.mjs), only the order of
// events and frames.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startServer } from "../../widget/test-page/server.mjs";
import { launchChromium, paintedPixels } from "./lib.mjs";

const SLOW = "/tests/fixtures/scad/slow-sweep.scad";
let server, browser, base;

before(async () => {
  server = await startServer();
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
});

const renderLog = (page) => page.evaluate(() => globalThis.scadliveRenderLog);
// the n-th view shows a model (not updating) whose parameters satisfy `pred` (source text of a function)
const shown = (page, pred, n = 0, timeout = 180000) => page.waitForFunction(([i, src]) => {
  const root = document.querySelectorAll(".scl-root")[i];
  const status = root?.querySelector(".scl-status");
  if (!root?.dataset.params || status.classList.contains("updating") || !/triangles/.test(status.textContent)) return false;
  return (0, eval)(src)(JSON.parse(root.dataset.params));
}, [n, pred], { timeout });

test("a drag on a slow model starts few renders; the release renders the released values at once", { timeout: 600000 }, async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/widget/test-page/index.html?model=${SLOW}`);
  await shown(page, "(p) => true");
  const slider = page.locator('.scl-field[data-name="turns"] input[type=range]');
  // a drag over 20 values, 50 ms apart, then the release at the last one;
  // the page records the time of the release and of the two frames after it
  const { t0, release, frames } = await slider.evaluate(async (el) => {
    const now = () => performance.timeOrigin + performance.now();
    const t0 = now();
    for (let k = 1; k <= 20; k++) {
      el.value = String(1 + 0.25 * k);
      el.dispatchEvent(new Event("input", { bubbles: true }));
      await new Promise((r) => setTimeout(r, 50));
    }
    const frames = [];
    const release = now();
    el.dispatchEvent(new Event("change", { bubbles: true }));
    await new Promise((r) => requestAnimationFrame((a) => { frames.push(now()); requestAnimationFrame(() => { frames.push(now()); r(); }); }));
    return { t0, release, frames };
  });
  await shown(page, "(p) => p.turns === 6");
  assert.equal((await page.evaluate(() => globalThis.models[0].get("params"))).turns, 6);
  const log = await renderLog(page);
  const during = log.filter((e) => e.t >= t0 && e.t < release);
  const starts = during.filter((e) => e.event === "start");
  const ends = during.filter((e) => e.event !== "start" && e.event !== "hold");
  // one render at a time for a view: a render starts only once the one before it ended
  assert.ok(starts.length <= ends.length + 1, `${starts.length} renders started during the drag, ${ends.length} ended: ${JSON.stringify(during)}`);
  // and no more than the drag's length allows at what they cost
  const costs = ends.map((e) => e.ms).filter((ms) => ms > 0);
  const allowed = 1 + (costs.length ? Math.floor((release - t0) / Math.min(...costs)) : 0);
  assert.ok(starts.length <= allowed, `${starts.length} renders started in a ${(release - t0).toFixed(0)} ms drag: ${JSON.stringify(during)}`);
  assert.ok(starts.length < 20, "every value of the drag was rendered");
  // the final render: full quality, started within one frame of the release, not after a preview
  const final = log.find((e) => e.event === "start" && e.t >= release);
  assert.ok(final, `no render started after the release: ${JSON.stringify(log.slice(-10))}`);
  assert.equal(final.quality, "full");
  const asked = log.find((e) => e.event === "request" && e.t >= release);
  assert.ok(final.t <= frames[1], `the final render started ${(final.t - release).toFixed(1)} ms after the release ` +
    `(the worker had the request at ${(asked.t - release).toFixed(1)} ms), after the next frame (${(frames[1] - release).toFixed(1)} ms)`);
  const done = log.filter((e) => e.event === "done" && e.viewer === final.viewer && e.t > release);
  assert.equal(done.length, 1, JSON.stringify(done));
  assert.equal(done[0].generation, final.generation);
  // nothing of the drag is shown after the final model
  assert.deepEqual(JSON.parse(await page.locator(".scl-root").getAttribute("data-params")), { turns: 6 });
  await page.close();
});

test("Cancel stops a slow render and keeps the last model", { timeout: 600000 }, async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/widget/test-page/index.html?model=${SLOW}`);
  await shown(page, "(p) => true");
  const before = await paintedPixels(page);
  const shownBefore = await page.locator(".scl-root").getAttribute("data-params");
  await page.evaluate(() => globalThis.models[0].set("params", { turns: 5.5 }));
  // a render running over a second shows its elapsed time and Cancel
  await page.waitForSelector(".scl-progress:not([hidden])", { timeout: 120000 });
  assert.match(await page.locator(".scl-progress").textContent(), /rendering \d+\.\d s/);
  await page.click(".scl-cancel");
  await page.waitForFunction(() => /cancelled/.test(document.querySelector(".scl-status").textContent), null, { timeout: 10000 });
  const log = await renderLog(page);
  const started = log.filter((e) => e.event === "start");
  const cancelled = log.filter((e) => e.event === "cancel");
  assert.equal(cancelled.length, 1, JSON.stringify(log));
  assert.equal(cancelled[0].generation, started.at(-1).generation);
  assert.ok(await page.locator(".scl-progress").isHidden());
  // the cancelled render never completes; the last model stays drawn
  await page.waitForTimeout(1000);
  assert.equal((await renderLog(page)).filter((e) => e.event === "done" && e.generation === cancelled[0].generation).length, 0);
  assert.equal(await page.locator(".scl-root").getAttribute("data-params"), shownBefore);
  assert.ok(await paintedPixels(page) > before * 0.5, "the last model disappeared");
  // and the view renders again on the next change
  await page.evaluate(() => globalThis.models[0].set("params", { turns: 1 }));
  await shown(page, "(p) => p.turns === 1");
  await page.close();
});

test("a light viewer's render completes while a slow one renders", { timeout: 600000 }, async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/widget/test-page/index.html?model=${SLOW}&count=2`);
  const light = readFileSync("/usr/share/openscad/examples/Basics/CSG.scad", "utf8");
  await page.evaluate((src) => globalThis.models[1].set("source", src), light);
  await shown(page, "(p) => true", 0);
  await shown(page, "(p) => true", 1);
  // the slow viewer starts a full render ...
  const seen = (await renderLog(page)).length;
  await page.evaluate(() => globalThis.models[0].set("params", { turns: 4.5 }));
  await page.waitForFunction((n) => globalThis.scadliveRenderLog.slice(n).some((e) => e.event === "start" && e.viewer === 1),
    seen, { timeout: 60000 });
  const slowStart = (await renderLog(page)).slice(seen).find((e) => e.event === "start" && e.viewer === 1);
  // ... and the light one changes meanwhile
  await page.evaluate((src) => globalThis.models[1].set("source", src + "\ntranslate([30, 0, 0]) cube(5);\n"), light);
  await page.waitForFunction((t) => globalThis.scadliveRenderLog.some((e) => e.event === "done" && e.viewer === 2 && e.t > t),
    slowStart.t, { timeout: 120000 });
  const log = await renderLog(page);
  const lightDone = log.find((e) => e.event === "done" && e.viewer === 2 && e.t > slowStart.t);
  const slowEnd = log.find((e) => e.viewer === 1 && e.generation === slowStart.generation && ["done", "abandon", "cancel"].includes(e.event));
  assert.ok(!slowEnd || slowEnd.t > lightDone.t, `the light render waited for the slow one: ${JSON.stringify(log.slice(-8))}`);
  await shown(page, "(p) => p.turns === 4.5", 0);
  await page.close();
});
