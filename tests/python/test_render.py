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


async def _status_matches(v: scadlive.Viewer, prefix: str, timeout: float = 60.0) -> str:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not v.status.startswith(prefix):
        assert loop.time() < end, f"status stayed {v.status!r}, expected {prefix!r}..."
        await asyncio.sleep(0.05)
    return v.status


async def test_kernel_renderer_renders_every_change_through_the_bridge() -> None:
    # a cylinder with $fn = n has 4n - 4 triangles
    v = scadlive.Viewer("n = 6; // [3:40]\ncylinder(r=1, h=1, $fn=n);\n", renderer="kernel")
    assert v.renders_in_kernel
    await _status_matches(v, "20 triangles")
    v.params = {"n": 30}
    await _status_matches(v, "116 triangles")
    v.source = "n = 6; // [3:40]\ncylinder(r=1, h=1, $fn=n;\n"
    loop = asyncio.get_running_loop()
    end = loop.time() + 60
    while v.error.get("code") != "SYNTAX":
        assert loop.time() < end, f"no syntax error reported: {v.error!r}"
        await asyncio.sleep(0.05)
    assert v.error["line"] == 2


def _page_messages(v: scadlive.Viewer) -> list[dict]:
    """Record what the viewer sends to the page (there is none in these tests)."""
    sent: list[dict] = []
    send = v.send
    v.send = lambda content, buffers=None: (sent.append(content), send(content, buffers))[1]  # type: ignore[method-assign]
    return sent


async def test_kernel_renderer_coalesces_a_drag_and_the_release_cancels_the_stale_render() -> None:
    # while `slow` is 1 a render never ends (the drag's), so only a cancel frees it
    model = ("function spin(n) = n == 0 ? 0 : spin(n - 1);\nn = 6; // [3:400]\nslow = 0; // [0, 1]\n"
             "cylinder(r=1, h=1, $fn=n);\nif (slow == 1) cube(spin(1e15) + 1);\n")
    v = scadlive.Viewer(model, renderer="kernel")
    await _status_matches(v, "20 triangles")
    sent = _page_messages(v)

    def drag(n: int) -> None:  # as the page reports a drag: the kind first, then the change
        v._on_custom_msg(v, {"type": "render-kind", "kind": "drag"}, [])
        v.params = {"n": n, "slow": 1}

    drag(10)
    await asyncio.sleep(0.5)
    first = v._kernel_task
    assert first is not None and not first.done()
    for n in range(11, 30):  # 19 more values while it renders: they wait, the latest only is kept
        drag(n)
    assert v._kernel_task is first
    v._on_custom_msg(v, {"type": "render-kind", "kind": "release"}, [])
    v.params = {"n": 300, "slow": 0}
    await _status_matches(v, "1196 triangles")
    assert first.cancelled()  # the release cancelled the stale render (and with it its bridge request)
    await asyncio.sleep(0.3)
    starts = [m for m in sent if m.get("type") == "kernel-render" and m["state"] == "start"]
    assert len(starts) == 2, sent  # the first drag value and the release; 19 values skipped
    meshes = [m for m in sent if m.get("type") == "mesh"]
    assert len(meshes) == 1, meshes  # only the released values reached the page
    assert v.status.startswith("1196 triangles")


async def test_viewer_cancel_stops_a_kernel_render_and_keeps_the_last_model() -> None:
    v = scadlive.Viewer(CUBE, renderer="kernel")
    await _status_matches(v, "12 triangles")
    sent = _page_messages(v)
    v.load(SLOW)
    await asyncio.sleep(1.0)
    assert v._kernel_rendering()
    v.cancel()
    assert v.status == "cancelled (last model shown)"
    assert {"type": "cancel"} in sent  # the page stops its own render too
    loop = asyncio.get_running_loop()
    end = loop.time() + 30  # the cancelled task ends once its bridge request is cancelled
    while v._kernel_rendering():
        assert loop.time() < end, "the kernel render went on after cancel()"
        await asyncio.sleep(0.05)
    assert not [m for m in sent if m.get("type") == "mesh"]
    # the renderer was freed: the next change renders
    v.load(CUBE)
    await _status_matches(v, "12 triangles")


