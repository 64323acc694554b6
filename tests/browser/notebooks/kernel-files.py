# A marimo notebook for tests/browser/marimo.test.mjs: models rendered in the
# page that need what only the kernel has: fonts for text(), and MCAD (found
# by the kernel on OpenSCAD's library path and sent to the page).
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
    text = scadlive.Viewer(path=Path(__file__).resolve().parents[2] / "fixtures" / "scad" / "text.scad",
                           renderer="browser", height=300)
    gear = scadlive.Viewer("use <MCAD/involute_gears.scad>\n"
                           "gear(number_of_teeth = 12, circular_pitch = 300, gear_thickness = 4, rim_thickness = 4, hub_thickness = 4);\n",
                           renderer="browser", height=300)
    mo.vstack([mo.ui.anywidget(text), mo.ui.anywidget(gear)])
    return


if __name__ == "__main__":
    app.run()
