"""Helpers in the style of jupyterscad, so existing notebooks move over.

``view(obj)`` returns a Viewer (display it, or let the notebook show it as the
cell's value); ``render_stl(obj, path)`` writes binary STL to ``path``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from . import api
from ._source import SourceLike
from .viewer import Viewer


def view(obj: SourceLike, params: dict[str, Any] | None = None, *, height: int = 480,
         renderer: str = "auto") -> Viewer:
    """Show ``obj`` (SCAD text, a path, or a SolidPython2 object)."""
    return Viewer(obj, params=params, height=height, renderer=renderer)


def render_stl(obj: SourceLike, path: "str | os.PathLike[str]",
               params: dict[str, Any] | None = None) -> Path:
    """Render ``obj`` to binary STL at ``path`` and return the path."""
    out = Path(path)
    out.write_bytes(api.render(obj, params))
    return out
