"""bench_batch - what scadlive.batch costs per variant, local pool vs a Dask LocalCluster.

Every mode renders its own N variants of one small model (distinct values
per mode and round, so nothing is served from a cache) with 2 renderers,
in interleaved rounds (baseline, local, dask, baseline, ...):
  baseline  the same kind of renders sent straight to the bridge, 4 in flight
            (no batch machinery: no files, no manifest);
  local     scadlive.batch without a client (this process's bridge);
  dask      scadlive.batch on a LocalCluster of 2 worker processes x 1 thread
            (each worker's own bridge, started by a warm-up batch first).
Reports the median wall time per variant (and its range over the rounds) and
the overhead per variant over the baseline. Each batch includes writing the
files and the manifest. Run by scripts/bench.sh (`make bench`);
`python bench/bench_batch.py [N] [ROUNDS]`.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
os.environ["SCADLIVE_WORKERS"] = "2"

import distributed  # noqa: E402

import scadlive  # noqa: E402
from scadlive import _runtime  # noqa: E402
from scadlive.api import build_render_request  # noqa: E402
from scadlive._source import load  # noqa: E402
from scadlive.client import SyncBridgeClient  # noqa: E402

MODEL = """w = 10; // [1:200]
cube([w, w, 2]);
translate([0, 0, 2]) cylinder(r = w / 3, h = 5, $fn = 24);
"""


def variants(offset: int, n: int) -> list[dict]:
    return [{"w": offset + i * 0.5} for i in range(n)]


def straight(n: int, offset: float) -> float:
    """The baseline: the same kind of renders sent straight to this process's bridge, 4 in flight."""
    proc = _runtime.process()
    proc.ensure()
    model = load(MODEL)
    local = threading.local()

    def one(params: dict) -> None:
        if not hasattr(local, "c"):
            local.c = SyncBridgeClient(proc)
        local.c.request(build_render_request(model, params), timeout=300)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, variants(offset, n)))
    return time.perf_counter() - t0


def timed_batch(n: int, offset: float, client=None) -> float:
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        m = scadlive.batch(MODEL, variants(offset, n), out, client=client, progress=False)
        took = time.perf_counter() - t0
        assert m["error"].isna().all(), m["error"].dropna().tolist()
        return took


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    times: dict[str, list[float]] = {"baseline": [], "local": [], "dask": []}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        straight(2, 199)           # this process's bridge started and warm
        timed_batch(4, 190, client)  # each worker's bridge started and warm
        offset = 1.0
        for _ in range(rounds):  # interleaved, fresh parameter values each time (no cache hits)
            times["baseline"].append(straight(n, offset) / n)
            times["local"].append(timed_batch(n, offset + 0.25) / n)
            times["dask"].append(timed_batch(n, offset + 0.125, client) / n)
            offset += n * 0.5 + 1
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    spread = {k: f"{min(v) * 1000:.1f}-{max(v) * 1000:.1f}" for k, v in times.items()}
    print(f"batch: {n} variants of a small model per run, 2 renderers, {rounds} interleaved rounds; "
          "wall time per variant, median (range)")
    print(f"  {'baseline: straight to the bridge, 4 in flight':<44} {med['baseline']:7.1f} ms ({spread['baseline']})")
    for key, label in (("local", "scadlive.batch, local pool"), ("dask", "scadlive.batch, LocalCluster 2 processes")):
        print(f"  {label:<44} {med[key]:7.1f} ms ({spread[key]})  overhead {med[key] - med['baseline']:+.1f} ms/variant")


if __name__ == "__main__":
    main()
