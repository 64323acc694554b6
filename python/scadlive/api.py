"""Rendering without a widget: ``render`` (blocking) and ``render_async``.

Both return the file's bytes by default; with ``full=True`` they return a
:class:`RenderResult` that also carries OpenSCAD's log lines (ECHO, WARNING,
...), the triangle count, bounding box and timings.
"""
from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Sequence, Union, overload

from . import _deps, _pyodide, _runtime
from ._log import LogLine, lines_of
from ._source import Model, SourceLike, load
from .errors import ParameterError

Format = Literal["stl", "binstl", "asciistl", "off", "3mf", "svg", "dxf"]
Quality = Literal["full", "preview"]
LibraryPath = Union[str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]], None]

# what users write -> the protocol's format
_FORMATS = {"stl": "binstl", "binstl": "binstl", "asciistl": "asciistl", "off": "off",
            "3mf": "3mf", "svg": "svg", "dxf": "dxf"}
# file extension -> format (export(), the CLI's -o)
EXTENSIONS = {".stl": "stl", ".off": "off", ".3mf": "3mf", ".svg": "svg", ".dxf": "dxf"}
FORMATS_2D = ("svg", "dxf")


def format_for_path(path: "str | os.PathLike[str]") -> str:
    """The format a file name asks for: ``.stl .off .3mf .svg .dxf``; anything else is a ValueError."""
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        raise ValueError(f"cannot tell the format of {os.fspath(path)!r} from its extension: "
                         f"use {', '.join(EXTENSIONS)} (or pass format=...)")
    return EXTENSIONS[suffix]


@dataclass
class RenderResult:
    """A render with everything the bridge said about it (``full=True``).

    ``data`` is the file (``format``); ``messages`` are OpenSCAD's log lines
    (:class:`LogLine`), ``echo`` the texts of its ECHO lines and
    ``warnings`` its WARNING/DEPRECATED lines as OpenSCAD prints them;
    ``log`` is the raw log. ``triangles``/``bbox``/``volume`` describe the
    mesh (3D formats); ``cache`` is ``miss``, ``hit`` or ``joined``.
    """
    data: bytes
    format: str
    messages: list[LogLine] = field(default_factory=list)
    log: str = ""
    triangles: int | None = None
    bbox: dict[str, list[float]] | None = None
    volume: float | None = None
    render_ms: float | None = None
    cache: str | None = None

    @property
    def echo(self) -> list[str]:
        return [m.text for m in self.messages if m.level == "ECHO"]

    @property
    def warnings(self) -> list[str]:
        return [str(m) for m in self.messages if m.level in ("WARNING", "DEPRECATED")]

    def __bytes__(self) -> bytes:
        return self.data

    @classmethod
    def from_reply(cls, header: dict[str, Any], payload: list[bytes]) -> "RenderResult":
        return cls(data=payload[0] if payload else b"", format=str(header.get("format", "")),
                   messages=lines_of(header), log=str(header.get("log", "")),
                   triangles=header.get("triangles"), bbox=header.get("bbox"),
                   volume=header.get("volume"), render_ms=header.get("render_ms"),
                   cache=header.get("cache"))


def library_dirs(library_path: LibraryPath) -> list[str]:
    """``library_path`` as a list of directories (one path, an os.pathsep-separated string, or a list)."""
    if library_path is None:
        return []
    if isinstance(library_path, (str, os.PathLike)):
        return [p for p in os.fspath(library_path).split(os.pathsep) if p]
    return [os.fspath(p) for p in library_path]


def closest_name(name: str, names: Sequence[str]) -> str | None:
    """The name closest to ``name`` by case-insensitive edit distance (first 64
    characters; the first on a tie), as the bridge's check picks it."""
    def distance(a: str, b: str) -> int:
        a, b = a[:64].lower(), b[:64].lower()
        row = list(range(len(b) + 1))
        for i in range(1, len(a) + 1):
            diag, row[0] = row[0], i
            for j in range(1, len(b) + 1):
                up = row[j]
                row[j] = min(up + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1]))
                diag = up
        return row[len(b)]
    best: str | None = None
    best_d = -1
    for n in names:
        d = distance(name, n)
        if best is None or d < best_d:
            best, best_d = n, d
    return best


