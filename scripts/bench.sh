#!/usr/bin/env bash
# bench.sh - every benchmark, each reporting against a baseline measured in
# the same run: build/native/bench_* binaries, bench/bench_*.py, then bench/*.bench.mjs.
# Output also goes to build/bench/results.txt with the machine it ran on.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/bench
out=build/bench/results.txt
{
  echo "scadlive benchmarks, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
  echo
  for b in build/native/bench_*; do
    [ -x "$b" ] || continue
    "$b" | grep -v '^RESULT'
    echo
  done
  for b in bench/bench_*.py; do
    [ -f "$b" ] || continue
    .venv/bin/python "$b"
    echo
  done
  for b in bench/*.bench.mjs; do
    [ -f "$b" ] || continue
    node "$b"
    echo
  done
} 2>&1 | tee "$out"
