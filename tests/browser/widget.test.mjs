// The widget in real Chromium (Debian's), on the standalone test page:
// renders candleStand.scad, draws it, reacts to a slider (previews while
// dragging, full quality on release), shows syntax errors with their line
// and keeps the last model, and offers an STL the core parses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { backgroundColor, canvasPixels, paintedPixels, until, useTempDir, useTestPage } from "./lib.mjs";

const testPage = useTestPage();
const profile = useTempDir("scl-chromium-");

async function status(page) {
  return page.locator(".scl-status").first().textContent();
}

async function waitStatus(page, re, timeout = 60000) {
  await page.waitForFunction((src) => new RegExp(src).test(document.querySelector(".scl-status")?.textContent || ""),
    re.source, { timeout });
  return status(page);
}

test("candleStand renders, draws, and follows its sliders", { timeout: 180000 }, async () => {
  const page = await testPage.browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(testPage.url());
  const first = await waitStatus(page, /triangles/);
  const triangles = Number(/(\d+) triangles/.exec(first)[1]);
  assert.ok(triangles > 1000, first);
  const painted = await paintedPixels(page);
  assert.ok(painted > 5000, `only ${painted} pixels drawn`);
  await page.screenshot({ path: join(profile.path, "..", "scadlive-widget.png") });
  // the customizer: candleStand's "count" slider (3..14)
  const slider = page.locator('.scl-field[data-name="count"] input[type=range]');
  assert.equal(await slider.count(), 1);
  // a shown model with a triangle count other than `t`
  const newModel = (t) => page.waitForFunction((n) => {
    const m = /(\d+) triangles/.exec(document.querySelector(".scl-status")?.textContent || "");
    return m && Number(m[1]) !== n && !document.querySelector(".scl-status").classList.contains("updating") && Number(m[1]);
  }, t, { timeout: 60000 }).then((h) => h.jsonValue());
  // drag: input events only -> the model updates before the slider is let go (a coarse preview)
  await slider.evaluate((el) => { el.value = "12"; el.dispatchEvent(new Event("input", { bubbles: true })); });
  const during = await newModel(triangles);
  // the status names the preview's rung of the ladder (preview.js)
  const status = () => page.evaluate(() => document.querySelector(".scl-status").textContent);
  assert.match(await status(), /\(preview, \$fn (12|8|6)\)$/);
  // release: the full-quality render follows (finer circles than the preview)
  await slider.evaluate((el) => el.dispatchEvent(new Event("change", { bubbles: true })));
  const after12 = await newModel(during);
  assert.doesNotMatch(await status(), /preview/);
  assert.ok(after12 > during, `the full render (${after12} triangles) is not finer than the preview (${during})`);
  assert.equal((await page.evaluate(() => globalThis.models[0].get("params"))).count, 12);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a syntax error shows its line and keeps the last model", { timeout: 120000 }, async () => {
  const page = await testPage.browser.newPage();
  await page.goto(testPage.url(`model=/usr/share/openscad/examples/Basics/CSG.scad`));
  await waitStatus(page, /triangles/);
  const before = await paintedPixels(page);
  await page.evaluate(() => globalThis.models[0].set("source", "cube(10);\n\nx = ;\n"));
  await page.waitForSelector(".scl-error:not([hidden])", { timeout: 60000 });
  const text = await page.locator(".scl-error").textContent();
  assert.match(text, /line 3/);
  assert.ok(await paintedPixels(page) > before * 0.5, "the last good model disappeared");
  await page.close();
});

