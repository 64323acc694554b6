// heavy-checks.mjs - the slow-model checks that the standalone page, marimo
// and JupyterLab share (the view's DOM may be inside shadow roots, so every
// query walks into them). The page shows two scadlive views: view 0 a slow
// model with a "turns" slider (tests/fixtures/scad/slow-sweep.scad), view 1
// a light model with a "size" slider. Counts come from the render worker's
// own log (globalThis.scadliveRenderLog); no timings are asserted, only the
// order of events and frames.
import assert from "node:assert/strict";
import { DEEP_NTH as DEEP } from "./lib.mjs";

export const SLOW_MODEL = "tests/fixtures/scad/slow-sweep.scad";

const renderLog = (page) => page.evaluate(() => globalThis.scadliveRenderLog || []);

// Wait until view `n` shows a model (not updating) whose parameters satisfy `pred` (a function's source).
export const shown = (page, pred, n = 0, timeout = 300000) => page.waitForFunction(([i, src, deep]) => {
  const root = (0, eval)(deep)(".scl-root", i);
  const status = root?.querySelector(".scl-status");
  if (!root?.dataset.params || status.classList.contains("updating") || !/triangles/.test(status.textContent)) return false;
  return (0, eval)(src)(JSON.parse(root.dataset.params));
}, [n, pred, DEEP], { timeout, polling: 200 });

const shownParams = (page, n) => page.evaluate(([i, deep]) => (0, eval)(deep)(".scl-root", i).dataset.params, [n, DEEP]);

// A drag of the slow view's slider over 20 values, 50 ms apart, released at
// 6; returns the page's times of the drag's start and of the release.
const dragAndRelease = (page) => page.evaluate(async (deep) => {
  const el = (0, eval)(deep)('.scl-field[data-name="turns"] input[type=range]', 0);
  const now = () => performance.timeOrigin + performance.now();
  const t0 = now();
  for (let k = 1; k <= 20; k++) {
    el.value = String(1 + 0.25 * k);
    el.dispatchEvent(new Event("input", { bubbles: true }));
    await new Promise((r) => setTimeout(r, 50));
  }
  const release = now();
  el.dispatchEvent(new Event("change", { bubbles: true }));
  return { t0, release };
}, DEEP);

export async function checkDragAndRelease(page) {
  await shown(page, "(p) => true");
  const { t0, release } = await dragAndRelease(page);
  await shown(page, "(p) => p.turns === 6");
  const log = await renderLog(page);
  // the release as the worker got it (the drag's inputs log no request):
  // events before it in the worker's log belong to the drag, after it to the release
  const at = log.findIndex((e) => e.event === "request" && e.t >= t0);
  assert.ok(at >= 0, `the worker logged no request for the release: ${JSON.stringify(log.slice(-10))}`);
  const asked = log[at];
  const slow = asked.viewer;
  const during = log.slice(0, at).filter((e) => e.t >= t0 && e.viewer === slow);
  const after = log.slice(at).filter((e) => e.viewer === slow);
  const starts = during.filter((e) => e.event === "start");
  const ends = during.filter((e) => ["done", "abandon", "cancel"].includes(e.event));
  // one render at a time for a view: a render starts only once the one before it ended
  assert.ok(starts.length <= ends.length + 1, `${starts.length} renders started during the drag, ${ends.length} ended: ${JSON.stringify(during)}`);
  // and no more than the drag's length allows at what they cost
  const costs = ends.map((e) => e.ms).filter((ms) => ms > 0);
  const allowed = 1 + (costs.length ? Math.floor((release - t0) / Math.min(...costs)) : 0);
  assert.ok(starts.length <= allowed, `${starts.length} renders started in a ${(release - t0).toFixed(0)} ms drag: ${JSON.stringify(during)}`);
  assert.ok(starts.length < 20, "every value of the drag was rendered");
  // the final render: the next start, of the released generation at full
  // quality, with nothing of the drag ended or started before it (the
  // release does not wait for the running preview; how soon it starts is a
  // timing, measured by make bench as "release -> final", not asserted here)
  const final = after.find((e) => e.event === "start");
  assert.ok(final, `no render started after the release: ${JSON.stringify(log.slice(-10))}`);
  assert.equal(final.generation, asked.generation, JSON.stringify(after));
  assert.equal(final.quality, "full");
  const waited = after.slice(0, after.indexOf(final)).filter((e) => !["request", "abandon", "cancel"].includes(e.event));
  assert.deepEqual(waited, [], `the final render started after these: ${JSON.stringify(after)}`);
  // once the worker has the release, only the final render completes (a
  // preview that ended while the release was on its way to the worker is
  // the drag's: on a loaded machine it may end after the page's release)
  const done = after.filter((e) => e.event === "done");
  assert.equal(done.length, 1, `after the release's request (the worker had it at ${(asked.t - release).toFixed(1)} ms): ${JSON.stringify(after)}`);
  assert.equal(done[0].generation, final.generation);
  // the final model has the released values, and nothing of the drag is shown after it
  assert.equal(JSON.parse(await shownParams(page, 0)).turns, 6);
}

