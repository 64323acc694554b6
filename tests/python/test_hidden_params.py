"""Variables of a model's ``/* [Hidden] */`` group set from Python: the
customizer leaves them out of the schema and the bridge refuses them in
``params``, so the API sends them as ``defines`` (OpenSCAD's -D), while a
name the model does not have at all is still refused with the closest real
one. Through the real bridge and OpenSCAD: the geometry shows the value."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest
import traitlets

import scadlive
from scadlive import api
from scadlive._source import load
from scadlive.errors import ParameterError, RenderError

# `height` is the model's but hidden from the customizer; `width` is a parameter
MODEL = ("width = 10; // [1:100]\n/* [Hidden] */\nheight = 2;\nlabel = \"a\";\n"
         "/* [More] */\ndepth = 3; // [1:9]\ncube([width, depth, height]);\n")


def top(stl: bytes) -> float:
    """The largest z of a binary STL's vertices."""
    (n,) = struct.unpack_from("<I", stl, 80)
    return max(struct.unpack_from("<3f", stl, 84 + 50 * i + 12 + 12 * k)[2] for i in range(n) for k in range(3))


def test_the_bridge_names_the_hidden_variables() -> None:
    assert api.hidden_names(load(MODEL)) == ("height", "label")
    assert api.hidden_names(load("w = 1; // [1:5]\ncube(w);\n")) == ()
    schema, hidden = api.model_parameters(load(MODEL))
    assert [p["name"] for p in schema["parameters"]] == ["width", "depth"]  # the schema is OpenSCAD's
    assert hidden == ("height", "label")


def test_render_sets_hidden_variables_as_defines() -> None:
    r = scadlive.render(MODEL, {"width": 20, "height": 7, "$fn": 8}, full=True)
    assert r.bbox == {"min": [0, 0, 0], "max": [20, 3, 7]}
    assert top(scadlive.render(MODEL, {"height": 4.5})) == 4.5
    assert top(scadlive.render(MODEL)) == 2  # the model's own value otherwise
    # the API moved it to defines: the bridge itself still refuses it in params
    header = api.build_render_request(load(MODEL), {"width": 5, "height": 7}, hidden=("height", "label"))
    assert header["params"] == {"width": 5} and header["defines"] == {"height": 7}
    raw = {**header, "params": {"height": 7}, "defines": {}}
    with pytest.raises(RenderError, match=r'unknown parameter "height"'):
        api._runtime.sync_client().request(raw, timeout=60)


def test_names_the_model_does_not_have_are_still_refused() -> None:
    with pytest.raises(RenderError) as exc:
        scadlive.render(MODEL, {"widht": 5, "height": 3})
    assert exc.value.code == "PROTOCOL" and exc.value.field == "widht"
    assert str(ParameterError("widht", "width")) in str(exc.value)


async def test_render_async_sets_hidden_variables() -> None:
    r = await scadlive.render_async(MODEL, {"height": 6, "label": "b"}, full=True)
    assert r.bbox["max"] == [10, 3, 6]
    with pytest.raises(RenderError, match=r'did you mean "depth"'):
        await scadlive.render_async(MODEL, {"deph": 5})


async def test_viewer_params_take_hidden_variables(tmp_path: Path) -> None:
    v = scadlive.Viewer(MODEL, params={"height": 5}, renderer="kernel")
    assert v.params == {"width": 10, "depth": 3, "height": 5}
    assert [p["name"] for p in v.schema["parameters"]] == ["width", "depth"]  # no field for it
    assert top(await v.render_async()) == 5
    v.params = {**v.params, "height": 8}
    assert top(v.render()) == 8
    with pytest.raises(traitlets.TraitError, match=r'did you mean "width"\?'):
        v.params = {**v.params, "wdth": 3}
    assert v.params["height"] == 8  # unchanged
    with pytest.raises(ParameterError):
        scadlive.Viewer(MODEL, params={"heigth": 5})
    assert top(v.export(tmp_path / "part.stl").read_bytes()) == 8


def test_batch_variants_set_hidden_variables(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("fsspec")
    manifest = scadlive.batch(MODEL, [{"width": 4, "height": 9}, {"height": 1}, {"heigth": 1}], tmp_path,
                              progress=False)
    rows = manifest.set_index("index")
    assert rows.loc[0, "bbox_max_x"] == 4 and rows.loc[0, "bbox_max_z"] == 9
    assert rows.loc[1, "bbox_max_z"] == 1
    assert rows.loc[2, "error_code"] == "PROTOCOL" and 'did you mean' in rows.loc[2, "error"]