// A new view draws nothing until its first model (drawing the empty scene
// at once held up the first render's messages, viewer.js); the empty scene
// (grid and axes) comes when no model came within a second, or with an error.
test("a view shows its empty scene while a slow first render runs, and under a first error", { timeout: 120000 }, async () => {
  const page = await testPage.browser.newPage();
  await page.goto(testPage.url("model=/tests/fixtures/scad/slow-sweep.scad"));
  await page.waitForFunction(() => (globalThis.scadliveRenderLog || []).some((e) => e.event === "start"), null, { timeout: 60000 });
  // the grid is drawn while the render still runs (its result would say "triangles")
  const painted = async () => (await paintedPixels(page)) > 0;
  const deadline = Date.now() + 30000;
  while (!(await painted()) && Date.now() < deadline) await page.waitForTimeout(100);
  assert.ok(await painted(), "the empty scene was never drawn");
  assert.doesNotMatch(await status(page), /triangles/);
  await page.close();

  const failing = await testPage.browser.newPage();
  await failing.goto(testPage.url("model=/tests/fixtures/scad/syntax-error.scad"));
  await failing.waitForSelector(".scl-error:not([hidden])", { timeout: 60000 });
  assert.match(await failing.locator(".scl-error").textContent(), /line 4/);
  assert.ok((await paintedPixels(failing)) > 0, "no grid under the error");
  await failing.close();
});

test("ten viewers on one page share one render worker and its few runners", { timeout: 180000 }, async () => {
  const page = await testPage.browser.newPage();
  await page.goto(testPage.url(`model=/usr/share/openscad/examples/Basics/CSG.scad&count=10`));
  await page.waitForFunction(() => [...document.querySelectorAll(".scl-status")].filter((s) => /triangles/.test(s.textContent)).length === 10,
    null, { timeout: 120000 });
  assert.equal(await page.locator("canvas").count(), 10);
  // one render worker, and its OpenSCAD runners: one per lane (a lane per core, 2 to 4) plus two spares
  const lanes = await page.evaluate(() => Math.max(2, Math.min(4, navigator.hardwareConcurrency || 2)));
  assert.ok(page.workers().length <= 1 + lanes + 2, `${page.workers().length} workers for 10 viewers (${lanes} lanes)`);
  await page.close();
});

test("color() shows as face colours and the downloads parse", { timeout: 120000 }, async () => {
  const page = await testPage.browser.newPage({ acceptDownloads: true });
  await page.goto(testPage.url(`model=/usr/share/openscad/examples/Basics/CSG.scad`));
  await waitStatus(page, /triangles/);
  await page.evaluate(() => globalThis.models[0].set("source", 'color("red") cube(20);\ncolor([0, 0, 1]) translate([30, 0, 0]) cube(20);\n'));
  await waitStatus(page, /^24 triangles/);
  const colours = { red: 0, blue: 0 };
  const { data } = await canvasPixels(page);
  for (let k = 0; k < data.length; k += 3) {
    if (data[k] > 120 && data[k + 1] < 60 && data[k + 2] < 60) colours.red++;
    if (data[k + 2] > 120 && data[k] < 60 && data[k + 1] < 60) colours.blue++;
  }
  assert.ok(colours.red > 500 && colours.blue > 500, JSON.stringify(colours));
  // downloads: binary STL (written by the C core) and OpenSCAD's OFF
  const { loadCore } = await import("../../build/wasm/sclcore.mjs");
  const core = await loadCore();
  for (const [label, check] of [["Download STL", (m) => assert.equal(m.stats.triangles, 24)],
    ["Download OFF", (m) => assert.ok(m.faceColors && m.stats.colors)]]) {
    const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: label }).click()]);
    const bytes = readFileSync(await dl.path());
    const mesh = core.parseMesh(bytes);
    check(mesh);
    assert.ok(Math.abs(mesh.stats.volume - 16000) < 1e-6, String(mesh.stats.volume));
  }
  await page.close();
});

test("the OpenSCAD wasm is fetched once and kept in Cache Storage across reloads", { timeout: 120000 }, async () => {
  const context = await testPage.browser.newContext();
  let fetched = 0;
  context.on("request", (r) => { if (r.url().endsWith("/openscad.wasm")) fetched++; });
  const page = await context.newPage();
  await page.goto(testPage.url(`model=/usr/share/openscad/examples/Basics/CSG.scad`));
  await waitStatus(page, /triangles/);
  assert.equal(fetched, 1);
  await page.reload();
  await waitStatus(page, /triangles/);
  assert.equal(fetched, 1, "the reload fetched the wasm again");
  await context.close();
});

