"""Batch export: every variant of a model to files, with a manifest.

    import scadlive
    manifest = scadlive.batch("bracket.scad", [{"width": w} for w in range(10, 60)], "out/")
    manifest = scadlive.batch("bracket.scad", "sets.json", "s3://bucket/parts", client=dask_client)

Needs the optional extra ``pip install scadlive[batch]`` (pandas, pyarrow,
tqdm, fsspec; Dask's ``distributed`` for ``client=``).

Where renders run:
  * no ``client``: this process's bridge (one renderer per core), kept busy
    by two requests in flight per renderer;
  * a Dask ``client``: one task per variant; each Dask worker process starts
    its own bridge once (:class:`BridgePlugin`, a worker plugin) with one
    renderer per worker thread. The model and the files it includes travel
    with the tasks (scattered once to every worker), so workers need the
    scadlive package but not the model's files.

Files: one per variant and format, ``<name>.<ext>`` in ``out_dir`` (a local
folder or any fsspec URL). ``name`` is a template: the default ``"{hash}"``
is the variant's parameter hash (16 hex digits of SHA-256 over its
parameters as canonical JSON: sorted keys, integral numbers as integers),
so the same parameters always give the same file name; ``"{index}"`` is
the variant's position, ``"{set}"`` the parameter set's name, any other
``{field}`` a parameter or column (Python format syntax: ``"tag-{w:03d}"``).
A plain column name without braces (``name="label"``) takes that column's
value, and that column is not sent to the model as a parameter. Characters
other than letters, digits, ``.``, ``_``, ``-`` become ``_``.

The manifest (a pandas DataFrame, written as ``manifest.csv`` and
``manifest.parquet`` next to the files) has one row per variant, in input
order: ``index``, ``set``, the parameters (one column each; lists as JSON),
``param_hash``, ``model_hash``, ``path`` (the first format's file) and
``path_<ext>`` per format, ``triangles``, ``volume``, ``bbox_min_x`` ..
``bbox_max_z``, ``watertight`` (from the C core's mesh parser, in the
bridge's reply), ``render_ms`` (OpenSCAD's own time, all formats),
``cache`` (miss/hit/joined, or ``done`` when skipped on resume), ``worker``,
``skipped``, ``error_code`` and ``error``. A failed variant is a row with
its error; the batch goes on.

Resuming: a rerun with the same ``out_dir`` skips every variant the last
manifest lists as done with the same parameter hash and model hash whose
files still exist. The manifest is rewritten every few seconds while the
batch runs, so an interrupted batch resumes from where it stopped.
Ctrl-C (or cancelling the task) cancels the renders in flight and writes
the manifest (unfinished variants with ``error_code`` CANCELLED) before
``KeyboardInterrupt`` propagates.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
import string
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from . import _assets, _deps, _runtime, api
from .api import _FORMATS
from ._process import BridgeProcess
from ._source import SourceLike, load
from .client import SyncBridgeClient
from .errors import RenderError, ScadliveError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["batch", "param_hash", "MANIFEST_CSV", "MANIFEST_PARQUET"]

MANIFEST_CSV = "manifest.csv"
MANIFEST_PARQUET = "manifest.parquet"

_MANIFEST_WRITE_INTERVAL_S = 5.0
_STAT_COLUMNS = ["triangles", "volume", "bbox_min_x", "bbox_min_y", "bbox_min_z",
                 "bbox_max_x", "bbox_max_y", "bbox_max_z", "watertight"]


def _need(module: str):
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"scadlive.batch needs {module}: pip install 'scadlive[batch]'") from exc


# ------------------------------------------------------------ parameters


def _plain(value: Any) -> Any:
    """numpy/pandas scalars and arrays to plain Python; integral floats to int."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if hasattr(value, "tolist") and callable(value.tolist):
        value = value.tolist()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2 ** 53:
            return int(value)
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    raise TypeError(f"a parameter value must be a number, string, boolean or list, not {type(value).__name__}")


def _canonical(params: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): _plain(v) for k, v in params.items()}


