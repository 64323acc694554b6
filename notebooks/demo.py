import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo
    import scadlive
    return mo, scadlive


@app.cell
def _(mo):
    mo.md(
        """
        # scadlive demo

        A parametric OpenSCAD model, live. Drag a slider: the model re-renders
        in the page while you drag (a coarse preview) and at full quality when
        you let go. The cells below use the same model from Python.
        """
    )
    return


@app.cell
def _(scadlive):
    # The widget. Cells that use `candle` directly do not re-run when a slider
    # moves; cells that use `viewer` (its marimo UI element) do.
    candle = scadlive.Viewer(path="/usr/share/openscad/examples/Parametric/candleStand.scad", height=460)
    return (candle,)


@app.cell
def _(candle, mo):
    viewer = mo.ui.anywidget(candle)
    viewer
    return (viewer,)


@app.cell
def _(mo, viewer):
    # re-runs whenever a slider moves: the parameters are two-way
    mo.md(f"Current parameters: `{viewer.value.get('params')}`")
    return


@app.cell
async def _(candle, mo):
    # render_async in a loop over parameter values, through the bridge,
    # awaited inside the running cell
    sizes = {}
    for count in mo.status.progress_bar(range(3, 9), title="rendering candle counts"):
        stl = await candle.render_async(params={"count": count})
        sizes[count] = (len(stl) - 84) // 50
    mo.md("Triangles per candle count: " + ", ".join(f"{c}: {t}" for c, t in sizes.items()))
    return


@app.cell
def _(mo):
    export_button = mo.ui.run_button(label="Export STL")
    export_button
    return (export_button,)


@app.cell
def _(candle, export_button, mo):
    mo.stop(not export_button.value)
    path = candle.export("candleStand.stl")
    mo.md(f"Wrote `{path.resolve()}` ({path.stat().st_size} bytes)")
    return


if __name__ == "__main__":
    app.run()