// A copy of OpenSCAD's wasm kept in Cache Storage that is bad (garbage
// without the length it was kept with; bytes that do not compile; bytes that
// compile but differ from what was kept) is dropped: the page fetches the
// wasm from its source, renders, and keeps good bytes in its place. The
// pool's first runner, started while the bad copy compiled, is the pool's:
// no runner worker is left behind (Playwright lists the runners, nested in
// the render worker, among the page's workers).
test("a bad copy of OpenSCAD's wasm kept in Cache Storage is replaced by the real one, leaving no runner behind", { timeout: 180000 }, async () => {
  const good = readFileSync(fileURLToPath(new URL("../../build/widget/openscad.wasm", import.meta.url)));
  const goodSha = createHash("sha256").update(good).digest("hex");
  const context = await testPage.browser.newContext();
  let fetched = 0;
  context.on("request", (r) => { if (r.url().endsWith("/openscad.wasm")) fetched++; });
  const page = await context.newPage();
  // each load renders its model (no result kept from the load before: keepResults=0)
  const url = testPage.url("model=/usr/share/openscad/examples/Basics/CSG.scad&keepResults=0");
  // what is kept under the wasm's key, once it has the good length: its SHA-256 and headers
  const keptWasm = () => until(() => page.evaluate(async (size) => {
    const store = await caches.open("scadlive");
    const [key] = (await store.keys()).filter((k) => k.url.endsWith(".wasm"));
    const r = key && await store.match(key);
    if (!r) return null;
    const buf = await r.arrayBuffer();
    if (buf.byteLength !== size) return null;
    const sha = [...new Uint8Array(await crypto.subtle.digest("SHA-256", buf))].map((b) => b.toString(16).padStart(2, "0")).join("");
    return { sha, length: r.headers.get("x-scadlive-length"), keptSha: r.headers.get("x-scadlive-sha256") };
  }, good.length), "the good wasm kept in Cache Storage", { page, timeout: 30000 });
  await page.goto(url);
  await waitStatus(page, /triangles/);
  assert.equal(fetched, 1);
  assert.deepEqual(await keptWasm(), { sha: goodSha, length: String(good.length), keptSha: goodSha });
  // each bad copy is made in the page, from the good one kept there
  const cases = [
    ["garbage, no length", /kept as \(no length\)/],
    ["garbage of the length it was kept with", /does not compile/],
    ["a module, but not the bytes kept", /SHA-256 differs/],
  ];
  for (const [what, reason] of cases) {
    await page.evaluate(async ({ what, goodSha }) => {
      const store = await caches.open("scadlive");
      const [key] = (await store.keys()).filter((k) => k.url.endsWith(".wasm"));
      const good = new Uint8Array(await (await store.match(key)).arrayBuffer());
      let bytes;
      let headers = {};
      if (what === "garbage, no length") bytes = new TextEncoder().encode("not a wasm module at all");
      else if (what === "garbage of the length it was kept with") {
        bytes = new Uint8Array(4096).fill(7);
        headers = { "x-scadlive-length": "4096", "x-scadlive-sha256": "0".repeat(64) };
      } else {
        // a custom section appended: still a module that compiles, but not the bytes that were kept
        const name = new TextEncoder().encode("scadlive-test");
        const section = [0, 1 + name.length + 4, name.length, ...name, 1, 2, 3, 4];
        bytes = new Uint8Array(good.length + section.length);
        bytes.set(good);
        bytes.set(section, good.length);
        headers = { "x-scadlive-length": String(bytes.length), "x-scadlive-sha256": goodSha };
      }
      await store.put(key, new Response(bytes, { headers }));
    }, { what, goodSha });
    await page.reload();
    const shown = await waitStatus(page, /triangles|error|failed/);
    assert.match(shown, /^\d+ triangles/, `${what}: ${shown}`);
    const log = await page.evaluate(() => globalThis.scadliveRenderLog.map((e) => ({ ...e })));
    const dropped = log.filter((e) => e.event === "wasm-dropped");
    assert.equal(dropped.length, 1, `${what}: ${JSON.stringify(log.map((e) => e.event))}`);
    assert.match(dropped[0].reason, reason, what);
    assert.equal(fetched, 2 + cases.findIndex((c) => c[0] === what), `${what}: the wasm was not fetched again`);
    // the good bytes are kept in its place (the worker keeps them once they compiled)
    const kept = await keptWasm();
    assert.deepEqual(kept, { sha: goodSha, length: String(good.length), keptSha: goodSha }, what);
    // every runner worker is one the pool counts (its runner-made/-gone events say how many it has)
    const live = async () => {
      const runners = await page.evaluate(() => globalThis.scadliveRenderLog.filter((e) => e.runners !== undefined).at(-1)?.runners);
      return { workers: page.workers().length, expected: 1 + runners };
    };
    let seen;
    for (const t0 = Date.now(); Date.now() - t0 < 20000; await new Promise((r) => setTimeout(r, 200))) {
      seen = await live();
      if (seen.workers === seen.expected) break;
    }
    assert.equal(seen.workers, seen.expected, `${what}: the page has ${seen.workers} workers, the render worker and its pool's runners are ${seen.expected}`);
  }
  // the next load uses the kept copy: nothing fetched, nothing dropped
  await page.reload();
  await waitStatus(page, /^\d+ triangles/);
  assert.equal(fetched, 1 + cases.length);
  assert.equal(await page.evaluate(() => globalThis.scadliveRenderLog.filter((e) => e.event === "wasm-dropped").length), 0);
  await context.close();
});

