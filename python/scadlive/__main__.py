"""``python -m scadlive ...`` runs the scadlive CLI (render, params, bridge, ...).

``batch`` is Python's own (scadlive._batch.main: pandas, Dask); every other
command is the C binary's, which in turn hands ``scadlive batch`` to
``python -m scadlive batch``.
"""
from __future__ import annotations

import os
import sys

from . import _assets


def main() -> None:
    """The ``scadlive`` console command: the C binary, with the package's
    renderer home, Node.js and libraries (see ``_assets.binary_env``);
    ``batch`` is Python's own (pandas, Dask)."""
    if len(sys.argv) > 1 and sys.argv[1] == "batch":
        from ._batch import main as batch_main
        raise SystemExit(batch_main(sys.argv[2:]))
    try:
        exe = str(_assets.binary())
    except _assets.AssetNotFound as exc:
        sys.exit(f"scadlive: {exc}")
    os.execve(exe, [exe, *sys.argv[1:]], _assets.binary_env())


if __name__ == "__main__":
    main()
