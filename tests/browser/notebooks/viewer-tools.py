# A marimo notebook for tests/browser/marimo.test.mjs: the viewer's parameter
# sets (an OpenSCAD-format model.json beside the model, in the working
# directory), save_screenshot from a cell that returns before the page's PNG
# arrives, and an animated model's frames written to disk.
import marimo

app = marimo.App()


@app.cell
def _():
    import shutil
    from pathlib import Path

    import marimo as mo
    import scadlive
    fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "scad"
    for name in ("presets-box.scad", "presets-box.json"):
        shutil.copy(fixtures / name, Path.cwd() / name)
    return Path, mo, scadlive


@app.cell
def _(Path, scadlive):
    box = scadlive.Viewer(path=Path.cwd() / "presets-box.scad", renderer="browser", height=360)
    spin = scadlive.Viewer("size = 10; // [5:20]\nrotate([0, 0, $t * 90]) cube([size, 2 * size, 3], center = true);\n",
                           renderer="browser", height=300)
    return box, spin


@app.cell
def _(box, mo, spin):
    box_ui = mo.ui.anywidget(box)
    spin_ui = mo.ui.anywidget(spin)
    mo.vstack([box_ui, spin_ui])
    return


@app.cell
def _(mo):
    shot_button = mo.ui.run_button(label="Screenshot")
    frames_button = mo.ui.run_button(label="Save frames")
    mo.hstack([shot_button, frames_button])
    return frames_button, shot_button


@app.cell
def _(box, mo, shot_button):
    mo.stop(not shot_button.value)
    shot = box.save_screenshot("shot.png")
    # the cell returns before the page's reply: the file is not there yet
    mo.md(f"screenshot asked; on disk when the cell returned: {shot.path.exists()}")
    return


@app.cell
def _(frames_button, mo, spin):
    mo.stop(not frames_button.value)
    frames = spin.save_frames("frames", steps=4)
    mo.md(f"frames asked; done when the cell returned: {frames.done}")
    return


if __name__ == "__main__":
    app.run()
