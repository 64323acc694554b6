#!/usr/bin/env bash
# demo.sh - start the demo notebook (marimo) with its bridge, on localhost.
# The bridge starts with the notebook's kernel, as a child of it.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${SCADLIVE_DEMO_PORT:-2718}
export PYTHONPATH=$PWD/python${PYTHONPATH:+:$PYTHONPATH}
echo "scadlive demo: http://127.0.0.1:$PORT (Ctrl-C stops it)"
# app mode runs every cell at once; `marimo edit notebooks/demo.py` shows the code
exec .venv/bin/marimo run notebooks/demo.py --host 127.0.0.1 --port "$PORT" --headless --no-token
