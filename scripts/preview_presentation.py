"""Render the conv explainer, saliency and drawing pad as presentation mode shows them.

    xvfb-run -a -s "-screen 0 1920x1080x24" python scripts/preview_presentation.py [view ...]

Views: conv1, conv2, saliency, pad. Each at 480x900, 1400x900 and 700x500 with a 20 pt
application font and presentation mode's scene styling (bigger titles and ticks), and at the
same sizes with the normal font. Writes /tmp/pres_<view>_<size>[_20pt].png.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIZES = [(480, 900), (1400, 900), (700, 500), (1400, 800)]
VIEWS = ["conv1", "conv2", "saliency", "pad"]


def make_view(name, state):
    if name in ("conv1", "conv2"):
        from cnnviz.app.views.conv_explainer import ConvExplainerView
        view = ConvExplainerView(state)
        act = state.trace["relu1" if name == "conv1" else "relu2"].output[0]
        ch, r, c = np.unravel_index(act.argmax(), act.shape)
        view.explain(name, int(ch), int(r), int(c))
        return view
    if name == "saliency":
        from cnnviz.app.views.saliency import SaliencyView
        view = SaliencyView(state)
        view.recompute()
        return view
    if name == "pad":
        from cnnviz.app.views.drawing_pad import DrawingPadView
        view = DrawingPadView(state)
        view.draw_stroke([(140 + 0.1 * (230 - y), y) for y in range(40, 241, 10)])
        return view
    raise SystemExit(f"unknown view {name!r}")


def main() -> int:
    import pyqtgraph as pg
    from PyQt6.QtGui import QFont
    from PyQt6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    pg.setConfigOptions(imageAxisOrder="row-major")
    from cnnviz.app.presentation import PresentationMode
    from preview_fit import preview_state, settle_events

    state, _ = preview_state()

    def settle():
        settle_events(app)

    normal = QFont(app.font())
    for name in sys.argv[1:] or VIEWS:
        for big in (True, False):
            font = QFont(normal)
            if big:
                font.setPointSizeF(20)
            app.setFont(font)
            view = make_view(name, state)
            if big:     # what presentation mode does to the pyqtgraph scenes
                styler = PresentationMode(None)
                for graphics in view.findChildren(pg.GraphicsView):
                    styler._style_scene(graphics)
            for size in SIZES:
                view.resize(*size)
                view.show()
                settle()
                path = f"/tmp/pres_{name}_{size[0]}x{size[1]}" + ("_20pt" if big else "") + ".png"
                view.grab().save(path)
                hint = view.minimumSizeHint()
                print(f"{path}  (view {view.width()}x{view.height()}, "
                      f"minimumSizeHint {hint.width()}x{hint.height()})")
            view.close()
            view.deleteLater()
            settle()
    app.setFont(normal)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
