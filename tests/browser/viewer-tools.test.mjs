// The viewer's tools in real Chromium (Debian's), on the standalone test page:
// standard views, projection, wireframe, x-ray, section plane, measurement,
// fit and double-click, the narrow layout, right-drag without a context
// menu, number boxes beside sliders, the PNG download; and the render cache
// seeing included files' bytes, not their length.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { paintedPixels, until, useTestPage } from "./lib.mjs";

const testPage = useTestPage();

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
  const page = await testPage.browser.newPage({ viewport });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(testPage.url(`model=/usr/share/openscad/examples/Basics/CSG.scad`));
  await nextModel(page);
  const shown = await statusText(page);
  await page.evaluate((src) => globalThis.models[0].set("source", src), source);
  await nextModel(page, shown);
  return { page, errors };
}

test("an included file edited without changing its length renders again (no stale cache hit)", { timeout: 300000 }, async () => {
  const { page, errors } = await pageWith("cube(1);");
  const sendFiles = (text) => page.evaluate((t) => {
    const bytes = new TextEncoder().encode(t);
    globalThis.models[0].emit({ type: "files", paths: ["part.scad"] }, [bytes]);
  }, text);
  // two texts of the same length whose models differ in size and in
  // triangle count ($fn), so that the status line (which names the count)
  // tells the renders apart: the size alone left it the same text when the
  // render times matched, and the wait for a new status never ended
  const SMALL = "sphere(10, $fn=8);", BIG = "sphere(30, $fn=9);";
  assert.equal(SMALL.length, BIG.length);
  await sendFiles(SMALL);
  let shown = await statusText(page);
  await page.evaluate(() => globalThis.models[0].set("source", "include <part.scad>\n"));
  shown = await nextModel(page, shown);
  assert.doesNotMatch(shown, /cache/);
  const small = await paintedPixels(page);
  // the same length, other bytes: a bigger sphere (the camera stays, so more pixels)
  await sendFiles(BIG);
  const after = await nextModel(page, shown);
  assert.doesNotMatch(after, /cache/, `the edited include was served from the cache: ${after}`);
  const big = await paintedPixels(page);
  assert.ok(big > 2 * small, `the edited include did not show: ${small} -> ${big} pixels`);
  // and back: the first content is a cache hit again
  await sendFiles(SMALL);
  assert.match(await nextModel(page, after), /\(cache\)/);
  assert.deepEqual(errors, []);
  await page.close();
});

// Pixel classes, tested in the page: the model's own yellow under any light
// (not the grey grid, the axes, the dark edges or the red cut faces); the red
// cut faces; dark greyish edge pixels, also under x-ray's pale faces (the
// faces' own shading keeps little blue).
const PIXEL_CLASSES = {
  model: "r > 100 && g > 80 && r - b > 70 && g - b > 50",
  cut: "r > 150 && g < 110 && b < 110",
  dark: "Math.max(r, g, b) < 140 && b > 0.35 * r",
};
// {count, minX, maxX, minY, maxY, w, h, width, height, columns} of the canvas
// pixels of a class (within `rect` {minX, maxX, minY, maxY} if given),
// counted in the page after the next frame (the pixels stay there).
const region = (page, kind = "model", rect = null) => page.evaluate(([test, rect]) => new Promise((resolve) => {
  const is = new Function("r", "g", "b", `return ${test};`);
  requestAnimationFrame(() => {
    const c = document.querySelector(".scl-view canvas");
    const { width, height } = c;
    const copy = document.createElement("canvas");
    copy.width = width;
    copy.height = height;
    const ctx = copy.getContext("2d");
    ctx.drawImage(c, 0, 0);
    const d = ctx.getImageData(0, 0, width, height).data;
    const out = { count: 0, minX: width, maxX: -1, minY: height, maxY: -1, width, height, columns: new Array(width).fill(0) };
    const { minX = 0, maxX = width - 1, minY = 0, maxY = height - 1 } = rect || {};
    for (let y = minY; y <= maxY; y++) {
      for (let x = minX; x <= maxX; x++) {
        const k = 4 * (y * width + x);
        if (!is(d[k], d[k + 1], d[k + 2])) continue;
        out.count++;
        out.columns[x]++;
        if (x < out.minX) out.minX = x;
        if (x > out.maxX) out.maxX = x;
        if (y < out.minY) out.minY = y;
        if (y > out.maxY) out.maxY = y;
      }
    }
    out.w = out.maxX - out.minX + 1;
    out.h = out.maxY - out.minY + 1;
    resolve(out);
  });
}), [PIXEL_CLASSES[kind], rect]);
const tool = async (page, id) => {
  await page.click(`[data-tool=${id}]`);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
};
const pressed = (page, id) => page.getAttribute(`[data-tool=${id}]`, "aria-pressed");

