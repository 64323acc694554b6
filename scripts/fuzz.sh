#!/usr/bin/env bash
# fuzz.sh - build every fuzz/fuzz_*.c with clang+libFuzzer (ASan+UBSan) and run
# each for a bounded time: FUZZ_SECONDS (default 30) per target.
# Seeds: fuzz/seeds/<target>/ if present. New corpus entries go to build/fuzz/corpus-<target>/.
# Exits non-zero if any target finds a crash (the reproducer is left in build/fuzz/).
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${FUZZ_SECONDS:-30}
if [ ! -f build/fuzz/CMakeCache.txt ]; then
  CC=clang cmake -S . -B build/fuzz -G Ninja -Wno-dev -DSCL_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null || exit 1
fi
cmake --build build/fuzz -j "$(nproc)" >/dev/null || { echo "fuzz: build failed" >&2; exit 1; }
status=0
for bin in build/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  corpus=build/fuzz/corpus-$name
  mkdir -p "$corpus"
  seeds=()
  [ -d "fuzz/seeds/$name" ] && seeds=("fuzz/seeds/$name")
  echo "=== $name (${SECONDS_PER_TARGET}s)"
  if (cd build/fuzz && "./$name" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 \
        -print_final_stats=1 "corpus-$name" "${seeds[@]/#/../../}" > "$name.log" 2>&1); then
    grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' "build/fuzz/$name.log" | tail -2
  else
    status=1
    echo "fuzz: $name FAILED; see build/fuzz/$name.log" >&2
    grep -E 'ERROR|SUMMARY|Test unit written' "build/fuzz/$name.log" | head -5 >&2
  fi
done
exit $status
