// lib.mjs - what the browser tests share: Debian's Chromium and the test
// page's server started before a test file's tests and stopped after them,
// servers started as process groups, bounded waits that explain themselves,
// and queries that see through notebook front ends' shadow roots.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { chromium } from "playwright-core";
import { startServer } from "../../widget/test-page/server.mjs";

export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--use-gl=swiftshader", "--enable-unsafe-swiftshader"];

export const launchChromium = () => chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });

// Chromium for the calling test file: launched before its first test, closed
// after its last. Returns a holder whose `browser` is set once the tests run
// (read it inside a test, not at import time).
export function useChromium() {
  const holder = { browser: null };
  before(async () => { holder.browser = await launchChromium(); });
  after(async () => { await holder.browser?.close(); });
  return holder;
}

// The standalone test page (widget/test-page/server.mjs on 127.0.0.1) and
// Chromium for the calling test file, started before its first test and
// stopped after its last. The holder's `browser` and `base` (the server's
// URL) are set once the tests run; `url(query)` is the test page with that
// query string ("model=/path.scad&count=2").
export function useTestPage() {
  const holder = useChromium();
  holder.base = "";
  holder.url = (query = "") => `${holder.base}/widget/test-page/index.html${query ? `?${query}` : ""}`;
  before(async () => {
    holder.server = await startServer();
    holder.base = `http://127.0.0.1:${holder.server.address().port}`;
  });
  after(() => { holder.server?.close(); });
  return holder;
}

// A fresh temporary directory for the calling test file, made before its
// first test and removed after its last: `holder.path`.
export function useTempDir(prefix) {
  const holder = { path: "" };
  before(() => { holder.path = mkdtempSync(join(tmpdir(), prefix)); });
  after(() => { if (holder.path) rmSync(holder.path, { recursive: true, force: true }); });
  return holder;
}

export const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
});

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const tail = (path, n = 3000) => (existsSync(path) ? readFileSync(path, "utf8").slice(-n) : "");

// Start a server as its own process group with output in `log`; resolves once
// `url` answers, and rejects (with the log) if it exits or does not answer.
export async function startServerProcess(cmd, args, { cwd, env, log, url, timeoutMs = 60000 }) {
  const child = spawn(cmd, args, {
    cwd, env, detached: true, stdio: ["ignore", openSync(log, "w"), openSync(log, "a")],
  });
  let exited = null;
  child.on("exit", (code, signal) => { exited = signal || code; });
  const t0 = Date.now();
  for (;;) {
    if (exited !== null) throw new Error(`${cmd} exited (${exited}) before ${url} answered; its log:\n${tail(log)}`);
    try { if ((await fetch(url)).ok) break; } catch { /* not up yet */ }
    if (Date.now() - t0 > timeoutMs) {
      stopProcess(child);
      throw new Error(`${url} did not answer within ${timeoutMs / 1000} s; ${cmd}'s log:\n${tail(log)}`);
    }
    await sleep(250);
  }
  return child;
}

export function stopProcess(child) {
  if (child) try { process.kill(-child.pid, "SIGTERM"); } catch { /* gone */ }
}

// Wait until `fn` returns something truthy (and return it); on timeout throw
// with what the page shows and the tail of the server's log.
export async function until(fn, what, { page = null, log = null, timeout = 120000 } = {}) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeout) {
      const text = page ? await page.evaluate(() => document.body.innerText).catch(() => "") : "";
      throw new Error(`timed out waiting for ${what}; the page says:\n${text}\nthe server's log:\n${log ? tail(log) : ""}`);
    }
    await sleep(500);
  }
}

// In-page helper source: find elements matching a selector, walking into shadow roots.
const DEEP_ALL = `(sel) => {
  const out = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.matches(sel)) out.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return out;
}`;

// In-page helper source: the n-th element matching a selector, shadow roots included.
export const DEEP_NTH = `(sel, n) => (${DEEP_ALL})(sel)[n]`;

// A property of every element matching `selector`, in document order, shadow roots included.
export const deepProps = (page, selector, prop) =>
  page.evaluate(([sel, p, src]) => (0, eval)(src)(sel).map((el) => el[p]), [selector, prop, DEEP_ALL]);
export const deepTexts = (page, selector) => deepProps(page, selector, "textContent");

// Set the value of the n-th range input matching `selector` and fire input and change, as a drag and release would.
export const moveSlider = (page, selector, value, n = 0) =>
  page.evaluate(([sel, v, i, src]) => {
    const slider = (0, eval)(src)(sel)[i];
    if (!slider) throw new Error(`no slider matches ${sel}`);
    slider.value = String(v);
    slider.dispatchEvent(new Event("input", { bubbles: true }));
    slider.dispatchEvent(new Event("change", { bubbles: true }));
  }, [selector, value, n, DEEP_ALL]);

// The RGB pixels of the n-th scadlive canvas, after the next frame is drawn:
// {width, height, data} with data as a flat [r, g, b, ...] Buffer. The
// bytes cross from the page as base64 (a plain array of a million numbers
// took Playwright 20-60 s to carry on a loaded machine).
export const canvasPixels = async (page, n = 0) => {
  const { width, height, b64 } = await page.evaluate(([i, src]) => new Promise((resolve) => requestAnimationFrame(() => {
    const c = (0, eval)(src)(".scl-view canvas")[i];
    if (!c) { resolve({ width: 0, height: 0, b64: "" }); return; }
    const copy = document.createElement("canvas");
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext("2d");
    ctx.drawImage(c, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const rgb = new Uint8Array((d.length / 4) * 3);
    for (let k = 0, o = 0; k < d.length; k += 4, o += 3) { rgb[o] = d[k]; rgb[o + 1] = d[k + 1]; rgb[o + 2] = d[k + 2]; }
    let bin = "";
    for (let k = 0; k < rgb.length; k += 0x8000) bin += String.fromCharCode(...rgb.subarray(k, k + 0x8000));
    resolve({ width: c.width, height: c.height, b64: btoa(bin) });
  })), [n, DEEP_ALL]);
  return { width, height, data: Buffer.from(b64, "base64") };
};

// Pixels of the n-th scadlive canvas that differ from its background colour (a corner pixel).
export async function paintedPixels(page, n = 0) {
  const { data } = await canvasPixels(page, n);
  let painted = 0;
  for (let k = 0; k < data.length; k += 3)
    if (Math.abs(data[k] - data[0]) + Math.abs(data[k + 1] - data[1]) + Math.abs(data[k + 2] - data[2]) > 60) painted++;
  return painted;
}

// The background colour of the n-th scadlive canvas (its top-left pixel), as [r, g, b].
export const backgroundColor = async (page, n = 0) => [...(await canvasPixels(page, n)).data.subarray(0, 3)];