test("standard views show a known box from the top, the front and the right", { timeout: 300000 }, async () => {
  const { page, errors } = await pageWith("cube([40, 10, 5], center = true);");
  await tool(page, "ortho");
  await tool(page, "axes"); // the axes would cross the box
  const ratios = {};
  for (const [view, expected] of [["top", 40 / 10], ["front", 40 / 5], ["right", 10 / 5]]) {
    await tool(page, view);
    const r = await region(page);
    ratios[view] = r.w / r.h;
    assert.ok(Math.abs(ratios[view] / expected - 1) < 0.08, `${view} view: ${r.w}x${r.h} px, expected ${expected}:1`);
  }
  // the keyboard: T is the top view again
  await page.click(".scl-view canvas", { position: { x: 3, y: 200 } });
  await page.keyboard.press("t");
  const r = await region(page);
  assert.ok(Math.abs(r.w / r.h / 4 - 1) < 0.08, `T: ${r.w}x${r.h}`);
  // the bounding box's dimensions
  await tool(page, "bbox");
  assert.equal(await page.locator(".scl-readout").textContent(), "bounding box 40 × 10 × 5");
  // the tools follow the dark theme
  const face = () => page.locator("[data-tool=fit]").evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(await face(), "rgb(244, 244, 244)");
  await page.evaluate(() => globalThis.models[0].set("theme", "dark"));
  assert.equal(await face(), "rgb(44, 44, 44)");
  assert.deepEqual(errors, []);
  await page.close();
});

test("orthographic projection keeps a bar's parallel edges parallel; perspective does not", { timeout: 300000 }, async () => {
  const { page, errors } = await pageWith("cube([100, 8, 8]);");
  await tool(page, "axes");
  // the bar's thickness on screen near each end (home view: its +X end is nearer)
  const thickness = async () => {
    const r = await region(page);
    const at = (f) => r.columns[Math.round(r.minX + f * (r.maxX - r.minX))];
    return at(0.8) / at(0.2);
  };
  const perspective = await thickness();
  await tool(page, "ortho");
  assert.equal(await pressed(page, "ortho"), "true");
  const ortho = await thickness();
  assert.ok(Math.abs(ortho - 1) < 0.06, `orthographic: the far end is ${ortho} times as thick as the near end`);
  assert.ok(perspective > 1.15, `perspective: the near end is only ${perspective} times as thick`);
  assert.deepEqual(errors, []);
  await page.close();
});

test("wireframe draws lines, x-ray shows hidden edges, the section plane hides the half beyond it", { timeout: 300000 }, async () => {
  // a sphere, and a hollow cube whose cavity's edges only x-ray shows
  const { page, errors } = await pageWith("sphere(r = 10, $fn = 24);\n" +
    "translate([30, 0, 0]) difference() { cube(12, center = true); cube(8, center = true); }");
  await tool(page, "fit");
  await tool(page, "axes"); // the red X axis would count as cut faces
  const solid = await region(page);
  await tool(page, "wireframe");
  const wire = await region(page);
  assert.ok(wire.count > 200 && wire.count < solid.count * 0.5, `wireframe: ${wire.count} yellow pixels, solid ${solid.count}`);
  assert.ok(Math.abs(wire.w - solid.w) < solid.w * 0.1, "the wireframe spans the model");
  await tool(page, "wireframe");
  // x-ray: faces see-through (paler), hidden crease edges drawn
  // over the hollow cube (x from 24 to 36 of the model's -10..36; the grid's lines elsewhere are dark too)
  const cube = { ...solid, minX: Math.round(solid.minX + (27 / 46) * solid.w) };
  const edgesBefore = (await region(page, "dark", cube)).count;
  await tool(page, "xray");
  const edgesAfter = (await region(page, "dark", cube)).count;
  assert.ok(edgesAfter > edgesBefore * 1.3, `x-ray: ${edgesBefore} -> ${edgesAfter} edge pixels`);
  assert.ok((await region(page)).count < solid.count * 0.7, "x-ray faces are still opaque yellow");
  await tool(page, "xray");
  // section along X (the default axis) at 0: the cube at x = 30 is beyond, hidden; the sphere is cut
  await tool(page, "ortho");
  await tool(page, "front");
  const whole = await region(page);
  await tool(page, "section");
  await page.fill(".scl-section-offset .scl-number", "0");
  await page.press(".scl-section-offset .scl-number", "Enter");
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  const cut = await region(page);
  const centre = whole.minX + (whole.maxX - whole.minX) * (10 / 46); // x = 0 on screen: the sphere spans -10..10, the cube 24..36
  assert.ok(cut.maxX <= centre + 3, `pixels beyond the plane: up to column ${cut.maxX}, the plane is at ${centre}`);
  assert.ok(cut.count > 0.25 * whole.count * (20 * 20 * 0.785) / (20 * 20 * 0.785 + 144), "the near half is gone too");
  // the cut faces are shaded in their own colour (seen from the home view)
  await tool(page, "home");
  const cutFaces = await region(page, "cut");
  assert.ok(cutFaces.count > 300, `only ${cutFaces.count} cut-face pixels`);
  await tool(page, "section");
  assert.equal((await region(page, "cut")).count, 0, "cut faces stay after the section is off");
  assert.deepEqual(errors, []);
  await page.close();
});