def param_hash(params: Mapping[str, Any]) -> str:
    """The stable hash of a variant's parameters (names files, matches on resume)."""
    text = json.dumps(_canonical(params), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _is_missing(value: Any) -> bool:
    try:
        return value is None or (isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


@dataclass
class _Variant:
    index: int
    params: dict[str, Any]      # sent to the model
    labels: dict[str, Any]      # every column (for names and the manifest)
    set_name: str | None = None


def _variants_from(variants: Any, model_path: Path | None, name_column: str | None) -> list[_Variant]:
    """Normalise the accepted inputs: dicts, a DataFrame, a parameter-set JSON file, a CSV file."""
    if isinstance(variants, (str, os.PathLike)):
        path = Path(variants).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"no such variants file: {path}")
        suffix = path.suffix.lower()
        if suffix == ".json":
            return _variants_from_sets(path, model_path)
        if suffix in (".csv", ".tsv"):
            pd = _need("pandas")
            # every cell as text: the bridge's parameter-set typing (scadlive
            # params --sets) gives them the model's types, as for a sets file
            frame = pd.read_csv(path, dtype=str, keep_default_na=False,
                                sep="\t" if suffix == ".tsv" else ",")
            rows = [{k: v for k, v in r.items() if v != ""} for r in frame.to_dict("records")]
            return _typed_rows(rows, model_path, name_column, str(path))
        raise ValueError(f"variants file {path}: use an OpenSCAD parameter-set .json or a .csv")
    if hasattr(variants, "to_dict") and hasattr(variants, "columns"):  # a DataFrame
        rows = [{str(k): v for k, v in r.items() if not _is_missing(v)}
                for r in variants.to_dict("records")]
        return [_Variant(i, _canonical({k: v for k, v in r.items() if k != name_column}), _canonical(r))
                for i, r in enumerate(rows)]
    if isinstance(variants, Mapping):
        raise TypeError("variants: pass an iterable of parameter dicts (one per variant), not one dict")
    out = []
    for i, r in enumerate(variants):
        if not isinstance(r, Mapping):
            raise TypeError(f"variant {i}: expected a dict of parameters, got {type(r).__name__}")
        out.append(_Variant(i, _canonical({k: v for k, v in r.items() if k != name_column}), _canonical(r)))
    return out


def _scadlive_params(model_path: Path | None, sets_file: Path, what: str) -> dict[str, dict[str, Any]]:
    """Every set of a parameter-set file, typed by the model's customizer (the C core does it)."""
    import subprocess
    if model_path is None:
        raise ValueError(f"{what}: typing its values needs the model as a file path, not text")
    proc = subprocess.run([str(_assets.binary()), "params", str(model_path), "--sets", str(sets_file)],
                          capture_output=True, timeout=60, env=_assets.binary_env())
    if proc.returncode != 0:
        raise ValueError(proc.stderr.decode(errors="replace").strip().removeprefix("scadlive params: "))
    return json.loads(proc.stdout)


def _variants_from_sets(path: Path, model_path: Path | None) -> list[_Variant]:
    sets = _scadlive_params(model_path, path, str(path))
    return [_Variant(i, _canonical(values), {"set": name, **_canonical(values)}, name)
            for i, (name, values) in enumerate(sets.items())]


def _typed_rows(rows: list[dict[str, str]], model_path: Path | None, name_column: str | None,
                what: str) -> list[_Variant]:
    import tempfile
    sets = {str(i): {k: v for k, v in r.items() if k != name_column} for i, r in enumerate(rows)}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"parameterSets": sets, "fileFormatVersion": "1"}, f)
    try:
        typed = _scadlive_params(model_path, Path(f.name), what)
    finally:
        os.unlink(f.name)
    return [_Variant(i, _canonical(typed[str(i)]), {**rows[i], **_canonical(typed[str(i)])})
            for i in range(len(rows))]


