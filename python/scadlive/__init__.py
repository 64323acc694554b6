"""scadlive: live, parametric OpenSCAD models in marimo and Jupyter notebooks.

    import scadlive
    v = scadlive.Viewer(path="part.scad")          # 3D view + customizer
    stl = await v.render_async(params={"width": 20})  # through the bridge, in a running cell
    scadlive.render("cube(10);")                    # headless, binary STL bytes
    scadlive.batch("part.scad", "sets.json", "out/")  # every variant to files + manifest (scadlive[batch])
"""
from __future__ import annotations

import sys

from ._assets import info
from ._log import LogLine
from ._pyodide import NotAvailableInPyodide, web_ready
from .api import RenderResult, parameters, parameters_async, render, render_async
from .errors import BridgeLost, BridgeStartError, ParameterError, RenderError, ScadliveError

if sys.platform != "emscripten":
    from ._batch import batch, param_hash
    from .compat import openscad_viewer, render_stl, view
    from .viewer import Viewer
else:
    # Under Pyodide (docs/pyodide.md): no bridge, so no batch; the Viewer and
    # its helpers render in the page and are imported when first asked for
    # (they need anywidget, which `import scadlive` alone does not).
    def __getattr__(name: str) -> object:
        if name in ("Viewer", "view", "openscad_viewer", "render_stl"):
            try:
                from . import compat
            except ImportError as exc:
                raise ImportError(f"scadlive.{name} needs {exc.name or 'anywidget'}: install it in this "
                                  "notebook (`await micropip.install(\"anywidget\")`)") from exc
            return getattr(compat, name)
        if name in ("batch", "param_hash"):
            from ._pyodide import unavailable
            raise unavailable(f"scadlive.{name}")
        raise AttributeError(f"module 'scadlive' has no attribute {name!r}")

__version__ = "0.1.0"

__all__ = [
    "Viewer", "render", "render_async", "parameters", "parameters_async", "web_ready", "batch", "param_hash", "view", "render_stl", "info",
    "RenderResult", "LogLine", "openscad_viewer",
    "ScadliveError", "RenderError", "ParameterError", "BridgeLost", "BridgeStartError",
    "NotAvailableInPyodide", "__version__",
]
