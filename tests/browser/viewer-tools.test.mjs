// The viewer's tools in real Chromium (Debian's), on the standalone test page:
// the render cache sees included files' bytes, not their length.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../../widget/test-page/server.mjs";
import { launchChromium, paintedPixels } from "./lib.mjs";

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

const statusText = (page) => page.locator(".scl-status").first().textContent();

// Wait until the status shows a finished model other than `previous` (its text), and return it.
async function nextModel(page, previous = "", timeout = 60000) {
  await page.waitForFunction((prev) => {
    const s = document.querySelector(".scl-status");
    return s && /triangles/.test(s.textContent) && !s.classList.contains("updating") && s.textContent !== prev;
  }, previous, { timeout });
  return statusText(page);
}

// A test page showing `source` (SCAD text) in one viewer.
async function pageWith(source, { viewport = { width: 1000, height: 700 } } = {}) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${base}/widget/test-page/index.html?model=/usr/share/openscad/examples/Basics/CSG.scad`);
  await nextModel(page);
  const shown = await statusText(page);
  await page.evaluate((src) => globalThis.models[0].set("source", src), source);
  await nextModel(page, shown);
  return { page, errors };
}

test("an included file edited without changing its length renders again (no stale cache hit)", { timeout: 180000 }, async () => {
  const { page, errors } = await pageWith("cube(1);");
  const sendFiles = (text) => page.evaluate((t) => {
    const bytes = new TextEncoder().encode(t);
    globalThis.models[0].emit({ type: "files", paths: ["part.scad"] }, [bytes]);
  }, text);
  await sendFiles("cube(10);");
  let shown = await statusText(page);
  await page.evaluate(() => globalThis.models[0].set("source", "include <part.scad>\n"));
  shown = await nextModel(page, shown);
  assert.doesNotMatch(shown, /cache/);
  const small = await paintedPixels(page);
  // the same length, other bytes: a bigger cube (the camera stays, so more pixels)
  await sendFiles("cube(30);");
  const after = await nextModel(page, shown);
  assert.doesNotMatch(after, /cache/, `the edited include was served from the cache: ${after}`);
  const big = await paintedPixels(page);
  assert.ok(big > 2 * small, `the edited include did not show: ${small} -> ${big} pixels`);
  // and back: the first content is a cache hit again
  await sendFiles("cube(10);");
  assert.match(await nextModel(page, after), /\(cache\)/);
  assert.deepEqual(errors, []);
  await page.close();
});
