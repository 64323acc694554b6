"""Normalising what users pass as a model: SCAD text, a path, or a SolidPython2 object."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

SourceLike = Union[str, "os.PathLike[str]", Any]


@dataclass(frozen=True)
class Model:
    """A model ready to send: its text, a name for messages, and its directory.

    ``path`` is the file the text came from (absolute), or None for inline
    text; included files resolve relative to ``base_dir``.
    """
    text: str
    name: str
    path: Path | None
    base_dir: Path


def _looks_like_path(s: str) -> bool:
    return "\n" not in s and s.strip().endswith(".scad") and len(s) < 4096


def load(source: SourceLike | None = None, *, path: "str | os.PathLike[str] | None" = None) -> Model:
    """Turn ``source`` (text, path or object with ``as_scad()``) or ``path`` into a Model."""
    if source is not None and path is not None:
        raise TypeError("give either source or path, not both")
    if path is not None:
        return _from_path(Path(path))
    if source is None:
        raise TypeError("a model is needed: pass SCAD text, a path, or an object with as_scad()")
    if isinstance(source, Model):
        return source
    if isinstance(source, os.PathLike):
        return _from_path(Path(source))
    if hasattr(source, "as_scad") and callable(source.as_scad):
        text = source.as_scad()
        if not isinstance(text, str):
            raise TypeError(f"{type(source).__name__}.as_scad() returned {type(text).__name__}, not str")
        return Model(text=text, name="model.scad", path=None, base_dir=Path.cwd())
    if isinstance(source, str):
        if _looks_like_path(source):
            p = Path(source).expanduser()
            if p.is_file():
                return _from_path(p)
            raise FileNotFoundError(f"no such SCAD file: {source}")
        return Model(text=source, name="model.scad", path=None, base_dir=Path.cwd())
    raise TypeError(f"cannot use a {type(source).__name__} as an OpenSCAD model: "
                    "pass SCAD text, a path, or an object with as_scad()")


def _from_path(p: Path) -> Model:
    p = p.expanduser().resolve()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"no such SCAD file: {p}") from None
    return Model(text=text, name=p.name, path=p, base_dir=p.parent)
