# A marimo notebook for tests/browser/marimo.test.mjs: marimo-openscad's API
# (openscad_viewer with renderer_type, update_model, update_scad_code) on
# scadlive, with SolidPython2 models.
import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo
    import scadlive
    from solid2 import cube, cylinder
    return cube, cylinder, mo, scadlive


@app.cell
def _(cube, scadlive):
    local = scadlive.openscad_viewer(cube([10, 10, 4]), renderer_type="local", height=300)
    wasm = scadlive.openscad_viewer(cube([10, 10, 4]), renderer_type="wasm", height=300)
    return local, wasm


@app.cell
def _(cylinder, local, wasm):
    # marimo-openscad notebooks update the viewer from a later cell
    local.update_model(cylinder(r=5, h=3, _fn=10))
    wasm.update_scad_code("cylinder(r = 5, h = 3, $fn = 12);")
    return


@app.cell
def _(local, mo, wasm):
    mo.vstack([mo.ui.anywidget(local), mo.ui.anywidget(wasm)])
    return


if __name__ == "__main__":
    app.run()
