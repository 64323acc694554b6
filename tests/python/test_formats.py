"""Output formats through the real bridge: 2D models as SVG/DXF (compared with
OpenSCAD's own export of the same model), 3MF with colours read back by an
independent reader (lib3mf) and compared with the OFF render, and formats
chosen by file extension in Viewer.export and the CLI."""
from __future__ import annotations

import math
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import scadlive
from scadlive import _assets
from scadlive.errors import RenderError

GASKET = """// a laser-cut gasket
echo("gasket", 60);
difference() {
  circle(d = 60);
  circle(d = 30);
  for (a = [0:90:270]) rotate(a) translate([22, 0]) circle(d = 5);
}
"""
COLOURED = """color("red") cube(10);
color([0, 0, 1, 1]) translate([20, 0, 0]) cube(5);
translate([0, 20, 0]) cube(3);
"""

Contour = list[tuple[float, float]]


def shoelace(c: Contour) -> float:
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(c, c[1:] + c[:1]))


def svg_contours(text: str) -> list[Contour]:
    """Every closed path contour of an SVG (OpenSCAD writes M/L/z paths), y as in the model."""
    contours: list[Contour] = []
    for el in ET.fromstring(text).iter():
        if el.tag.endswith("path"):
            for sub in re.split(r"[zZ]", el.get("d", "")):
                nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", sub)]
                if len(nums) >= 6:
                    contours.append([(nums[i], -nums[i + 1]) for i in range(0, len(nums) - 1, 2)])
    return contours


def dxf_contours(text: str) -> list[Contour]:
    """The closed outlines of a DXF: LWPOLYLINEs (OpenSCAD 2025) or chains of
    LINE entities (OpenSCAD 2021), from group codes 10/20 (and 11/21)."""
    lines = [ln.strip() for ln in text.splitlines()]
    entities: list[tuple[str, dict[str, list[float]]]] = []
    for code, value in zip(lines[0::2], lines[1::2]):
        if code == "0":
            entities.append((value, {}))
        elif entities and code in ("10", "20", "11", "21"):
            entities[-1][1].setdefault(code, []).append(float(value))
    contours: list[Contour] = []
    segments: dict[tuple[float, float], tuple[float, float]] = {}
    for kind, g in entities:
        if kind == "LWPOLYLINE":
            contours.append(list(zip(g.get("10", []), g.get("20", []))))
        elif kind == "LINE":
            segments[(g["10"][0], g["20"][0])] = (g["11"][0], g["21"][0])
    while segments:  # chain LINEs end to start into loops
        start, nxt = segments.popitem()
        loop = [start]
        while nxt != start and nxt in segments:
            loop.append(nxt)
            nxt = segments.pop(nxt)
        contours.append(loop)
    return [c for c in contours if len(c) >= 3]


def summary(contours: list[Contour]) -> tuple[int, list[float], list[float]]:
    """Contour count, bounding box, and the sorted absolute areas (rounded to 1e-3 mm²)."""
    xs = [p[0] for c in contours for p in c]
    ys = [p[1] for c in contours for p in c]
    return (len(contours), [round(min(xs), 3), round(min(ys), 3), round(max(xs), 3), round(max(ys), 3)],
            sorted(round(abs(shoelace(c)), 3) for c in contours))


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """OpenSCAD's own SVG and DXF export of the gasket (Debian's openscad)."""
    d = tmp_path_factory.mktemp("oracle")
    (d / "gasket.scad").write_text(GASKET)
    out = {}
    for fmt in ("svg", "dxf"):
        subprocess.run(["openscad", "gasket.scad", "-o", f"gasket.{fmt}"], cwd=d, check=True,
                       capture_output=True, timeout=120)
        out[fmt] = (d / f"gasket.{fmt}").read_text()
    return out


def contours_of(fmt: str, text: str) -> list[Contour]:
    return svg_contours(text) if fmt == "svg" else dxf_contours(text)


@pytest.mark.parametrize("fmt", ["svg", "dxf"])
@pytest.mark.parametrize("renderer", ["wasm", "openscad"])
def test_2d_export_matches_openscads_own(fmt: str, renderer: str, oracle: dict[str, str]) -> None:
    ours = scadlive.render(GASKET, format=fmt, renderer=renderer).decode()  # type: ignore[arg-type]
    want = summary(contours_of(fmt, oracle[fmt]))
    got = summary(contours_of(fmt, ours))
    assert want[0] == 6  # the disc, the hole and four bolt holes
    assert got[0] == want[0]
    assert got[1] == pytest.approx(want[1], abs=1e-3)
    assert got[2] == pytest.approx(want[2], rel=1e-4)


