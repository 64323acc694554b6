// browser.bench.mjs - the widget in headless Chromium (Debian's), measured on
// the standalone test page: cold start to first pixels, warm re-render to
// pixels (CSG.scad and candleStand.scad), slider drag to pixels (p95), cache
// hit to pixels, first pixels with cached assets (and where the time went),
// a slow model (drag feedback, release to the final model, a light viewer
// beside it), and page memory with 10 viewers. "To pixels" = until the
// status line shows the new model, which the page updates right after drawing.
// Memory with 10 viewers is what Chromium's processes hold (proportional set
// size from /proc/<pid>/smaps_rollup, Linux only): the page's renderer process
// (DOM, main-thread JS, the worker and its WebAssembly memory), the GPU
// process (the 10 WebGL canvases, SwiftShader), and all of this bench's
// Chromium processes together (conservative: it includes renderers Chromium
// keeps from the bench's earlier, closed pages); a blank page in the same
// browser, measured first, for reference.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startServer } from "../widget/test-page/server.mjs";

const server = await startServer();
const base = `http://127.0.0.1:${server.address().port}`;
const profile = mkdtempSync(join(tmpdir(), "scl-bench-chromium-"));
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium", headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--use-gl=swiftshader", "--enable-unsafe-swiftshader",
    "--enable-precise-memory-info"],
});
// This process's Chromium processes (descendants of this node process), by kind.
function chromiumMemory() {
  const parent = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch { /* exited */ }
  }
  const mine = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parent) if (!mine.has(pid) && mine.has(ppid)) { mine.add(pid); grew = true; }
  }
  mine.delete(process.pid);
  const out = { renderer: 0, gpu: 0, total: 0, renderers: [] };
  for (const pid of mine) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!/chrom/.test(cmd)) continue;
      const pss = Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))[1]) * 1024;
      const type = (/--type=([\w-]+)/.exec(cmd) || [, "browser"])[1];
      if (type === "renderer") { out.renderer = Math.max(out.renderer, pss); out.renderers.push(pss); }
      if (type === "gpu-process") out.gpu += pss;
      out.total += pss;
    } catch { /* exited */ }
  }
  return out;
}
const MiB = 1 << 20;

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * (xs.length - 1) + 0.5))];

// Time from running `action` in the page until the status shows a different
// model, polled once per animation frame (so it includes the wait for the
// frame). `statusSet` collects, for information, when the status text changed
// (a MutationObserver: the model was drawn, no frame wait).
const statusSet = [];
const statusTexts = []; // the status line each measured change ended with
// OpenSCAD's own time for the shown model, as the status line reports it ("N triangles, T ms")
const openscadMs = (text) => Number((/, (\d+) ms/.exec(text) || [])[1]);
async function toPixels(page, action, view = 0) {
  const [t, set, text] = await page.evaluate(async ([src, n]) => {
    const status = document.querySelectorAll(".scl-status")[n];
    const before = status.textContent;
    let set = -1;
    const mo = new MutationObserver(() => {
      if (set < 0 && status.textContent !== before && /triangles/.test(status.textContent)) set = performance.now() - t0;
    });
    mo.observe(status, { childList: true, characterData: true, subtree: true });
    const t0 = performance.now();
    (0, eval)(src);
    await new Promise((resolve, reject) => {
      const check = () => (status.textContent !== before && !status.classList.contains("updating") && /triangles/.test(status.textContent)
        ? resolve() : performance.now() - t0 > 120000 ? reject(new Error(`no new model in 120 s; status: ${status.textContent}`))
          : requestAnimationFrame(check));
      check();
    });
    mo.disconnect();
    return [performance.now() - t0, set, status.textContent];
  }, [action, view]);
  statusSet.push(set);
  statusTexts.push(text);
  return t;
}

// reference: the same browser with one blank page, before anything else ran
const blank = await (async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto("about:blank");
  await page.waitForTimeout(1000);
  const m = chromiumMemory();
  await ctx.close();
  return m;
})();