test("a render that does not fit the memory budget fails with a clear message", { timeout: 60000 }, async () => {
  const page = await testPage.browser.newPage();
  // 8 MiB: less than one OpenSCAD instance's heap
  await page.goto(testPage.url(`model=/usr/share/openscad/examples/Basics/CSG.scad&budget=8388608`));
  await page.waitForSelector(".scl-error:not([hidden])", { timeout: 60000 });
  const text = await page.locator(".scl-error").textContent();
  assert.match(text, /OpenSCAD instance needs [\d.]+ MiB but only [\d.]+ MiB of the 8.0 MiB memory budget is free/);
  await page.close();
});

test("a stale endless render is abandoned for the latest parameters", { timeout: 90000 }, async () => {
  const page = await testPage.browser.newPage();
  await page.goto(testPage.url(`model=/usr/share/openscad/examples/Basics/CSG.scad`));
  await waitStatus(page, /triangles/);
  // an endless render (tail recursion loops forever), then new parameters behind it
  const seen = await page.evaluate(() => globalThis.scadliveRenderLog.length);
  await page.evaluate(() => globalThis.models[0].set("source", "function spin(n) = n == 0 ? 0 : spin(n - 1);\ncube(spin(1e15) + 1);\n"));
  // the endless render has started (a fixed wait let a loaded machine send the new parameters first)
  await page.waitForFunction((n) => globalThis.scadliveRenderLog.slice(n).some((e) => e.event === "start"), seen, { timeout: 60000 });
  await page.evaluate(() => globalThis.models[0].set("source", "s = 5; // [1:10]\ncube(s);"));
  const text = await waitStatus(page, /^12 triangles/, 30000);
  assert.match(text, /^12 triangles/);
  // the endless render was abandoned, not waited for
  const log = await page.evaluate(() => globalThis.scadliveRenderLog);
  assert.equal(log.filter((e) => e.event === "abandon").length, 1, JSON.stringify(log));
  // and stopped itself: its runner was kept (ready again), not terminated and replaced
  await page.waitForFunction(() => globalThis.scadliveRenderLog.some((e) => e.event === "runner-kept"), null, { timeout: 10000 });
  const after = await page.evaluate(() => globalThis.scadliveRenderLog);
  assert.deepEqual(after.filter((e) => e.event === "runner-gone"), [], "a runner was terminated");
  const counted = after.filter((e) => e.runners !== undefined).at(-1).runners;
  assert.equal(page.workers().length, 1 + counted, "the page's workers are the render worker and the pool's runners");
  // the customizer schema asked for behind the stuck render arrived too
  await page.waitForFunction(() => (globalThis.models[0].get("schema").parameters || [])[0]?.name === "s",
    null, { timeout: 10000 });
  await page.close();
});

