"""Screenshots of the explain views (channel card, Grad-CAM, embedding, fool) for docs/.

    xvfb-run -a -s "-screen 0 1280x720x24" python scripts/screenshots_explain.py --size 1280x720
    xvfb-run -a -s "-screen 0 1920x1080x24" python scripts/screenshots_explain.py --size 1920x1080

Opens the real window with the bundled model and digits at the screen's size, draws a "3"
on the pad, clicks conv2 channel 7 (through ``state.select_channel``, as a click does),
waits for each view's background computation, and saves ``docs/explain_window_<W>.png``
and ``docs/explain_<view>_<W>.png`` (each view floated as large as the screen allows; the
embedding also by t-SNE).
Look at the PNGs before committing them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from screenshots import DIGIT_STROKES, wait  # noqa: E402


def wait_until(app, condition, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        wait(app, 100)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--size", default="1280x720", help="screen size WxH")
    args = parser.parse_args(argv)
    os.environ.setdefault("CNNVIZ_SETTINGS_DIR", tempfile.mkdtemp(prefix="cnnviz-shots-"))
    import numpy as np
    import pyqtgraph as pg
    from PyQt6.QtWidgets import QApplication

    from cnnviz.app.main import load_startup_state
    from cnnviz.app.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
    state, _note = load_startup_state()
    window = MainWindow(state, restore_layout=False)
    w, h = (int(v) for v in args.size.split("x"))
    window.resize(w, h)
    window.move(0, 0)
    window.show()
    wait(app, 800)
    pad = window.views["drawing_pad"]
    window.docks["drawing_pad"].raise_()
    for stroke in DIGIT_STROKES:
        pad.draw_stroke(stroke, 22)
    wait(app, 300)
    args.out.mkdir(parents=True, exist_ok=True)
    saved = []

    def save(widget, name):
        path = args.out / f"{name}_{w}.png"
        widget.grab().save(str(path))
        saved.append(path.name)

    v = window.views
    state.select_channel("conv2", 7)
    card = v["channel_card"]
    wait_until(app, lambda: card.patches is not None and card.synth is not None
               and card.class_means is not None)
    wait(app, 500)
    save(window, "explain_window")

    floated = (min(1400, w - 60), min(800, h - 60))
    confusion = v["confusion"]
    confusion.evaluate_now()
    for name in ("channel_card", "grad_cam", "embedding", "fool"):
        dock = window.docks[name]
        dock.raise_()
        dock.setFloating(True)
        dock.resize(*floated)
        dock.move(30, 30)
        wait(app, 500)
        view = v[name]
        if name == "embedding":
            wait_until(app, lambda: view.points is not None and not view.job.busy)
            labels = state.dataset.test_labels
            wrong = np.flatnonzero(view.predictions != labels)
            pairs = list(zip(labels[wrong].tolist(), view.predictions[wrong].tolist()))
            true, pred = max(set(pairs), key=pairs.count)
            confusion.select_cell(true, pred)
            wait(app, 800)
            vb = view.plot.getPlotItem().vb
            i = int(view.highlighted[0])
            view._on_hover(vb.mapViewToScene(pg.Point(*view.points[i])))
        if name == "fool":
            wait_until(app, lambda: view.result is not None and not view.job.busy)
            view.drew_box.setValue(3)
            view.check_drawing()
        if name == "channel_card":
            wait_until(app, lambda: not card.patch_job.busy and not card.live_job.busy)
        wait(app, 500)
        save(view, f"explain_{name}")
        if name == "embedding":         # the same digits by t-SNE (on demand, a few seconds)
            view.method_box.setCurrentIndex(1)
            view._on_method(1)
            wait_until(app, lambda: view.job.busy)
            wait_until(app, lambda: not view.job.busy, seconds=120)
            wait(app, 500)
            save(view, "explain_embedding_tsne")
        dock.setFloating(False)
    print("saved to", args.out, ":", ", ".join(saved))
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
