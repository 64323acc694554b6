# A marimo notebook for tests/browser/marimo.test.mjs: a 2D model (a gasket)
# rendered in the kernel, so the page has no OpenSCAD of its own and asks the
# kernel for the DXF download.
import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo
    import scadlive
    return mo, scadlive


@app.cell
def _(mo, scadlive):
    GASKET = """d = 60; // [40:80]
difference() {
  circle(d = d);
  circle(d = 30);
  for (a = [0:90:270]) rotate(a) translate([22, 0]) circle(d = 5);
}
"""
    flat = scadlive.Viewer(GASKET, renderer="kernel", height=320)
    mo.ui.anywidget(flat)
    return


if __name__ == "__main__":
    app.run()