test("a /* [Hidden] */ variable set from the kernel renders as a -D define; an unknown name is still refused",
  { timeout: 120000 }, async () => {
    const page = await testPage.browser.newPage();
    await page.goto(testPage.url(`model=/usr/share/openscad/examples/Basics/CSG.scad`));
    await waitStatus(page, /triangles/);
    // the kernel's schema has no field for `sides` (Hidden); a cylinder of n sides has 4n - 4 triangles
    const source = "r = 5; // [1:10]\n/* [Hidden] */\nsides = 4;\ncylinder(r = r, h = 2, $fn = sides);\n";
    await page.evaluate((src) => {
      const m = globalThis.models[0];
      m.set("schema", { parameters: [{ name: "r", type: "number", group: "Parameters", initial: 5, min: 1, max: 10,
        step: 1 }], title: "model" });
      m.set("params", { r: 5, sides: 10 });
      m.set("source", src);
    }, source);
    assert.match(await waitStatus(page, /^36 triangles/), /^36 triangles/);
    await page.evaluate(() => globalThis.models[0].set("params", { r: 5, sidez: 10 }));
    await page.waitForSelector(".scl-error:not([hidden])", { timeout: 60000 });
    assert.match(await page.locator(".scl-error").textContent(), /unknown parameter "sidez"/);
    await page.close();
  });

test("the STL download matches the bridge's render of the same parameters", { timeout: 120000 }, async () => {
  const page = await testPage.browser.newPage({ acceptDownloads: true });
  await page.goto(testPage.url());
  await waitStatus(page, /triangles/);
  const slider = page.locator('.scl-field[data-name="count"] input[type=range]');
  await slider.evaluate((el) => { el.value = "5"; el.dispatchEvent(new Event("change", { bubbles: true })); });
  await page.waitForFunction(() => !document.querySelector(".scl-status").classList.contains("updating") &&
    globalThis.models[0].get("params").count === 5, null, { timeout: 60000 });
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download STL" }).click()]);
  const widgetStl = readFileSync(await dl.path());
  // the same model and parameters through the bridge (scadlive render, OpenSCAD 2025 WASM)
  const dir = mkdtempSync(join(tmpdir(), "scl-cmp-"));
  const out = join(dir, "bridge.stl");
  execFileSync(join(fileURLToPath(new URL("../..", import.meta.url)), "build/native/scadlive"),
    ["render", "/usr/share/openscad/examples/Parametric/candleStand.scad", "-D", "count=5", "-o", out]);
  const { loadCore } = await import("../../build/wasm/sclcore.mjs");
  const core = await loadCore();
  const a = core.parseMesh(widgetStl).stats, b = core.parseMesh(readFileSync(out)).stats;
  rmSync(dir, { recursive: true });
  // same mesh; the page's copy went through OpenSCAD's OFF text, so coordinates agree to its printed precision
  assert.equal(a.triangles, b.triangles);
  assert.equal(a.vertices, b.vertices);
  assert.ok(Math.abs(a.volume - b.volume) < 1e-3 * Math.abs(b.volume), `${a.volume} vs ${b.volume}`);
  for (const k of [0, 1, 2]) assert.ok(Math.abs(a.bbox.max[k] - b.bbox.max[k]) < 1e-3);
  await page.close();
});

