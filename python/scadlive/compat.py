"""Helpers in the style of jupyterscad and marimo-openscad, so existing notebooks move over.

``openscad_viewer(model, renderer_type=...)`` is marimo-openscad's entry point:
it returns a :class:`Viewer` (which has ``update_model`` and
``update_scad_code``); ``renderer_type`` "wasm" renders in the browser,
"local" in the kernel (through the bridge), "auto" in the browser with the
kernel as fallback. See docs/migration.md.

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


_RENDERER_TYPES = {"auto": "auto", "wasm": "browser", "local": "kernel"}


def openscad_viewer(model: SourceLike, renderer_type: str = "auto", **kwargs: Any) -> Viewer:
    """marimo-openscad's ``openscad_viewer``: show ``model`` (a SolidPython2
    object, SCAD text or a path) in a :class:`Viewer`.

    ``renderer_type``: ``"wasm"`` (OpenSCAD WebAssembly in the browser),
    ``"local"`` (the kernel renders, through scadlive's bridge) or ``"auto"``.
    Other keyword arguments go to :class:`Viewer` (``params``, ``height``,
    ``width``, ``library_path``, ...).
    """
    if renderer_type not in _RENDERER_TYPES:
        raise ValueError(f"renderer_type must be one of {sorted(_RENDERER_TYPES)}, not {renderer_type!r}")
    if "renderer" in kwargs:
        raise TypeError("give renderer_type (marimo-openscad's name) or use Viewer(renderer=...), not both")
    return Viewer(model, renderer=_RENDERER_TYPES[renderer_type], **kwargs)


def render_stl(obj: SourceLike, output_file: "str | os.PathLike[str]",
               params: dict[str, Any] | None = None, *,
               openscad_exec: "str | os.PathLike[str] | None" = None) -> Path:
    """Render ``obj`` to binary STL at ``output_file`` and return its path."""
    _ignored("openscad_exec", openscad_exec, None)
    out = Path(output_file)
    out.write_bytes(api.render(obj, params))
    return out
