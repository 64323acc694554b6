# A marimo notebook for tests/browser/marimo.test.mjs: a model calling text(),
# rendered in the page with the fonts the kernel sends.
import marimo

app = marimo.App()


@app.cell
def _():
    from pathlib import Path

    import marimo as mo
    import scadlive
    return Path, mo, scadlive


@app.cell
def _(Path, mo, scadlive):
    model = Path(__file__).resolve().parents[2] / "fixtures" / "scad" / "text.scad"
    mo.ui.anywidget(scadlive.Viewer(path=model, renderer="browser", height=320))
    return


if __name__ == "__main__":
    app.run()
