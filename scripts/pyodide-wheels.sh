#!/usr/bin/env bash
# pyodide-wheels.sh - the wheels a marimo WASM page (`marimo export html-wasm`)
# asks for, fetched from PyPI once (by scripts/setup.sh) into .deps/pyodide-wheels,
# so that tests/browser/marimo-wasm.test.mjs runs the page with no network:
# marimo-base (the Python half of marimo in the page, the same version as
# .venv's marimo), anywidget (scadlive's Viewer), micropip, pyodide-http and
# what they need under Pyodide (markers evaluated for Emscripten by `uv pip
# compile --python-platform wasm32-pyodide2025`). Then scripts/pyodide-lock.py
# writes pyodide-lock.json for them (the page's lock file, in place of the one
# marimo's site serves). Two are not pure Python:
#   msgspec: PyPI has a Pyodide build (pyemscripten_2026_0_wasm32: Pyodide 314's ABI);
#   pyyaml:  PyPI has no Pyodide build, so its pure-Python wheel is built here
#            from PyPI's source release (PYYAML_FORCE_LIBYAML=0: no C extension).
# Idempotent and quiet: does nothing when the wheel set for this marimo exists.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-$PWD/.venv}
OUT=.deps/pyodide-wheels
MARIMO=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("marimo"))')
REQS="marimo-base==$MARIMO anywidget micropip pyodide-http"
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$REQS" ] && [ -f "$OUT/pyodide-lock.json" ]; then
  exit 0
fi
rm -rf "$OUT.tmp" && mkdir -p "$OUT.tmp"
printf '%s\n' $REQS > "$OUT.tmp/requirements.in"
"$VENV/bin/uv" pip compile -q --python-platform wasm32-pyodide2025 --python-version 3.13 --no-header \
  --no-annotate "$OUT.tmp/requirements.in" -o "$OUT.tmp/requirements.txt"
grep -v -E '^(msgspec|pyyaml)==' "$OUT.tmp/requirements.txt" > "$OUT.tmp/pure.txt"
pip=("$VENV/bin/pip" -q --disable-pip-version-check)
# pure-Python wheels only (py3-none-any), whatever this machine is
"${pip[@]}" download --no-deps --only-binary=:all: --platform any --implementation py --python-version 3.14 \
  --abi none -d "$OUT.tmp" -r "$OUT.tmp/pure.txt"
msgspec=$(grep '^msgspec==' "$OUT.tmp/requirements.txt")
"${pip[@]}" download --no-deps --only-binary=:all: --platform pyemscripten_2026_0_wasm32 --implementation cp \
  --python-version 3.14 --abi cp314 -d "$OUT.tmp" "$msgspec"
pyyaml=$(grep '^pyyaml==' "$OUT.tmp/requirements.txt")
PYYAML_FORCE_LIBYAML=0 "${pip[@]}" wheel --no-deps --no-binary pyyaml -w "$OUT.tmp" "$pyyaml"
ls "$OUT.tmp"/pyyaml-*-py3-none-any.whl >/dev/null
"$VENV/bin/python" scripts/pyodide-lock.py "$OUT.tmp" node_modules/pyodide-marimo/pyodide-lock.json
printf '%s' "$REQS" > "$OUT.tmp/.stamp"
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
