"""Where the package finds its non-Python parts.

An installed wheel carries them inside the package (``scadlive/_bundled``:
the ``scadlive`` binary, the widget bundle, the worker and the OpenSCAD
WASM). In a source checkout (``PYTHONPATH=python``) they are found in the
repository's ``build/`` directory instead, so tests and the demo run against
what ``make build`` produced without installing anything.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_BUNDLED = _PACKAGE_DIR / "_bundled"
_REPO_ROOT = _PACKAGE_DIR.parent.parent


class AssetNotFound(RuntimeError):
    """A required built artefact is missing (the C build or the widget bundle)."""


def _first_existing(candidates: list[Path]) -> Path | None:
    for c in candidates:
        if c.exists():
            return c
    return None


def binary() -> Path:
    """Path of the ``scadlive`` CLI (which also runs the bridge daemon).

    ``SCADLIVE_BIN`` overrides; then the bundled copy; then ``build/native``.
    """
    env = os.environ.get("SCADLIVE_BIN")
    if env:
        p = Path(env)
        if not p.exists():
            raise AssetNotFound(f"SCADLIVE_BIN={env} does not exist")
        return p
    found = _first_existing([
        _BUNDLED / "bin" / "scadlive",
        _REPO_ROOT / "build" / "native" / "scadlive",
    ])
    if found is None:
        which = shutil.which("scadlive")
        if which:
            return Path(which)
        raise AssetNotFound(
            "the scadlive binary was not found: install the package with pip "
            "(which builds it) or run `make build` in the repository")
    return found


def widget_dir() -> Path:
    """Directory holding the widget bundle (``widget.js``) and its worker/WASM files."""
    found = _first_existing([_BUNDLED / "widget", _REPO_ROOT / "build" / "widget"])
    if found is None:
        raise AssetNotFound(
            "the widget bundle was not found: run `make build` (it runs esbuild) "
            "or install the package with pip")
    return found


def bridge_home() -> Path | None:
    """SCADLIVE_HOME for a bundled bridge (renderer/ and build/openscad/), or None in a checkout."""
    home = _BUNDLED / "home"
    return home if (home / "renderer" / "wasm-worker.mjs").exists() else None


# The fonts OpenSCAD's text() finds by default ("Liberation Sans" and its
# family), the same the bridge's renderers mount.
FONT_DIRS = [Path("/usr/share/fonts/truetype/liberation"), Path("/usr/share/fonts/truetype/liberation2")]


def font_files() -> dict[str, bytes]:
    """The ``.ttf`` fonts to send to the page for ``text()``: name -> bytes.

    ``SCADLIVE_FONT_DIR`` overrides the directories searched. Raises
    AssetNotFound when no font is found.
    """
    env = os.environ.get("SCADLIVE_FONT_DIR")
    dirs = [Path(env)] if env else FONT_DIRS
    fonts: dict[str, bytes] = {}
    for d in dirs:
        if d.is_dir():
            for f in sorted(d.glob("*.ttf")):
                fonts.setdefault(f.name, f.read_bytes())
    if not fonts:
        raise AssetNotFound(
            f"no fonts for text() in {', '.join(map(str, dirs))}: install fonts-liberation "
            "or set SCADLIVE_FONT_DIR")
    return fonts
