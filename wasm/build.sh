#!/usr/bin/env bash
# build.sh - the C core compiled by Emscripten, for the browser worker and Node.
#
# Inputs: native/core/*.c, wasm/scl_wasm.c (the JS-facing glue), jansson from
# Debian's source package (.deps/jansson, fetched by scripts/setup.sh) and
# xxhash.h from libxxhash-dev (header-only). Output in build/wasm/:
#   sclcore_wasm.mjs  ES module factory with the .wasm embedded (-sSINGLE_FILE:
#                     Node 20's fetch cannot load Emscripten 3.1.6's file URLs)
#   sclcore.mjs       the JS API (copied from wasm/sclcore.mjs)
# Skips work when outputs are newer than every input.
# ENVIRONMENT=web,worker: Emscripten 3.1.6's Node code path uses require and
# __dirname, which do not exist in an ES module; the web path runs in Node 20
# as is (the .wasm is a data: URI decoded with atob).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=build/wasm
mkdir -p "$OUT/include" "$OUT/obj"
JANSSON=.deps/jansson/src
[ -f "$JANSSON/jansson.h" ] || { echo "wasm: $JANSSON missing; run scripts/setup.sh" >&2; exit 1; }

inputs=(native/core/*.c native/core/*.h wasm/scl_wasm.c wasm/jansson_config.h wasm/jansson_private_config.h wasm/build.sh)
if [ -f "$OUT/sclcore_wasm.mjs" ] && [ -z "$(find "${inputs[@]}" -newer "$OUT/sclcore_wasm.mjs" 2>/dev/null)" ]; then
  cp wasm/sclcore.mjs "$OUT/sclcore.mjs"
  exit 0
fi

cp wasm/jansson_config.h wasm/jansson_private_config.h "$OUT/include/"
cp /usr/include/xxhash.h "$OUT/include/"
export NODE_PATH=/usr/share/nodejs
CFLAGS=(-O2 -std=c11 -D_POSIX_C_SOURCE=200809L -DSCL_VERSION='"wasm"' -I"$OUT/include" -I"$JANSSON" -Inative/core)

objs=()
for src in "$JANSSON"/*.c; do
  obj="$OUT/obj/jansson_$(basename "${src%.c}").o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
    emcc "${CFLAGS[@]}" -DHAVE_CONFIG_H -w -c "$src" -o "$obj"
  fi
  objs+=("$obj")
done
for src in native/core/*.c wasm/scl_wasm.c; do
  obj="$OUT/obj/$(basename "${src%.c}").o"
  emcc "${CFLAGS[@]}" -Wall -Wextra -Wno-unused-parameter -c "$src" -o "$obj"
  objs+=("$obj")
done

rm -f "$OUT/sclcore_wasm.mjs"
emcc -O2 "${objs[@]}" -o "$OUT/sclcore_wasm.mjs" \
  -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=createSclCore -sSINGLE_FILE=1 \
  -sALLOW_MEMORY_GROWTH=1 -sENVIRONMENT=web,worker -sFILESYSTEM=0 \
  -sEXPORTED_FUNCTIONS=_malloc,_free \
  -sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8 2>&1 | grep -v "^cache:INFO" || true
test -s "$OUT/sclcore_wasm.mjs" || { echo "wasm: link failed" >&2; exit 1; }
cp wasm/sclcore.mjs "$OUT/sclcore.mjs"
