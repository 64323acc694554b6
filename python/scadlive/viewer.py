"""``Viewer``: the anywidget that shows a model with its customizer.

Rendering happens in the page (``renderer="browser"``: OpenSCAD WASM and the
C core in a Web Worker) or in the kernel (``"kernel"``: through the bridge,
the mesh is sent to the page). ``"auto"`` renders in the browser and falls
back to the kernel when the page reports it cannot (``cannot-render``: the
page's render worker failed to start, or the model does not fit the page's
memory budget); the kernel then renders that model until its source changes.

``library_path=`` adds library folders searched before OPENSCADPATH, the
user library folder and the installation's (README "Libraries").
``params`` names are checked against the model's customizer parameters: an
unknown one is an error naming the closest (``Viewer(params=...)`` raises
:class:`scadlive.ParameterError`, ``viewer.params = ...`` a TraitError). The
variables of the model's ``/* [Hidden] */`` groups may be set there too: the
customizer shows no field for them, and renders pass them as OpenSCAD ``-D``
defines (the page and the bridge alike).
``last_log``/``echo``: OpenSCAD's log lines / ECHO texts of the last kernel
render (``render``, ``render_async``, ``export``).

Traits synced with the page: ``source``, ``name``, ``params`` (two-way),
``schema``, ``status``, ``error``, ``warnings`` (OpenSCAD's, of the shown render),
``renderer``, ``height``, ``width``, ``theme``, ``presets`` (two-way: the
model's parameter sets, kept in its OpenSCAD parameter-set file).

Under Pyodide (marimo WASM, JupyterLite: docs/pyodide.md) there is no
kernel process: every ``renderer`` choice renders in the page (the widget's
Web Worker), and ``render``/``render_async``/``export`` render with
OpenSCAD's WebAssembly through ``scadlive._pyodide``.
Custom messages (see docs/widget.md): the page asks ``need-wasm`` / the
kernel answers ``wasm`` + bytes; the kernel sends ``files`` (included files
as [path, content hash]; the page asks ``need-blobs`` for contents it lacks)
``fonts`` (for ``text()``) and ``mesh`` (a kernel-rendered model); the page
sends ``need-files``, ``need-fonts``,
``need-mesh`` (a view opened after the kernel rendered) and ``cannot-render``.
Page-backed calls (``save_screenshot``, ``save_frames``, ``animate``) send a
request and return at once; the page's reply (``screenshot``, ``frame``,
``frames-done``) is written when it arrives, and each view says it shows the
viewer with ``view``.
"""
from __future__ import annotations

import asyncio
import os
import uuid
import warnings
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from . import _assets, _deps, _pyodide, _runtime, api
from ._log import LogLine
from ._source import Model, SourceLike, load
from ._viewer_files import PendingFile, read_sets, write_bytes, write_sets
from .errors import RenderError

_RENDERERS = ("auto", "browser", "kernel")
# the traits the page writes; it also sends them as a "state" message (see _on_custom_msg)
_PAGE_TRAITS = ("params", "status", "error", "warnings", "schema", "presets")


def warnings_in(lines: list[LogLine]) -> list[str]:
    """OpenSCAD's warnings among a render's log lines, once each, as the page
    shows them ("Ignoring unknown variable 'x' in file part.scad, line 3";
    DEPRECATED lines keep their prefix). File names are the model's own: the
    bridge's log parser (native/core/oslog.h) took the renderers' directories out."""
    seen: dict[str, None] = {}
    for m in lines:
        if m.level in ("WARNING", "DEPRECATED"):
            text = str(m)
            seen[text.removeprefix("WARNING: ")] = None
    return list(seen)


def _esm() -> Path | str:
    try:
        return _assets.widget_dir() / "widget.js"
    except _assets.AssetNotFound as exc:
        return f"export default {{ render({{ el }}) {{ el.textContent = {str(exc)!r}; }} }}"