# ------------------------------------------------------------ file names

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _template_fields(template: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


def _file_stem(template: str, v: _Variant, phash: str) -> str:
    if "{" not in template:
        if template not in v.labels:
            raise ValueError(f"name={template!r}: variant {v.index} has no column {template!r} "
                             "(a template needs braces: '{hash}', 'part-{width}')")
        stem = str(v.labels[template])
    else:
        fields = {**v.labels, "hash": phash, "index": v.index, "set": v.set_name or ""}
        try:
            stem = template.format(**fields)
        except (KeyError, IndexError) as exc:
            raise ValueError(f"name={template!r}: variant {v.index} has no field {exc}") from None
    stem = _UNSAFE.sub("_", stem).strip(".") or "_"
    return stem


# ------------------------------------------------------------ one variant


@dataclass(frozen=True)
class _Job:
    """What every task needs: the model, its files, the formats (picklable)."""
    text: str
    name: str
    files_b64: dict[str, dict[str, str]]
    formats: tuple[tuple[str, str, str], ...]  # (user name, wire format, extension)
    timeout: float | None
    model_hash: str


def _render_variant(request: Callable[..., Any], job: _Job, params: dict[str, Any],
                    cancel: threading.Event | None) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Render one variant in every format: (manifest fields, {extension: bytes})."""
    row: dict[str, Any] = {"render_ms": None, "cache": None, "error_code": None, "error": None}
    outputs: dict[str, bytes] = {}
    # the model's /* [Hidden] */ variables go in "defines" (api.split_hidden), asked of this bridge once per model
    try:
        hidden = api.hidden_names_via(request, job.text, cancel=cancel) if api.asks_for_names(params) else ()
    except RenderError as exc:
        row["error_code"], row["error"] = exc.code, str(exc)
        return row, {}
    checked, defines = api.split_hidden(params, hidden)
    for _, wire, ext in job.formats:
        header = {"type": "render", "source": job.text, "name": job.name, "files": job.files_b64,
                  "params": checked, "format": wire}
        if defines:
            header["defines"] = defines
        if job.timeout is not None:
            header["deadline_ms"] = int(job.timeout * 1000)
        reply = None
        for attempt in range(3):
            try:
                reply = request(header, timeout=None if job.timeout is None else job.timeout + 10,
                                cancel=cancel)
                break
            except RenderError as exc:
                # a renderer that crashed is replaced at once: one more try; BUSY: wait
                if (exc.code == "RENDERER_LOST" and attempt == 0) or exc.code == "BUSY":
                    time.sleep(0.2 * (attempt + 1))
                    continue
                row["error_code"], row["error"] = exc.code, str(exc)
                return row, {}
        if reply is None:
            row["error_code"], row["error"] = "BUSY", "the bridge stayed busy"
            return row, {}
        h = reply.header
        outputs[ext] = reply.payload[0] if reply.payload else b""
        row["render_ms"] = (row["render_ms"] or 0.0) + float(h.get("render_ms") or 0.0)
        row["cache"] = h.get("cache") if row["cache"] in (None, h.get("cache")) else "mixed"
        # mesh statistics from the first 3D file (a 2D format's reply has 0 triangles)
        if "triangles" in h and (row.get("triangles") is None or (row["triangles"] == 0 and h["triangles"])):
            bbox = h.get("bbox") or {}
            lo, hi = bbox.get("min") or [None] * 3, bbox.get("max") or [None] * 3
            row.update(triangles=int(h["triangles"]), volume=h.get("volume"),
                       bbox_min_x=lo[0], bbox_min_y=lo[1], bbox_min_z=lo[2],
                       bbox_max_x=hi[0], bbox_max_y=hi[1], bbox_max_z=hi[2],
                       watertight=bool(h.get("watertight")))
    return row, outputs


def _write(fs: Any, path: str, data: bytes) -> None:
    """Write atomically: a killed writer leaves no half file under the final name."""
    tmp = f"{path}.part-{uuid.uuid4().hex[:8]}"
    with fs.open(tmp, "wb") as f:
        f.write(data)
    fs.mv(tmp, path)


_local = threading.local()


def _thread_client(process: BridgeProcess) -> SyncBridgeClient:
    """One blocking client per thread (a client's socket is not shared across threads)."""
    clients = getattr(_local, "clients", None)
    if clients is None:
        clients = _local.clients = {}
    c = clients.get(id(process))
    if c is None:
        c = clients[id(process)] = SyncBridgeClient(process)
    return c


# ------------------------------------------------------------ the batch


def _resolve_formats(formats: Sequence[str] | str) -> tuple[tuple[str, str, str], ...]:
    """(name, the bridge's format, file extension) per format; the formats are the bridge's (api._FORMATS)."""
    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(",") if f.strip()]
    out: list[tuple[str, str, str]] = []
    for f in formats:
        f = f.lower().lstrip(".")
        if f not in _FORMATS:
            raise ValueError(f"format {f!r} is not one the bridge renders: use {', '.join(_FORMATS)}")
        wire = _FORMATS[f]
        ext = "stl" if wire in ("binstl", "asciistl") else wire
        if ext in [e for _, _, e in out]:
            raise ValueError(f"formats {formats!r} name the .{ext} files twice")
        out.append((f, wire, ext))
    if not out:
        raise ValueError("formats: give at least one (e.g. ('stl',))")
    return tuple(out)


def batch(source: SourceLike, variants: Any, out_dir: "str | os.PathLike[str]", *,
          formats: "Sequence[str] | str" = ("stl",), client: Any = None,
          library_path: "Sequence[str | os.PathLike[str]] | str | None" = None,
          timeout: float | None = 300.0, name: str = "{hash}", resume: bool = True,
          progress: bool = True, write_on: str | None = None) -> "pd.DataFrame":
    """Render every variant of a model to files and return the manifest.

    ``source``: SCAD text or a path (a path is needed for parameter-set and
    CSV files, whose text values are typed by the model's customizer).
    ``variants``: an iterable of parameter dicts, a pandas DataFrame (one row
    per variant), an OpenSCAD parameter-set ``.json`` file, or a ``.csv``.
    ``out_dir``: a folder or an fsspec URL. ``formats``: file formats (stl,
    asciistl, off, 3mf, svg, dxf: the bridge's). ``client``: a
    ``distributed.Client``; without one, the local bridge's renderers.
    ``library_path``: more library folders for ``include <lib/...>``.
    ``timeout``: seconds per render. ``name``: the file name template (see
    the module doc). ``resume``: skip variants done by an earlier run.
    ``write_on``: ``"workers"`` (files written by the Dask workers, for an
    ``out_dir`` they all reach) or ``"client"`` (bytes sent back, written
    here); default: workers for a URL other than a local path, else client.
    """
    pd = _need("pandas")
    fsspec = _need("fsspec")
    if isinstance(library_path, (str, os.PathLike)):
        library_path = [library_path]
    model = load(source)
    fmts = _resolve_formats(formats)
    name_column = name if "{" not in name else None
    vs = _variants_from(variants, model.path, name_column)
    files = _deps.gather(model, library_path or ())
    files_b64 = {p: {"base64": base64.b64encode(d).decode("ascii")} for p, d in sorted(files.items())}
    mh = hashlib.sha256(json.dumps([model.text, files_b64], sort_keys=True).encode()).hexdigest()[:16]
    job = _Job(model.text, model.name, files_b64, fmts, timeout, mh)

    fs, root = fsspec.core.url_to_fs(str(out_dir))
    fs.makedirs(root, exist_ok=True)
    hashes = [param_hash(v.params) for v in vs]
    paths: list[list[str]] = []
    seen: dict[str, int] = {}
    for v, ph in zip(vs, hashes):
        stem = _file_stem(name, v, ph)
        if stem in seen:
            raise ValueError(f"name={name!r} gives variants {seen[stem]} and {v.index} the same file name "
                             f"{stem!r}; use a template that tells them apart (e.g. '{{hash}}')")
        seen[stem] = v.index
        paths.append([f"{root.rstrip('/')}/{stem}.{ext}" for _, _, ext in fmts])
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    local_fs = protocol in ("file", "local")

    rows: list[dict[str, Any] | None] = [None] * len(vs)
    if resume:
        _resume(pd, fs, root, vs, hashes, mh, paths, rows)

    def base_row(i: int) -> dict[str, Any]:
        v = vs[i]
        r: dict[str, Any] = {"index": v.index, "set": v.set_name}
        for k, val in v.labels.items():
            if k == "set" and v.set_name is not None:
                continue
            r[f"param_{k}" if k in _FIXED or k.startswith("path_") else k] = (
                json.dumps(val) if isinstance(val, list) else val)
        r.update(param_hash=hashes[i], model_hash=mh,
                 path=_display(fs, protocol, paths[i][0]))
        if len(fmts) > 1:
            for (_, _, ext), p in zip(fmts, paths[i]):
                r[f"path_{ext}"] = _display(fs, protocol, p)
        return r

    def finish(i: int, result: dict[str, Any], outputs: dict[str, bytes]) -> None:
        if result.get("error") is None and outputs:
            try:
                for (_, _, ext), p in zip(fmts, paths[i]):
                    _write(fs, p, outputs[ext])
            except OSError as exc:
                result.update(error_code="WRITE", error=f"could not write {paths[i]}: {exc}")
        rows[i] = {**base_row(i), **{c: None for c in _STAT_COLUMNS}, **result, "skipped": False}

    todo = [i for i in range(len(vs)) if rows[i] is None]
    bar = None
    if progress:
        tqdm = _need("tqdm.auto").tqdm
        bar = tqdm(total=len(vs), initial=len(vs) - len(todo), unit="variant", desc="scadlive.batch")
    writer = _ManifestWriter(pd, fs, root, lambda: _frame(pd, rows, base_row, fmts))
    try:
        if client is None:
            _run_local(job, vs, todo, finish, bar, writer)
        else:
            on_workers = (write_on or ("client" if local_fs else "workers")) == "workers"
            _run_dask(client, job, vs, todo, paths, finish, rows, base_row, bar, writer,
                      (str(out_dir), protocol, on_workers))
    finally:
        if bar is not None:
            bar.close()
        if client is not None:  # a worker killed while writing leaves its temporary file
            for leftover in fs.glob(f"{root.rstrip('/')}/*.part-*"):
                try:
                    fs.rm(leftover)
                except OSError:
                    pass
        for i in range(len(vs)):
            if rows[i] is None:
                rows[i] = {**base_row(i), **{c: None for c in _STAT_COLUMNS}, "render_ms": None,
                           "cache": None, "worker": None, "skipped": False, "error_code": "CANCELLED",
                           "error": "CANCELLED: the batch stopped before this variant was rendered"}
        manifest = writer.write()
    return manifest


def _display(fs: Any, protocol: str, path: str) -> str:
    return path if protocol in ("file", "local") else fs.unstrip_protocol(path)


def _frame(pd: Any, rows: list[dict[str, Any] | None], base_row: Callable[[int], dict[str, Any]],
           fmts: tuple[tuple[str, str, str], ...]) -> "pd.DataFrame":
    done = [r if r is not None else {**base_row(i), "error_code": "PENDING", "error": "not rendered yet"}
            for i, r in enumerate(rows)]
    frame = pd.DataFrame(done)
    if "set" in frame.columns and frame["set"].isna().all():
        frame = frame.drop(columns="set")
    failed = frame["error"].notna() if "error" in frame.columns else None
    if failed is not None and failed.any():  # paths name written files only
        for col in [c for c in frame.columns if c == "path" or c.startswith("path_")]:
            frame[col] = frame[col].astype(object).where(~failed, None)
    per_format = [c for c in frame.columns if c.startswith("path_")]
    params = [c for c in frame.columns if c not in _FIXED and c not in per_format]
    rest = [c for c in _FIXED if c in frame.columns and c not in ("index", "set")]
    at = rest.index("path") + 1 if "path" in rest else 0
    order = ["index", "set"] + params + rest[:at] + per_format + rest[at:]
    return frame[[c for c in order if c in frame.columns]]


_FIXED = ["index", "set", "param_hash", "model_hash", "path", *_STAT_COLUMNS, "render_ms", "cache",
          "worker", "skipped", "error_code", "error"]


class _ManifestWriter:
    """Writes manifest.csv and manifest.parquet now and then while the batch runs, and at the end."""

    def __init__(self, pd: Any, fs: Any, root: str, make: Callable[[], "pd.DataFrame"]) -> None:
        self.pd, self.fs, self.root, self.make = pd, fs, root.rstrip("/"), make
        self.last = time.monotonic()

    def maybe(self) -> None:
        if time.monotonic() - self.last >= _MANIFEST_WRITE_INTERVAL_S:
            self.write()

    def write(self) -> "pd.DataFrame":
        frame = self.make()
        for col in frame.columns:  # mixed types (a parameter given as 1 and "a") break Parquet
            if frame[col].dtype == object:
                kinds = {type(x) for x in frame[col] if x is not None and not _is_missing(x)}
                if len(kinds) > 1:
                    frame[col] = frame[col].map(lambda x: None if _is_missing(x) else str(x))
        csv_bytes = frame.to_csv(index=False).encode()
        _write(self.fs, f"{self.root}/{MANIFEST_CSV}", csv_bytes)
        import io
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        _write(self.fs, f"{self.root}/{MANIFEST_PARQUET}", buf.getvalue())
        self.last = time.monotonic()
        return frame


def _resume(pd: Any, fs: Any, root: str, vs: list[_Variant], hashes: list[str], mh: str,
            paths: list[list[str]], rows: list[dict[str, Any] | None]) -> None:
    """Fill ``rows`` with the earlier run's rows of variants done with the same parameters and model."""
    path = f"{root.rstrip('/')}/{MANIFEST_PARQUET}"
    if not fs.exists(path):
        return
    try:
        with fs.open(path, "rb") as f:
            old = pd.read_parquet(f)
    except Exception:  # an unreadable manifest: render everything again
        return
    if "param_hash" not in old.columns:
        return
    done = {}
    for rec in old.to_dict("records"):
        if _is_missing(rec.get("error")) and rec.get("model_hash") == mh:
            done[rec["param_hash"]] = rec
    existing = None
    for i, ph in enumerate(hashes):
        rec = done.get(ph)
        if rec is None:
            continue
        if existing is None:
            existing = {p.rstrip("/") for p in fs.find(root)}
        if all(p in existing or fs.exists(p) for p in paths[i]):
            rec = {k: (None if _is_missing(v) else v) for k, v in rec.items()}
            rec.update(index=vs[i].index, skipped=True, cache="done")
            rows[i] = rec


def _run_local(job: _Job, vs: list[_Variant], todo: list[int],
               finish: Callable[[int, dict[str, Any], dict[str, bytes]], None], bar: Any,
               writer: _ManifestWriter) -> None:
    process = _runtime.process()
    process.ensure()
    renderers = int(os.environ.get("SCADLIVE_WORKERS") or 0) or os.cpu_count() or 2
    in_flight = max(2, min(2 * renderers, 48))  # keep every renderer fed; below the bridge's queue limit
    cancel = threading.Event()

    def one(i: int) -> tuple[dict[str, Any], dict[str, bytes]]:
        if cancel.is_set():
            return {"error_code": "CANCELLED", "error": "CANCELLED: the batch was interrupted"}, {}
        row, out = _render_variant(_thread_client(process).request, job, vs[i].params, cancel)
        row["worker"] = "local"
        return row, out

    pool = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="scadlive-batch")
    pending: dict[Future, int] = {}
    queue = list(reversed(todo))
    try:
        while queue or pending:
            while queue and len(pending) < in_flight:
                i = queue.pop()
                pending[pool.submit(one, i)] = i
            finished, _ = wait(list(pending), timeout=1.0, return_when=FIRST_COMPLETED)
            for fut in finished:
                i = pending.pop(fut)
                row, out = fut.result()
                finish(i, row, out)
                if bar is not None:
                    bar.update(1)
            writer.maybe()
    except BaseException:
        cancel.set()  # renders in flight are cancelled in the bridge within a poll interval
        for fut in pending:
            fut.cancel()
        raise
    finally:
        pool.shutdown(wait=True)


