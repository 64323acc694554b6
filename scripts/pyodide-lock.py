"""pyodide-lock.py DIR PYODIDE_LOCK - write DIR/pyodide-lock.json for the wheels in DIR
(its "info": the Pyodide version's, from PYODIDE_LOCK).

Pyodide installs a package named in its lock file (its `imports`, or a
`depends` of another) from the file the lock names, relative to where the
lock was loaded from; micropip, too, takes a package from the lock before
asking PyPI. marimo's WASM page loads the lock file from marimo's site
(with marimo-base and its dependencies added to Pyodide's own); the offline
test (tests/browser/marimo-wasm.test.mjs) serves this one in its place, made
of the wheels scripts/pyodide-wheels.sh fetched. `depends` are the wheel's
Requires-Dist whose markers hold under Pyodide (Emscripten, Python 3.14).
"""
from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

# the environment markers of Pyodide 314 (Python 3.14, Emscripten)
PYODIDE_ENV = {"sys_platform": "emscripten", "platform_system": "Emscripten", "os_name": "posix",
               "platform_machine": "wasm32", "python_version": "3.14", "python_full_version": "3.14.2",
               "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}


def imports_of(whl: zipfile.ZipFile) -> list[str]:
    names = whl.namelist()
    top = next((n for n in names if n.endswith(".dist-info/top_level.txt")), None)
    if top:
        return sorted({line.strip() for line in whl.read(top).decode().splitlines() if line.strip()})
    mods = set()
    for n in names:
        first = n.split("/", 1)[0]
        if first.endswith((".dist-info", ".data")) or first.startswith("_") and "/" not in n:
            continue
        if "/" in n or first.endswith(".py"):
            mods.add(first.removesuffix(".py"))
    return sorted(mods)


def main(folder: Path, pyodide_lock: Path) -> None:
    info = json.loads(pyodide_lock.read_text())["info"]
    entries = {}
    for path in sorted(folder.glob("*.whl")):
        name, version, _, _ = parse_wheel_filename(path.name)
        with zipfile.ZipFile(path) as whl:
            meta_name = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
            meta = HeaderParser().parsestr(whl.read(meta_name).decode("utf-8"))
            imports = imports_of(whl)
        requires = [Requirement(r) for r in meta.get_all("Requires-Dist") or []]
        depends = sorted({canonicalize_name(r.name) for r in requires
                          if r.marker is None or r.marker.evaluate(PYODIDE_ENV)})
        entries[str(name)] = {"name": str(name), "version": str(version), "file_name": path.name,
                              "install_dir": "site", "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                              "package_type": "package", "imports": imports, "depends": depends,
                              "unvendored_tests": False, "shared_library": False}
    missing = {d for e in entries.values() for d in e["depends"] if d not in entries}
    if missing:
        sys.exit(f"pyodide-lock: {folder} lacks wheels for {', '.join(sorted(missing))}")
    (folder / "pyodide-lock.json").write_text(json.dumps({"info": info, "packages": entries}, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
