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
