"""Exceptions raised by scadlive. Every one carries a message a notebook user can act on."""
from __future__ import annotations


class ScadliveError(Exception):
    """Base class of every scadlive error."""


class BridgeStartError(ScadliveError):
    """The bridge daemon could not be started."""


class BridgeLost(ScadliveError):
    """The bridge daemon died while a call was waiting for it."""


class RenderError(ScadliveError):
    """The bridge answered a request with an error.

    ``code`` is the protocol's error code (SYNTAX, RENDER, TIMEOUT, CANCELLED,
    BUSY, RENDERER_LOST, PROTOCOL, TOO_LARGE); ``file`` and ``line`` locate
    the problem in the SCAD source where OpenSCAD reported one; ``log`` is
    OpenSCAD's output.
    """

    def __init__(self, code: str, message: str, *, file: str | None = None,
                 line: int | None = None, log: str = "") -> None:
        where = f"{file}:{line}: " if file and line else ""
        super().__init__(f"{code}: {where}{message}")
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.log = log
