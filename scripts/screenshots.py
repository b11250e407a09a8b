"""Screenshots of the real app for the README: ``docs/window.png`` and ``docs/<view>.png``.

Run under a virtual X server (Debian/Ubuntu package ``xvfb``):

    xvfb-run -a -s "-screen 0 1920x1080x24" python scripts/screenshots.py [--train-seconds 6]

It starts the app as ``cnnviz`` does (bundled data and model), trains for a few seconds
through the worker thread, draws a digit on the drawing pad through its public API, then
saves the whole window and every view (the classroom views floated at 1400 x 800): the
convolution explainer after clicking a conv1 pixel, the preprocessing pipeline with a digit
drawn in a corner and centring off. Then Reset and a few Steps from fresh weights for the
one-step explainer (each tab) and the timeline, and the window in presentation mode. Last,
``docs/views/`` gets every view at 1920x1080, 1366x768 and 1280x720, each in normal and in
presentation mode, from ``cnnviz export-views`` (``--only-view-sets`` makes just those, without a display).
Look at the PNGs before committing them.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# "3" drawn on the 280 x 280 canvas: top arc, middle, bottom arc
DIGIT_STROKES = [
    [(85, 70), (115, 48), (160, 45), (195, 65), (200, 100), (180, 128), (140, 140)],
    [(140, 140), (185, 152), (205, 190), (195, 225), (160, 243), (115, 240), (80, 220)],
]
# a small "7" in the top-left corner (for the preprocessing pipeline with centring off)
CORNER_STROKES = [[(18, 22), (105, 22), (95, 40), (55, 125)]]


def wait(app, ms: int) -> None:
    from PyQt6.QtCore import QEventLoop, QTimer
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--train-digits", type=int, default=3000,
                        help="train on this many of the bundled digits (fast epochs)")
    # more epochs than fit in the time: the run is paused, not finished, so the Step below
    # continues it (and the timeline keeps the whole history)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--size", default="1880x1040", help="window size WxH")
    parser.add_argument("--fresh-steps", type=int, default=40,
                        help="Steps from fresh weights before the step explainer and timeline")
    parser.add_argument("--no-view-sets", dest="view_sets", action="store_false",
                        help="skip docs/views/ (every view via `cnnviz export-views`)")
    parser.add_argument("--only-view-sets", action="store_true",
                        help="only write docs/views/ (no training, no display needed)")
    args = parser.parse_args(argv)
    if args.only_view_sets:
        export_view_sets(args.out / "views")
        return 0
    os.environ.setdefault("CNNVIZ_SETTINGS_DIR", tempfile.mkdtemp(prefix="cnnviz-shots-"))

    import numpy as np
    import pyqtgraph as pg
    from PyQt6.QtGui import QIcon
    from PyQt6.QtWidgets import QApplication

    from cnnviz.app.main import load_startup_state
    from cnnviz.app.main_window import MainWindow
    from cnnviz.resources import resource_path

    app = QApplication(sys.argv[:1])
    app.setApplicationName("cnnviz")
    app.setWindowIcon(QIcon(str(resource_path("icons", "cnnviz.svg"))))
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
    state, note = load_startup_state()
    window = MainWindow(state, restore_layout=False)
    w, h = (int(v) for v in args.size.split("x"))
    window.resize(w, h)
    window.move(20, 20)
    window.show()
    wait(app, 500)
    gc.freeze()

    # train from fresh weights through the real worker on a subset (so epochs end quickly
    # and the per-epoch points appear), until done or out of time
    from cnnviz.data import Dataset
    ds, n = state.dataset, args.train_digits
    state.set_dataset(Dataset(f"bundled ({n:,} digits)", ds.train_images[:n],
                              ds.train_labels[:n], ds.test_images, ds.test_labels))
    window.reset_weights()
    # the drawing is the probe while training, so "Watch one digit learn" follows it
    pad = window.views.get("drawing_pad")
    if pad is not None:
        window.docks["drawing_pad"].raise_()
        wait(app, 200)
        for stroke in DIGIT_STROKES:
            pad.draw_stroke(stroke, 22)
        wait(app, 500)
    window.controls.batch_spin.setValue(32)
    window.controls.epochs_spin.setValue(args.epochs)
    window.start_training()
    waited = 0
    while window.controller.active and waited < args.max_seconds * 1000:
        wait(app, 250)
        waited += 250
    window.controller.pause()
    wait(app, 700)


    # a click on a strongly active conv1 pixel
    step_view = window.views.get("step_explainer")
    acts = window.views.get("activations")
    if acts is not None and "conv_explainer" in window.views:
        conv1 = state.trace["conv1"].output[0]                  # (20, 24, 24)
        channel, row, col = np.unravel_index(int(conv1.argmax()), conv1.shape)
        acts.pixelClicked.emit("conv1", int(channel), int(row), int(col))
        wait(app, 300)
    confusion = window.views.get("confusion")
    if confusion is not None and confusion.matrix.sum():
        off = confusion.matrix.copy()
        np.fill_diagonal(off, 0)
        if off.any():
            confusion.select_cell(*np.unravel_index(int(off.argmax()), off.shape))

    args.out.mkdir(parents=True, exist_ok=True)
    saved = []

    def save(widget, name):
        widget.grab().save(str(args.out / name))
        saved.append(name)

    save(window, "window.png")
    from cnnviz.app.main_window import CLASSROOM_VIEWS
    FRESH = ("step_explainer", "timeline")     # shot on a fresh network, below
    for name, dock in window.docks.items():
        if name in FRESH:
            continue
        dock.raise_()          # bring a tabbed dock to the front
        if name in CLASSROOM_VIEWS:
            # the explainers are shown as a teacher would: floated and large
            dock.setFloating(True)
            dock.resize(1400, 800)
        wait(app, 400)
        save(window.views[name], f"{name}.png")
        if name == "preprocess_pipeline" and pad is not None:
            pad.clear()
            for stroke in CORNER_STROKES:
                pad.draw_stroke(stroke, 18)
            window.views[name].set_centering(False)
            wait(app, 500)
            save(window.views[name], "preprocess_pipeline_corner.png")
            window.views[name].set_centering(True)
            pad.clear()
            for stroke in DIGIT_STROKES:
                pad.draw_stroke(stroke, 22)
        dock.setFloating(False)


    # the one-step explainer and the timeline on a FRESH network: early steps change the
    # weights visibly and the probe's probabilities climb from chance
    window.reset_weights()
    wait(app, 300)
    if pad is not None:
        window.docks["drawing_pad"].raise_()
        pad.clear()
        for stroke in DIGIT_STROKES:
            pad.draw_stroke(stroke, 22)
        wait(app, 300)
    for _ in range(args.fresh_steps):
        old = step_view.detail if step_view is not None else None
        window.step_training()
        waited = 0
        while step_view is not None and step_view.detail is old and waited < 10000:
            wait(app, 50)
            waited += 50
        wait(app, 150)      # the step's snapshot reaches the views (and the timeline)
    for name in FRESH:
        dock = window.docks.get(name)
        if dock is None:
            continue
        dock.raise_()
        dock.setFloating(True)
        dock.resize(1400, 800)
        wait(app, 600)
        save(window.views[name], f"{name}.png")
        if name == "step_explainer":
            for index, suffix in ((1, "gradients"), (2, "routing")):
                step_view.tabs.setCurrentIndex(index)
                wait(app, 400)
                save(step_view, f"step_explainer_{suffix}.png")
            step_view.tabs.setCurrentIndex(0)
        dock.setFloating(False)
        wait(app, 200)

    # presentation mode: the whole screen (1920 x 1080), the activations on the stage
    window.raise_dock("activations")
    window.set_presentation(True)
    wait(app, 500)
    window.raise_dock("activations")
    wait(app, 1000)
    save(window, "presentation.png")
    window.raise_dock("conv_explainer")
    wait(app, 800)
    save(window, "presentation_conv_explainer.png")
    window.set_presentation(False)
    wait(app, 500)
    if pad is not None:
        window.docks["drawing_pad"].raise_()
    print("saved to", args.out, ":", ", ".join(saved))
    window.stop_training()
    window.state.set_modified(False)     # a measurement, nothing to save
    window.close()
    if args.view_sets:
        export_view_sets(args.out / "views")
    return 0


# every view of the window, as `cnnviz export-views` draws it: (size, presentation mode), at
# the classroom screen sizes in both modes
VIEW_SETS = [(size, presentation) for size in ("1920x1080", "1366x768", "1280x720")
             for presentation in (False, True)]


def export_view_sets(out: Path) -> None:
    """``docs/views/<size>[-presentation]/<view>.png`` with ``cnnviz export-views`` (the
    bundled model, held-out digit 0), each in its own offscreen process."""
    import subprocess
    for size, presentation in VIEW_SETS:
        folder = out / (size + ("-presentation" if presentation else ""))
        command = [sys.executable, "-m", "cnnviz", "export-views", "--size", size,
                   "--out", str(folder)] + (["--presentation"] if presentation else [])
        env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
        subprocess.run(command, check=True, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