def test_2d_model_as_stl_and_3d_model_as_svg_say_which_formats_fit() -> None:
    with pytest.raises(RenderError) as exc:
        scadlive.render(GASKET)
    assert exc.value.reason == "not_3d"
    assert "SVG or DXF" in str(exc.value) and "no geometry" not in str(exc.value)
    assert any(m.level == "ECHO" for m in exc.value.messages)  # the log comes with the error
    # 3MF is rendered as OFF; the message still names the format asked for
    with pytest.raises(RenderError, match="3MF needs a 3D model") as exc:
        scadlive.render(GASKET, format="3mf")
    assert exc.value.reason == "not_3d"
    with pytest.raises(RenderError) as exc:
        scadlive.render("cube(3);", format="svg")
    assert exc.value.reason == "not_2d"
    assert "STL, OFF or 3MF" in str(exc.value)


async def test_a_2d_model_in_a_kernel_viewer_comes_back_as_svg() -> None:
    v = scadlive.Viewer(GASKET, renderer="browser")
    svg = await v.render_async()
    assert b"<svg" in svg and v.status.startswith("2D shape, ") and not v.error
    assert summary(svg_contours(svg.decode()))[0] == 6
    assert v.echo == ['"gasket", 60']


def test_viewer_export_follows_the_extension(tmp_path: Path) -> None:
    v = scadlive.Viewer(GASKET, renderer="kernel")
    svg = v.export(tmp_path / "part.svg")
    assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()
    dxf = v.export(tmp_path / "part.DXF")
    assert "LWPOLYLINE" in dxf.read_text() or "POLYLINE" in dxf.read_text()
    assert v.echo == ['"gasket", 60']
    with pytest.raises(ValueError, match=r"\.xyz.*use \.stl, \.off, \.3mf, \.svg, \.dxf"):
        v.export(tmp_path / "part.xyz")
    assert not (tmp_path / "part.xyz").exists()
    with pytest.raises(RenderError, match="SVG or DXF"):
        v.export(tmp_path / "part.stl")
    assert not (tmp_path / "part.stl").exists()
    cube = scadlive.Viewer("cube(2);", renderer="kernel")
    assert cube.export(tmp_path / "c.off").read_text().startswith("OFF")
    assert (tmp_path / "c.3mf").exists() is False
    assert cube.export(tmp_path / "c.3mf").read_bytes()[:2] == b"PK"


def parse_off(text: str) -> tuple[list[tuple[float, float, float]], list[tuple[list[int], tuple[int, ...] | None]]]:
    it = iter(ln for ln in text.split("\n") if ln.strip() and not ln.startswith("#"))
    head = next(it).split()
    assert head[0] == "OFF"
    nv, nf = (int(x) for x in (head[1:3] if len(head) > 1 else next(it).split()[:2]))
    verts = [tuple(float(x) for x in next(it).split()[:3]) for _ in range(nv)]
    faces = []
    for _ in range(nf):
        f = next(it).split()
        n = int(f[0])
        idx = [int(x) for x in f[1:1 + n]]
        col = tuple(int(round(float(x) * (255 if "." in x else 1))) for x in f[1 + n:]) or None
        faces.append((idx, col))
    return verts, faces  # type: ignore[return-value]


def volume(tris: list[tuple[tuple[float, float, float], ...]]) -> float:
    v = 0.0
    for a, b, c in tris:
        v += (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
              + a[2] * (b[0] * c[1] - b[1] * c[0])) / 6
    return v


