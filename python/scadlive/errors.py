"""Exceptions raised by scadlive. Every one carries a message a notebook user can act on."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._log import LogLine


class ScadliveError(Exception):
    """Base class of every scadlive error."""


class BridgeStartError(ScadliveError):
    """The bridge daemon could not be started."""


class BridgeLost(ScadliveError):
    """The bridge daemon died while a call was waiting for it."""


class RenderError(ScadliveError):
    """The bridge answered a request with an error.

    ``code`` is the protocol's error code (SYNTAX, RENDER, TIMEOUT, CANCELLED,
    BUSY, RENDERER_LOST, PROTOCOL, TOO_LARGE); ``reason`` says more for a
    failed render (``syntax``, ``missing_file``, ``not_3d``, ``not_2d``,
    ``recursion``, ``out_of_memory``, ``empty``, ``assertion``, ``error``,
    ``no_output``); ``file`` and ``line`` locate the problem in the SCAD
    source where known; ``field`` names the request field (a parameter) at
    fault; ``log`` is OpenSCAD's output and ``messages`` its lines
    (:class:`scadlive.LogLine`: ECHO, WARNING, ...).

    ``str(exc)`` is the one place the location is printed:
    ``SYNTAX: part.scad:3: syntax error near ';'``.
    """

    def __init__(self, code: str, message: str, *, file: str | None = None,
                 line: int | None = None, log: str = "", reason: str | None = None,
                 field: str | None = None, messages: "list[LogLine] | None" = None) -> None:
        if file and line:
            where = f"{file}:{line}: "
        elif line:
            where = f"line {line}: "
        elif file and code in ("SYNTAX", "RENDER"):
            where = f"{file}: "
        else:
            where = ""
        super().__init__(f"{code}: {where}{message}")
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.log = log
        self.reason = reason
        self.field = field
        self.messages = list(messages or [])


class ParameterError(ScadliveError, ValueError):
    """A parameter name the model does not have (``name``), with the closest
    real one (``suggestion``, or None when the model has no parameters)."""

    def __init__(self, name: str, suggestion: str | None) -> None:
        if suggestion is not None:
            msg = (f'unknown parameter "{name}": the model has no such customizer parameter '
                   f'(did you mean "{suggestion}"?)')
        else:
            msg = f'unknown parameter "{name}": the model has no customizer parameters'
        super().__init__(msg)
        self.name = name
        self.suggestion = suggestion
