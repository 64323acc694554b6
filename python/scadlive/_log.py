"""OpenSCAD's log lines as the bridge sends them (docs/protocol.md, "messages")."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LogLine:
    """One line of OpenSCAD's log: ``level`` is ECHO, WARNING, DEPRECATED, ERROR,
    TRACE (or INFO for scadlive's own notes, such as folded repeats); ``text``
    has no location; ``file``/``line`` say where, when OpenSCAD said so.

    ``str(line)`` reads as OpenSCAD prints it:
    ``WARNING: Ignoring unknown variable 'x' in file part.scad, line 3``.
    """
    level: str
    text: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f" in file {self.file}, line {self.line}" if self.file and self.line else ""
        return f"{self.level}: {self.text}{where}"

    @classmethod
    def from_json(cls, obj: Any) -> "LogLine":
        if not isinstance(obj, dict):
            return cls("INFO", str(obj))
        line = obj.get("line")
        return cls(str(obj.get("level", "INFO")), str(obj.get("text", "")),
                   obj.get("file") if isinstance(obj.get("file"), str) else None,
                   line if isinstance(line, int) else None)


def lines_of(header: dict[str, Any]) -> list[LogLine]:
    """The ``messages`` of a reply header as LogLines (empty when absent)."""
    raw = header.get("messages")
    return [LogLine.from_json(m) for m in raw] if isinstance(raw, list) else []
