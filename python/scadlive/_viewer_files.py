"""Files a Viewer writes: OpenSCAD parameter-set files (``model.json``) and
the PNGs the page sends back (screenshots, animation frames).

Parameter sets are read as the C core types them (``scadlive params --sets``,
the same typing ``scadlive render -p/-P`` uses) and written as OpenSCAD
writes them: ``{"parameterSets": {set: {name: "value"}}, "fileFormatVersion":
"1"}``, every value a string (strings as they are, numbers in their shortest
exact form, booleans ``true``/``false``, vectors ``[1, 2, 3]``), names
sorted, four-space indent. A set that did not change keeps its strings as
the file had them.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from ._source import Model


def openscad_value(value: Any) -> str:
    """A parameter value as OpenSCAD writes it in a parameter-set file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be saved in a parameter set (OpenSCAD has no literal for it)")
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(json.dumps(v) if isinstance(v, str) else openscad_value(v) for v in value) + "]"
    raise TypeError(f"a {type(value).__name__} cannot be saved in a parameter set")


def read_sets(path: Path, model: Model) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(typed sets, the file's own sets) of a parameter-set file, typed by the model's customizer."""
    from ._batch import _scadlive_params  # the C core's typing, as batch uses it

    raw = json.loads(path.read_text(encoding="utf-8"))
    sets = raw.get("parameterSets") if isinstance(raw, dict) else None
    if not isinstance(sets, dict):
        raise ValueError(f"{path}: not an OpenSCAD parameter-set file (no \"parameterSets\" object)")
    if model.path is not None:
        typed = _scadlive_params(model.path, path, str(path))
    else:  # inline text: the core reads the customizer from a file
        with tempfile.TemporaryDirectory(prefix="scadlive-sets-") as tmp:
            scad = Path(tmp) / model.name
            scad.write_text(model.text, encoding="utf-8")
            typed = _scadlive_params(scad, path, str(path))
    return {name: {k: _plain(v) for k, v in values.items()} for name, values in typed.items()}, sets


def _plain(v: Any) -> Any:
    """Whole numbers as int (the core's JSON has every number as a double)."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return int(v)
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def write_sets(path: Path, sets: dict[str, dict[str, Any]], original: dict[str, dict[str, Any]],
               unchanged: Callable[[str], bool]) -> None:
    """Write `sets` to `path` atomically in OpenSCAD's format; sets for which
    `unchanged(name)` holds keep their strings from `original`."""
    out: dict[str, dict[str, str]] = {}
    for name, values in sets.items():
        if name in original and unchanged(name):
            out[name] = original[name]
        else:
            out[name] = {k: openscad_value(values[k]) for k in sorted(values)}
    text = json.dumps({"parameterSets": out, "fileFormatVersion": "1"}, indent=4, ensure_ascii=False) + "\n"
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """Write a file atomically (a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class PendingFile:
    """A file the page will send: written when its reply arrives, which in
    Jupyter is after the calling cell has finished (a page's replies queue
    behind the running cell). ``done`` says whether it is there; ``error``
    what went wrong; ``add_done_callback(fn)`` runs ``fn(self)`` then."""

    def __init__(self, what: str, path: Path) -> None:
        self.what = what
        self.path = path
        self.done = False
        self.error: str | None = None
        self.paths: list[Path] = []  # every file written (the frames of an animation)
        self._callbacks: list[Callable[[PendingFile], None]] = []

    def add_done_callback(self, fn: Callable[["PendingFile"], None]) -> None:
        if self.done:
            fn(self)
        else:
            self._callbacks.append(fn)

    def finish(self, error: str | None = None) -> None:
        self.done = True
        self.error = error
        for fn in self._callbacks:
            fn(self)
        self._callbacks.clear()

    def __repr__(self) -> str:
        if not self.done:
            state = "pending: written when the page's reply arrives (after this cell has finished)"
        elif self.error:
            state = f"failed: {self.error}"
        else:
            state = "written" if len(self.paths) <= 1 else f"{len(self.paths)} files written"
        return f"<{self.what} {self.path}: {state}>"
