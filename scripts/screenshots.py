"""Screenshots of the real app for the README: ``docs/window.png`` and ``docs/<view>.png``.

Run under a virtual X server (Debian/Ubuntu package ``xvfb``):

    xvfb-run -a -s "-screen 0 1920x1080x24" python scripts/screenshots.py [--train-seconds 6]

It starts the app as ``cnnviz`` does (bundled data and model), trains for a few seconds
through the worker thread, draws a digit on the drawing pad through its public API, then
saves the whole window and every view. Look at the PNGs before committing them.
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
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=90.0)
    parser.add_argument("--size", default="1880x1040", help="window size WxH")
    args = parser.parse_args(argv)
    os.environ.setdefault("CNNVIZ_SETTINGS_DIR", tempfile.mkdtemp(prefix="cnnviz-shots-"))

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
    window.controls.batch_spin.setValue(32)
    window.controls.epochs_spin.setValue(args.epochs)
    window.start_training()
    waited = 0
    while window.controller.active and waited < args.max_seconds * 1000:
        wait(app, 250)
        waited += 250
    window.controller.pause()
    wait(app, 700)

    pad = window.views.get("drawing_pad")
    if pad is not None:
        window.docks["drawing_pad"].raise_()
        wait(app, 200)
        for stroke in DIGIT_STROKES:
            pad.draw_stroke(stroke, 22)
        wait(app, 500)

    args.out.mkdir(parents=True, exist_ok=True)
    saved = []
    window.grab().save(str(args.out / "window.png"))
    saved.append("window.png")
    for name, dock in window.docks.items():
        dock.raise_()          # bring a tabbed dock to the front
        wait(app, 300)
        path = args.out / f"{name}.png"
        dock.widget().grab().save(str(path))
        saved.append(path.name)
    if pad is not None:
        window.docks["drawing_pad"].raise_()
    print("saved to", args.out, ":", ", ".join(saved))
    window.stop_training()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