@pytest.mark.parametrize("renderer", ["wasm", "openscad"])
def test_3mf_round_trip_keeps_triangles_volume_and_colours(renderer: str, tmp_path: Path) -> None:
    lib3mf = pytest.importorskip("lib3mf")
    off = scadlive.render(COLOURED, format="off", renderer=renderer).decode()  # type: ignore[arg-type]
    data = scadlive.render(COLOURED, format="3mf", renderer=renderer)  # type: ignore[arg-type]
    path = tmp_path / "coloured.3mf"
    path.write_bytes(data)

    verts, faces = parse_off(off)
    off_tris = []
    off_colours: dict[tuple[int, ...] | None, int] = {}
    for idx, col in faces:
        for k in range(1, len(idx) - 1):  # fan, as the core triangulates
            off_tris.append((verts[idx[0]], verts[idx[k]], verts[idx[k + 1]]))
            off_colours[col] = off_colours.get(col, 0) + 1

    wrapper = lib3mf.get_wrapper()
    model = wrapper.CreateModel()
    model.QueryReader("3mf").ReadFromFile(str(path))
    assert model.GetUnit() == lib3mf.ModelUnit.MilliMeter
    objects = model.GetMeshObjects()
    assert objects.MoveNext()
    mesh = objects.GetCurrentMeshObject()
    assert not objects.MoveNext(), "one object per model"
    positions = [tuple(v.Coordinates) for v in mesh.GetVertices()]
    triangles = [tuple(t.Indices) for t in mesh.GetTriangleIndices()]
    assert len(triangles) == len(off_tris)
    tris = [tuple(positions[i] for i in t) for t in triangles]
    assert volume(tris) == pytest.approx(volume(off_tris), rel=1e-6)
    assert volume(tris) == pytest.approx(1000 + 125 + 27, rel=1e-6)

    # colours: each triangle's base material, counted per colour, as in the OFF
    default_res, default_idx, has_default = mesh.GetObjectLevelProperty()
    if renderer == "openscad":  # Debian's OpenSCAD 2021 writes OFF (and so 3MF) without colours
        assert set(off_colours) == {None} and not has_default
        return
    assert has_default
    groups = {}
    got: dict[tuple[int, ...], int] = {}
    for t in range(mesh.GetTriangleCount()):
        props = mesh.GetTriangleProperties(t)
        rid, pid = (props.ResourceID, props.PropertyIDs[0]) if props.ResourceID else (default_res, default_idx)
        if rid not in groups:
            groups[rid] = model.GetBaseMaterialGroupByID(rid)
        c = groups[rid].GetDisplayColor(pid)
        rgba = (c.Red, c.Green, c.Blue, c.Alpha)
        got[rgba] = got.get(rgba, 0) + 1
    assert len(got) == len(off_colours) >= 3
    assert (255, 0, 0, 255) in got and (0, 0, 255, 255) in got
    assert got[(255, 0, 0, 255)] == 12 and got[(0, 0, 255, 255)] == 12
    assert sorted(got.values()) == sorted(off_colours.values())


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(_assets.binary()), "render", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_cli_formats_by_extension_and_echo_on_stderr(tmp_path: Path, oracle: dict[str, str]) -> None:
    (tmp_path / "gasket.scad").write_text(GASKET)
    r = cli("gasket.scad", "-o", "part.svg", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert 'ECHO: "gasket", 60' in r.stderr.splitlines()
    got, want = summary(svg_contours((tmp_path / "part.svg").read_text())), summary(svg_contours(oracle["svg"]))
    assert got[0] == want[0] and got[1] == pytest.approx(want[1], abs=1e-3)
    assert got[2] == pytest.approx(want[2], rel=1e-4)
    r = cli("gasket.scad", "-o", "part.out", "--format", "dxf", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert summary(dxf_contours((tmp_path / "part.out").read_text()))[0] == 6
    r = cli("gasket.scad", "-o", "part.xyz", cwd=tmp_path)
    assert r.returncode != 0 and "use .stl, .off, .3mf, .svg or .dxf" in r.stderr
    assert not (tmp_path / "part.xyz").exists()
    r = cli("gasket.scad", "-o", "part.stl", cwd=tmp_path)
    assert r.returncode == 1 and not (tmp_path / "part.stl").exists()
    err = [ln for ln in r.stderr.splitlines() if ln.startswith("scadlive render:")]
    assert len(err) == 1 and "gasket.scad: the model is 2D" in err[0] and "SVG or DXF" in err[0]
    (tmp_path / "col.scad").write_text(COLOURED)
    r = cli("col.scad", "-o", "col.3mf", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "col.3mf").read_bytes()[:2] == b"PK"


async def test_kernel_viewer_returns_stl_and_shows_the_coloured_off() -> None:
    v = scadlive.Viewer(COLOURED, renderer="kernel")
    stl = await v.render_async()
    assert (len(stl) - 84) // 50 == 36  # binary STL for the caller, as before
    shown = v._last_stl or b""  # what the page was sent (and views opened later get)
    assert v._last_reply["format"] == "off" and shown.startswith(b"OFF")
    _, faces = parse_off(shown.decode())
    assert {(255, 0, 0), (0, 0, 255)} <= {f[1][:3] for f in faces if f[1]}
    plain = scadlive.Viewer("cube(2);", renderer="kernel")
    await plain.render_async()
    assert plain._last_reply["format"] == "binstl"  # no color(): no second render
