"""``python -m scadlive ...`` runs the scadlive CLI (render, params, bridge, ...)."""
from __future__ import annotations

import os
import sys

from . import _assets


def main() -> None:
    exe = str(_assets.binary())
    os.execv(exe, [exe, *sys.argv[1:]])


if __name__ == "__main__":
    main()
