"""OpenSCAD's log, errors that name their real cause, libraries where OpenSCAD
finds them, and unknown parameter names: through the real bridge, from Python
and from the CLI."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import traitlets

import scadlive
from scadlive import _assets
from scadlive.errors import ParameterError, RenderError

ECHOES = 'w = 10; // [1:100]\necho("width", w);\nx = undefined_thing + 1;\ncube(w);\n'


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(_assets.binary()), "render", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)


# ------------------------------------------------------------------ echo/log

def test_echo_and_warnings_in_python_without_changing_the_bytes_return() -> None:
    stl = scadlive.render(ECHOES, {"w": 4})
    assert isinstance(stl, bytes) and (len(stl) - 84) // 50 == 12
    full = scadlive.render(ECHOES, {"w": 4}, full=True)
    assert full.data == stl and full.triangles == 12
    assert full.echo == ['"width", 4']
    assert any("undefined_thing" in w and "line 3" in w for w in full.warnings)
    warning = next(m for m in full.messages if m.level == "WARNING")
    assert (warning.file, warning.line) == ("model.scad", 3)


async def test_echo_from_render_async_and_the_viewer() -> None:
    full = await scadlive.render_async(ECHOES, {"w": 6}, full=True)
    assert full.echo == ['"width", 6']
    assert isinstance(await scadlive.render_async(ECHOES), bytes)
    v = scadlive.Viewer(ECHOES)
    stl = await v.render_async(params={"w": 7})
    assert isinstance(stl, bytes)
    assert v.echo == ['"width", 7']
    assert any(m.level == "WARNING" and m.line == 3 for m in v.last_log)


def test_cli_prints_echo_and_warnings_on_stderr_as_openscad_does(tmp_path: Path) -> None:
    (tmp_path / "part.scad").write_text(ECHOES)
    r = cli("part.scad", "-o", "part.stl", "-D", "w=3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert 'ECHO: "width", 3' in lines
    assert any(ln.startswith("WARNING:") and ln.endswith("in file part.scad, line 3") for ln in lines)


# ------------------------------------------------------------------ errors

CASES = {
    # name: (source, format, code, reason, line)
    "syntax": ("cube(1);\n\nx = ;\n", "stl", "SYNTAX", None, 3),
    "missing include": ("// uses a library that is not installed\ninclude <NoSuchLib/std.scad>\ncuboid(10);\n",
                        "stl", "RENDER", "missing_file", 2),
    "2D as STL": ("square(3);\n", "stl", "RENDER", "not_3d", None),
    "3D as SVG": ("cube(3);\n", "svg", "RENDER", "not_2d", None),
    "recursion": ("function f(n) = f(n + 1) + 1;\ncube(f(1));\n", "stl", "RENDER", "recursion", None),
    "empty": ('echo("nothing here");\nx = 1;\n', "stl", "RENDER", "empty", None),
    "assertion": ('size = 3;\nassert(size > 5, "too small");\ncube(size);\n', "stl", "RENDER", "assertion", 2),
}


@pytest.mark.parametrize("renderer", ["wasm", "openscad"])
@pytest.mark.parametrize("case", list(CASES))
def test_each_error_names_its_cause_once(case: str, renderer: str) -> None:
    source, fmt, code, reason, line = CASES[case]
    with pytest.raises(RenderError) as exc:
        scadlive.render(source, format=fmt, renderer=renderer)  # type: ignore[arg-type]
    e = exc.value
    assert e.code == code
    if reason:
        assert e.reason == reason
    if line:
        assert (e.file, e.line) == ("model.scad", line)
        assert str(e).count(f":{line}") == 1 and "line" not in e.message
    assert "no geometry" not in e.message or reason == "empty"
    if case == "missing include":
        assert "'NoSuchLib/std.scad'" in e.message
    if case == "empty":
        assert e.messages and e.messages[0].level == "ECHO"  # the log comes with the error
    if case == "recursion" and renderer == "wasm":
        assert "stack" in e.message  # the WASM stack overflow, not "no geometry"


def test_cli_prints_each_error_once_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "part.scad").write_text(CASES["missing include"][0])
    r = cli("part.scad", "-o", "part.stl", cwd=tmp_path)
    assert r.returncode == 1
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("scadlive render:")]
    assert len(errors) == 1 and errors[0].startswith("scadlive render: part.scad:2: cannot find 'NoSuchLib/std.scad'")
    (tmp_path / "bad.scad").write_text("cube(1);\n\nx = ;\n")
    r = cli("bad.scad", "-o", "bad.stl", cwd=tmp_path)
    assert r.stderr.strip() == "scadlive render: bad.scad:3: syntax error near ';'"


# ------------------------------------------------------------------ libraries

def make_lib(root: Path, name: str, size: int) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "std.scad").write_text(f"include <parts.scad>\nmodule block() cube({size});\n")
    (root / name / "parts.scad").write_text("module unused() {}\n")


USES_LIB = "include <mylib/std.scad>\nblock();\n"


def size_of(stl: bytes) -> float:
    import struct
    n = struct.unpack_from("<I", stl, 80)[0]
    return max(struct.unpack_from("<f", stl, 84 + 50 * t + 12 + 12 * k)[0] for t in range(n) for k in range(3))


def test_libraries_are_found_where_openscad_looks_in_its_order(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    home, osp, explicit = tmp_path / "home", tmp_path / "osp", tmp_path / "explicit"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("OPENSCADPATH", raising=False)
    with pytest.raises(RenderError) as exc:
        scadlive.render(USES_LIB)
    assert exc.value.reason == "missing_file" and exc.value.line == 1
    make_lib(home / ".local/share/OpenSCAD/libraries", "mylib", 2)  # the user library folder
    assert size_of(scadlive.render(USES_LIB)) == 2
    make_lib(osp, "mylib", 3)  # OPENSCADPATH comes before the user folder
    monkeypatch.setenv("OPENSCADPATH", str(osp))
    assert size_of(scadlive.render(USES_LIB)) == 3
    make_lib(explicit, "mylib", 4)  # library_path= comes first
    assert size_of(scadlive.render(USES_LIB, library_path=explicit)) == 4
    v = scadlive.Viewer(USES_LIB, library_path=[explicit])
    assert size_of(v.render()) == 4
    # XDG_DATA_HOME moves the user folder, as in OpenSCAD
    monkeypatch.delenv("OPENSCADPATH")
    make_lib(tmp_path / "xdg/OpenSCAD/libraries", "mylib", 5)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert size_of(scadlive.render(USES_LIB)) == 5


def test_the_installations_library_folder_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("OPENSCADPATH", raising=False)
    assert Path("/usr/share/openscad/libraries/MCAD/boxes.scad").is_file()  # Debian's openscad
    stl = scadlive.render("use <MCAD/boxes.scad>\nroundedBox([10, 10, 10], 2, true);\n")
    assert (len(stl) - 84) // 50 > 12


def test_cli_library_path_and_user_folder(tmp_path: Path) -> None:
    (tmp_path / "part.scad").write_text(USES_LIB)
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    env.pop("OPENSCADPATH", None)
    env.pop("XDG_DATA_HOME", None)
    make_lib(tmp_path / "home/.local/share/OpenSCAD/libraries", "mylib", 2)
    make_lib(tmp_path / "explicit", "mylib", 6)
    assert cli("part.scad", "-o", "a.stl", cwd=tmp_path, env=env).returncode == 0
    assert size_of((tmp_path / "a.stl").read_bytes()) == 2
    r = cli("part.scad", "-o", "b.stl", "--library-path", str(tmp_path / "explicit"), cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert size_of((tmp_path / "b.stl").read_bytes()) == 6


# ------------------------------------------------------------------ names

MODEL = "width = 10; // [1:100]\nheight = 5; // [1:50]\ncube([width, 10, height]);\n"


def test_unknown_parameter_names_in_the_viewer_name_the_closest() -> None:
    with pytest.raises(ParameterError, match=r'unknown parameter "widht".*did you mean "width"\?'):
        scadlive.Viewer(MODEL, params={"widht": 100})
    v = scadlive.Viewer(MODEL, params={"width": 20, "$fn": 12})
    with pytest.raises(traitlets.TraitError, match=r'did you mean "height"\?'):
        v.params = {"width": 20, "hieght": 3}
    assert v.params == {"width": 20, "height": 5, "$fn": 12}  # unchanged


def test_unknown_parameter_names_in_render_name_the_closest() -> None:
    # the bridge's check (native/core/overrides.c), worded as the Viewer's
    with pytest.raises(RenderError) as exc:
        scadlive.render(MODEL, {"widht": 100})
    assert exc.value.code == "PROTOCOL" and exc.value.field == "widht"
    assert 'unknown parameter "widht": the model has no such customizer parameter (did you mean "width"?)' \
        in str(exc.value)
    assert str(ParameterError("widht", "width")) in str(exc.value)  # one wording, Python and bridge
    assert (len(scadlive.render(MODEL, {"width": 3, "$fn": 8})) - 84) // 50 == 12