def check_parameter_names(schema: dict[str, Any], params: Mapping[str, Any] | None,
                          hidden: Sequence[str] = ()) -> None:
    """Raise :class:`ParameterError` for a name in ``params`` the model's
    customizer ``schema`` lacks (special variables like ``$fn`` are always
    allowed, and so are the ``hidden`` names: those the model declares in a
    ``/* [Hidden] */`` group, which are sent as ``defines``)."""
    names = [p["name"] for p in schema.get("parameters", []) if isinstance(p, dict) and "name" in p]
    for name in (params or {}):
        if not name.startswith("$") and name not in names and name not in hidden:
            raise ParameterError(name, closest_name(name, names))


# --- names a model declares in a /* [Hidden] */ group ----------------------
# The bridge takes customizer parameters in "params" (checked against the
# model's schema) and other top-level variables in "defines" (OpenSCAD's -D,
# unchecked). A Hidden group's variables are in the model but not in its
# schema, so the API sends them in "defines" for the caller; a name the model
# does not have at all stays in "params", where the bridge refuses it with
# the closest real name. The names come from the bridge's `params` reply
# ("hidden"), kept per model text for the models used last.
_HIDDEN_KEPT = 64
_hidden_by_text: "OrderedDict[str, tuple[str, ...]]" = OrderedDict()
_hidden_lock = threading.Lock()


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _known_hidden(text: str) -> tuple[str, ...] | None:
    """The Hidden names of ``text`` if known without asking (None if not):
    none when the text does not say "Hidden" at all."""
    if "Hidden" not in text:
        return ()
    with _hidden_lock:
        key = _text_key(text)
        found = _hidden_by_text.get(key)
        if found is not None:
            _hidden_by_text.move_to_end(key)
        return found


def _remember_hidden(text: str, reply_header: Mapping[str, Any]) -> tuple[str, ...]:
    hidden = tuple(str(n) for n in reply_header.get("hidden") or ())
    with _hidden_lock:
        _hidden_by_text[_text_key(text)] = hidden
        while len(_hidden_by_text) > _HIDDEN_KEPT:
            _hidden_by_text.popitem(last=False)
    return hidden


def _params_request(text: str, title: str = "model") -> dict[str, Any]:
    return {"type": "params", "source": text, "title": title}


def asks_for_names(params: Mapping[str, Any] | None) -> bool:
    """Whether ``params`` names anything besides special variables (only then do Hidden names matter)."""
    return any(not str(name).startswith("$") for name in (params or {}))


def hidden_names_via(request: Callable[..., Any], text: str, **request_options: Any) -> tuple[str, ...]:
    """The names ``text`` declares in /* [Hidden] */ groups, asked of a bridge
    through ``request`` (a sync client's) when not known yet."""
    known = _known_hidden(text)
    if known is not None:
        return known
    reply = request(_params_request(text), timeout=30, **request_options)
    return _remember_hidden(text, reply.header)


def hidden_names(model: Model) -> tuple[str, ...]:
    """The names ``model`` declares in /* [Hidden] */ groups (its schema leaves them out)."""
    if _pyodide.IS_PYODIDE:
        return _pyodide.hidden_names(model)
    # the client is made only when the names are not known yet (making it may start the bridge)
    return hidden_names_via(lambda *args, **kw: _runtime.sync_client().request(*args, **kw), model.text)


async def hidden_names_async(model: Model) -> tuple[str, ...]:
    """:func:`hidden_names`, awaitable."""
    if _pyodide.IS_PYODIDE:
        return await _pyodide.hidden_names_async(model)
    known = _known_hidden(model.text)
    if known is not None:
        return known
    reply = await _runtime.async_client().request(_params_request(model.text), timeout=30)
    return _remember_hidden(model.text, reply.header)


