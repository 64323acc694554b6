"""``python -m scadlive ...`` runs the scadlive CLI (render, params, bridge, ...)."""
from __future__ import annotations

import os
import sys

from . import _assets


def main() -> None:
    """The ``scadlive`` console command: the C binary, with the package's
    renderer home, Node.js and libraries (see ``_assets.binary_env``)."""
    try:
        exe = str(_assets.binary())
    except _assets.AssetNotFound as exc:
        sys.exit(f"scadlive: {exc}")
    os.execve(exe, [exe, *sys.argv[1:]], _assets.binary_env())


if __name__ == "__main__":
    main()
