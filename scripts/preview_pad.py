"""Show the drawing pad, the probe browser and the inspector; draw a digit; save PNGs.

    xvfb-run -a -s "-screen 0 1600x1000x24" python scripts/preview_pad.py

Draws a "7" with real mouse events on the pad, measures draw-to-prediction latency (the time
from a canvas change to the prediction shown, with the inspector listening), and saves
/tmp/preview_pad_*.png. Uses the bundled model when present, else ``--model PATH``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyqtgraph as pg  # noqa: E402
from PyQt6.QtCore import Qt  # noqa: E402
from PyQt6.QtTest import QTest  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

from cnnviz.app.state import AppState  # noqa: E402
from cnnviz.app.views.drawing_pad import DrawingPadView  # noqa: E402
from cnnviz.app.views.inspector import InspectorView  # noqa: E402
from cnnviz.app.views.probe_browser import ProbeBrowser  # noqa: E402
from cnnviz.data import load_bundled  # noqa: E402
from cnnviz.nn import build_network, load_checkpoint  # noqa: E402
from cnnviz.resources import resource_path  # noqa: E402


def wait(ms: int) -> None:
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        QApplication.processEvents()
        time.sleep(0.002)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", help="checkpoint to load (default: the bundled model)")
    parser.add_argument("--out", default="/tmp/preview_pad")
    args = parser.parse_args()

    app = QApplication(sys.argv)
    pg.setConfigOptions(imageAxisOrder="row-major")
    model = Path(args.model) if args.model else resource_path("model", "lenet.npz")
    net = load_checkpoint(model) if model.exists() else build_network()
    print("model:", model if model.exists() else "untrained")
    state = AppState(net, load_bundled())

    pad = DrawingPadView(state)
    pad.resize(720, 440)
    pad.setWindowTitle("Drawing pad")
    browser = ProbeBrowser(state, seed=0)
    browser.resize(360, 460)
    inspector = InspectorView(state)
    inspector.resize(1400, 640)
    for w in (pad, browser, inspector):
        w.show()
    wait(300)

    # A "7" with real mouse events: the top bar, then the diagonal, one point per ~45 ms.
    canvas = pad.canvas
    pts = [(70 + 14 * i, 60) for i in range(11)] + [(210 - 9 * i, 60 + 18 * i) for i in range(1, 11)]
    widget_pts = [canvas.from_canvas(x, y).toPoint() for x, y in pts]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, widget_pts[0])
    wait(45)
    for p in widget_pts[1:]:
        QTest.mouseMove(canvas, p)
        wait(45)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       widget_pts[-1])
    wait(100)
    lat = list(pad.latencies_ms)
    print(f"draw-to-prediction over {len(lat)} updates: median {statistics.median(lat):.1f} ms, "
          f"max {max(lat):.1f} ms")
    print("top3:", [(k, round(p, 3)) for k, p in pad.top3()])

    out = args.out
    pad.grab().save(f"{out}_pad.png")
    inspector.select_layer("conv1")
    wait(100)
    m = inspector.output_panel.mosaic
    y0, x0 = m.origin(3)
    inspector.hover(y0 + 8.5, x0 + 10.5)
    wait(100)
    inspector.grab().save(f"{out}_inspector_conv1.png")
    inspector.select_layer("conv2")
    wait(100)
    y0, x0 = inspector.output_panel.mosaic.origin(12)
    inspector.hover(y0 + 2.5, x0 + 3.5)
    wait(100)
    inspector.grab().save(f"{out}_inspector_conv2.png")
    inspector.select_layer("pool1")
    wait(100)
    inspector.grab().save(f"{out}_inspector_pool1.png")
    inspector.select_layer("softmax")
    inspector.hover(0.5, 7)
    wait(100)
    inspector.grab().save(f"{out}_inspector_softmax.png")
    inspector.select_layer("fc1")
    wait(100)
    inspector.grab().save(f"{out}_inspector_fc1.png")

    browser.show_index(0)
    browser.next()
    browser.next()
    wait(100)
    browser.grab().save(f"{out}_browser.png")
    pad.grab().save(f"{out}_pad_after_browser.png")
    print("saved", sorted(str(p) for p in Path(out).parent.glob(Path(out).name + "_*.png")))


if __name__ == "__main__":
    main()