test("measuring a cube's edge reads its length, snapped to the vertices", { timeout: 300000 }, async () => {
  const { page, errors } = await pageWith("cube(10);");
  await tool(page, "axes");
  await tool(page, "ortho");
  await tool(page, "front");
  await tool(page, "measure");
  const r = await region(page);
  const box = await page.locator(".scl-view canvas").boundingBox();
  const scale = box.width / r.width; // CSS pixels per canvas pixel
  // near (not on) the front face's top corners: the pick snaps to the vertices
  await page.mouse.click(box.x + (r.minX + 4) * scale, box.y + (r.minY + 5) * scale);
  await page.mouse.click(box.x + (r.maxX - 5) * scale, box.y + (r.minY + 4) * scale);
  const text = await page.locator(".scl-readout").textContent();
  assert.match(text, /^distance 10\s+Δx 10\s+Δy 0\s+Δz 0$/, text);
  // a vertical edge
  await page.mouse.click(box.x + (r.minX + 4) * scale, box.y + (r.minY + 4) * scale);
  await page.mouse.click(box.x + (r.minX + 5) * scale, box.y + (r.maxY - 4) * scale);
  assert.match(await page.locator(".scl-readout").textContent(), /^distance 10\s+Δx 0\s+Δy 0\s+Δz -10$/);
  assert.deepEqual(errors, []);
  await page.close();
});

// After wheel zooming: wait until the drawn model is under 30% of its fitted
// pixels (the wheel's zoom reaches the canvas over a few frames; a fixed wait
// was too short on a loaded machine).
const zoomedOut = (page, fitted) => until(async () => (await region(page)).count < fitted * 0.3,
  `the model to shrink below 30% of its ${fitted} fitted pixels after zooming out`, { page, timeout: 30000 });

test("fit, double-click and F bring the model back; home view; no context menu on right-drag", { timeout: 300000 }, async () => {
  const { page, errors } = await pageWith("cube(20, center = true);");
  await tool(page, "fit"); // the camera still frames the page's first model
  const fitted = (await region(page)).count;
  const canvas = page.locator(".scl-view canvas");
  const box = await canvas.boundingBox();
  // zoom far out: the model shrinks
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let i = 0; i < 15; i++) await page.mouse.wheel(0, 400);
  await zoomedOut(page, fitted);
  await canvas.dblclick({ position: { x: 20, y: box.height - 40 } });
  const back = (await region(page)).count;
  assert.ok(Math.abs(back / fitted - 1) < 0.1, `double-click fit: ${back} vs ${fitted} pixels`);
  for (let i = 0; i < 15; i++) await page.mouse.wheel(0, 400);
  await zoomedOut(page, fitted);
  await page.keyboard.press("f");
  assert.ok(Math.abs((await region(page)).count / fitted - 1) < 0.1, "F fits");
  await tool(page, "top");
  await tool(page, "home");
  assert.ok(Math.abs((await region(page)).count / fitted - 1) < 0.05, "home is the first model's view");
  // right-click on the view: no context menu for the page or a host listening on the document
  const menu = await page.evaluate(() => {
    let seen = false;
    document.addEventListener("contextmenu", () => { seen = true; });
    const c = document.querySelector(".scl-view canvas");
    const e = new MouseEvent("contextmenu", { bubbles: true, cancelable: true, button: 2 });
    c.dispatchEvent(e);
    return { prevented: e.defaultPrevented, seen };
  });
  assert.deepEqual(menu, { prevented: true, seen: false });
  assert.deepEqual(errors, []);
  await page.close();
});

test("a narrow widget puts the panel below the view; a wide one beside it", { timeout: 120000 }, async () => {
  for (const [width, below] of [[700, true], [1200, false]]) {
    const page = await testPage.browser.newPage({ viewport: { width, height: 900 } });
    await page.goto(testPage.url());
    await nextModel(page);
    const [view, panel] = await Promise.all([".scl-view", ".scl-panel"].map((s) => page.locator(s).boundingBox()));
    assert.equal(panel.y >= view.y + view.height, below, `${width} px: view ${JSON.stringify(view)}, panel ${JSON.stringify(panel)}`);
    assert.ok(view.width > (below ? 600 : 700), `${width} px: the view is ${view.width} px wide`);
    await page.close();
  }
});