def split_hidden(params: Mapping[str, Any] | None, hidden: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``params`` as the bridge takes them: ``(params, defines)``, the names
    in ``hidden`` (a Hidden group's) moved to ``defines``."""
    kept: dict[str, Any] = {}
    defines: dict[str, Any] = {}
    for name, value in (params or {}).items():
        (defines if name in hidden and not name.startswith("$") else kept)[name] = value
    return kept, defines


def build_render_request(model: Model, params: dict[str, Any] | None, *, format: str = "stl",
                         quality: str = "full", renderer: str | None = None,
                         timeout: float | None = None, library_path: LibraryPath = None,
                         files: dict[str, bytes] | None = None,
                         hidden: Sequence[str] = ()) -> dict[str, Any]:
    """The protocol header of a render request for ``model`` (files included);
    names in ``hidden`` (the model's Hidden group, :func:`hidden_names`) go in ``defines``."""
    if format not in _FORMATS:
        raise ValueError(f"format must be one of {sorted(_FORMATS)}, not {format!r}")
    if quality not in ("full", "preview"):
        raise ValueError(f"quality must be 'full' or 'preview', not {quality!r}")
    if files is None:
        files = _deps.gather(model, library_dirs(library_path))
    header: dict[str, Any] = {
        "type": "render",
        "source": model.text,
        "name": str(model.path) if model.path else model.name,
        "files": {path: {"base64": base64.b64encode(data).decode("ascii")}
                  for path, data in files.items()},
        "format": _FORMATS[format],
        "quality": quality,
    }
    header["params"], defines = split_hidden(params, hidden)
    if defines:
        header["defines"] = defines
    if renderer:
        header["renderer"] = renderer
    if timeout is not None:
        header["deadline_ms"] = int(timeout * 1000)
    return header


@overload
def render(source: SourceLike | None = ..., params: dict[str, Any] | None = ..., *,
           path: "str | os.PathLike[str] | None" = ..., format: Format = ..., quality: Quality = ...,
           renderer: str | None = ..., timeout: float | None = ..., library_path: LibraryPath = ...,
           full: Literal[False] = ...) -> bytes: ...
@overload
def render(source: SourceLike | None = ..., params: dict[str, Any] | None = ..., *,
           path: "str | os.PathLike[str] | None" = ..., format: Format = ..., quality: Quality = ...,
           renderer: str | None = ..., timeout: float | None = ..., library_path: LibraryPath = ...,
           full: Literal[True]) -> RenderResult: ...
def render(source: SourceLike | None = None, params: dict[str, Any] | None = None, *,
           path: "str | os.PathLike[str] | None" = None, format: Format = "stl",
           quality: Quality = "full", renderer: str | None = None,
           timeout: float | None = 120.0, library_path: LibraryPath = None,
           full: bool = False) -> "bytes | RenderResult":
    """Render a model through the bridge and return the file bytes (binary STL by default).

    ``format``: ``stl`` (binary), ``asciistl``, ``off`` (with colours), ``3mf``
    (with colours) for 3D models; ``svg``, ``dxf`` for 2D ones.
    ``library_path``: extra library folders, searched before OPENSCADPATH,
    the user library folder and the installation's.
    ``full=True`` returns a :class:`RenderResult` (the bytes and OpenSCAD's log lines).
    ``params`` may also set the variables of the model's ``/* [Hidden] */``
    groups (sent as OpenSCAD ``-D`` defines); any other name the customizer
    does not know is a ``PROTOCOL`` error naming the closest one.
    Raises :class:`scadlive.RenderError` with the SCAD file and line on failure.
    """
    if _pyodide.IS_PYODIDE:
        return _web_render_sync(source, params, path=path, format=format, quality=quality,
                                renderer=renderer, timeout=timeout, library_path=library_path, full=full)
    model = load(source, path=path)
    hidden = hidden_names(model) if asks_for_names(params) else ()
    header = build_render_request(model, params, format=format, quality=quality, renderer=renderer,
                                  timeout=timeout, library_path=library_path, hidden=hidden)
    reply = _runtime.sync_client().request(header, timeout=None if timeout is None else timeout + 5)
    result = RenderResult.from_reply(reply.header, reply.payload)
    return result if full else result.data


@overload
async def render_async(source: SourceLike | None = ..., params: dict[str, Any] | None = ..., *,
                       path: "str | os.PathLike[str] | None" = ..., format: Format = ...,
                       quality: Quality = ..., renderer: str | None = ..., timeout: float | None = ...,
                       library_path: LibraryPath = ..., full: Literal[False] = ...) -> bytes: ...
@overload
async def render_async(source: SourceLike | None = ..., params: dict[str, Any] | None = ..., *,
                       path: "str | os.PathLike[str] | None" = ..., format: Format = ...,
                       quality: Quality = ..., renderer: str | None = ..., timeout: float | None = ...,
                       library_path: LibraryPath = ..., full: Literal[True]) -> RenderResult: ...
async def render_async(source: SourceLike | None = None, params: dict[str, Any] | None = None, *,
                       path: "str | os.PathLike[str] | None" = None, format: Format = "stl",
                       quality: Quality = "full", renderer: str | None = None,
                       timeout: float | None = 120.0, library_path: LibraryPath = None,
                       full: bool = False) -> "bytes | RenderResult":
    """Like :func:`render`, awaitable on the running loop without blocking it.

    Cancelling the awaiting task cancels the render in the bridge.
    Under Pyodide (marimo WASM, JupyterLite) it renders with OpenSCAD's
    WebAssembly in the page instead (docs/pyodide.md).
    """
    if _pyodide.IS_PYODIDE:
        return await _web_render(source, params, path=path, format=format, quality=quality,
                                 renderer=renderer, timeout=timeout, library_path=library_path, full=full)
    model = load(source, path=path)
    hidden = await hidden_names_async(model) if asks_for_names(params) else ()
    header = build_render_request(model, params, format=format, quality=quality, renderer=renderer,
                                  timeout=timeout, library_path=library_path, hidden=hidden)
    reply = await _runtime.async_client().request(
        header, timeout=None if timeout is None else timeout + 5)
    result = RenderResult.from_reply(reply.header, reply.payload)
    return result if full else result.data


def parameters(source: SourceLike | None = None, *,
               path: "str | os.PathLike[str] | None" = None) -> dict[str, Any]:
    """The model's customizer parameters, in OpenSCAD's ``--export-format=param`` schema.

    Under Pyodide this needs the WebAssembly loaded (any awaited scadlive call
    does it), unless Pyodide can block on a promise (JSPI).
    """
    return model_parameters(load(source, path=path))[0]


def model_parameters(model: Model) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``model``'s customizer schema (as :func:`parameters`) and the names its
    ``/* [Hidden] */`` groups declare (as :func:`hidden_names`), from one request."""
    title = (model.path.stem if model.path else "model")
    if _pyodide.IS_PYODIDE:
        return _pyodide.parameters(model, title), _pyodide.hidden_names(model)
    reply = _runtime.sync_client().request(_params_request(model.text, title), timeout=30)
    return dict(reply.header["schema"]), _remember_hidden(model.text, reply.header)


async def parameters_async(source: SourceLike | None = None, *,
                           path: "str | os.PathLike[str] | None" = None) -> dict[str, Any]:
    """:func:`parameters`, awaitable (under Pyodide it loads the WebAssembly first)."""
    model = load(source, path=path)
    title = (model.path.stem if model.path else "model")
    if _pyodide.IS_PYODIDE:
        return await _pyodide.parameters_async(model, title)
    reply = await _runtime.async_client().request(_params_request(model.text, title), timeout=30)
    _remember_hidden(model.text, reply.header)
    return dict(reply.header["schema"])


# --- Pyodide: OpenSCAD's WebAssembly in the page, no bridge (scadlive/_pyodide.py)
# What a preview is: the bridge sets $fn to this unless params set it (native/bridge/protocol.c)
PREVIEW_FN = 24


async def _web_render(source: SourceLike | None, params: dict[str, Any] | None, *,
                      path: "str | os.PathLike[str] | None", format: str, quality: str,
                      renderer: str | None, timeout: float | None, library_path: LibraryPath,
                      full: bool) -> "bytes | RenderResult":
    if renderer not in (None, "wasm"):
        raise _pyodide.unavailable(f"renderer={renderer!r}")
    if format not in _FORMATS:
        raise ValueError(f"format must be one of {sorted(_FORMATS)}, not {format!r}")
    if quality not in ("full", "preview"):
        raise ValueError(f"quality must be 'full' or 'preview', not {quality!r}")
    if quality == "preview" and "$fn" not in (params or {}):
        params = {**(params or {}), "$fn": PREVIEW_FN}
    model = load(source, path=path)
    title = (model.path.stem if model.path else "model")
    header = await _pyodide.with_timeout(
        _pyodide.render_async(model, params, format=_FORMATS[format], title=title,
                              library_path=library_dirs(library_path)), timeout)
    result = RenderResult.from_reply(header, [header["data"]])
    return result if full else result.data


def _web_render_sync(*args: Any, **kwargs: Any) -> "bytes | RenderResult":
    from pyodide.ffi import can_run_sync, run_sync  # type: ignore[import-not-found]
    if not can_run_sync():
        raise _pyodide.NotAvailableInPyodide(
            "a blocking scadlive.render() needs Pyodide with JSPI; here, use "
            "`await scadlive.render_async(...)` (it does not hang the cell)")
    return run_sync(_web_render(*args, **kwargs))