def _run_dask(client: Any, job: _Job, vs: list[_Variant], todo: list[int], paths: list[list[str]],
              finish: Callable[[int, dict[str, Any], dict[str, bytes]], None],
              rows: list[dict[str, Any] | None], base_row: Callable[[int], dict[str, Any]], bar: Any,
              writer: _ManifestWriter, out: tuple[str, str, bool]) -> None:
    distributed = _need("distributed")
    from ._dask import BridgePlugin, has_bridge, render_on_worker
    # once per cluster: registering again would restart every worker's bridge
    # (workers that join later get the plugin from the scheduler)
    flags = client.run(has_bridge)
    if not flags or not all(flags.values()):
        client.register_plugin(BridgePlugin(), name=BridgePlugin.name)
    if not todo:
        return
    job_future = client.scatter(job, broadcast=True, hash=False)
    out_dir, protocol, on_workers = out
    futures = {}
    for i in todo:
        target = (out_dir, paths[i]) if on_workers else None
        fut = client.submit(render_on_worker, job_future, vs[i].params, target, pure=False, retries=2,
                            key=f"scadlive-batch-{job.model_hash}-{param_hash(vs[i].params)}-{uuid.uuid4().hex[:8]}")
        futures[fut] = i
    try:
        for fut in distributed.as_completed(list(futures)):
            i = futures[fut]
            try:
                row, outputs = fut.result()
            except Exception as exc:  # a task that failed on every try (e.g. KilledWorker)
                row, outputs = {"error_code": "WORKER", "error": f"WORKER: {type(exc).__name__}: {exc}"}, {}
            if on_workers:
                rows[i] = {**base_row(i), **{c: None for c in _STAT_COLUMNS}, **row, "skipped": False}
            else:
                finish(i, row, outputs)
            fut.release()
            if bar is not None:
                bar.update(1)
            writer.maybe()
    except BaseException:
        client.cancel(list(futures))
        raise


