# A marimo notebook for tests/browser/marimo.test.mjs: one viewer with
# renderer="auto" (the test shrinks the page's memory budget so the page cannot
# render it and the kernel must) and one with renderer="kernel".
import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo
    import scadlive
    return mo, scadlive


@app.cell
def _(scadlive):
    auto = scadlive.Viewer(path="/usr/share/openscad/examples/Parametric/candleStand.scad", height=320)
    kernel = scadlive.Viewer("n = 6; // [3:40]\ncylinder(r=10, h=5, $fn=n);\n", renderer="kernel", height=320)
    return auto, kernel


@app.cell
def _(auto, kernel, mo):
    auto_ui = mo.ui.anywidget(auto)
    kernel_ui = mo.ui.anywidget(kernel)
    mo.vstack([auto_ui, kernel_ui])
    return auto_ui, kernel_ui


@app.cell
def _(auto, auto_ui, kernel_ui, mo):
    mo.md(f"auto count={auto_ui.value['params'].get('count')} kernel n={kernel_ui.value['params'].get('n')} "
          f"fallback={auto.fallback_reason!r}")
    return


if __name__ == "__main__":
    app.run()
