import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo
    return (mo,)


@app.cell
async def _(mo):
    # In the browser (`marimo export html-wasm`: Python runs in Pyodide) scadlive
    # comes from its pure wheel, put in the exported page's public/ folder
    # (`make wheel` writes it: dist/scadlive-VERSION-py3-none-any.whl). In a
    # kernel (`marimo edit`), the installed package is used.
    import sys

    if sys.platform == "emscripten":
        import micropip

        await micropip.install(str(mo.notebook_location() / "public" / "scadlive-0.1.0-py3-none-any.whl"))
    import scadlive
    return (scadlive,)


@app.cell
def _(mo):
    mo.md(
        """
        # scadlive in the browser

        This page runs Python in the browser (Pyodide): no server, no OpenSCAD
        installation. The model renders with OpenSCAD's WebAssembly, in the
        page. Move a slider: the model re-renders.
        """
    )
    return


@app.cell
def _(scadlive):
    MODEL = """
    // A candle holder with a ring of holes
    count = 5;      // [3:1:12]
    radius = 20;    // [10:1:40]
    height = 8;     // [4:1:20]
    hole = 3;       // [1:0.5:5]
    $fn = 48;
    difference() {
      cylinder(r = radius, h = height);
      for (i = [0:count - 1])
        rotate(i * 360 / count) translate([radius * 0.6, 0, 2]) cylinder(r = hole, h = height);
    }
    """
    holder = scadlive.Viewer(MODEL, height=420)
    return MODEL, holder


@app.cell
def _(holder, mo):
    viewer = mo.ui.anywidget(holder)
    viewer
    return (viewer,)


@app.cell
def _(mo, viewer):
    mo.md(f"Current parameters: `{viewer.value.get('params')}`")
    return


@app.cell
def _(mo, scadlive):
    # a model that uses a library: MCAD comes with scadlive's wheel, and the
    # files a model includes reach the view as they do from a kernel
    boxes = scadlive.Viewer("use <MCAD/boxes.scad>\nroundedBox([30, 20, 10], 3, sidesonly=false);", height=260)
    mo.ui.anywidget(boxes)
    return


@app.cell
async def _(MODEL, mo, scadlive):
    # awaited inside the running cell: OpenSCAD's WebAssembly in the page here,
    # the render bridge in a kernel; nothing waits on the widget
    result = await scadlive.render_async(MODEL, params={"count": 3}, full=True)
    mo.md(f"render_async with count=3: **{result.triangles} triangles**")
    return


@app.cell
async def _(holder, mo, viewer):
    # the model as shown (re-runs when a slider moves), as an STL download
    _shown = viewer.value.get("params") or {}
    stl_path = await holder.export_async("holder.stl")
    mo.download(data=stl_path.read_bytes(), filename="holder.stl", mimetype="model/stl",
                label=f"Download STL (count={_shown.get('count')})")
    return


if __name__ == "__main__":
    app.run()
