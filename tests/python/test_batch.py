"""scadlive.batch against the real bridge and a real Dask LocalCluster.

40 variants of OpenSCAD's candleStand example (low $fn to keep the suite
short on 2 cores), rendered by the local pool and by a LocalCluster of 2
worker processes; every file is compared with a single render of the same
parameters by a separate bridge (triangles and volume from the C core's
mesh parser, `scadlive info`). Faults are real: a renderer process and a
Dask worker process are SIGKILLed mid-batch.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
distributed = pytest.importorskip("distributed")

import scadlive  # noqa: E402
from scadlive import _assets  # noqa: E402
from scadlive._process import BridgeProcess  # noqa: E402
from scadlive.api import build_render_request  # noqa: E402
from scadlive._source import load  # noqa: E402
from scadlive.client import SyncBridgeClient  # noqa: E402

MODEL = Path("/usr/share/openscad/examples/Parametric/candleStand.scad")
pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="openscad examples not installed")

VARIANTS = [{"count": c, "radius": r, "$fn": 8} for c in range(3, 13) for r in (16, 20, 25, 30)]
BAD = {"count": "many", "$fn": 8}  # a wrong type: the bridge refuses it with the field's name


def info(path: Path) -> dict:
    out = subprocess.run([str(_assets.binary()), "info", str(path)], capture_output=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def singles(tmp_path_factory) -> dict[str, dict]:
    """Each variant rendered once on its own, by a bridge of its own (no shared cache)."""
    d = tmp_path_factory.mktemp("singles")
    proc = BridgeProcess(workers=2)
    model = load(path=MODEL)
    local = threading.local()

    def one(params: dict) -> tuple[str, dict]:
        if not hasattr(local, "client"):
            local.client = SyncBridgeClient(proc)
        reply = local.client.request(build_render_request(model, params), timeout=300)
        f = d / (scadlive.param_hash(params) + ".stl")
        f.write_bytes(reply.payload[0])
        return scadlive.param_hash(params), info(f)

    try:
        with ThreadPoolExecutor(4) as pool:
            return dict(pool.map(one, VARIANTS))
    finally:
        proc.stop()


def check_outputs(manifest, out: Path, singles: dict[str, dict], bad_rows: int = 0) -> None:
    assert len(manifest) == len(VARIANTS) + bad_rows
    ok = manifest[manifest["error"].isna()]
    assert len(ok) == len(VARIANTS)
    stls = sorted(out.glob("*.stl"))
    assert len(stls) == len(VARIANTS), [p.name for p in stls]
    assert not list(out.glob("*.part-*")), "a partial file was left behind"
    for row in ok.to_dict("records"):
        path = Path(row["path"])
        assert path.name == row["param_hash"] + ".stl"
        got, want = info(path), singles[row["param_hash"]]
        assert got["triangles"] == want["triangles"], row
        assert got["volume"] == pytest.approx(want["volume"], rel=1e-9), row
        assert row["triangles"] == want["triangles"]
        assert row["volume"] == pytest.approx(want["volume"], rel=1e-6)
        assert row["bbox_max_z"] == pytest.approx(want["bbox"]["max"][2], rel=1e-6)
        assert bool(row["watertight"]) == want["watertight"]
    # the manifest on disk is the returned one
    on_disk = pd.read_parquet(out / "manifest.parquet")
    assert list(on_disk["param_hash"]) == list(manifest["param_hash"])
    assert len(pd.read_csv(out / "manifest.csv")) == len(manifest)


def renderer_pids(proc: BridgeProcess) -> list[int]:
    pid = proc._proc.pid  # the bridge; its children are the renderers
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids += [int(x) for x in (task / "children").read_text().split()]
    return kids


def kill_when(out: Path, files: int, kill) -> threading.Thread:
    """SIGKILL something once `files` STL files exist in `out` (mid-batch)."""
    def run() -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and len(list(out.glob("*.stl"))) < files:
            time.sleep(0.05)
        kill()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_local_pool_batch_failures_kill_and_resume(tmp_path, singles):
    out = tmp_path / "local"
    proc = scadlive._runtime.process()
    proc.ensure()
    killed: list[int] = []

    def kill_a_renderer() -> None:
        pids = renderer_pids(proc)
        os.kill(pids[0], signal.SIGKILL)
        killed.append(pids[0])

    t = kill_when(out, 8, kill_a_renderer)
    manifest = scadlive.batch(MODEL, VARIANTS + [BAD], out, progress=False)
    t.join()
    assert killed, "the renderer was not killed mid-batch"
    check_outputs(manifest, out, singles, bad_rows=1)
    bad = manifest.iloc[-1]
    assert bad["error_code"] == "PROTOCOL"
    assert "count" in bad["error"] and pd.isna(bad["path"])
    assert set(manifest["worker"]) == {"local"}

    # resume: nothing is rendered again except the failure; a removed file is redone
    victim = Path(manifest.iloc[3]["path"])
    victim.unlink()
    again = scadlive.batch(MODEL, VARIANTS + [BAD], out, progress=False)
    assert int(again["skipped"].sum()) == len(VARIANTS) - 1
    assert not again.iloc[3]["skipped"] and victim.exists()
    assert again.iloc[-1]["error_code"] == "PROTOCOL"
    check_outputs(again, out, singles, bad_rows=1)


def test_ctrl_c_writes_the_manifest_and_a_rerun_resumes(tmp_path):
    import _thread
    out = tmp_path / "interrupted"
    variants = [{"count": c, "radius": 18, "$fn": 8} for c in range(3, 15)]
    t = kill_when(out, 3, _thread.interrupt_main)  # Ctrl-C, delivered to this (the main) thread
    with pytest.raises(KeyboardInterrupt):
        scadlive.batch(MODEL, variants, out, progress=False)
    t.join()
    m = pd.read_parquet(out / "manifest.parquet")
    assert len(m) == len(variants)
    done = m[m["error"].isna()]
    assert 3 <= len(done) < len(variants)
    assert set(m[m["error"].notna()]["error_code"]) == {"CANCELLED"}
    again = scadlive.batch(MODEL, variants, out, progress=False)
    assert again["error"].isna().all()
    assert int(again["skipped"].sum()) == len(done)
    assert len(list(out.glob("*.stl"))) == len(variants)


def test_inputs_sets_csv_dataframe_and_names(tmp_path):
    # OpenSCAD's own parameter-set file, typed by the model's customizer in C
    sets = MODEL.with_suffix(".json")
    m = scadlive.batch(MODEL, sets, tmp_path / "sets", name="{set}", progress=False)
    names = list(json.loads(sets.read_text())["parameterSets"])
    assert list(m["set"]) == names and m["error"].isna().all()
    assert sorted(p.name for p in (tmp_path / "sets").glob("*.stl")) == sorted(
        n.replace(" ", "_") + ".stl" for n in names)
    assert m["centerCandle"].tolist() == [True, True, False, False]  # "true" typed as a boolean
    # CSV: text cells typed the same way; a label column names the files and is not a parameter
    csv = tmp_path / "rows.csv"
    csv.write_text("label,count,$fn,centerCandle\nthree,3,8,false\nfive,5,8,true\n")
    m2 = scadlive.batch(MODEL, csv, tmp_path / "csv", name="label", formats="stl,off,3mf", progress=False)
    assert m2["error"].isna().all(), m2["error"].tolist()
    assert sorted(p.name for p in (tmp_path / "csv").iterdir() if p.suffix in (".stl", ".off", ".3mf")) == [
        "five.3mf", "five.off", "five.stl", "three.3mf", "three.off", "three.stl"]
    assert (tmp_path / "csv" / "five.3mf").read_bytes()[:2] == b"PK"  # a zip, as 3MF is
    assert list(m2["path_3mf"].map(lambda p: Path(p).name)) == ["three.3mf", "five.3mf"]
    # a DataFrame; the same parameters as the CSV's first row give the same hash
    frame = pd.DataFrame({"count": [3], "$fn": [8], "centerCandle": [False]})
    m3 = scadlive.batch(MODEL, frame, tmp_path / "df", progress=False)
    assert m3.iloc[0]["param_hash"] == m2.iloc[0]["param_hash"]
    assert m3.iloc[0]["cache"] in ("hit", "miss")
    with pytest.raises(ValueError, match="same file name"):
        scadlive.batch(MODEL, [{"count": 3, "$fn": 8}, {"count": 4, "$fn": 8}], tmp_path / "dup", name="same-{$fn}",
                       progress=False)
    with pytest.raises(ValueError, match="no column 'x'"):
        scadlive.batch(MODEL, [{"count": 3}], tmp_path / "dup", name="x", progress=False)
    with pytest.raises(ValueError, match="'nosuchformat' is not one the bridge renders"):
        scadlive.batch(MODEL, [{"count": 3}], tmp_path / "fmt", formats=("nosuchformat",), progress=False)


def test_dask_local_cluster_with_a_killed_worker(tmp_path, singles):
    out = tmp_path / "dask"
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, worker_class=distributed.Nanny)
    client = distributed.Client(cluster)
    try:
        pids = client.run(os.getpid)
        assert len(pids) == 2
        victim = sorted(pids.values())[0]
        t = kill_when(out, 8, lambda: os.kill(victim, signal.SIGKILL))
        manifest = scadlive.batch(MODEL, VARIANTS + [BAD], out, client=client, progress=False)
        t.join()
        check_outputs(manifest, out, singles, bad_rows=1)
        assert manifest.iloc[-1]["error_code"] == "PROTOCOL"
        assert manifest["worker"].str.startswith("tcp://").all()
        # the killed worker process is gone; its tasks ran elsewhere
        assert victim not in client.run(os.getpid).values()
        again = scadlive.batch(MODEL, VARIANTS + [BAD], out, client=client, progress=False)
        assert int(again["skipped"].sum()) == len(VARIANTS)
    finally:
        client.close()
        cluster.close()


def test_bad_inputs_are_clear_errors_before_rendering(tmp_path):
    bad_sets = tmp_path / "sets.json"
    bad_sets.write_text('{"parameterSets": {"a": {"count": "3"}}, "fileFormatVersion": "1"')
    with pytest.raises(ValueError, match="sets.json"):
        scadlive.batch(MODEL, bad_sets, tmp_path / "o", progress=False)
    no_sets = tmp_path / "nosets.json"
    no_sets.write_text('{"x": 1}')
    with pytest.raises(ValueError, match="parameterSets"):
        scadlive.batch(MODEL, no_sets, tmp_path / "o", progress=False)
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        scadlive.batch(MODEL, tmp_path / "missing.csv", tmp_path / "o", progress=False)
    with pytest.raises(TypeError, match="variant 1"):
        scadlive.batch(MODEL, [{"count": 3}, 7], tmp_path / "o", progress=False)
    with pytest.raises(ValueError, match="text"):  # sets need the model's customizer: a path
        scadlive.batch(MODEL.read_text(), MODEL.with_suffix(".json"), tmp_path / "o", progress=False)
    assert not (tmp_path / "o" / "manifest.csv").exists()


def test_cli_batch(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path(scadlive.__file__).parents[1]),
           "SCADLIVE_PYTHON": sys.executable}
    out = tmp_path / "cli"
    r = subprocess.run([sys.executable, "-m", "scadlive", "batch", str(MODEL), "--sets",
                        str(MODEL.with_suffix(".json")), "-o", str(out), "--quiet"],
                       capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "4 variants, 4 rendered" in r.stderr
    assert len(list(out.glob("*.stl"))) == 4
    # the C CLI hands `batch` to Python
    r2 = subprocess.run([str(_assets.binary()), "batch", str(MODEL), "--sets",
                         str(MODEL.with_suffix(".json")), "-o", str(out), "--quiet"],
                        capture_output=True, text=True, env=env, timeout=600)
    assert r2.returncode == 0, r2.stderr
    assert "4 already done" in r2.stderr
    r3 = subprocess.run([sys.executable, "-m", "scadlive", "batch", str(MODEL), "-o", str(out)],
                        capture_output=True, text=True, env=env)
    assert r3.returncode == 2 and "--sets" in r3.stderr
