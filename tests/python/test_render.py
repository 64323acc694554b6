"""The Python package against the real bridge (started by the package itself)."""
from __future__ import annotations

import asyncio
import struct
from pathlib import Path

import pytest

import scadlive
from scadlive import _runtime
from scadlive.errors import BridgeLost, RenderError

CUBE = "size = 10; // [1:100]\ncube(size);\n"
SLOW = "function spin(n) = n == 0 ? 0 : spin(n - 1);\ncube(spin(1e15) + 1);\n"


def stl_bbox_max_x(stl: bytes) -> float:
    n = struct.unpack_from("<I", stl, 80)[0]
    assert len(stl) == 84 + 50 * n
    xs = [struct.unpack_from("<f", stl, 84 + 50 * t + 12 + 12 * k)[0] for t in range(n) for k in range(3)]
    return max(xs)


def test_render_returns_binary_stl() -> None:
    stl = scadlive.render(CUBE, {"size": 7})
    assert (len(stl) - 84) // 50 == 12
    assert stl_bbox_max_x(stl) == 7.0


def test_parameters_match_the_customizer_schema() -> None:
    schema = scadlive.parameters(CUBE)
    (p,) = schema["parameters"]
    assert p["name"] == "size" and p["min"] == 1 and p["max"] == 100


async def test_render_async_many_at_once_each_gets_its_own_result() -> None:
    sizes = list(range(1, 13))
    results = await asyncio.gather(*(scadlive.render_async(CUBE, {"size": s}) for s in sizes))
    assert [stl_bbox_max_x(r) for r in results] == [float(s) for s in sizes]


def test_syntax_error_names_the_line() -> None:
    with pytest.raises(RenderError) as exc:
        scadlive.render("cube(1);\n\nx = ;\n")
    assert exc.value.code == "SYNTAX"
    assert exc.value.line == 3


def test_wrong_parameter_type_is_a_clear_error() -> None:
    with pytest.raises(RenderError) as exc:
        scadlive.render(CUBE, {"size": "big"})
    assert exc.value.code == "PROTOCOL"
    assert "size" in str(exc.value)


async def test_timeout_stops_the_render() -> None:
    with pytest.raises(RenderError) as exc:
        await scadlive.render_async(SLOW, timeout=1.5)
    assert exc.value.code == "TIMEOUT"
    assert len(await scadlive.render_async(CUBE)) == 84 + 50 * 12


async def test_cancelling_the_task_cancels_the_render() -> None:
    task = asyncio.create_task(scadlive.render_async(SLOW, timeout=60))
    await asyncio.sleep(1.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # the renderer was freed: a new render completes
    stl = await asyncio.wait_for(scadlive.render_async(CUBE, {"size": 3}), 30)
    assert stl_bbox_max_x(stl) == 3.0


async def test_a_dead_bridge_fails_pending_calls_and_is_restarted() -> None:
    await scadlive.render_async(CUBE)  # make sure it runs
    proc = _runtime.process()
    task = asyncio.create_task(scadlive.render_async(SLOW, timeout=60))
    await asyncio.sleep(0.8)
    proc.kill_for_test()
    with pytest.raises(BridgeLost) as exc:
        await asyncio.wait_for(task, 10)
    assert "killed by signal 9" in str(exc.value)
    stl = await asyncio.wait_for(scadlive.render_async(CUBE, {"size": 4}), 60)
    assert stl_bbox_max_x(stl) == 4.0


def test_included_files_are_shipped(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "part.scad").write_text("module part(s) { cube(s); }\n")
    model = tmp_path / "main.scad"
    model.write_text("use <lib/part.scad>\nw = 6;\npart(w);\n")
    stl = scadlive.render(path=model)
    assert stl_bbox_max_x(stl) == 6.0
    stl = scadlive.render(path=model, params={"w": 9})
    assert stl_bbox_max_x(stl) == 9.0


def test_render_stl_compat_helper(tmp_path: Path) -> None:
    out = scadlive.render_stl("cube([2, 3, 4]);", tmp_path / "box.stl")
    assert stl_bbox_max_x(out.read_bytes()) == 2.0


async def test_viewer_render_async_in_a_running_loop_updates_its_state(tmp_path: Path) -> None:
    v = scadlive.Viewer(CUBE)
    assert v.params == {"size": 10}
    assert v.schema["parameters"][0]["max"] == 100
    stl = await v.render_async(params={"size": 5})
    assert stl_bbox_max_x(stl) == 5.0
    assert v.params["size"] == 5
    assert v.status.startswith("12 triangles")
    assert v.error == {}
    out = v.export(tmp_path / "part.stl")
    assert stl_bbox_max_x(out.read_bytes()) == 5.0
    with pytest.raises(RenderError):
        await v.render_async(source="cube(;")
    assert v.error["code"] == "SYNTAX" and v.error["line"] == 1
