#!/usr/bin/env bash
# demo.sh - start the demo notebook with its bridge.
# The notebook needs the bridge and the Python package (issues 3 and 5), which
# are not built yet; until then this says so instead of pretending.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f notebooks/demo.py ]; then
  echo "demo: notebooks/demo.py does not exist yet (the render bridge and the Python package are still being built)." >&2
  echo "demo: meanwhile try: build/native/scadlive params /usr/share/openscad/examples/Parametric/candleStand.scad" >&2
  exit 1
fi
exec .venv/bin/marimo edit notebooks/demo.py --host 127.0.0.1 --port "${SCADLIVE_DEMO_PORT:-2718}" --headless --no-token