// SCADLIVE_BENCH_ONLY=slow,candle runs only those parts (light, candle,
// first, slow, memory), e.g. for an A/B of two bundles; all by default
const only = process.env.SCADLIVE_BENCH_ONLY?.split(",");
const wanted = (part) => !only || only.includes(part);
const results = [];
// baseline: {name, value} measured in the same run; the row then shows value / baseline
const row = (name, value, target, unit = "ms", baseline = null) => results.push({ name, value, target, unit, baseline });

// cold start: a fresh context (no Cache Storage), page load to first model
if (wanted("light")) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const t0 = Date.now();
  await page.goto(`${base}/widget/test-page/index.html?model=/usr/share/openscad/examples/Basics/CSG.scad`);
  await page.waitForFunction(() => /triangles/.test(document.querySelector(".scl-status")?.textContent || ""));
  row("cold start to first pixels (CSG.scad, wasm fetched and compiled)", Date.now() - t0, "");
  // warm re-render: change a parameter-free model by editing its source
  const warm = [];
  statusTexts.length = 0;
  for (let i = 0; i < 9; i++)
    warm.push(await toPixels(page, `globalThis.models[0].set("source", "$fn=${40 + i};\\n" + globalThis.models[0].get("source").replace(/^\\$fn=\\d+;\\n/, ""))`));
  row("warm re-render to pixels, CSG.scad (median of 9)", pct(warm, 0.5), "<= 150 ms", "ms",
    { name: "OpenSCAD's own render time in the worker, median", value: pct(statusTexts.map(openscadMs), 0.5) });
  const hits = [];
  statusSet.length = 0;
  for (let i = 0; i < 9; i++)
    hits.push(await toPixels(page, `globalThis.models[0].set("source", "$fn=${40 + (i % 2)};\\n" + globalThis.models[0].get("source").replace(/^\\$fn=\\d+;\\n/, ""))`));
  // baseline: a change that costs nothing (the status text set on the next task), polled the same way
  const free = [];
  for (let i = 0; i < 9; i++)
    free.push(await toPixels(page, `setTimeout(() => { document.querySelector(".scl-status").textContent = "${i} triangles, 0 ms (baseline)"; })`));
  row("cache hit to pixels (median of the last 7 of 9 hits)", pct(hits.slice(2), 0.5), "<= 16 ms", "ms",
    { name: "a free status change, polled the same way (the frame wait), median", value: pct(free, 0.5) });
  row("  the same hits: status set, without the wait for the next frame (median)", pct(statusSet.slice(2, 9), 0.5), "");
  await ctx.close();
}
// candleStand: warm re-render and slider drags
if (wanted("candle")) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${base}/widget/test-page/index.html`);
  await page.waitForFunction(() => /triangles/.test(document.querySelector(".scl-status")?.textContent || ""));
  const full = [], drag = [];
  statusTexts.length = 0;
  for (let i = 0; i < 6; i++)
    full.push(await toPixels(page, `(() => { const s = document.querySelector('.scl-field[data-name="count"] input[type=range]'); s.value = "${4 + i}"; s.dispatchEvent(new Event("change")); })()`));
  for (let i = 0; i < 12; i++)
    drag.push(await toPixels(page, `(() => { const s = document.querySelector('.scl-field[data-name="count"] input[type=range]'); s.value = "${3 + (i % 11)}"; s.dispatchEvent(new Event("input")); })()`));
  const own = statusTexts.map(openscadMs);
  row("warm re-render to pixels, candleStand.scad, slider release (median of 6)", pct(full, 0.5), "", "ms",
    { name: "OpenSCAD's own time, median", value: pct(own.slice(0, 6), 0.5) });
  // which rungs of the preview ladder were shown ("preview, $fn N" in the status)
  const rungs = {};
  for (const text of statusTexts.slice(6)) {
    const fn = (/\$fn (\d+)/.exec(text) || [, "full"])[1];
    rungs[fn] = (rungs[fn] || 0) + 1;
  }
  const shown = Object.entries(rungs).sort((a, b) => Number(b[0]) - Number(a[0])).map(([fn, n]) => `${n} at $fn ${fn}`).join(", ");
  row(`slider drag to pixels, candleStand.scad, coarse preview (p95 of 12: ${shown})`, pct(drag, 0.95), "<= 150 ms p95", "ms",
    { name: "OpenSCAD's own preview time, p95", value: pct(own.slice(6), 0.95) });
  await ctx.close();
}
// First pixels with cached assets (the wasm in Cache Storage, widget.js in
// the HTTP cache): page load to the first model drawn, 5 loads after one
// that filled the caches, with where the time went (performance marks of the
// page, the render worker's log), each stage's median in ms from the start
// of the navigation (RAW=1 prints each load's). First pixels are the frame
// with the model: the first task after that frame's animation callbacks
// (with software GL the frame's commit reads the canvas back, ~90 ms here);
// "model drawn" is the WebGL draw call before it. Each load's model is one
// not rendered before (CSG.scad with a comment naming the load: its result
// is not among those kept from earlier loads, so OpenSCAD renders it);
// then 5 loads of one model shown before (its result kept, result-store.js).
if (wanted("first")) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const urlOf = (salt) => `${base}/widget/test-page/index.html?model=/usr/share/openscad/examples/Basics/CSG.scad&salt=${salt}`;
  const load = async (url) => {
    await page.goto(url);
    await page.waitForFunction(() => performance.getEntriesByName("scadlive:first-frame").length > 0, null, { timeout: 120000 });
    return page.evaluate(() => {
      const at = (name) => performance.getEntriesByName(`scadlive:${name}`)[0]?.startTime ?? NaN;
      const log = globalThis.scadliveRenderLog;
      const ev = (name) => (log.find((e) => e.event === name)?.t ?? NaN) - performance.timeOrigin;
      const nav = performance.getEntriesByType("navigation")[0];
      const script = performance.getEntriesByType("resource").find((r) => r.name.endsWith("/widget.js"));
      return {
        "page loaded (HTML)": nav.responseEnd, "widget.js loaded": script?.responseEnd ?? NaN,
        "first view made (render called)": at("first-view"), "first render asked": at("first-render-asked"),
        "render worker created": at("worker-created"),
        "render worker's script evaluated": ev("script-evaluated"), "C core loaded (in the worker)": ev("core-loaded"), "worker's start seen by the page (its ready reply)": at("worker-ready"),
        "render asked, as the worker got it": ev("request"), "kept results looked through (none for this model)": ev("kept-miss"),
        "model found among the kept results": ev("kept"),
        "wasm bytes read (Cache Storage, in the worker)": ev("wasm-read"),
        "wasm compiled in the worker": ev("compiled"), "first OpenSCAD runner ready": ev("runner-ready"),
        "render started": ev("start"), "render done (in the worker)": ev("done"), "model drawn (WebGL draw call)": at("first-draw"),
        "first pixels (model drawn)": at("first-frame"),
        compileMs: log.find((e) => e.event === "compiled")?.ms, renderMs: log.find((e) => e.event === "done")?.ms,
      };
    });
  };
  const stamp = Date.now();
  await load(urlOf(`${stamp}-fill`));
  const runs = [];
  for (let i = 0; i < 5; i++) runs.push(await load(urlOf(`${stamp}-${i}`)));
  // a model shown before: loaded once more, staying until the worker kept its result (a moment after showing it)
  const shownBefore = urlOf(`${stamp}-kept`);
  const keptCount = () => page.evaluate(async () => (await (await caches.open("scadlive-results")).keys()).length);
  const before = await keptCount();
  await load(shownBefore);
  for (const t0 = Date.now(); (await keptCount()) <= before; ) {
    if (Date.now() - t0 > 30000) throw new Error("the model's result was not kept");
    await page.waitForTimeout(100);
  }
  const keptRuns = [];
  for (let i = 0; i < 5; i++) keptRuns.push(await load(shownBefore));
  if (keptRuns.some((r) => Number.isNaN(r["model found among the kept results"]))) throw new Error("a load of the model shown before rendered it");
  const raw = (rs) => { for (const k of Object.keys(rs[0])) if (rs.some((r) => !Number.isNaN(r[k]) && r[k] !== undefined)) console.log(k.padEnd(50), rs.map((r) => Math.round(r[k])).join("\t")); };
  if (process.env.RAW) { raw(runs); console.log("-- a model shown before"); raw(keptRuns); }
  const medOf = (rs, k) => pct(rs.map((r) => r[k]), 0.5);
  const med = (k) => medOf(runs, k);
  row("first pixels, standalone page, cached assets, a model not rendered before (CSG.scad, median of 5 loads)", med("first pixels (model drawn)"), "<= 500 ms", "ms",
    { name: "OpenSCAD's own time for that render, median", value: med("renderMs") });
  for (const k of Object.keys(runs[0]).filter((k) => !/Ms$/.test(k) && !/first pixels/.test(k) && !/found among/.test(k)))
    row(`  at ${k}`, med(k), "");
  row("  of which WebAssembly.compile of OpenSCAD's wasm in the worker", med("compileMs"), "");
  row("first pixels, standalone page, a model shown before (its result kept from an earlier load; median of 5 loads)",
    medOf(keptRuns, "first pixels (model drawn)"), "", "ms");
  for (const k of ["render asked, as the worker got it", "model found among the kept results", "model drawn (WebGL draw call)"])
    row(`  at ${k}`, medOf(keptRuns, k), "");
  await ctx.close();
}
// A slow model (tests/fixtures/scad/slow-sweep.scad, seconds per full render):
// drag feedback, release to the final model, and a light viewer beside it.
if (wanted("slow")) {
  const SLOW = "/tests/fixtures/scad/slow-sweep.scad";
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${base}/widget/test-page/index.html?model=${SLOW}&count=2`);
  await page.waitForFunction(() => globalThis.models?.length === 2);
  const light = readFileSync("/usr/share/openscad/examples/Basics/CSG.scad", "utf8");
  await page.evaluate((src) => globalThis.models[1].set("source", src), light);
  const settled = (n) => page.waitForFunction((i) => {
    const s = document.querySelectorAll(".scl-status")[i];
    return s && /triangles/.test(s.textContent) && !s.classList.contains("updating");
  }, n, { timeout: 300000 });
  await settled(0);
  await settled(1);
  const log = () => page.evaluate(() => globalThis.scadliveRenderLog);
  const slider = `document.querySelector('.scl-field[data-name="turns"] input[type=range]')`;
  // drag: each input until the view shows something for it (a preview, or the
  // status saying the last model stays: previews cost more than the drag allows)
  const feedback = [];
  const shownAs = { preview: 0, held: 0 };
  for (let i = 0; i < 12; i++) {
    const [ms, text] = await page.evaluate(async ([src, v]) => {
      const root = document.querySelectorAll(".scl-root")[0];
      const status = root.querySelector(".scl-status");
      const t0 = performance.now();
      const s = (0, eval)(src);
      s.value = String(v);
      s.dispatchEvent(new Event("input", { bubbles: true }));
      await new Promise((resolve, reject) => {
        // the model shown is the preview of this value (its status text may be
        // the previous one's: same triangles and ms), or the status says the
        // last model stays ("last model; release to render")
        const check = () => ((JSON.parse(root.dataset.params || "{}").turns === v || /release to render/.test(status.textContent)) &&
          !status.classList.contains("updating") ? resolve()
          : performance.now() - t0 > 120000 ? reject(new Error(`nothing shown for turns=${v} in 120 s; status: ${status.textContent}`))
            : requestAnimationFrame(check));
        check();
      });
      return [performance.now() - t0, status.textContent];
    }, [slider, 1.25 + 0.25 * ((i * 7) % 20)]);
    feedback.push(ms);
    shownAs[/release to render/.test(text) ? "held" : "preview"]++;
  }
  const previewCosts = (await log()).filter((e) => e.event === "done" && e.viewer === 1 && e.quality !== "full").map((e) => e.ms);
  row(`slow model: drag to what the view shows, p95 of 12 (${shownAs.preview} previews, ${shownAs.held} 'last model; release to render')`,
    pct(feedback, 0.95), "", "ms", previewCosts.length ? { name: `OpenSCAD's own preview time, p95 of ${previewCosts.length}`, value: pct(previewCosts, 0.95) } : null);
  // release to the final model after a drag over 20 values (50 ms apart), 3 times
  const finals = [];
  const owns = [];
  const startDelays = []; // the page's release -> the worker's start of the final render
  for (const target of [1.5, 5.5, 2.5]) {
    const [t, released] = await page.evaluate(async ([src, target]) => {
      const s = (0, eval)(src);
      for (let k = 0; k < 20; k++) {
        s.value = String(1 + 0.25 * ((k * 3 + Math.round(target * 4)) % 21));
        s.dispatchEvent(new Event("input", { bubbles: true }));
        await new Promise((r) => setTimeout(r, 50));
      }
      s.value = String(target);
      const root = document.querySelectorAll(".scl-root")[0];
      const status = root.querySelector(".scl-status");
      const t0 = performance.now();
      s.dispatchEvent(new Event("change", { bubbles: true }));
      await new Promise((resolve, reject) => {
        const check = () => (JSON.parse(root.dataset.params || "{}").turns === target && !status.classList.contains("updating")
          ? resolve() : performance.now() - t0 > 120000 ? reject(new Error(`no final model for turns=${target} in 120 s; status: ${status.textContent}`))
            : requestAnimationFrame(check));
        check();
      });
      return [performance.now() - t0, performance.timeOrigin + t0];
    }, [slider, target]);
    finals.push(t);
    const events = await log();
    owns.push(events.filter((e) => e.event === "done" && e.viewer === 1 && e.quality === "full").at(-1).ms);
    // the final render's start (the worker's clock, epoch ms like the page's): the first full-quality start after the release
    const start = events.find((e) => e.event === "start" && e.viewer === 1 && e.quality === "full" && e.t >= released);
    startDelays.push(start ? start.t - released : NaN);
  }
  const ratios = finals.map((t, i) => (t - 150) / owns[i]);
  row(`slow model: release to the final model after a 20-value drag (median of 3; (t - 150 ms) / own: ${ratios.map((r) => r.toFixed(2)).join(", ")})`,
    pct(finals, 0.5), "<= 1.1 x own + 150 ms", "ms", { name: "OpenSCAD's own time for those final renders, median", value: pct(owns, 0.5) });
  row(`slow model: release -> final render start (the worker's start event), median of 3 (max ${Math.max(...startDelays).toFixed(1)} ms)`,
    pct(startDelays, 0.5), "<= 16.7 ms, one 60 Hz frame", "ms");
  // the light viewer's re-render: alone, then while the slow one renders
  const edit = (i) => `globalThis.models[1].set("source", "$fn=${40 + i};\\n" + globalThis.models[1].get("source").replace(/^\\$fn=\\d+;\\n/, ""))`;
  const alone = [];
  for (let i = 0; i < 5; i++) alone.push(await toPixels(page, edit(i), 1));
  const beside = [];
  for (let i = 0; i < 5; i++) {
    const seen = (await log()).length;
    await page.evaluate((v) => globalThis.models[0].set("params", { turns: v }), [3.25, 3.75, 4.25, 4.75, 5.25][i]);
    await page.waitForFunction((n) => globalThis.scadliveRenderLog.slice(n).some((e) => e.event === "start" && e.viewer === 1), seen, { timeout: 60000 });
    beside.push(await toPixels(page, edit(10 + i), 1));
  }
  row("light viewer's re-render to pixels while a slow viewer renders (CSG.scad, median of 5)", pct(beside, 0.5), "<= 2 x alone", "ms",
    { name: "the same re-render alone, median of 5", value: pct(alone, 0.5) });
  // the same once the slow view's render has run 300 ms: its abandoned
  // predecessor has stopped by then (its runner checks every 100 ms,
  // runner.js), so only the two renders want a core each (the steady state
  // of "a slow render runs", where the row above has its restart too)
  const running = [];
  for (let i = 0; i < 5; i++) {
    const seen = (await log()).length;
    await page.evaluate((v) => globalThis.models[0].set("params", { turns: 4, radius: v }), 25 + i); // not rendered before: no cache hit
    await page.waitForFunction((n) => globalThis.scadliveRenderLog.slice(n).some((e) => e.event === "start" && e.viewer === 1), seen, { timeout: 60000 });
    await page.waitForTimeout(300);
    running.push(await toPixels(page, edit(20 + i), 1));
  }
  row("  the same, 300 ms into the slow viewer's render (no abandoned run left beside it), median of 5", pct(running, 0.5), "<= 2 x alone", "ms",
    { name: "the same re-render alone, median of 5", value: pct(alone, 0.5) });
  await ctx.close();
}
// 10 viewers on one page
if (wanted("memory")) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await page.goto(`${base}/widget/test-page/index.html?model=/usr/share/openscad/examples/Basics/CSG.scad&count=10`);
  await page.waitForFunction(() => [...document.querySelectorAll(".scl-status")].every((s) => /triangles/.test(s.textContent)), null, { timeout: 120000 });
  await cdp.send("Performance.enable");
  const { metrics } = await cdp.send("Performance.getMetrics");
  const heap = metrics.find((m) => m.name === "JSHeapTotalSize").value;
  await page.waitForTimeout(1000); // settle (nothing forced: no GC, no purge)
  const workers = page.workers().length;
  const m = chromiumMemory();
  await ctx.close();
  // the page's renderer is the largest one; Chromium keeps others (spare, closed contexts), counted in the total
  row(`10 viewers: page renderer process PSS (DOM, JS, ${workers} workers (render worker + OpenSCAD runners) + their WASM memory)`, m.renderer / MiB, "", "MiB");
  row("10 viewers: renderer + GPU process PSS (the page's WebGL canvases)", (m.renderer + m.gpu) / MiB, "< 1024 MiB", "MiB");
  row(`10 viewers: all this bench's Chromium processes, PSS (renderers ${m.renderers.map((x) => (x / MiB).toFixed(0)).join("+")} MiB)`,
    m.total / MiB, "", "MiB");
  row("  for reference, a blank page first thing in the same browser: all its processes, PSS", blank.total / MiB, "", "MiB");
  row("10 viewers: main-thread JS heap only (as counted before)", heap / MiB, "", "MiB");
}
await browser.close();
server.close();
rmSync(profile, { recursive: true, force: true });
console.log("widget in headless Chromium (software GL), standalone test page");
for (const r of results) {
  console.log(`  ${r.name.padEnd(82)} ${r.value.toFixed(1).padStart(8)} ${r.unit}${r.target ? `  (target ${r.target})` : ""}`);
  if (r.baseline)
    console.log(`    baseline, same run: ${r.baseline.name.padEnd(62)} ${r.baseline.value.toFixed(1).padStart(8)} ${r.unit}  ratio ${(r.value / r.baseline.value).toFixed(2)}`);
}
