// Fuzzing the drag-preview rewrite (widget/src/preview.js), which scans
// users' SCAD text (strings, comments, nesting): on random token soup it
// always ends, keeps every line where it was (OpenSCAD's error lines must
// still point at the user's source), and leaves text without $fn/$fa as is.
import { test } from "node:test";
import assert from "node:assert/strict";
import { capResolution } from "../../widget/src/preview.js";

const TOKENS = ["$fn", "$fa", "$fs", "=", "==", "\"", "\\", "/*", "*/", "//", "/", "*", "\n", "(", ")", "[", "]",
  "{", "}", ",", ";", " ", "a", "1", "0.5", "$", "x$fn", "let", "for", "min", "?", ":"];

// a small deterministic generator (xorshift32), so a failure can be replayed by its seed
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
}

const lines = (s) => s.split("\n").length;

test("the preview rewrite ends, keeps lines, and leaves other text alone on 20000 random inputs", () => {
  for (let seed = 1; seed <= 20000; seed++) {
    const r = rng(seed);
    const n = Math.floor(r() * 60);
    let src = "";
    for (let k = 0; k < n; k++) src += TOKENS[Math.floor(r() * TOKENS.length)];
    const out = capResolution(src, 12);
    assert.equal(lines(out), lines(src), `seed ${seed}: lines moved in ${JSON.stringify(src)}`);
    if (!/\$f[na]/.test(src)) assert.equal(out, src, `seed ${seed}: changed ${JSON.stringify(src)}`);
    // what was rewritten is only ever wrapped: removing the wrappers gives the input back
    const unwrapped = out.replace(/\$fn = min\(12, /g, "$fn=").replace(/\$fa = max\(30, /g, "$fa=");
    assert.ok(unwrapped.length >= src.length - 2 * (src.match(/\$f[na]\s*=/g) || []).length,
      `seed ${seed}: text lost in ${JSON.stringify(src)}`);
  }
});

test("an assignment spread over lines keeps its line breaks", () => {
  assert.equal(capResolution("$fn\n=\n  360;\ncube(;", 12), "$fn = min(12, \n\n360);\ncube(;");
});