test("text() renders with the fonts the host provides, and they are kept in Cache Storage", { timeout: 120000 }, async () => {
  const ctx = await testPage.browser.newContext();
  const page = await ctx.newPage();
  const fetched = [];
  page.on("request", (r) => { if (r.url().endsWith(".ttf")) fetched.push(r.url()); });
  const url = testPage.url(`model=/tests/fixtures/scad/text.scad`);
  await page.goto(url);
  const text = await waitStatus(page, /^\d+ triangles|error/);
  assert.match(text, /^\d+ triangles/, `text() did not render: ${text} / ${await page.locator(".scl-error").textContent()}`);
  assert.ok(Number(text.split(" ")[0]) > 100, `only ${text}`);
  assert.equal(fetched.length, 2);
  // a reload takes the fonts from Cache Storage
  fetched.length = 0;
  await page.reload();
  assert.match(await waitStatus(page, /^\d+ triangles|error/), /^\d+ triangles/);
  assert.equal(fetched.length, 0, `fetched again: ${fetched}`);
  await ctx.close();
});

// A full render is kept in the page's Cache Storage (result-store.js): the
// next load of the same model (source, files, parameters) shows it from
// there, with its warnings and downloads, and OpenSCAD does not run for it.
// A model not seen before renders; a kept entry that is not what was written
// is dropped and the model rendered; over the budget the least recently used
// entries go; keepResults=0 (scadliveKeptResultsBytes = 0) keeps nothing.
test("a model shown before is drawn from the results kept across page loads, without running OpenSCAD", { timeout: 240000 }, async () => {
  const ctx = await testPage.browser.newContext({ acceptDownloads: true });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const url = (extra = "") => testPage.url(`model=/tests/fixtures/scad/warned.scad${extra}`);
  const events = () => page.evaluate(() => globalThis.scadliveRenderLog.map((e) => e.event));
  const warnings = async () => {
    await page.waitForFunction(() => !document.querySelector(".scl-warnings").hidden, null, { timeout: 60000 });
    return page.locator(".scl-warnings").textContent();
  };
  const stl = async () => {
    const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download STL" }).click()]);
    return readFileSync(await dl.path());
  };
  // the kept entries, once `n` of them are written: [{url, length, sha, bodySha}]
  const kept = (n) => until(() => page.evaluate(async (n) => {
    const store = await caches.open("scadlive-results");
    const out = [];
    for (const req of await store.keys()) {
      const r = await store.match(req);
      const body = await r.arrayBuffer();
      const sha = [...new Uint8Array(await crypto.subtle.digest("SHA-256", body))].map((b) => b.toString(16).padStart(2, "0")).join("");
      out.push({ url: req.url, length: Number(r.headers.get("x-scadlive-length")), sha: r.headers.get("x-scadlive-sha256"), bodySha: sha, bytes: body.byteLength });
    }
    return out.length === n && out.every((e) => e.sha === e.bodySha && e.length === e.bytes) && out;
  }, n), `${n} kept results`, { page, timeout: 30000 });

  await page.goto(url());
  const first = await waitStatus(page, /^\d+ triangles/);
  assert.doesNotMatch(first, /kept/);
  const firstWarnings = await warnings();
  assert.match(firstWarnings, /size_not_defined.*line 4/);
  const firstStl = await stl();
  const [entry] = await kept(1);

  // the same model again: from the kept result, OpenSCAD never started
  await page.reload();
  const again = await waitStatus(page, /^\d+ triangles/);
  assert.equal(again, `${first} (kept)`); // the same triangles and OpenSCAD's time of the render kept
  assert.ok((await events()).includes("kept"));
  assert.ok(!(await events()).includes("start"), JSON.stringify(await events()));
  assert.equal(await warnings(), firstWarnings);
  assert.ok((await stl()).equals(firstStl), "the kept result's STL differs from the rendered one");
  // a slider moved after it renders as usual (only a view's first model is looked for)
  await page.evaluate(() => globalThis.models[0].set("source", "cube(10);\ncube(size_not_defined);\ntranslate([20, 0, 0]) sphere(7);\n"));
  await page.waitForFunction(() => globalThis.scadliveRenderLog.some((e) => e.event === "done"), null, { timeout: 60000 });
  assert.doesNotMatch(await waitStatus(page, /^\d+ triangles/), /kept/);
  await kept(2); // (kept a moment after it is shown)

  // a model not seen before: looked for, not found, rendered
  await page.goto(url("&salt=another"));
  assert.doesNotMatch(await waitStatus(page, /^\d+ triangles/), /kept/);
  assert.ok((await events()).includes("kept-miss") && (await events()).includes("start"));

  // a kept entry whose bytes are not those written (one byte changed): dropped, the model rendered and kept again
  const entries = await kept(3); // the model, the one its changed source made, the one not seen before
  await page.evaluate(async (u) => {
    const store = await caches.open("scadlive-results");
    const r = await store.match(u);
    const body = new Uint8Array(await r.arrayBuffer());
    body[body.length - 5] ^= 0xff;
    await store.put(u, new Response(body, { headers: r.headers }));
  }, entry.url);
  await page.goto(url());
  assert.doesNotMatch(await waitStatus(page, /^\d+ triangles/), /kept/);
  assert.ok((await events()).includes("start"));
  // (kept() waits for entries whose bytes are what their headers say)
  assert.ok((await kept(3)).some((e) => e.url === entry.url), "the model rendered was not kept again");

  // a budget of one entry: the least recently used go as a new one is kept
  await page.goto(url(`&salt=third&keptBytes=${Math.floor(entry.length * 1.5)}`));
  await waitStatus(page, /^\d+ triangles/);
  const [only] = await kept(1);
  await page.goto(url(`&salt=third&keptBytes=${Math.floor(entry.length * 1.5)}`));
  assert.match(await waitStatus(page, /^\d+ triangles/), /\(kept\)$/);
  assert.ok(!entries.some((e) => e.url === only.url), "an older entry was kept instead of the newest");
  assert.deepEqual(errors, []);
  await ctx.close();

  // keepResults=0: nothing is kept
  const off = await testPage.browser.newPage();
  await off.goto(testPage.url("model=/tests/fixtures/scad/warned.scad&keepResults=0"));
  await waitStatus(off, /^\d+ triangles/);
  await off.waitForTimeout(2500); // results are kept 1 s after they are shown (worker.js)
  assert.equal(await off.evaluate(async () => (await (await caches.open("scadlive-results")).keys()).length), 0);
  assert.ok(!(await off.evaluate(() => globalThis.scadliveRenderLog.map((e) => e.event))).includes("kept-miss"));
  await off.close();
});