// Change the slow view's slider to `value` (drag + release).
const setSlow = (page, value) => page.evaluate(([deep, v]) => {
  const el = (0, eval)(deep)('.scl-field[data-name="turns"] input[type=range]', 0);
  el.value = String(v);
  el.dispatchEvent(new Event("input", { bubbles: true }));
  el.dispatchEvent(new Event("change", { bubbles: true }));
}, [DEEP, value]);

export async function checkCancel(page) {
  await shown(page, "(p) => true");
  const before = await shownParams(page, 0);
  const seen = (await renderLog(page)).length;
  await setSlow(page, 5.5);
  // a render running over a second shows its elapsed time and Cancel
  await page.waitForFunction((deep) => {
    const box = (0, eval)(deep)(".scl-progress", 0);
    return box && !box.hidden && /rendering \d+\.\d s/.test(box.textContent);
  }, DEEP, { timeout: 120000, polling: 100 });
  await page.evaluate((deep) => (0, eval)(deep)(".scl-cancel", 0).click(), DEEP);
  await page.waitForFunction((deep) => /cancelled/.test((0, eval)(deep)(".scl-status", 0).textContent), DEEP, { timeout: 10000 });
  const log = (await renderLog(page)).slice(seen);
  const cancelled = log.filter((e) => e.event === "cancel");
  assert.equal(cancelled.length, 1, JSON.stringify(log));
  assert.equal(cancelled[0].generation, log.filter((e) => e.event === "start" && e.viewer === cancelled[0].viewer).at(-1).generation);
  assert.ok(await page.evaluate((deep) => (0, eval)(deep)(".scl-progress", 0).hidden, DEEP), "the progress box stayed");
  await page.waitForTimeout(1000);
  const after = (await renderLog(page)).slice(seen);
  assert.equal(after.filter((e) => e.event === "done" && e.viewer === cancelled[0].viewer && e.generation === cancelled[0].generation).length, 0);
  assert.equal(await shownParams(page, 0), before, "the last model was replaced");
}

// The light view (view 1, a "size" slider) re-renders while the slow one renders.
export async function checkLightBesideSlow(page, size) {
  await page.waitForFunction((deep) => !!(0, eval)(deep)('.scl-field[data-name="size"] input[type=range]', 0), DEEP, { timeout: 120000 });
  await shown(page, "(p) => true", 0);
  await shown(page, "(p) => true", 1);
  const seen = (await renderLog(page)).length;
  await setSlow(page, 4.5);
  await page.waitForFunction((n) => (globalThis.scadliveRenderLog || []).slice(n).some((e) => e.event === "start" && e.quality === "full"),
    seen, { timeout: 120000 });
  const slowStart = (await renderLog(page)).slice(seen).find((e) => e.event === "start" && e.quality === "full");
  await page.evaluate(([deep, v]) => {
    const el = (0, eval)(deep)('.scl-field[data-name="size"] input[type=range]', 0);
    el.value = String(v);
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }, [DEEP, size]);
  await shown(page, `(p) => p.size === ${size}`, 1);
  const log = await renderLog(page);
  const lightDone = log.find((e) => e.event === "done" && e.viewer !== slowStart.viewer && e.t > slowStart.t);
  assert.ok(lightDone, JSON.stringify(log.slice(-8)));
  const slowEnd = log.find((e) => e.viewer === slowStart.viewer && e.generation === slowStart.generation && ["done", "abandon", "cancel"].includes(e.event));
  assert.ok(!slowEnd || slowEnd.t > lightDone.t, `the light render waited for the slow one: ${JSON.stringify(log.slice(-8))}`);
  // no spare runner was made while every lane ran OpenSCAD (its start took
  // the light render's core): they are made once a run ends
  const made = log.filter((e) => e.event === "runner-made" && e.spare);
  assert.ok(made.length > 0, "the log has no runner-made events");
  assert.deepEqual(made.filter((e) => e.busy >= e.lanes), [], "spare runners made while every lane was busy");
  // the page lets runners read a blob: URL, so an abandoned run stops itself
  // (else Chromium runs it on for 2 s after its runner is terminated)
  const ready = log.filter((e) => e.event === "runner-ready");
  assert.ok(ready.length > 0, "the log has no runner-ready events");
  assert.deepEqual(ready.filter((e) => e.checks !== true), [], "runners that cannot stop an abandoned run");
  await shown(page, "(p) => p.turns === 4.5", 0);
}