# files the page may ask the kernel to make (see _send_export)
_PAGE_EXPORTS = ("dxf",)


class Viewer(anywidget.AnyWidget):
    """A live 3D view of an OpenSCAD model with its customizer panel.

    ``Viewer(source)`` accepts SCAD text, a path, or a SolidPython2 object
    (anything with ``as_scad()``); ``Viewer(path="part.scad")`` also works.
    """

    _esm = _esm()

    source = traitlets.Unicode("").tag(sync=True)
    name = traitlets.Unicode("model.scad").tag(sync=True)
    params = traitlets.Dict().tag(sync=True)
    schema = traitlets.Dict().tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Dict().tag(sync=True)
    warnings = traitlets.List(traitlets.Unicode()).tag(sync=True)
    renderer = traitlets.Unicode("auto").tag(sync=True)
    height = traitlets.Int(480).tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)  # pixels of the whole widget; 0 fills the cell
    theme = traitlets.Unicode("auto").tag(sync=True)
    # the model's parameter sets {name: {parameter: value}}, kept in its
    # OpenSCAD parameter-set file (presets_path) when it has one
    presets = traitlets.Dict().tag(sync=True)

    def __init__(self, source: SourceLike | None = None, *, path: "str | os.PathLike[str] | None" = None,
                 params: dict[str, Any] | None = None, renderer: str = "auto", height: int = 480,
                 library_path: api.LibraryPath = None, presets_file: "str | os.PathLike[str] | None" = None,
                 **kwargs: Any) -> None:
        if renderer not in _RENDERERS:
            raise ValueError(f"renderer must be one of {_RENDERERS}, not {renderer!r}")
        # plain state first: trait observers run inside super().__init__
        self.library_path: list[str] = api.library_dirs(library_path)
        # OpenSCAD's log lines of the last kernel render (LogLine: ECHO, WARNING, ...)
        self.last_log: list[LogLine] = []
        self._model: Model | None = None
        self._hidden: tuple[str, ...] = ()  # the names the model's /* [Hidden] */ groups declare
        self._files: dict[str, bytes] = {}
        self._last_stl: bytes | None = None
        self._last_reply: dict[str, Any] = {}
        # why the page could not render this model ("auto" only), or None
        self.fallback_reason: str | None = None
        self._kernel_task: asyncio.Task[Any] | None = None
        # kernel renders, latest wins: values that came while a render ran
        # (a drag) wait for it and render next, the intermediate ones skipped;
        # a final value (release, typed, set from Python) cancels a stale render
        self._kernel_pending = False
        self._next_kind: str | None = None  # what the page said the next change is ("drag", "release", "change")
        # parameter sets: the file (given, or the model's name with .json), its
        # sets as read (unchanged ones are written back as they were)
        self._presets_file = Path(presets_file).expanduser().resolve() if presets_file is not None else None
        self._presets_original: dict[str, dict[str, Any]] = {}
        self._presets_read: dict[str, dict[str, Any]] = {}
        self._loading_presets = False
        self._views = 0  # pages showing this viewer (each says so with a "view" message)
        self._pending: dict[str, PendingFile] = {}  # screenshots/frames asked of the page, by request id
        super().__init__(renderer=renderer, height=height, **kwargs)
        self.on_msg(self._on_custom_msg)
        if source is not None or path is not None:
            self.load(source, path=path, params=params)

    # --- model -----------------------------------------------------------
    def load(self, source: SourceLike | None = None, *, path: "str | os.PathLike[str] | None" = None,
             params: dict[str, Any] | None = None) -> None:
        """Show another model (text, path or SolidPython2 object)."""
        model = load(source, path=path)
        if _pyodide.IS_PYODIDE:
            files, known, hidden = self._web_model_info(model)
            schema = known if known is not None else {}
        else:
            files = _deps.gather(model, self.library_path)
            schema, hidden = api.model_parameters(model) if model.text.strip() else ({}, ())
            known = schema
        if known is not None:
            api.check_parameter_names(schema, params, hidden)  # before anything changes: a typo keeps the old model
        self._model = model
        self._hidden = hidden
        self.fallback_reason = None  # a new model: the page tries again
        self._files = files
        defaults = {p["name"]: p.get("initial") for p in schema.get("parameters", [])}
        with self.hold_sync():
            self.schema = schema
            self.name = model.name
            self.params = {**defaults, **(params or {})}
            self.source = model.text
        if self._files:
            self._send_files()
        self._load_presets()
        if known is None:  # Pyodide before its WebAssembly is loaded: finish when it is
            self._keep_task(asyncio.ensure_future(self._finish_web_load(model, params)))

    # --- Pyodide: the model's files and schema from the page's WebAssembly --
    def _web_model_info(self, model: Model
                        ) -> tuple[dict[str, bytes], dict[str, Any] | None, tuple[str, ...]]:
        """Under Pyodide: the files ``model`` includes, its customizer schema and
        its Hidden names, when the C core's WebAssembly is loaded (or Pyodide can
        block on it); else ``({}, None, ())``, and the rest comes from :meth:`_finish_web_load`."""
        try:
            rt = _pyodide.loaded_runtime()
        except _pyodide.ScadliveError:
            return {}, None, ()
        title = model.path.stem if model.path else "model"
        schema = _pyodide.params_with(rt, model, title) if model.text.strip() else {}
        return _pyodide.gather(rt, model, self.library_path), schema, _pyodide.hidden_with(rt, model)

    async def _finish_web_load(self, model: Model, params: dict[str, Any] | None) -> None:
        """The second half of :meth:`load` under Pyodide without JSPI, once the
        WebAssembly is loaded: the model's files, schema and default values (the
        page computes the same schema meanwhile). A parameter name the model
        lacks is shown as the viewer's error, since the call that gave it has returned."""
        try:
            await _pyodide.runtime()
            files, schema, hidden = self._web_model_info(model)
            if self._model is not model or schema is None:
                return  # another model was loaded meanwhile
            api.check_parameter_names(schema, params, hidden)
        except Exception as exc:  # nothing to raise to: shown in the page
            self.error = {"message": str(exc), "code": getattr(exc, "code", "ERROR"),
                          "line": getattr(exc, "line", None), "file": getattr(exc, "file", None)}
            return
        self._files = files
        self._hidden = hidden
        defaults = {p["name"]: p.get("initial") for p in schema.get("parameters", [])}
        with self.hold_sync():
            self.schema = schema
            self.params = {**defaults, **self.params}
        if files:
            self._send_files()

    def _keep_task(self, task: "asyncio.Future[Any]") -> None:
        # kept until done: the loop holds tasks only weakly
        tasks: set[asyncio.Future[Any]] = self.__dict__.setdefault("_export_tasks", set())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def update_model(self, model: SourceLike) -> None:
        """Show another model (marimo-openscad's name for :meth:`load`): a
        SolidPython2 object, SCAD text or a path."""
        self.load(model)

    def update_scad_code(self, code: str) -> None:
        """Show this SCAD code (always code, never read as a file name)."""
        if not isinstance(code, str):
            raise TypeError(f"update_scad_code takes SCAD text, not {type(code).__name__}")
        base = self._model.base_dir if self._model is not None else Path.cwd()
        self.load(Model(text=code, name="model.scad", path=None, base_dir=base))

    def _send_files(self) -> None:
        # The page keeps file contents once per page by hash and asks for the
        # ones it lacks ("need-blobs"): a library's files cross the wire once
        # per page, not once per viewer, render or load.
        self.send({"type": "files", "files": [[p, _deps.content_hash(self._files[p])] for p in sorted(self._files)]})

    def _send_blobs(self, hashes: Any) -> None:
        by_hash = {_deps.content_hash(data): data for data in self._files.values()}
        wanted = [h for h in hashes if isinstance(h, str)] if isinstance(hashes, list) else []
        found = [h for h in wanted if h in by_hash]
        # `asked`: hashes this model no longer has are settled as missing in the page
        self.send({"type": "blobs", "hashes": found, "asked": wanted}, [by_hash[h] for h in found])

    # --- page messages ---------------------------------------------------
    def _on_custom_msg(self, _widget: Any, content: dict[str, Any], buffers: list[bytes]) -> None:
        kind = content.get("type")
        if kind == "state":
            # The page's trait changes, sent as a message too: in Jupyter a
            # sync that arrives while a cell awaits gets no idle status from
            # ipykernel 7, and ipywidgets then holds every later sync of this
            # widget; messages still arrive. set_state applies them as the
            # page's own state (not echoed back); a repeat changes nothing.
            state = content.get("state")
            if isinstance(state, dict):
                try:
                    self.set_state({k: v for k, v in state.items() if k in _PAGE_TRAITS})
                except traitlets.TraitError as exc:  # a malformed message: keep the last good state
                    warnings.warn(f"scadlive: ignored a state message from the page: {exc}", stacklevel=2)
        elif kind == "need-wasm":
            wasm = _assets.openscad_wasm()
            self.send({"type": "wasm", "version": content.get("version", "")}, [wasm.read_bytes()])
        elif kind == "need-files":
            self._send_files()
        elif kind == "need-blobs":
            self._send_blobs(content.get("hashes"))
        elif kind == "need-fonts":
            try:
                fonts = _assets.font_files()
            except _assets.AssetNotFound as exc:  # the page renders without fonts and says why
                self.send({"type": "fonts", "names": [], "error": str(exc)})
            else:
                names = sorted(fonts)
                self.send({"type": "fonts", "names": names}, [fonts[n] for n in names])
        elif kind == "need-mesh":
            if self._last_stl is not None:
                self._show(self._last_stl, self._last_reply)
            elif self.renders_in_kernel and (self._kernel_task is None or self._kernel_task.done()):
                self._schedule_kernel_render()
        elif kind == "render-kind":
            # sent by the page just before a change of `params` it makes
            self._next_kind = str(content.get("kind") or "change")
        elif kind == "need-export":
            self._send_export(str(content.get("format") or ""))
        elif kind == "cancel":  # the page's Cancel control, for a render in the kernel
            self._cancel_kernel_render()
        elif kind == "view":
            self._views = max(0, self._views + (1 if content.get("open") else -1))
        elif kind in ("screenshot", "frame", "frames-done"):
            self._on_capture(kind, content, buffers)
        elif kind == "cannot-render" and self.renderer == "auto":
            self.fallback_reason = str(content.get("reason") or "the page cannot render this model")
            self._schedule_kernel_render()

    def _send_export(self, fmt: str) -> None:
        """Answer the page's ``need-export``: the current model and parameters
        rendered through the bridge as ``fmt`` (the DXF of a 2D model the kernel
        rendered: the page may have no OpenSCAD of its own then)."""
        def reply(data: bytes | None, error: str | None = None) -> None:
            if error is not None:
                self.send({"type": "export", "format": fmt, "error": error})
            else:
                self.send({"type": "export", "format": fmt}, [data or b""])

        if fmt not in _PAGE_EXPORTS or self._model is None:
            reply(None, f"the kernel makes no {fmt or 'unnamed'} file for the page" if self._model is not None
                  else "this viewer has no model yet")
            return
        model, params = self._model_for_current_source(), dict(self.params)

        async def run() -> None:
            try:
                reply(await api.render_async(model, params, format=fmt, library_path=self.library_path))
            except Exception as exc:  # the page shows it under its download button
                reply(None, str(exc))

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            try:
                reply(api.render(model, params, format=fmt, library_path=self.library_path))
            except Exception as exc:
                reply(None, str(exc))
        else:
            self._keep_task(loop.create_task(run()))

    @property
    def renders_in_kernel(self) -> bool:
        """True when the kernel renders what this viewer shows (``"kernel"``, or ``"auto"`` after a fallback)."""
        return self.renderer == "kernel" or (self.renderer == "auto" and self.fallback_reason is not None)

    @traitlets.validate("renderer")
    def _valid_renderer(self, proposal: dict[str, Any]) -> str:
        if proposal["value"] not in _RENDERERS:
            raise traitlets.TraitError(f"renderer must be one of {_RENDERERS}, not {proposal['value']!r}")
        if _pyodide.IS_PYODIDE:
            return "browser"  # the page is the only place there is to render in
        return str(proposal["value"])

    @traitlets.validate("params")
    def _valid_params(self, proposal: dict[str, Any]) -> dict[str, Any]:
        value = proposal["value"]
        if self.schema:
            try:
                api.check_parameter_names(self.schema, value, self._hidden)
            except ValueError as exc:
                raise traitlets.TraitError(str(exc)) from None
        return dict(value)

    @property
    def echo(self) -> list[str]:
        """The ECHO texts of the last kernel render (see ``last_log``)."""
        return [m.text for m in self.last_log if m.level == "ECHO"]

    @traitlets.observe("params", "source", "renderer")
    def _on_change(self, change: dict[str, Any]) -> None:
        if change["name"] == "source" and self.renderer == "auto":
            self.fallback_reason = None  # a new model: the page tries again, as it does on its side
        kind, self._next_kind = self._next_kind or "change", None
        if self.renders_in_kernel and self._model is not None:
            self._schedule_kernel_render(final=kind != "drag" or change["name"] != "params")

    def _kernel_rendering(self) -> bool:
        return self._kernel_task is not None and not self._kernel_task.done()

    def _schedule_kernel_render(self, final: bool = True) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:
            if self._kernel_rendering():
                if not final:
                    self._kernel_pending = True  # rendered when the running one ends
                    return
                self._kernel_task.cancel()  # stale: its bridge render is cancelled too
            self._kernel_pending = False
            self._kernel_task = loop.create_task(self._kernel_render_quiet())
        else:
            try:
                self.render()
            except Exception:  # shown in the page via `error`
                pass

    async def _kernel_render_quiet(self) -> None:
        self.send({"type": "kernel-render", "state": "start"})  # the page shows progress and Cancel
        try:
            await self.render_async()
        except Exception:  # shown in the page via `error`; nothing to raise to
            pass
        finally:
            self.send({"type": "kernel-render", "state": "end"})
        if self._kernel_pending:  # values that came during the render: the latest of them now
            self._kernel_pending = False
            self._kernel_task = None
            self._schedule_kernel_render()

    def _cancel_kernel_render(self) -> bool:
        self._kernel_pending = False
        if not self._kernel_rendering():
            return False
        assert self._kernel_task is not None
        self._kernel_task.cancel()  # the bridge cancels the render
        self.status = "cancelled (last model shown)"
        return True

    def cancel(self) -> None:
        """Stop this viewer's running render, in the kernel or in the page; the last model stays shown.

        A later change of ``params`` or ``source`` renders again as usual.
        """
        self._cancel_kernel_render()
        self.send({"type": "cancel"})

    def _show(self, stl: bytes, reply: dict[str, Any] | None = None) -> None:
        """Send a kernel-rendered model to the page (and keep it for views opened later)."""
        self._last_stl = stl
        self._last_reply = {k: reply[k] for k in ("render_ms", "cache", "log", "messages", "format")
                            if reply and k in reply}
        self.send({"type": "mesh", "format": "binstl", **self._last_reply}, [stl])

    # --- Python API ------------------------------------------------------
    async def render_async(self, source: SourceLike | None = None, params: dict[str, Any] | None = None,
                           timeout: float | None = 120.0) -> bytes:
        """Render through the bridge, show the result, and return binary STL bytes
        (SVG bytes for a 2D model, which the page draws flat).

        Works inside a running Jupyter or marimo cell; many may run at once.
        """
        if _pyodide.IS_PYODIDE:
            return await self._render_in_page(source, params, timeout)
        self.status = "rendering in the kernel"
        try:
            self._apply(source, params)
            model = self._model_for_current_source()
            header = api.build_render_request(model, self.params, timeout=timeout, library_path=self.library_path,
                                              hidden=await api.hidden_names_async(model))
            client, wait = _runtime.async_client(), None if timeout is None else timeout + 5
            try:
                if self.renders_in_kernel and self._may_have_colours():
                    # the caller gets STL; the page gets OFF, which keeps color()'s
                    # colours: both rendered side by side in the bridge's pool
                    replies = await asyncio.gather(client.request(header, timeout=wait),
                                                   client.request({**header, "format": "off"}, timeout=wait),
                                                   return_exceptions=True)
                    for r in replies:
                        if isinstance(r, BaseException):
                            raise r
                    reply, shown = replies  # type: ignore[misc]
                else:
                    reply = shown = await client.request(header, timeout=wait)
            except RenderError as exc:
                if exc.reason != "not_3d":
                    raise
                # a 2D model: its SVG is what the page draws (flat) and what is returned
                reply = shown = await client.request({**header, "format": "svg"}, timeout=wait)
        except Exception as exc:
            self._set_error(exc)
            self.status = "error"
            raise
        stl = reply.payload[0] if reply.payload else b""
        self._set_result(api.RenderResult.from_reply(reply.header, reply.payload))
        shape = ("2D shape" if reply.header.get("format") in api.FORMATS_2D
                 else f"{reply.header.get('triangles', '?')} triangles")
        self.status = f"{shape}, {reply.header.get('render_ms', '?')} ms ({reply.header.get('cache', 'miss')})"
        self._show(shown.payload[0] if shown.payload else b"", shown.header)
        return stl

    def _apply(self, source: SourceLike | None, params: dict[str, Any] | None) -> None:
        """What render_async(source, params) renders: the new model and values applied."""
        if source is not None:
            self.load(source, params=params)
        elif params is not None:
            self.params = {**self.params, **params}
        if self._model is None:
            raise ValueError("this viewer has no model yet: pass source=...")

    async def _render_in_page(self, source: SourceLike | None, params: dict[str, Any] | None,
                              timeout: float | None) -> bytes:
        """:meth:`render_async` under Pyodide: OpenSCAD's WebAssembly renders the
        current model and parameters (the view renders the same in its worker)."""
        try:
            self._apply(source, params)
            model = self._model_for_current_source()
            try:
                result = await api.render_async(model, self.params, timeout=timeout,
                                                library_path=self.library_path, full=True)
            except RenderError as exc:
                if exc.reason != "not_3d":
                    raise
                result = await api.render_async(model, self.params, format="svg", timeout=timeout,
                                                library_path=self.library_path, full=True)
        except Exception as exc:
            self._set_error(exc)
            raise
        self._set_result(result)
        return result.data

    def _set_error(self, exc: Exception) -> None:
        self.last_log = list(getattr(exc, "messages", []))
        self.error = {"message": str(getattr(exc, "message", exc)), "line": getattr(exc, "line", None),
                      "file": getattr(exc, "file", None), "code": getattr(exc, "code", "ERROR"),
                      "reason": getattr(exc, "reason", None),
                      "messages": [vars(m) for m in self.last_log]}  # OpenSCAD's log lines, for the page's console

    def _set_result(self, result: api.RenderResult) -> None:
        self.last_log = result.messages
        self.error = {}
        self.warnings = warnings_in(result.messages)

    def _may_have_colours(self) -> bool:
        """True when the model or a file it includes mentions color() (then the page is sent OFF)."""
        return "color" in self.source or any(b"color" in data for data in self._files.values())

    def _model_for_current_source(self) -> Model:
        assert self._model is not None
        if self.source == self._model.text:
            return self._model
        return Model(text=self.source, name=self._model.name, path=self._model.path,
                     base_dir=self._model.base_dir)

    def render(self, timeout: float | None = 120.0) -> bytes:
        """Blocking render of the current model and parameters: binary STL (SVG for a 2D model)."""
        if self._model is None:
            raise ValueError("this viewer has no model yet")
        model = self._model_for_current_source()
        try:
            try:
                result = api.render(model, self.params, timeout=timeout, library_path=self.library_path,
                                    full=True)
            except RenderError as exc:
                if exc.reason != "not_3d":
                    raise
                result = api.render(model, self.params, format="svg", timeout=timeout,
                                    library_path=self.library_path, full=True)
        except RenderError as exc:
            self._set_error(exc)
            raise
        self._set_result(result)
        if not _pyodide.IS_PYODIDE:  # under Pyodide the page renders the same model itself
            self._show(result.data, {"render_ms": result.render_ms, "cache": result.cache, "log": result.log,
                                     "format": result.format, "messages": [vars(m) for m in result.messages]})
        return result.data

    def export(self, path: "str | os.PathLike[str]", *, format: api.Format | None = None) -> Path:
        """Write the current model to ``path``; the format follows the extension
        (.stl .off .3mf for 3D models, .svg .dxf for 2D ones) unless ``format`` is given.
        An unknown extension is a ValueError; a 2D model asked for STL (or a 3D
        one for SVG) is a RenderError naming the formats that fit."""
        out = Path(path)
        fmt = format or api.format_for_path(out)
        if self._model is None:
            raise ValueError("this viewer has no model yet")
        result = api.render(self._model_for_current_source(), self.params, format=fmt,
                            library_path=self.library_path, full=True)
        self.last_log = result.messages
        out.write_bytes(result.data)
        return out

    async def export_async(self, path: "str | os.PathLike[str]", *, format: api.Format | None = None) -> Path:
        """:meth:`export`, awaitable: for a running cell, and under Pyodide,
        where a blocking render needs JSPI (docs/pyodide.md)."""
        out = Path(path)
        fmt = format or api.format_for_path(out)
        if self._model is None:
            raise ValueError("this viewer has no model yet")
        result = await api.render_async(self._model_for_current_source(), self.params, format=fmt,
                                        library_path=self.library_path, full=True)
        self.last_log = result.messages
        out.write_bytes(result.data)
        return out

    # --- parameter sets (OpenSCAD's model.json) ---------------------------
    @property
    def presets_path(self) -> Path | None:
        """The parameter-set file: ``presets_file=`` if given, else the model's
        file with ``.json`` (as OpenSCAD keeps it); None for a model given as text."""
        if self._presets_file is not None:
            return self._presets_file
        if self._model is not None and self._model.path is not None:
            return self._model.path.with_suffix(".json")
        return None

    def _load_presets(self) -> None:
        path = self.presets_path
        typed: dict[str, dict[str, Any]] = {}
        self._presets_original = {}
        if path is not None and path.is_file() and self._model is not None:
            typed, self._presets_original = read_sets(path, self._model)
        self._presets_read = {k: dict(v) for k, v in typed.items()}
        self._loading_presets = True
        try:
            self.presets = typed
        finally:
            self._loading_presets = False

    @traitlets.observe("presets")
    def _write_presets(self, change: dict[str, Any]) -> None:
        path = self.presets_path
        if self._loading_presets or path is None:
            return
        write_sets(path, self.presets, self._presets_original,
                   lambda name: self._presets_read.get(name) == self.presets.get(name))

    def apply_preset(self, name: str) -> None:
        """Set the parameters to those of the parameter set ``name``."""
        if name not in self.presets:
            raise KeyError(f"no parameter set {name!r} (the sets are: {', '.join(self.presets) or 'none'})")
        self.params = {**self.params, **self.presets[name]}

    def save_preset(self, name: str, params: dict[str, Any] | None = None) -> None:
        """Save the current parameters (or ``params``) as the set ``name``, new or
        replacing one, in the parameter-set file (presets_path) when there is one."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a parameter set needs a name")
        values = dict(self.params if params is None else params)
        known = {p["name"] for p in self.schema.get("parameters", [])}
        if known:
            api.check_parameter_names(self.schema, values, self._hidden)
            values = {k: v for k, v in values.items() if k in known}
        self.presets = {**self.presets, name: values}

    def delete_preset(self, name: str) -> None:
        """Delete the parameter set ``name`` (from the file too)."""
        if name not in self.presets:
            raise KeyError(f"no parameter set {name!r} (the sets are: {', '.join(self.presets) or 'none'})")
        self.presets = {k: v for k, v in self.presets.items() if k != name}

    # --- what the page sends back: screenshots, animation frames ----------
    def _ask_page(self, request: dict[str, Any], pending: PendingFile) -> PendingFile:
        if self._views <= 0:
            raise RuntimeError(f"no page shows this viewer, so there is no view to take a {pending.what} of: "
                               "display it first (the viewer as a cell's output), then ask again")
        request_id = uuid.uuid4().hex
        self._pending[request_id] = pending
        self.send({**request, "id": request_id})
        return pending

    def save_screenshot(self, path: "str | os.PathLike[str]") -> PendingFile:
        """Ask the page for a PNG of the view and write it to ``path`` when it arrives.

        Returns at once, without waiting (a cell that waited for the page would
        hang in Jupyter: the page's reply queues behind the running cell). The
        file appears when the reply arrives: in Jupyter after the calling cell
        has finished, in marimo usually while it runs. The returned object says
        when (``done``, ``add_done_callback``). Raises RuntimeError when no page
        shows the viewer.
        """
        return self._ask_page({"type": "screenshot"}, PendingFile("screenshot", Path(path).expanduser()))

    def animate(self, steps: int = 20, fps: float = 5, *, play: bool = True) -> None:
        """Play (or with ``play=False`` stop) the model's animation in the page:
        ``$t`` = i / steps for frame i, ``fps`` frames a second, as OpenSCAD's
        animation does. Frames render in the page and are cached there."""
        if int(steps) < 1 or not fps > 0:
            raise ValueError("steps must be at least 1 and fps above 0")
        if self._views <= 0:
            raise RuntimeError("no page shows this viewer: display it first, then animate it")
        self.send({"type": "animate", "steps": int(steps), "fps": float(fps), "playing": bool(play)})

    def save_frames(self, directory: "str | os.PathLike[str]", steps: int = 20) -> PendingFile:
        """Render every animation frame ($t = i / steps) in the page and write
        them as ``<model>-frame00000.png``... into ``directory`` as they arrive;
        returns at once, like :meth:`save_screenshot`."""
        if int(steps) < 1:
            raise ValueError("steps must be at least 1")
        return self._ask_page({"type": "frames", "steps": int(steps)},
                              PendingFile("animation frames", Path(directory).expanduser()))

    def _on_capture(self, kind: str, content: dict[str, Any], buffers: list[bytes]) -> None:
        pending = self._pending.get(str(content.get("id")))
        if pending is None:
            return  # another view answered first, or a request of an earlier kernel
        if content.get("error"):
            del self._pending[str(content.get("id"))]
            pending.finish(str(content["error"]))
        elif kind == "screenshot":
            del self._pending[str(content.get("id"))]
            if not buffers:
                pending.finish("the page sent no image")
                return
            write_bytes(pending.path, bytes(buffers[0]))
            pending.paths.append(pending.path)
            pending.finish()
        elif kind == "frame" and buffers:
            stem = self.name.removesuffix(".scad")
            out = pending.path / f"{stem}-frame{int(content.get('index', len(pending.paths))):05d}.png"
            write_bytes(out, bytes(buffers[0]))
            pending.paths.append(out)
        elif kind == "frames-done":
            del self._pending[str(content.get("id"))]
            pending.finish()
