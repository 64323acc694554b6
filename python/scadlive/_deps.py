"""Gathering the files a model needs (include/use/import), to ship with a request.

The scanner itself is the C one (``scadlive deps``), so the CLI, the bridge
and Python agree on what a model includes.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Sequence

from . import _assets
from ._source import Model
from .errors import ScadliveError

MAX_TOTAL_BYTES = 64 * 1024 * 1024


def gather(model: Model, library_path: Sequence[str] = ()) -> dict[str, bytes]:
    """Map of path (relative to the model's directory, or a library path) to content.

    Library files are looked for as OpenSCAD looks for them (native/bridge/deps.h):
    ``library_path`` first, then OPENSCADPATH, the user library folder
    (~/.local/share/OpenSCAD/libraries) and the installation's
    (/usr/share/openscad/libraries).
    """
    args = [str(_assets.binary()), "deps", "--json", "--base-dir", str(model.base_dir)]
    if library_path:
        args += ["--library-path", os.pathsep.join(str(Path(p).expanduser()) for p in library_path)]
    args.append("-")
    proc = subprocess.run(args, input=model.text.encode(), capture_output=True, timeout=60,
                          env=_assets.binary_env())
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip() or f"exit status {proc.returncode}"
        raise ScadliveError(f"could not gather the files {model.name} includes: {msg}")
    listing = json.loads(proc.stdout)
    files: dict[str, bytes] = {}
    total = 0
    for entry in listing.get("files", []):
        data = Path(entry["abs"]).read_bytes()
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            raise ScadliveError(
                f"the files {model.name} includes exceed {MAX_TOTAL_BYTES >> 20} MiB")
        files[entry["path"]] = data
    return files


def content_hash(data: bytes) -> str:
    """The name of a file's contents in the page (32 hex digits): the page keeps
    each content once and asks the kernel only for those it lacks."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()
