"""Helpers in the style of jupyterscad, so existing notebooks move over.

``view(obj)`` returns a Viewer (display it, or let the notebook show it as the
cell's value); ``render_stl(obj, output_file)`` writes binary STL. Both take
jupyterscad's arguments: ``width``/``height`` size the view, ``outfile`` also
writes the STL. ``grid_unit`` and ``openscad_exec`` are accepted so that calls
keep working, but scadlive draws its own grid and renders with its bridge,
so a value other than the default is reported with a warning.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from . import api
from ._source import SourceLike
from .viewer import Viewer


def _ignored(name: str, value: Any, default: Any) -> None:
    if value != default:
        warnings.warn(f"scadlive ignores {name}={value!r} (jupyterscad's option): "
                      f"{'the view draws its own grid' if name == 'grid_unit' else 'it renders through its bridge'}",
                      stacklevel=3)


def view(obj: SourceLike, params: dict[str, Any] | None = None, *, width: int | None = None,
         height: int = 480, outfile: "str | os.PathLike[str] | None" = None, renderer: str = "auto",
         grid_unit: float = 1, openscad_exec: "str | os.PathLike[str] | None" = None) -> Viewer:
    """Show ``obj`` (SCAD text, a path, or a SolidPython2 object); with ``outfile``, also write its STL."""
    _ignored("grid_unit", grid_unit, 1)
    _ignored("openscad_exec", openscad_exec, None)
    viewer = Viewer(obj, params=params, height=height, renderer=renderer, width=width or 0)
    if outfile is not None:
        viewer.export(outfile)
    return viewer


def render_stl(obj: SourceLike, output_file: "str | os.PathLike[str]",
               params: dict[str, Any] | None = None, *,
               openscad_exec: "str | os.PathLike[str] | None" = None) -> Path:
    """Render ``obj`` to binary STL at ``output_file`` and return its path."""
    _ignored("openscad_exec", openscad_exec, None)
    out = Path(output_file)
    out.write_bytes(api.render(obj, params))
    return out
