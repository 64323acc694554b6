"""`pip install ./python` builds a package that carries its own binary, widget and renderer."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_pip_install_builds_a_self_contained_package(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                    str(ROOT / "python")], check=True, timeout=900)
    bundled = target / "scadlive" / "_bundled"
    assert (bundled / "bin" / "scadlive").exists()
    assert (bundled / "widget" / "widget.js").stat().st_size > 100_000
    # one copy of OpenSCAD's WebAssembly, the renderer's (the kernel sends it to the page)
    assert (bundled / "home" / "build" / "openscad" / "openscad.wasm").stat().st_size > 1_000_000
    assert not (bundled / "widget" / "openscad.wasm").exists()
    assert (bundled / "home" / "fonts" / "LiberationSans-Regular.ttf").exists()
    assert (bundled / "home" / "libraries" / "MCAD" / "gears.scad").exists()
    assert (bundled / "home" / "renderer" / "wasm-worker.mjs").exists()
    # the installed package renders with its own binary and renderer, from outside the checkout
    code = ("import scadlive, scadlive._assets as a; "
            "assert str(a.binary()).startswith(%r); "
            "stl = scadlive.render('cube([3, 4, 5]);'); print(len(stl))") % str(target)
    env = {k: v for k, v in os.environ.items() if k not in ("SCADLIVE_BIN", "SCADLIVE_HOME")}
    env["PYTHONPATH"] = str(target)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(84 + 50 * 12)
    cli = subprocess.run([sys.executable, "-m", "scadlive", "version"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert cli.stdout.startswith("scadlive ")