async def test_auto_renderer_moves_to_the_kernel_only_when_the_page_says_it_cannot() -> None:
    v = scadlive.Viewer(CUBE)
    assert v.renderer == "auto" and not v.renders_in_kernel
    v.params = {"size": 4}
    await asyncio.sleep(0.2)
    assert v.status == ""  # the page renders; the kernel does nothing
    # what the page sends when the model does not fit its memory budget
    v._on_custom_msg(v, {"type": "cannot-render", "reason": "an OpenSCAD instance needs 32 MiB"}, [])
    assert v.renders_in_kernel and "32 MiB" in (v.fallback_reason or "")
    await _status_matches(v, "12 triangles")
    v.load("cube(1);")  # a new model: the page tries again
    assert v.fallback_reason is None and not v.renders_in_kernel
    v._on_custom_msg(v, {"type": "cannot-render", "reason": "too big"}, [])
    v.source = "cube(2);"  # also when the source is set directly
    assert v.fallback_reason is None


def test_renderer_must_be_known() -> None:
    with pytest.raises(ValueError, match="renderer"):
        scadlive.Viewer(CUBE, renderer="gpu")
    v = scadlive.Viewer(CUBE)
    with pytest.raises(Exception, match="renderer must be one of"):
        v.renderer = "gpu"


def test_solidpython2_objects_are_models(tmp_path: Path) -> None:
    from solid2 import cube, translate

    obj = translate([1, 0, 0])(cube([2, 3, 4]))
    stl = scadlive.render(obj)
    assert (len(stl) - 84) // 50 == 12
    assert stl_bbox_max_x(stl) == 3.0
    v = scadlive.Viewer(obj)
    assert "translate" in v.source and v.name == "model.scad"
    out = v.export(tmp_path / "sp2.stl")
    assert stl_bbox_max_x(out.read_bytes()) == 3.0


async def test_viewer_warnings_name_their_line() -> None:
    v = scadlive.Viewer("cube(1);\ncube(size_not_defined);\n")
    await v.render_async()
    assert len(v.warnings) == 1
    assert "size_not_defined" in v.warnings[0] and "in file model.scad, line 2" in v.warnings[0]
    await v.render_async(source="cube(2);")
    assert v.warnings == []


def test_view_takes_jupyterscad_arguments(tmp_path: Path) -> None:
    v = scadlive.view("cube([2, 3, 4]);", width=400, height=300, outfile=tmp_path / "v.stl")
    assert isinstance(v, scadlive.Viewer) and (v.width, v.height) == (400, 300)
    assert stl_bbox_max_x((tmp_path / "v.stl").read_bytes()) == 2.0
    out = scadlive.render_stl("cube(5);", output_file=tmp_path / "k.stl")
    assert stl_bbox_max_x(out.read_bytes()) == 5.0
    with pytest.warns(UserWarning, match="grid_unit"):
        scadlive.view("cube(1);", grid_unit=5)


def test_state_from_the_page_is_applied_and_malformed_state_is_ignored() -> None:
    v = scadlive.Viewer(CUBE)
    v._on_custom_msg(v, {"type": "state", "state": {"params": {"size": 3}, "status": "12 triangles, 5 ms",
                                                     "source": "sphere(1);"}}, [])
    assert v.params == {"size": 3} and v.status == "12 triangles, 5 ms"
    assert v.source == CUBE  # not a trait the page writes
    with pytest.warns(UserWarning, match="ignored a state message"):
        v._on_custom_msg(v, {"type": "state", "state": {"params": [1, 2]}}, [])
    assert v.params == {"size": 3}
