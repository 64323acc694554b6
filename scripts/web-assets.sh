#!/usr/bin/env bash
# web-assets.sh - the parts of scadlive built with Node (each step skips work
# that is up to date); run by scripts/build.sh, scripts/package-assets.sh and
# the CMake build of the Python package from a checkout:
#   build/openscad/   OpenSCAD's WebAssembly split out of its npm package
#   build/wasm/       the C core compiled by Emscripten (wasm/build.sh)
#   build/widget/     the widget bundle (widget/build.mjs)
set -euo pipefail
cd "$(dirname "$0")/.."
node renderer/extract-openscad.mjs
if [ -x wasm/build.sh ]; then
  wasm/build.sh
fi
if [ -f widget/build.mjs ]; then
  node widget/build.mjs
fi