# ------------------------------------------------------------ CLI


def main(argv: Sequence[str] | None = None) -> int:
    """``scadlive batch MODEL.scad (--sets sets.json | --csv rows.csv) -o DIR ...`` (exit status:
    0 all done, 1 some variants failed (see the manifest), 2 bad arguments, 130 interrupted)."""
    import argparse
    import sys
    p = argparse.ArgumentParser(
        prog="scadlive batch",
        description="Render every variant of a model to files, with a manifest (manifest.csv, "
                    "manifest.parquet) next to them. Reruns skip variants already done.")
    p.add_argument("model", help="the .scad file")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--sets", help="an OpenSCAD parameter-set .json file: one variant per set")
    src.add_argument("--csv", help="a .csv file: one variant per row, one parameter per column")
    p.add_argument("-o", "--out", required=True, help="output folder or fsspec URL")
    p.add_argument("--format", default="stl", help="comma-separated formats (default stl)")
    p.add_argument("--name", default="{hash}",
                   help="file name template: {hash} (default), {index}, {set}, {param}, or a column name")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="a Dask scheduler address (tcp://host:8786)")
    where.add_argument("--workers", type=int,
                       help="a Dask LocalCluster of N worker processes (default: this machine's bridge)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per render (default 300)")
    p.add_argument("--library-path", action="append", default=[], help="more library folders")
    p.add_argument("--no-resume", action="store_true", help="render every variant again")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    a = p.parse_args(argv)
    client = cluster = None
    try:
        if a.scheduler or a.workers:
            distributed = _need("distributed")
            if a.scheduler:
                client = distributed.Client(a.scheduler)
            else:
                cluster = distributed.LocalCluster(n_workers=a.workers, threads_per_worker=1,
                                                   processes=True, dashboard_address=None)
                client = distributed.Client(cluster)
        manifest = batch(Path(a.model), a.sets or a.csv, a.out, formats=a.format, client=client,
                         library_path=a.library_path or None, timeout=a.timeout, name=a.name,
                         resume=not a.no_resume, progress=not a.quiet)
    except (ScadliveError, ValueError, KeyError, FileNotFoundError, ImportError) as exc:
        print(f"scadlive batch: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scadlive batch: interrupted; the manifest lists what was done (rerun to resume)",
              file=sys.stderr)
        return 130
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    failed = int(manifest["error"].notna().sum())
    skipped = int(manifest["skipped"].sum())
    print(f"scadlive batch: {len(manifest)} variants, {len(manifest) - failed - skipped} rendered, "
          f"{skipped} already done, {failed} failed; manifest in {a.out}", file=sys.stderr)
    return 1 if failed else 0


