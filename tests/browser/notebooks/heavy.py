# A marimo notebook for tests/browser/marimo.test.mjs: a slow model
# (tests/fixtures/scad/slow-sweep.scad, seconds per full render) and a light
# one beside it, both rendered in the page.
import marimo

app = marimo.App()


@app.cell
def _():
    import os

    import marimo as mo
    import scadlive
    return mo, os, scadlive


@app.cell
def _(os, scadlive):
    slow = scadlive.Viewer(path=os.environ["SCADLIVE_SLOW_MODEL"], height=300)
    light = scadlive.Viewer("size = 10; // [1:40]\ncube(size);\n", height=240)
    return light, slow


@app.cell
def _(light, mo, slow):
    mo.vstack([mo.ui.anywidget(slow), mo.ui.anywidget(light)])
    return


if __name__ == "__main__":
    app.run()