test("number boxes beside sliders take exact values and refuse others with a hint", { timeout: 300000 }, async () => {
  const page = await testPage.browser.newPage({ viewport: { width: 1200, height: 800 } });
  await page.goto(testPage.url());
  const first = await nextModel(page);
  const row = '.scl-field[data-name="count"]'; // candleStand's count: [3:14], on its own tab
  await page.click('.scl-tab:has-text("Number of candle holders")');
  const box = page.locator(`${row} .scl-number`);
  assert.equal(await box.inputValue(), "7");
  await box.fill("9");
  await box.press("Enter");
  await nextModel(page, first);
  assert.equal((await page.evaluate(() => globalThis.models[0].get("params"))).count, 9);
  assert.equal(await page.locator(`${row} input[type=range]`).inputValue(), "9");
  for (const [typed, why] of [["20", /20 is out of range: enter a number from 3 to 14 in steps of 1/],
    ["5.5", /5.5 is not on a step/], ["", /not a number/]]) {
    await box.fill(typed);
    await box.press("Enter");
    assert.match(await page.locator(`${row} .scl-hint`).textContent(), why);
    assert.equal(await page.locator(`${row} .scl-hint`).isVisible(), true);
    assert.equal((await page.evaluate(() => globalThis.models[0].get("params"))).count, 9, `${typed} was taken`);
  }
  // the slider moves the box, and clears the hint
  await page.locator(`${row} input[type=range]`).evaluate((el) => { el.value = "4"; el.dispatchEvent(new Event("input", { bubbles: true })); });
  assert.equal(await box.inputValue(), "4");
  assert.equal(await page.locator(`${row} .scl-hint`).isVisible(), false);
  await page.close();
});

test("the PNG download is the view at its size", { timeout: 120000 }, async () => {
  const { page, errors } = await pageWith("cube(10);");
  const [download] = await Promise.all([page.waitForEvent("download"), tool(page, "png")]);
  assert.equal(download.suggestedFilename(), "CSG.png"); // the model's name
  const png = readFileSync(await download.path());
  assert.equal(png.subarray(1, 4).toString(), "PNG");
  const { width, height } = await region(page);
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [width, height]);
  assert.deepEqual(errors, []);
  await page.close();
});

test("animation: frames of $t differ, a second loop is all cache hits, the frames download as PNGs", { timeout: 300000 }, async () => {
  const { page, errors } = await pageWith("rotate([0, 0, $t * 90]) cube([10, 20, 3], center = true);\nsphere(r = 2 + 4 * $t);\n");
  assert.equal(await page.locator(".scl-anim").isVisible(), true, "the animation controls of a model using $t");
  await page.fill(".scl-anim-steps .scl-number", "4");
  await page.press(".scl-anim-steps .scl-number", "Enter");
  await page.fill(".scl-anim-fps .scl-number", "20");
  await page.press(".scl-anim-fps .scl-number", "Enter");
  await page.click(".scl-anim-play");
  const loop = (n) => page.waitForFunction((k) => Number(document.querySelector(".scl-anim").dataset.doneLoops || 0) >= k,
    n, { timeout: 120000 }).then(() => page.evaluate(() => ({ ...document.querySelector(".scl-anim").dataset })));
  const first = await loop(1);
  assert.equal(first.doneFrames, "4");
  assert.ok(Number(first.doneHits) < 4, `the first loop rendered: ${JSON.stringify(first)}`);
  const second = await loop(2);
  assert.deepEqual([second.doneFrames, second.doneHits], ["4", "4"], `the second loop: ${JSON.stringify(second)}`);
  await page.click(".scl-anim-play"); // pause
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(".scl-anim-frames")]);
  const { unzipSync } = await import("fflate");
  const files = unzipSync(readFileSync(await download.path()));
  const names = Object.keys(files).sort();
  assert.deepEqual(names, [0, 1, 2, 3].map((i) => `CSG-frame0000${i}.png`));
  const pngs = names.map((n) => Buffer.from(files[n]));
  assert.ok(pngs.every((p) => p.subarray(1, 4).toString() === "PNG"));
  assert.equal(new Set(pngs.map((p) => p.toString("base64"))).size, 4, "the frames differ");
  // a model without $t has no animation controls
  await page.evaluate(() => globalThis.models[0].set("source", "cube(3);"));
  await page.waitForFunction(() => document.querySelector(".scl-anim").hidden, null, { timeout: 60000 });
  assert.deepEqual(errors, []);
  await page.close();
});