test("parameters set by the host (Python) move the slider and re-render", { timeout: 120000 }, async () => {
  const page = await testPage.browser.newPage();
  await page.goto(testPage.url());
  const first = await waitStatus(page, /^\d+ triangles/);
  const slider = page.locator('.scl-field[data-name="count"] input[type=range]');
  const before = await slider.inputValue();
  const count = before === "9" ? 4 : 9;
  await page.evaluate((n) => {
    const m = globalThis.models[0];
    m.set("params", { ...m.get("params"), count: n });
  }, count);
  assert.equal(await slider.inputValue(), String(count));
  assert.equal(await page.locator('.scl-field[data-name="count"] .scl-number').inputValue(), String(count));
  await page.waitForFunction((t) => {
    const s = document.querySelector(".scl-status");
    return !s.classList.contains("updating") && /^\d+ triangles/.test(s.textContent) && s.textContent.split(",")[0] !== t;
  }, first.split(",")[0], { timeout: 60000 });
  await page.close();
});

test("OpenSCAD's warnings are shown with their line, also for cached results", { timeout: 120000 }, async () => {
  const page = await testPage.browser.newPage();
  await page.goto(testPage.url(`model=/usr/share/openscad/examples/Basics/CSG.scad`));
  await waitStatus(page, /^\d+ triangles/);
  assert.equal(await page.locator(".scl-warnings").isVisible(), false);
  const setSource = (src) => page.evaluate((s) => globalThis.models[0].set("source", s), src);
  const warned = async () => {
    await page.waitForFunction(() => !document.querySelector(".scl-warnings").hidden, null, { timeout: 60000 });
    return page.locator(".scl-warnings").textContent();
  };
  await setSource("cube(10);\ncube(size_not_defined);\n");
  assert.match(await warned(), /size_not_defined.* in file CSG\.scad, line 2/); // the model's name, not the renderer's path
  assert.deepEqual((await page.evaluate(() => globalThis.models[0].get("warnings"))).length, 1);
  await setSource("cube(3);\n");
  await page.waitForFunction(() => document.querySelector(".scl-warnings").hidden, null, { timeout: 60000 });
  await setSource("cube(10);\ncube(size_not_defined);\n"); // from the cache now
  assert.match(await warned(), /size_not_defined.*line 2/);
  assert.match(await status(page), /\(cache\)/);
  await page.close();
});

