"""scadlive: live, parametric OpenSCAD models in marimo and Jupyter notebooks.

    import scadlive
    v = scadlive.Viewer(path="part.scad")          # 3D view + customizer
    stl = await v.render_async(params={"width": 20})  # through the bridge, in a running cell
    scadlive.render("cube(10);")                    # headless, binary STL bytes
    scadlive.batch("part.scad", "sets.json", "out/")  # every variant to files + manifest (scadlive[batch])
"""
from __future__ import annotations

from ._assets import info
from ._batch import batch, param_hash
from ._log import LogLine
from .api import RenderResult, parameters, render, render_async
from .compat import openscad_viewer, render_stl, view
from .errors import BridgeLost, BridgeStartError, ParameterError, RenderError, ScadliveError
from .viewer import Viewer

__version__ = "0.1.0"

__all__ = [
    "Viewer", "render", "render_async", "parameters", "batch", "param_hash", "view", "render_stl", "info",
    "RenderResult", "LogLine", "openscad_viewer",
    "ScadliveError", "RenderError", "ParameterError", "BridgeLost", "BridgeStartError", "__version__",
]
