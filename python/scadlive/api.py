"""Rendering without a widget: ``render`` (blocking) and ``render_async``."""
from __future__ import annotations

import base64
import os
from typing import Any, Literal

from . import _deps, _runtime
from ._source import Model, SourceLike, load

Format = Literal["stl", "binstl", "asciistl", "off"]
Quality = Literal["full", "preview"]

_FORMATS = {"stl": "binstl", "binstl": "binstl", "asciistl": "asciistl", "off": "off"}


def build_render_request(model: Model, params: dict[str, Any] | None, *, format: str = "stl",
                         quality: str = "full", renderer: str | None = None,
                         timeout: float | None = None) -> dict[str, Any]:
    """The protocol header of a render request for ``model`` (files included)."""
    if format not in _FORMATS:
        raise ValueError(f"format must be one of {sorted(_FORMATS)}, not {format!r}")
    if quality not in ("full", "preview"):
        raise ValueError(f"quality must be 'full' or 'preview', not {quality!r}")
    header: dict[str, Any] = {
        "type": "render",
        "source": model.text,
        "name": str(model.path) if model.path else model.name,
        "files": {path: {"base64": base64.b64encode(data).decode("ascii")}
                  for path, data in _deps.gather(model).items()},
        "params": dict(params or {}),
        "format": _FORMATS[format],
        "quality": quality,
    }
    if renderer:
        header["renderer"] = renderer
    if timeout is not None:
        header["deadline_ms"] = int(timeout * 1000)
    return header


def render(source: SourceLike | None = None, params: dict[str, Any] | None = None, *,
           path: "str | os.PathLike[str] | None" = None, format: Format = "stl",
           quality: Quality = "full", renderer: str | None = None,
           timeout: float | None = 120.0) -> bytes:
    """Render a model through the bridge and return the file bytes (binary STL by default).

    Raises :class:`scadlive.RenderError` with the SCAD file and line on failure.
    """
    model = load(source, path=path)
    header = build_render_request(model, params, format=format, quality=quality,
                                  renderer=renderer, timeout=timeout)
    reply = _runtime.sync_client().request(header, timeout=None if timeout is None else timeout + 5)
    return reply.payload[0] if reply.payload else b""


async def render_async(source: SourceLike | None = None, params: dict[str, Any] | None = None, *,
                       path: "str | os.PathLike[str] | None" = None, format: Format = "stl",
                       quality: Quality = "full", renderer: str | None = None,
                       timeout: float | None = 120.0) -> bytes:
    """Like :func:`render`, awaitable on the running loop without blocking it.

    Cancelling the awaiting task cancels the render in the bridge.
    """
    model = load(source, path=path)
    header = build_render_request(model, params, format=format, quality=quality,
                                  renderer=renderer, timeout=timeout)
    reply = await _runtime.async_client().request(
        header, timeout=None if timeout is None else timeout + 5)
    return reply.payload[0] if reply.payload else b""


def parameters(source: SourceLike | None = None, *,
               path: "str | os.PathLike[str] | None" = None) -> dict[str, Any]:
    """The model's customizer parameters, in OpenSCAD's ``--export-format=param`` schema."""
    model = load(source, path=path)
    title = (model.path.stem if model.path else "model")
    reply = _runtime.sync_client().request({"type": "params", "source": model.text, "title": title},
                                           timeout=30)
    return dict(reply.header["schema"])
