// Heavy models stay live, on the standalone page (Debian's Chromium): with a
// slow model (tests/fixtures/scad/slow-sweep.scad, seconds per full render)
// a slider drag starts no more renders than it has time for, the release
// starts the final render at once (a preview in flight is abandoned: its
// runner is terminated and a spare takes over), the final model has the
// released values, Cancel stops a render and keeps the last model, and a
// light viewer's render completes while the slow one runs. The checks are
// shared with the marimo and JupyterLab tests (heavy-checks.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { paintedPixels, useTestPage } from "./lib.mjs";
import { SLOW_MODEL, checkCancel, checkDragAndRelease, checkLightBesideSlow, shown } from "./heavy-checks.mjs";

const LIGHT = "size = 10; // [1:40]\ncube(size);\n";
const testPage = useTestPage();

// the slow model in view 0, the light one in view 1
async function openPage() {
  const page = await testPage.browser.newPage();
  await page.goto(testPage.url(`model=/${SLOW_MODEL}&count=2`));
  await page.waitForFunction(() => globalThis.models?.length === 2);
  await page.evaluate((src) => globalThis.models[1].set("source", src), LIGHT);
  return page;
}

test("a drag on a slow model starts few renders; the release renders the released values at once", { timeout: 600000 }, async () => {
  const page = await openPage();
  await checkDragAndRelease(page);
  assert.equal((await page.evaluate(() => globalThis.models[0].get("params"))).turns, 6);
  await page.close();
});

test("Cancel stops a slow render and keeps the last model", { timeout: 600000 }, async () => {
  const page = await openPage();
  await shown(page, "(p) => true");
  const before = await paintedPixels(page);
  await checkCancel(page);
  assert.ok(await paintedPixels(page) > before * 0.5, "the last model disappeared");
  // the view renders again on the next change
  await page.evaluate(() => globalThis.models[0].set("params", { turns: 1 }));
  await shown(page, "(p) => p.turns === 1");
  await page.close();
});

test("a light viewer's render completes while a slow one renders", { timeout: 600000 }, async () => {
  const page = await openPage();
  await checkLightBesideSlow(page, 17);
  await page.close();
});

// Idle spare runners hold an OpenSCAD instance (16 MiB here): counted against
// the page's memory budget, and not kept where they do not fit under the
// point where the budget would evict cached results (80%). With a 30 MiB
// budget one instance fits (the render's, then one idle runner's), two do
// not; with the default budget the spares are kept.
test("idle spare runners are held against the page's memory budget", { timeout: 300000 }, async () => {
  const runners = (page) => page.workers().length - 1; // all but the render worker
  const open = async (query) => {
    const page = await testPage.browser.newPage();
    await page.goto(testPage.url(query));
    await page.waitForFunction(() => globalThis.models?.length === 1);
    await page.evaluate((src) => globalThis.models[0].set("source", src), LIGHT);
    return page;
  };
  // the default budget (1 GiB): two spares beside the runner that rendered
  const roomy = await open("model=/usr/share/openscad/examples/Basics/CSG.scad");
  await shown(roomy, "(p) => true", 0, 60000);
  await roomy.waitForFunction(() => (globalThis.scadliveRenderLog || []).filter((e) => e.event === "runner-made").length >= 2,
    null, { timeout: 60000 });
  const roomyRunners = runners(roomy);
  await roomy.close();
  assert.ok(roomyRunners >= 2, `${roomyRunners} runners with the default budget`);

  const page = await open(`model=/usr/share/openscad/examples/Basics/CSG.scad&budget=${30 * 1024 * 1024}`);
  await shown(page, "(p) => true", 0, 60000);
  const most = { n: runners(page) };
  page.on("worker", () => { most.n = Math.max(most.n, runners(page)); });
  for (const size of [12, 14, 16]) {
    await page.evaluate((v) => globalThis.models[0].set("params", { size: v }), size);
    await shown(page, `(p) => p.size === ${size}`, 0, 60000);
  }
  // renders went on; the runner that rendered last is the one idle runner
  // (no spare was made: made ones would show in the log as spares)
  const log = await page.evaluate(() => globalThis.scadliveRenderLog);
  const done = log.filter((e) => e.event === "done");
  assert.equal(done.length, 4, JSON.stringify(log));
  assert.deepEqual(log.filter((e) => e.event === "runner-made" && e.spare && e.t > done[0].t), [],
    "a spare runner was made though the budget cannot hold its instance");
  assert.ok(most.n <= 1, `${most.n} runners at once with a 30 MiB budget`);
  await page.close();
});
