# scadlive - the commands a developer and CI use. Each target is a thin
# wrapper over a script in scripts/, so the logic lives in one place.
#
#   make setup   install every dependency (apt, npm, .venv); idempotent
#   make build   native library + `scadlive` CLI + Emscripten core (+ widget bundle)
#   make test    setup, build, then every test suite (C, WASM/node, Python)
#   make demo    setup, build, then the demo notebook with its bridge
#   make bench   benchmarks, reported as ratios against baselines from the same run
#   make fuzz    every libFuzzer target for a short bounded time
#   make wheel   the sdist, a self-contained manylinux wheel and the pure wheel for Pyodide in dist/ (scripts/wheel.sh)
.PHONY: setup build test demo bench fuzz wheel clean

setup:
	@scripts/setup.sh

build: setup
	@scripts/build.sh

test: build
	@scripts/test.sh

demo: build
	@scripts/demo.sh

bench: build
	@scripts/bench.sh

fuzz: setup
	@scripts/fuzz.sh

wheel: setup
	@scripts/wheel.sh

clean:
	rm -rf build dist
