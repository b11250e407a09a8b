"""A new model's loss curves start on fresh axes: after File > Open model, Reset or a new
architecture, the plot never keeps the previous run's epochs and loss range (even after the
user zoomed, which turns pyqtgraph's auto-range off)."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.app.state import AppState
from cnnviz.app.views.loss_curves import LossCurvesView
from cnnviz.nn import build_network
from cnnviz.training.snapshot import Snapshot
from window_support import open_window, small_dataset


def snapshot(net, epochs: float, loss: float, batches: int = 60) -> Snapshot:
    """Batches spread over ``epochs`` epochs, each of loss ``loss``."""
    x = np.linspace(epochs / batches, epochs, batches)
    return Snapshot.create(net.copy_params(), np.arange(1, batches + 1), x,
                           np.full(batches, loss), step=batches, epoch=int(epochs), batch=0,
                           batches_per_epoch=10, total_steps=batches, images_per_second=1.0,
                           lr=0.01, eta_seconds=0.0)


def x_range(view) -> tuple[float, float]:
    return tuple(view.loss_plot.viewRange()[0])


def y_range(view) -> tuple[float, float]:
    return tuple(view.loss_plot.viewRange()[1])


def settle(view) -> None:
    """Apply the auto-range pyqtgraph defers to the next paint."""
    view.loss_plot.getViewBox().updateAutoRange()


@pytest.fixture
def curves(qtbot):
    state = AppState(build_network("fc16 relu fc10", seed=0))
    view = LossCurvesView(state)
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    qtbot.waitExposed(view)
    return view


def run_six_epochs(view) -> None:
    view.add_snapshot(snapshot(view.state.net, 6.0, 40.0))     # a long run, a big loss
    view.refresh()
    settle(view)
    assert x_range(view)[1] > 5.5 and y_range(view)[1] > 35


def test_clear_starts_fresh_axes(curves):
    run_six_epochs(curves)
    curves.clear()
    curves.refresh()
    settle(curves)
    low, high = x_range(curves)
    assert low >= 0 and high <= 1.2, (low, high)
    assert y_range(curves)[1] < 5
    curves.add_snapshot(snapshot(curves.state.net, 0.5, 2.0, batches=10))
    curves.refresh()                         # the new data is followed: auto-range is back on
    settle(curves)
    assert x_range(curves)[1] < 1.0 and 1.5 < y_range(curves)[1] < 5


def test_fresh_axes_after_the_user_zoomed(curves):
    run_six_epochs(curves)
    curves.loss_plot.getViewBox().scaleBy((0.5, 0.5))          # a zoom: auto-range off
    curves.clear()
    curves.add_snapshot(snapshot(curves.state.net, 0.5, 2.0, batches=10))
    curves.refresh()
    settle(curves)
    assert x_range(curves)[1] < 1.0 and 1.5 < y_range(curves)[1] < 5


@pytest.mark.parametrize("action", ["open", "reset", "architecture"])
def test_the_window_gives_a_new_model_fresh_loss_axes(qtbot, tmp_path, action, monkeypatch):
    from PyQt6.QtWidgets import QMessageBox

    from cnnviz.nn import save_checkpoint

    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    win = open_window(qtbot, small_dataset(200, 50))
    curves = win.loss_view
    win.docks["loss_curves"].raise_()
    qtbot.waitUntil(lambda: curves.isVisible())
    run_six_epochs(curves)
    if action == "open":
        save_checkpoint(build_network("fc16 relu fc10", seed=2), tmp_path / "other.npz")
        assert win.open_model(tmp_path / "other.npz")
    elif action == "reset":
        win.reset_weights()
    else:
        assert win.apply_architecture("fc32 relu fc10")
    curves.refresh()
    settle(curves)
    assert x_range(curves)[1] <= 1.2 and y_range(curves)[1] < 5
