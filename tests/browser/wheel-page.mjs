// wheel-page.mjs URL LOG - Debian's Chromium on a marimo server that runs
// tests/browser/notebooks/wheel.py from an installed wheel (started by
// tests/python/test_wheel.py, which judges the result). Waits until the
// notebook's three viewers show a model, then prints one JSON line:
// {statuses, painted, errors}. Exits non-zero, saying what the page showed,
// if they do not within 3 minutes.
import { deepTexts, launchChromium, paintedPixels, until } from "./lib.mjs";

const [url, log] = process.argv.slice(2);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1300, height: 1100 } });
  await page.goto(url);
  const statuses = await until(async () => {
    const s = await deepTexts(page, ".scl-status");
    return s.length === 3 && s.every((t) => /^\d+ triangles/.test(t)) && s;
  }, "the three viewers to show a model", { page, log, timeout: 180000 });
  const painted = [];
  for (let i = 0; i < statuses.length; i++) painted.push(await paintedPixels(page, i));
  const errors = await deepTexts(page, ".scl-error");
  console.log(JSON.stringify({ statuses, painted, errors }));
} finally {
  await browser.close();
}