test("theme 'auto' follows the host's light/dark theme (JupyterLab's attribute, marimo's class)", { timeout: 120000 }, async () => {
  const page = await testPage.browser.newPage();
  await page.goto(testPage.url(`model=/usr/share/openscad/examples/Basics/CSG.scad`));
  await waitStatus(page, /^\d+ triangles/);
  const isDark = async () => (await backgroundColor(page)).every((v) => v < 80);
  const isLight = async () => (await backgroundColor(page)).every((v) => v > 200);
  assert.ok(await isLight(), "light with theme 'light'");
  await page.evaluate(() => { document.body.dataset.jpThemeLight = "false"; });
  assert.ok(await isLight(), "theme 'light' ignores the host");
  await page.evaluate(() => globalThis.models[0].set("theme", "auto"));
  assert.ok(await isDark(), "dark: JupyterLab says data-jp-theme-light=false");
  await page.evaluate(() => { document.body.dataset.jpThemeLight = "true"; });
  assert.ok(await isLight(), "light: JupyterLab says data-jp-theme-light=true");
  await page.evaluate(() => { delete document.body.dataset.jpThemeLight; document.documentElement.classList.add("dark"); });
  assert.ok(await isDark(), "dark: marimo's dark class");
  await page.close();
});

test("a model without colours offers both downloads of the same mesh (the OFF written from it)", { timeout: 120000 }, async () => {
  const page = await testPage.browser.newPage({ acceptDownloads: true });
  await page.goto(testPage.url(`model=/usr/share/openscad/examples/Basics/CSG.scad`));
  const text = await waitStatus(page, /triangles/);
  const { loadCore } = await import("../../build/wasm/sclcore.mjs");
  const core = await loadCore();
  const stats = [];
  for (const label of ["Download STL", "Download OFF"]) {
    const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: label }).click()]);
    stats.push(core.parseMesh(readFileSync(await dl.path())).stats);
  }
  assert.equal(stats[0].triangles, Number(/(\d+) triangles/.exec(text)[1]));
  assert.equal(stats[1].triangles, stats[0].triangles);
  assert.equal(stats[1].vertices, stats[0].vertices);
  assert.ok(Math.abs(stats[1].volume - stats[0].volume) < 1e-6 * stats[0].volume);
  await page.close();
});

test("a page whose viewers render in the kernel never loads OpenSCAD's wasm", { timeout: 120000 }, async () => {
  const page = await testPage.browser.newPage();
  const wasm = [];
  page.on("request", (r) => { if (r.url().endsWith("openscad.wasm")) wasm.push(r.url()); });
  await page.goto(testPage.url(`renderer=kernel`));
  // the worker is up: the C core parsed the customizer (the page's model has no schema)
  await page.waitForSelector('.scl-field[data-name="count"]', { state: "attached", timeout: 60000 });
  assert.deepEqual(wasm, []);
  assert.ok(await page.locator(".scl-status.updating").count() === 1, "waits for the kernel's model");
  // switching to the browser loads it and renders
  await page.evaluate(() => globalThis.models[0].set("renderer", "browser"));
  await waitStatus(page, /^\d+ triangles/);
  assert.equal(wasm.length, 1);
  await page.close();
});
