"""marimo-openscad's API as a thin layer: openscad_viewer(model, renderer_type=...)
returning the Viewer, with update_model and update_scad_code (real bridge)."""
from __future__ import annotations

import pytest
from solid2 import cube, cylinder

import scadlive


def test_renderer_types_map_to_viewer_renderers() -> None:
    model = cube([10, 20, 5])
    assert scadlive.openscad_viewer(model, renderer_type="wasm").renderer == "browser"
    assert scadlive.openscad_viewer(model).renderer == "auto"
    local = scadlive.openscad_viewer(model, renderer_type="local", height=300)
    assert isinstance(local, scadlive.Viewer) and local.renderer == "kernel" and local.height == 300
    assert "cube(size = [10, 20, 5])" in local.source
    with pytest.raises(ValueError, match="renderer_type must be one of"):
        scadlive.openscad_viewer(model, renderer_type="gpu")


async def test_update_model_and_update_scad_code_render_in_the_kernel() -> None:
    v = scadlive.openscad_viewer(cube(4), renderer_type="local")
    stl = await v.render_async()
    assert (len(stl) - 84) // 50 == 12
    v.update_model(cylinder(r=3, h=2, _fn=8))
    assert "cylinder" in v.source
    assert (len(await v.render_async()) - 84) // 50 == 4 * 8 - 4
    v.update_scad_code("sphere(r = 2, $fn = 6);")
    assert v.source == "sphere(r = 2, $fn = 6);" and v.name == "model.scad"
    assert (len(await v.render_async()) - 84) // 50 > 0
    with pytest.raises(scadlive.RenderError, match="SYNTAX: line 1: syntax error near 'part'"):
        v.update_scad_code("part.scad")  # code, never taken for a file name
    assert v.source == "sphere(r = 2, $fn = 6);"  # the last good model stays
