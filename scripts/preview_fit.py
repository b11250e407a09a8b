"""Show the classroom and map views at the sizes users see and save a PNG of each.

    xvfb-run -a -s "-screen 0 1920x1080x24" python scripts/preview_fit.py [view ...]

Views: filters, conv_explainer, inspector, saliency, step_explainer, timeline, preprocess.
Sizes: 520x380, 700x500 and 1400x800 with the normal font, and 1400x900 with a 20 pt
application font (presentation mode). Writes /tmp/fit_<view>_<size>.png. Uses the bundled
model and a held-out probe digit; the step explainer shows one real training step.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIZES = [(520, 380), (700, 500), (1400, 800)]
BIG = (1400, 900)


def real_step(state, ds):
    """One mini-batch of SGD on a copy of the state's network, as the worker's Step does."""
    from cnnviz.data import images_to_float
    from cnnviz.nn import build_network, get_preset
    from cnnviz.training import Trainer
    from cnnviz.training.snapshot import detailed_step

    net = build_network(config=state.net.config)
    net.load_params(state.net.copy_params())
    trainer = Trainer(net, images_to_float(ds.train_images[:640]), ds.train_labels[:640],
                      images_to_float(ds.test_images[:10]), ds.test_labels[:10],
                      get_preset("lenet").training)
    return detailed_step(trainer)[1]


def make_view(name, state, ds):
    if name == "filters":
        from cnnviz.app.views.filters import FiltersView
        return FiltersView(state)
    if name == "conv_explainer":
        from cnnviz.app.views.conv_explainer import ConvExplainerView
        view = ConvExplainerView(state)
        acts = state.trace["relu2"].output[0]
        ch, r, c = np.unravel_index(acts.argmax(), acts.shape)
        view.explain("conv2", int(ch), int(r), int(c))
        return view
    if name == "conv_explainer1":
        from cnnviz.app.views.conv_explainer import ConvExplainerView
        view = ConvExplainerView(state)
        act = state.trace["relu1"].output[0, 3]
        view.explain("conv1", 3, *map(int, np.unravel_index(act.argmax(), act.shape)))
        return view
    if name == "inspector":
        from cnnviz.app.views.inspector import InspectorView
        return InspectorView(state)
    if name == "saliency":
        from cnnviz.app.views.saliency import SaliencyView
        return SaliencyView(state)
    if name == "step_explainer":
        from cnnviz.app.views.step_explainer import StepExplainerView
        view = StepExplainerView(state)
        view.show_step(real_step(state, ds))
        return view
    if name == "timeline":
        from cnnviz.app.views.timeline import TimelineView
        return TimelineView(state)
    if name == "preprocess":
        from cnnviz.app.views.preprocess_pipeline import PreprocessPipelineView
        return PreprocessPipelineView(state)
    raise SystemExit(f"unknown view {name!r}")


def _hover_inspector(view, channel, row, col):
    m = view.output_panel.mosaic
    if m is not None:
        y0, x0 = m.origin(channel)
        view.hover(y0 + row + 0.5, x0 + col + 0.5)


def _inspect(layer, hover=None):
    def select(view):
        view.select_layer(layer)
        if hover is not None:
            _hover_inspector(view, *hover)
        elif layer == "softmax":
            view.hover(0.5, 7)
    return select


def _tab(index):
    return lambda view: view.tabs.setCurrentIndex(index)


# several pictures of one view at each size: (file name suffix, what to select first)
VARIANTS = {
    "inspector": [("_conv1", _inspect("conv1", (3, 8, 10))), ("_conv2", _inspect("conv2", (12, 2, 3))),
                  ("_pool1", _inspect("pool1", (4, 5, 6))), ("_fc1", _inspect("fc1")),
                  ("_softmax", _inspect("softmax"))],
    "step_explainer": [("_delta", _tab(0)), ("_grads", _tab(1)), ("_routing", _tab(2))],
}

VIEWS = ["filters", "conv_explainer", "conv_explainer1", "inspector", "saliency",
         "step_explainer", "timeline", "preprocess"]


def preview_state():
    """``(AppState, Dataset)``: the bundled model and digits, held-out digit 0 as the probe."""
    from cnnviz.app.state import AppState
    from cnnviz.data import load_bundled
    from cnnviz.nn import load_checkpoint
    from cnnviz.resources import resource_path

    ds = load_bundled()
    state = AppState(load_checkpoint(resource_path("model", "lenet.npz")), ds)
    state.set_probe(ds.test_images[0] / 255.0, int(ds.test_labels[0]), index=0)
    return state, ds


def settle_events(app) -> None:
    """Let layouts, timers and paints run for about half a second."""
    for _ in range(25):
        app.processEvents()
        time.sleep(0.02)


def main() -> int:
    import pyqtgraph as pg
    from PyQt6.QtGui import QFont
    from PyQt6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    pg.setConfigOptions(imageAxisOrder="row-major")
    state, ds = preview_state()

    def settle():
        settle_events(app)

    names = sys.argv[1:] or VIEWS
    normal = QFont(app.font())
    for name in names:
        for big in (False, True):
            font = QFont(normal)
            if big:
                font.setPointSizeF(20)
            app.setFont(font)
            view = make_view(name, state, ds)
            for size in ([BIG] if big else SIZES):
                view.resize(*size)
                view.show()
                settle()
                tag = f"{size[0]}x{size[1]}" + ("_20pt" if big else "")
                for variant, select in VARIANTS.get(name, [("", None)]):
                    if select is not None:
                        select(view)
                        settle()
                    path = f"/tmp/fit_{name}{variant}_{tag}.png"
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
