// preview.js - the coarse quality of drag previews.
// Drag previews: at most this many fragments per full circle (30 degree
// facets). The model's own $fn/$fa assignments are capped too (candleStand
// sets $fn=360 and $fa=0.5 locally), so a preview never has finer circles
// than the full render nor finer than this; the full render on release is
// exact. Chosen by measurement: OpenSCAD's time for candleStand at count=13
// is 147 ms at 16 fragments, 116 ms at 12, 99 ms at 8 (WASM, 2 cores).
export const PREVIEW_FRAGMENTS = 12;
// When such previews cost more than the drag allows (the debouncer learns
// it), they go down a ladder, one rung per slow preview: this many fragments
// ("preview, $fn 8" in the status), then the last rung's. Below 6 a preview
// gets no cheaper (candleStand.scad at count=14: OpenSCAD's own time 131-140
// ms at 6, 4 or 3 fragments; 148 at 8, 184 at 12; WASM in Node, load ~4):
// its cost is then the booleans' count, not the circles' facets.
export const COARSE_FRAGMENTS = 8;
export const COARSEST_FRAGMENTS = 6;
const FRAGMENTS = { preview: PREVIEW_FRAGMENTS, coarse: COARSE_FRAGMENTS, coarsest: COARSEST_FRAGMENTS };
// fragments per circle at a render quality, or 0 for the model's own
export const fragmentsFor = (quality) => FRAGMENTS[quality] || 0;

// Rewrite every `$fn = E` to `$fn = min(cap, E)` and `$fa = E` to
// `$fa = max(360 / cap, E)` (statements, named arguments, let), skipping
// strings and comments. The expression ends at , ; ) ] } at nesting depth 0.
export function capResolution(source, cap) {
  let out = "";
  let i = 0;
  const n = source.length;
  const skip = (j) => pastNonCode(source, j);
  while (i < n) {
    const j = skip(i);
    if (j !== i) { out += source.slice(i, j); i = j; continue; }
    const m = source[i] === "$" && /^\$(fn|fa)\s*=(?!=)/.exec(source.slice(i, i + 64));
    const before = i > 0 ? source[i - 1] : " ";
    if (!m || /[A-Za-z0-9_$]/.test(before)) { out += source[i++]; continue; }
    let k = i + m[0].length, depth = 0;
    while (k < n) {
      const s = skip(k);
      if (s !== k) { k = s; continue; }
      const c = source[k];
      if (c === "(" || c === "[" || c === "{") depth++;
      else if (c === ")" || c === "]" || c === "}") { if (depth === 0) break; depth--; }
      else if ((c === "," || c === ";") && depth === 0) break;
      k++;
    }
    const expr = source.slice(i + m[0].length, k).trimStart();
    if (expr.startsWith("[")) { // `for ($fn = [6, 12, 48])` iterates a list: left as it is
      out += source.slice(i, k);
      i = k;
      continue;
    }
    // the line breaks of the replaced text (around `=`) go along, so that
    // OpenSCAD's line numbers still point at the user's source
    const breaks = source.slice(i, k - expr.length).replace(/[^\n]/g, "");
    out += m[1] === "fn" ? `$fn = min(${cap}, ${breaks}${expr})` : `$fa = max(${360 / cap}, ${breaks}${expr})`;
    i = k;
  }
  return out;
}

// The index past a comment or string that starts at `j` in SCAD `source`, else `j`.
export function pastNonCode(source, j) {
  const n = source.length;
  if (source[j] === "/" && source[j + 1] === "/") { const e = source.indexOf("\n", j); return e < 0 ? n : e; }
  if (source[j] === "/" && source[j + 1] === "*") { const e = source.indexOf("*/", j + 2); return e < 0 ? n : e + 2; }
  if (source[j] === '"') {
    for (j++; j < n && source[j] !== '"'; j++) if (source[j] === "\\") j++;
    return j + 1;
  }
  return j;
}
