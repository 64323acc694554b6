# A marimo notebook for tests/python/test_wheel.py, run from a copy outside
# the checkout with the installed wheel: two models the page renders with
# what the kernel sends from the wheel (its fonts for text(), its MCAD), and
# one the kernel renders through the wheel's bridge and Node.
import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo
    import scadlive
    return mo, scadlive


@app.cell
def _(mo, scadlive):
    text = scadlive.Viewer('linear_extrude(height = 3) text("Wheel", size = 10);', renderer="browser", height=260)
    gear = scadlive.Viewer("use <MCAD/involute_gears.scad>\n"
                           "gear(number_of_teeth = 12, circular_pitch = 300, gear_thickness = 4, rim_thickness = 4, hub_thickness = 4);\n",
                           renderer="browser", height=260)
    kernel = scadlive.Viewer("use <MCAD/regular_shapes.scad>\nhexagon_prism(height = 4, radius = 5);\n",
                             renderer="kernel", height=260)
    mo.vstack([mo.ui.anywidget(text), mo.ui.anywidget(gear), mo.ui.anywidget(kernel)])
    return


if __name__ == "__main__":
    app.run()
