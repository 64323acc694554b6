"""Viewer parameter sets (OpenSCAD's model.json) and the page-backed
screenshot call, against the real bridge, the C core's set typing and
OpenSCAD's own CLI (`openscad -p -P`)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import scadlive
from scadlive._viewer_files import openscad_value

PARAMETRIC = Path("/usr/share/openscad/examples/Parametric")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scad"


def test_values_are_written_as_openscad_writes_them() -> None:
    assert [openscad_value(v) for v in (10, 10.0, 2.5, 0.1, 1e-7, True, False, "a b", [1, 2.5, 0])] == \
        ["10", "10", "2.5", "0.1", "1e-07", "true", "false", "a b", "[1, 2.5, 0]"]
    with pytest.raises(ValueError, match="no literal"):
        openscad_value(float("nan"))


def test_a_file_openscad_wrote_loads_typed(tmp_path: Path) -> None:
    for name in ("candleStand.scad", "candleStand.json"):
        shutil.copy(PARAMETRIC / name, tmp_path / name)
    v = scadlive.Viewer(path=tmp_path / "candleStand.scad", renderer="browser")
    assert v.presets_path == tmp_path / "candleStand.json"
    assert list(v.presets) == ["Medium Size", "small", "With Ball", "Large"]
    assert v.presets["small"]["count"] == 7 and v.presets["small"]["centerCandle"] is True
    v.apply_preset("With Ball")
    assert v.params["centerCandle"] is False and v.params["CenterCandleWidth"] == 7
    with pytest.raises(KeyError, match="no parameter set 'nope' .*small"):
        v.apply_preset("nope")


def test_saved_sets_load_in_openscad_and_unchanged_sets_keep_their_text(tmp_path: Path) -> None:
    for name in ("presets-box.scad", "presets-box.json"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    before = json.loads((tmp_path / "presets-box.json").read_text())
    v = scadlive.Viewer(path=tmp_path / "presets-box.scad", renderer="browser")
    v.params = {**v.params, "width": 33.5, "post": True, "offset": [1, 2.5, 0], "label": 'say "hi"'}
    v.save_preset("mine")
    written = json.loads((tmp_path / "presets-box.json").read_text())
    assert written["fileFormatVersion"] == "1"
    assert written["parameterSets"]["small"] == before["parameterSets"]["small"]
    assert written["parameterSets"]["mine"] == {"depth": "10", "height": "4", "label": 'say "hi"',
                                                "offset": "[1, 2.5, 0]", "post": "true", "width": "33.5"}
    # OpenSCAD reads the set: its mesh has the saved width and the post
    out = tmp_path / "mine.stl"
    subprocess.run(["openscad", "-p", str(tmp_path / "presets-box.json"), "-P", "mine", "-o", str(out),
                    str(tmp_path / "presets-box.scad")], check=True, capture_output=True, timeout=120)
    text = out.read_text()
    xs = [float(line.split()[1]) for line in text.splitlines() if line.strip().startswith("vertex")]
    zs = [float(line.split()[3]) for line in text.splitlines() if line.strip().startswith("vertex")]
    assert (min(xs), max(xs), max(zs)) == (1, 34.5, 10)
    # a fresh viewer reads back what was saved, typed
    again = scadlive.Viewer(path=tmp_path / "presets-box.scad", renderer="browser")
    assert again.presets["mine"] == {"depth": 10, "height": 4, "label": 'say "hi"', "offset": [1, 2.5, 0],
                                     "post": True, "width": 33.5}
    again.delete_preset("mine")
    assert "mine" not in json.loads((tmp_path / "presets-box.json").read_text())["parameterSets"]


def test_screenshots_need_a_page() -> None:
    v = scadlive.Viewer("cube(1);", renderer="browser")
    with pytest.raises(RuntimeError, match="no page shows this viewer"):
        v.save_screenshot("x.png")
    with pytest.raises(RuntimeError, match="no page shows this viewer"):
        v.animate(steps=4)
