#!/usr/bin/env bash
# test.sh - run every test suite and end with each runner's summary line.
#   C:      every Criterion executable built from tests/c/test_*.c (ASan+UBSan build)
#   WASM:   node --test tests/wasm/ (with the pure wheel for its Pyodide test, and the marimo WASM page's)
#   Python: pytest tests/python/ (in .venv)
# Exits non-zero if any suite fails.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export SCL_SOURCE_DIR=$ROOT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export PATH=$ROOT/build/asan:$PATH
status=0
summaries=()
passed=0
failed=0
# node --test and pytest counts are added from their reports below
node_counts() { # output file -> adds its pass/fail counts
  local p f
  p=$(grep -E '^(ℹ|#) pass [0-9]+' "$1" | tail -1 | grep -oE '[0-9]+$')
  f=$(grep -E '^(ℹ|#) fail [0-9]+' "$1" | tail -1 | grep -oE '[0-9]+$')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-1}))
}

# --- C (Criterion)
c_total=0; c_failed=0; c_why=""
for t in build/asan/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  echo "=== $name"
  out=$("$t" --jobs 2 2>&1); rc=$?
  printf '%s\n' "$out" | grep -Ev '^\[----\] |^\[PASS\]' | tail -n 40
  syn=$(printf '%s\n' "$out" | grep 'Synthesis:' | tail -1)
  passed=$((passed + $(printf '%s' "$syn" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p' | head -1) + 0))
  failed=$((failed + $(printf '%s' "$syn" | sed -n 's/.*Failing: \([0-9]*\).*Crashing: \([0-9]*\).*/\1 + \2/p' | head -1) + 0))
  [ -n "$syn" ] || failed=$((failed + 1))
  summaries+=("$name: ${syn:-no Criterion summary (exit $rc)}")
  c_why+=$(printf '%s\n' "$out" | grep -E -A3 '^\[FAIL\]|^\[----\] [^ ]+:[0-9]+: ' | grep -vE '^\[----\] *$|^--$|^E: ' | head -n 8)$'\n'
  c_total=$((c_total + 1))
  if [ $rc -ne 0 ]; then c_failed=$((c_failed + 1)); status=1; fi
done

# --- WASM build of the core, from Node (and the pure wheel under Pyodide:
# built here, before node runs its test files in parallel, so that no test
# rebuilds web assets while another reads them)
if ls tests/wasm/*.test.mjs >/dev/null 2>&1; then
  echo "=== node --test tests/wasm"
  rm -rf build/pyodide-dist
  if scripts/wheel-pure.sh build/pyodide-dist > build/wheel-pure-test.log 2>&1; then
    export SCADLIVE_PURE_WHEEL=$(ls "$ROOT"/build/pyodide-dist/scadlive-*-py3-none-any.whl)
  else
    tail -n 20 build/wheel-pure-test.log  # the Pyodide test then builds it itself, and fails the same way
  fi
  node --test --test-reporter=spec tests/wasm/ > build/node-wasm.log 2>&1
  rc=$?
  tail -n 40 build/node-wasm.log
  node_counts build/node-wasm.log
  [ $rc -eq 0 ] || status=1
  summaries+=("node --test tests/wasm: exit $rc")
fi

# --- the widget in Debian's Chromium
if ls tests/browser/*.test.mjs >/dev/null 2>&1; then
  echo "=== node --test tests/browser"
  # SCADLIVE_PURE_WHEEL (above) also goes to the marimo WASM page's test
  node --test --test-reporter=spec tests/browser/ > build/node-browser.log 2>&1
  rc=$?
  unset SCADLIVE_PURE_WHEEL
  tail -n 30 build/node-browser.log
  node_counts build/node-browser.log
  [ $rc -eq 0 ] || status=1
  summaries+=("node --test tests/browser: exit $rc")
fi

# --- Python
if ls tests/python/test_*.py >/dev/null 2>&1; then
  echo "=== pytest tests/python"
  .venv/bin/python -m pytest -q -p no:cacheprovider tests/python > build/pytest.log 2>&1
  rc=$?
  tail -n 40 build/pytest.log
  p=$(grep -oE '[0-9]+ passed' build/pytest.log | tail -1 | grep -oE '[0-9]+')
  f=$(grep -oE '[0-9]+ (failed|error)' build/pytest.log | awk '{s+=$1} END {print s+0}')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  [ $rc -eq 0 ] || [ "${f:-0}" -gt 0 ] || failed=$((failed + 1))
  [ $rc -eq 0 ] || status=1
  summaries+=("pytest tests/python: exit $rc")
fi

echo
echo "=== summary"
for s in "${summaries[@]}"; do echo "$s"; done
echo "C suites: $c_total run, $c_failed failed"
echo "tests: $passed passed, $failed failed"
# Last, so that a CI page showing only the tail still shows why: each failing
# test's name and the first lines of its error (stack frames left out; the
# whole reports are in build/*.log).
if [ $status -ne 0 ]; then
  echo "=== why (first lines of each failure; whole logs in build/)"
  printf '%s' "$c_why" | grep -v '^$' | cut -c1-300 | head -n 12
  for log in build/node-wasm.log build/node-browser.log; do
    [ -f "$log" ] || continue
    sed -n '/failing tests:/,$p' "$log" | grep -vE '^\s*at |failing tests:|^\s*$|^test at |^\s*(generatedMessage|code|operator):|^\s*}$' | cut -c1-400 | head -n 24
  done
  [ -f build/pytest.log ] && grep -E '^(FAILED|ERROR) ' build/pytest.log | cut -c1-400 | head -n 10
fi
exit $status
