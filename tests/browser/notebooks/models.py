# A marimo notebook for tests/browser/marimo.test.mjs:
# - three viewers of models that include the same 101-file library (made in a
#   temporary folder beside the model): the page receives each file once;
# - a model with color(), awaited through render_async (with new parameters
#   when the notebook starts, and again with the shown ones on a button): the
#   page keeps its coloured result (and both downloads) while Python gets STL;
# - a kernel render that fails: its cause in the banner, its log in the console.
import marimo

app = marimo.App()


@app.cell
def _():
    import tempfile
    from pathlib import Path

    import marimo as mo
    import scadlive
    return Path, mo, scadlive, tempfile


@app.cell
def _(Path, tempfile):
    # lib/part_0..99.scad, each a module, and lib/all.scad including them all
    folder = Path(tempfile.mkdtemp(prefix="scl-libs-"))
    (folder / "lib").mkdir()
    for i in range(100):
        (folder / "lib" / f"part_{i}.scad").write_text(f"module part_{i}(s) translate([{i % 10} * 12, {i // 10} * 12, 0]) cube(s);\n")
    (folder / "lib" / "all.scad").write_text("".join(f"include <part_{i}.scad>\n" for i in range(100)))
    model = folder / "grid.scad"
    model.write_text("include <lib/all.scad>\nsize = 4; // [1:10]\nfor (i = [0:99]) if (i % 7 == 0) part_0(size);\npart_42(size);\npart_99(size);\n")
    return (model,)


@app.cell
def _(mo, model, scadlive):
    grids = [scadlive.Viewer(path=model, params={"size": s}, renderer="browser", height=220) for s in (3, 5, 7)]
    grid_uis = [mo.ui.anywidget(g) for g in grids]
    mo.vstack(grid_uis)
    return grid_uis, grids


@app.cell
def _(mo, scadlive):
    coloured = scadlive.Viewer('size = 10; // [5:20]\ncolor("red") cube(size);\ncolor([0, 0, 1]) translate([size + 10, 0, 0]) cube(size);\n',
                               height=300)
    mo.ui.anywidget(coloured)
    return (coloured,)


@app.cell
async def _(coloured, mo):
    stl = await coloured.render_async(params={"size": 12})
    mo.md(f"render_async returned {len(stl)} bytes of STL ({int.from_bytes(stl[80:84], 'little')} triangles)")
    return


@app.cell
def _(mo, scadlive):
    # rendered in the kernel and failing: the page shows the cause and OpenSCAD's log lines
    failing = scadlive.Viewer('echo("about to fail", 42);\nassert(false, "boom");\n', renderer="kernel", height=200)
    mo.ui.anywidget(failing)
    return


@app.cell
def _(mo):
    again = mo.ui.run_button(label="render_async again")
    again
    return (again,)


@app.cell
async def _(again, coloured, mo):
    # the same parameters the page shows: the kernel's STL arrives after the page's own coloured render
    if again.value:
        _stl = await coloured.render_async()
        _out = mo.md(f"render_async again returned {len(_stl)} bytes")
    else:
        _out = mo.md("not rendered again yet")
    _out
    return


if __name__ == "__main__":
    app.run()
