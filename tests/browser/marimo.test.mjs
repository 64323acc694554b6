// Notebooks in a real marimo server (started here) with the scadlive package,
// its bridge, and Debian's Chromium.
// - The demo notebook: the model appears, the cell that awaits render_async
//   in a loop completes, a slider moves the model and viewer.params follows
//   (a dependent cell re-runs), and the export cell writes an STL file.
// - What only the kernel has: fonts for text() and MCAD, sent to the page.
// - Where a viewer renders: renderer="auto" falls back to the kernel when
//   the page cannot render (here: a memory budget too small for OpenSCAD),
//   and renderer="kernel" renders through the bridge; both follow sliders.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { canvasPixels, deepProps, deepTexts, freePort, moveSlider, paintedPixels, startServerProcess, stopProcess, until, useChromium }
  from "./lib.mjs";
import { SLOW_MODEL, checkCancel, checkDragAndRelease, checkLightBesideSlow, shown as shownWith } from "./heavy-checks.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const chromium = useChromium();
const servers = [];
const workdirs = [];

after(() => {
  for (const s of servers) stopProcess(s);
  for (const d of workdirs) rmSync(d, { recursive: true, force: true });
});

// `marimo run` of one notebook in a fresh working directory.
async function marimo(notebook) {
  const workdir = mkdtempSync(join(tmpdir(), "scl-marimo-"));
  workdirs.push(workdir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const log = join(workdir, "marimo.log");
  servers.push(await startServerProcess(join(ROOT, ".venv/bin/marimo"), ["run", notebook, "--host", "127.0.0.1",
    "--port", String(port), "--headless", "--no-token"], {
    cwd: workdir, env: { ...process.env, PYTHONPATH: join(ROOT, "python"), SCADLIVE_SLOW_MODEL: join(ROOT, SLOW_MODEL) }, log, url,
  }));
  return { url, workdir, log };
}

test("the demo notebook renders, awaits render_async, follows a slider and exports", { timeout: 300000 }, async () => {
  const { url, workdir, log } = await marimo(join(ROOT, "notebooks/demo.py"));
  const page = await chromium.browser.newPage({ viewport: { width: 1300, height: 1100 } });
  const wait = (fn, what) => until(fn, what, { page, log });
  await page.goto(url);
  await wait(async () => /triangles/.test((await deepTexts(page, ".scl-status"))[0] || ""), "the model");
  // the cell awaiting render_async six times completes inside the running kernel
  const body = await wait(async () => {
    const t = await page.evaluate(() => document.body.innerText);
    return /Triangles per candle count: 3: \d+, 4: \d+, 5: \d+, 6: \d+, 7: \d+, 8: \d+/.test(t) && t;
  }, "the render_async loop");
  assert.match(body, /Triangles per candle count/);
  // the loop set viewer.params from Python: the slider followed
  await wait(async () => (await deepProps(page, '.scl-field[data-name="count"] input[type=range]', "value"))[0] === "8",
    "the count slider to show the 8 that Python set");
  // move the "count" slider in the widget: viewer.params follows in Python
  await moveSlider(page, '.scl-field[data-name="count"] input[type=range]', 11);
  await wait(async () => /'count': 11/.test(await page.evaluate(() => document.body.innerText)), "viewer.params to follow");
  // the export cell writes the STL into the kernel's working directory
  await page.getByRole("button", { name: "Export STL" }).click();
  const stl = join(workdir, "candleStand.stl");
  await wait(async () => existsSync(stl) && readFileSync(stl).length > 84, "the exported STL");
  const bytes = readFileSync(stl);
  assert.equal(bytes.length, 84 + 50 * bytes.readUInt32LE(80));
  await page.close();
});

test("renderer='auto' falls back to the kernel when the page cannot render; 'kernel' renders in the kernel",
  { timeout: 300000 }, async () => {
    const { url, log } = await marimo(join(ROOT, "tests/browser/notebooks/renderers.py"));
    const page = await chromium.browser.newPage({ viewport: { width: 1300, height: 1100 } });
    const wait = (fn, what) => until(fn, what, { page, log });
    // a page budget of 8 MiB: no OpenSCAD instance fits, so the page cannot render
    await page.addInitScript(() => { globalThis.scadliveMemoryBudget = 8 * 1024 * 1024; });
    await page.goto(url);
    const statuses = () => deepTexts(page, ".scl-status");
    const [auto0, kernel0] = await wait(async () => {
      const s = await statuses();
      return s.length === 2 && s.every((t) => /^\d+ triangles, \d+ ms \(kernel/.test(t)) && s;
    }, "both viewers to show a model rendered in the kernel");
    assert.match(kernel0, /^20 triangles/); // cylinder with $fn=6: 4n-4 triangles
    for (const i of [0, 1]) {
      const painted = await paintedPixels(page, i);
      assert.ok(painted > 1500, `viewer ${i}: only ${painted} pixels drawn`);
    }
    // the kernel knows why the page could not render
    await wait(async () => /fallback='.*memory budget/.test(await page.evaluate(() => document.body.innerText)),
      "viewer.fallback_reason to name the memory budget");
    // sliders: the kernel renders the new parameters for both viewers
    await moveSlider(page, '.scl-field[data-name="count"] input[type=range]', 11);
    await wait(async () => {
      const [a] = await statuses();
      return /\(kernel/.test(a) && a.split(",")[0] !== auto0.split(",")[0];
    }, "the auto viewer's kernel render of count=11");
    await moveSlider(page, '.scl-field[data-name="n"] input[type=range]', 30);
    await wait(async () => /^116 triangles, \d+ ms \(kernel/.test((await statuses())[1]), "the kernel viewer's render of n=30");
    await wait(async () => /auto count=11 kernel n=30/.test(await page.evaluate(() => document.body.innerText)),
      "viewer.params of both to follow");
    const errors = await deepTexts(page, ".scl-error");
    assert.ok(errors.every((t) => !t), `no error is shown: ${errors}`);
    await page.close();
  });

test("the page renders models needing the kernel's fonts (text()) and libraries (MCAD)", { timeout: 300000 }, async () => {
  const { url, log } = await marimo(join(ROOT, "tests/browser/notebooks/kernel-files.py"));
  const page = await chromium.browser.newPage({ viewport: { width: 1300, height: 900 } });
  await page.goto(url);
  const statuses = await until(async () => {
    const s = await deepTexts(page, ".scl-status");
    return s.length === 2 && s.every((t) => /^\d+ triangles|error/.test(t)) && s;
  }, "both models", { page, log });
  const errors = await deepTexts(page, ".scl-error");
  for (const [i, what] of [[0, "text()"], [1, "MCAD gear"]]) {
    // rendered in the page (not "(kernel)"), maybe again from its cache
    assert.match(statuses[i], /^\d+ triangles, \d+ ms( \(cache\))?$/, `${what}: ${statuses[i]}: ${errors[i]}`);
    assert.ok(Number(statuses[i].split(" ")[0]) > 100, `${what}: ${statuses[i]}`);
    assert.ok(await paintedPixels(page, i) > 500, `${what}: nothing drawn`);
  }
  await page.close();
});

test("marimo-openscad's openscad_viewer: 'local' renders in the kernel, 'wasm' in the page; update_model and update_scad_code",
  { timeout: 300000 }, async () => {
    const { url, log } = await marimo(join(ROOT, "tests/browser/notebooks/openscad-viewer.py"));
    const page = await chromium.browser.newPage({ viewport: { width: 1300, height: 900 } });
    await page.goto(url);
    const [local, wasm] = await until(async () => {
      const s = await deepTexts(page, ".scl-status");
      return s.length === 2 && /^36 triangles/.test(s[0]) && /^44 triangles/.test(s[1]) && s;
    }, "both viewers to show their updated models (36 and 44 triangles)", { page, log });
    // cylinders with $fn = n have 4n - 4 triangles: the models set by update_model / update_scad_code
    assert.match(local, /^36 triangles, .*\(kernel/, local);
    assert.match(wasm, /^44 triangles, \d+ ms/, wasm);
    assert.doesNotMatch(wasm, /kernel/);
    for (const i of [0, 1]) assert.ok(await paintedPixels(page, i) > 500, `viewer ${i}: nothing drawn`);
    await page.close();
  });

test("library files reach the page once per page; colours survive render_async", { timeout: 300000 }, async () => {
  const { url, log } = await marimo(join(ROOT, "tests/browser/notebooks/models.py"));
  const page = await chromium.browser.newPage({ viewport: { width: 1300, height: 1600 }, acceptDownloads: true });
  const wait = (fn, what) => until(fn, what, { page, log });
  await page.goto(url);
  // three views of models including the same 101 files, each rendered in the page
  const statuses = () => deepTexts(page, ".scl-status");
  await wait(async () => {
    const s = await statuses();
    return s.length === 5 && s.slice(0, 3).every((t) => /^\d+ triangles, \d+ ms( \(cache\))?$/.test(t)) && s;
  }, "the three library models rendered in the page");
  // a re-render with new parameters uses the page's copies
  await moveSlider(page, '.scl-field[data-name="size"] input[type=range]', 9, 0);
  await wait(async () => /^\d+ triangles/.test((await statuses())[0]) &&
    !(await deepProps(page, ".scl-status", "className"))[0].includes("updating"), "the re-render");
  const received = await page.evaluate(() => globalThis.scadliveFilesReceived);
  assert.equal(received, 101, `${received} file contents crossed the wire for 101 distinct files and three views`);
  for (const i of [0, 1, 2]) assert.ok(await paintedPixels(page, i) > 500, `view ${i}: nothing drawn`);
  // the coloured model: render_async returned STL to Python...
  await wait(async () => /render_async returned \d+ bytes of STL \(24 triangles\)/.test(await page.evaluate(() => document.body.innerText)),
    "render_async's result");
  // ...and the page still shows its own coloured render of those parameters
  await wait(async () => /^24 triangles, \d+ ms( \(cache\))?$/.test((await statuses())[3]), "the page's own render of size=12");
  const { data } = await canvasPixels(page, 3);
  const colours = { red: 0, blue: 0 };
  for (let k = 0; k < data.length; k += 3) {
    if (data[k] > 120 && data[k + 1] < 60 && data[k + 2] < 60) colours.red++;
    if (data[k + 2] > 120 && data[k] < 60 && data[k + 1] < 60) colours.blue++;
  }
  assert.ok(colours.red > 300 && colours.blue > 300, `colours after render_async: ${JSON.stringify(colours)}`);
  // the failing kernel render (the fifth view): its cause once in the banner, its log in the console
  const banner = await wait(async () => (await deepTexts(page, ".scl-error"))[4], "the kernel's error in the fifth view");
  assert.match(banner, /^(model\.scad, )?line 2: Assertion 'false' failed: "boom"$/, banner);
  const consoleText = (await deepTexts(page, ".scl-console"))[4];
  assert.match(consoleText, /ECHO"about to fail", 42/, consoleText);
  assert.match(consoleText, /ERRORAssertion 'false' failed/, consoleText);
  assert.equal((await statuses())[4], "error", "no model was ever shown there");
  // render_async again with the parameters shown: the kernel's STL comes after the page's own
  // coloured render of them, and does not replace it
  await page.getByRole("button", { name: "render_async again" }).click();
  await wait(async () => /render_async again returned \d+ bytes/.test(await page.evaluate(() => document.body.innerText)),
    "the second render_async");
  await new Promise((r) => setTimeout(r, 3000)); // the kernel's mesh message, sent before the cell's output, is handled
  assert.match((await statuses())[3], /^24 triangles, \d+ ms( \(cache\))?$/, "the page's own render is still shown");
  const again = await canvasPixels(page, 3);
  let red = 0;
  for (let k = 0; k < again.data.length; k += 3) if (again.data[k] > 120 && again.data[k + 1] < 60 && again.data[k + 2] < 60) red++;
  assert.ok(red > 300, `colours after the second render_async: ${red} red pixels`);
  // both downloads stay available
  const enabled = await deepProps(page, ".scl-download", "disabled");
  const labels = await deepTexts(page, ".scl-download");
  const view3 = labels.map((l, i) => [l, enabled[i]]).slice(3 * 5, 4 * 5);
  assert.deepEqual(view3.filter(([l]) => /STL|OFF/.test(l)).map(([, d]) => d), [false, false], JSON.stringify(view3));
  await page.close();
});

test("a slow model stays live: few renders for a drag, the release at once, Cancel, a light view beside it",
  { timeout: 900000 }, async () => {
    const { url } = await marimo(join(ROOT, "tests/browser/notebooks/heavy.py"));
    const page = await chromium.browser.newPage({ viewport: { width: 1300, height: 1100 } });
    await page.goto(url);
    await checkDragAndRelease(page);
    await checkLightBesideSlow(page, 17);
    await checkCancel(page);
    await page.close();
  });

test("parameter sets round-trip with OpenSCAD's own CLI; save_screenshot and save_frames write after their cell returned",
  { timeout: 600000 }, async () => {
    const { url, workdir, log } = await marimo(join(ROOT, "tests/browser/notebooks/viewer-tools.py"));
    const page = await chromium.browser.newPage({ viewport: { width: 1300, height: 1400 }, acceptDownloads: true });
    const wait = (fn, what) => until(fn, what, { page, log });
    const statuses = () => deepTexts(page, ".scl-status");
    await page.goto(url);
    await wait(async () => (await statuses()).filter((t) => /^\d+ triangles/.test(t)).length === 2, "both models");
    const { loadCore } = await import("../../build/wasm/sclcore.mjs");
    const core = await loadCore();
    const box = page.locator(".scl-root").first();
    // the page's STL of what it shows vs OpenSCAD 2021's own render of a set (-p/-P): same box and volume
    const pageMesh = async () => {
      const [dl] = await Promise.all([page.waitForEvent("download"), box.getByRole("button", { name: "Download STL" }).click()]);
      return core.parseMesh(readFileSync(await dl.path())).stats;
    };
    const openscadMesh = (set) => {
      const out = join(workdir, `${set}.stl`);
      execFileSync("openscad", ["-p", join(workdir, "presets-box.json"), "-P", set, "-o", out, join(workdir, "presets-box.scad")],
        { stdio: "pipe", timeout: 120000 });
      return core.parseMesh(readFileSync(out)).stats;
    };
    const sameMesh = (a, b, what) => {
      for (const k of ["min", "max"]) a.bbox[k].forEach((v, i) => assert.ok(Math.abs(v - b.bbox[k][i]) < 1e-4, `${what}: bbox ${k} ${a.bbox[k]} vs ${b.bbox[k]}`));
      assert.ok(Math.abs(a.volume - b.volume) < 1e-6 * b.volume, `${what}: volume ${a.volume} vs ${b.volume}`);
    };
    // the sets of the OpenSCAD-format file are listed; "wide" applied in the page
    const sets = await deepProps(page, ".scl-preset-select option", "value");
    assert.ok(sets.includes("wide") && sets.includes("small"), `sets: ${sets}`);
    const before = (await statuses())[0];
    await box.locator(".scl-preset-select").selectOption("wide");
    await box.locator(".scl-preset-apply").click();
    await wait(async () => { const s = (await statuses())[0]; return s !== before && /^\d+ triangles/.test(s); }, "the wide set's model");
    assert.equal(await box.locator('.scl-field[data-name="width"] .scl-number').inputValue(), "48");
    sameMesh(await pageMesh(), openscadMesh("wide"), "wide");
    // a value typed in the panel, saved as a new set: the kernel writes it to the file, OpenSCAD renders the same
    const shown = (await statuses())[0];
    await box.locator('.scl-field[data-name="width"] .scl-number').fill("33");
    await box.locator('.scl-field[data-name="width"] .scl-number').press("Enter");
    await box.locator('.scl-field[data-name="height"] .scl-number').fill("7.5");
    await box.locator('.scl-field[data-name="height"] .scl-number').press("Enter");
    await wait(async () => { const s = (await statuses())[0]; return s !== shown && /^\d+ triangles/.test(s); }, "the typed values' model");
    await box.locator(".scl-preset-name").fill("panel set");
    await box.locator(".scl-preset-save").click();
    const file = join(workdir, "presets-box.json");
    await wait(async () => /"panel set"/.test(readFileSync(file, "utf8")), "the saved set in presets-box.json");
    const written = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(written.fileFormatVersion, "1");
    assert.deepEqual(written.parameterSets["panel set"], { depth: "12", height: "7.5", label: "wide one", offset: "[1, 2, 0]", post: "true", width: "33" });
    assert.deepEqual(written.parameterSets.small, { depth: "5", height: "1", label: "B", offset: "[0, 0, 0]", post: "false", width: "5" },
      "a set OpenSCAD wrote keeps its strings");
    await shownWith(page, "(p) => p.width === 33 && p.height === 7.5", 0, 120000); // the page's render of both typed values
    sameMesh(await pageMesh(), openscadMesh("panel set"), "panel set");
    // save_screenshot: the cell returns first, the PNG (the view's size) arrives after
    await page.getByRole("button", { name: "Screenshot" }).click();
    await wait(async () => /on disk when the cell returned: False/.test(await page.evaluate(() => document.body.innerText)), "the screenshot cell");
    const shot = join(workdir, "shot.png");
    await wait(async () => existsSync(shot), "shot.png");
    const png = readFileSync(shot);
    const [width, height] = await Promise.all(["width", "height"].map(async (p) => (await deepProps(page, ".scl-view canvas", p))[0]));
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [width, height]);
    // save_frames of the animated model: four PNGs, all different
    await page.getByRole("button", { name: "Save frames" }).click();
    await wait(async () => /done when the cell returned: False/.test(await page.evaluate(() => document.body.innerText)), "the frames cell");
    const frames = [0, 1, 2, 3].map((i) => join(workdir, "frames", `model-frame${String(i).padStart(5, "0")}.png`));
    await wait(async () => frames.every((f) => existsSync(f)), "four frames on disk");
    const bytes = frames.map((f) => readFileSync(f).toString("base64"));
    assert.equal(new Set(bytes).size, 4, "the frames differ");
    await page.close();
  });

test("a 2D model rendered in the kernel offers SVG and the kernel's DXF downloads", { timeout: 300000 }, async () => {
  const { url, log } = await marimo(join(ROOT, "tests/browser/notebooks/kernel-2d.py"));
  const page = await chromium.browser.newPage({ viewport: { width: 1300, height: 900 }, acceptDownloads: true });
  await page.goto(url);
  await until(async () => /^2D shape/.test((await deepTexts(page, ".scl-status"))[0] || ""),
    "the kernel's 2D shape to be shown", { page, log });
  const downloaded = async (label) => {
    const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: label }).click()]);
    return readFileSync(await dl.path());
  };
  const dxf = (await downloaded("Download DXF")).toString();
  // the same file OpenSCAD's DXF export gives through the CLI, for the same model
  const dir = mkdtempSync(join(tmpdir(), "scl-dxf-"));
  workdirs.push(dir);
  const source = readFileSync(join(ROOT, "tests/browser/notebooks/kernel-2d.py"), "utf8").split('"""')[1];
  const scad = join(dir, "gasket.scad");
  writeFileSync(scad, source);
  execFileSync(join(ROOT, "build/native/scadlive"), ["render", scad, "-o", join(dir, "gasket.dxf")],
    { env: { ...process.env, XDG_RUNTIME_DIR: dir } });
  assert.match(dxf, /ENTITIES/);
  assert.equal(dxf, readFileSync(join(dir, "gasket.dxf"), "utf8"));
  assert.match((await downloaded("Download SVG")).toString(), /<svg/);
  const errors = await deepTexts(page, ".scl-error");
  assert.ok(errors.every((t) => !t), `no error is shown: ${errors}`);
  await page.close();
});
