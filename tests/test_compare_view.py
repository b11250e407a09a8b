"""The Compare view: trains the current architecture and a challenger side by side."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtWidgets import QMenu

from cnnviz.app.state import AppState, is_exposed
from cnnviz.app.views.compare import CompareView
from cnnviz.app.worker import live_training_threads
from cnnviz.nn import build_network
from cnnviz.nn.presets import TrainConfig
from thread_gates import MethodGate
from window_support import open_window, small_dataset

CONV = "conv4x5 relu maxpool fc10"
DENSE = "fc32 relu fc10"
WAIT_MS = 120_000


def described(arch: str) -> int:
    return sum(info.parameter_count for info in build_network(arch).describe())


@pytest.fixture
def view(qtbot):
    state = AppState(build_network(CONV, seed=0), small_dataset(200, 100))
    view = CompareView(state)
    view.config_source = lambda: TrainConfig(epochs=3, batch_size=10, lr=0.05, seed=2)
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    qtbot.waitExposed(view)
    return view


def run_to_end(qtbot, view, challenger: str, images: int, epochs: int = 1) -> str:
    view.challenger_edit.setText(challenger)
    view.images_spin.setValue(images)
    view.epochs_spin.setValue(epochs)
    with qtbot.waitSignal(view.finished, timeout=WAIT_MS) as outcome:
        assert view.start()
    return outcome.args[0]


def test_trains_both_to_completion_and_draws_both_curve_sets(qtbot, view):
    assert view.challenger_edit.text() == CONV          # starts as the current architecture
    assert run_to_end(qtbot, view, DENSE, images=60) == "completed"
    # 6 batches of 10; held-out evaluated before training and 4 times in the epoch
    for model in (0, 1):
        assert view.plots.points(model) == (6, 5)
    current, challenger = view.runs
    assert (current.arch, challenger.arch) == (CONV, DENSE)
    np.testing.assert_array_equal(view.plots.average_curves[1].getData()[0],
                                  challenger.batch_x)
    assert view.table.rowCount() == 2
    assert view.table.cell_text(0, "architecture") == CONV
    assert view.table.cell_text(0, "parameters") == f"{described(CONV):,}"
    assert view.table.cell_text(1, "parameters") == f"{described(DENSE):,}"
    for row, run in enumerate(view.runs):
        assert view.table.cell_text(row, "held-out accuracy") == f"{run.final_accuracy:.2%}"
        assert float(view.table.cell_text(row, "images/s").replace(",", "")) > 0
    assert "Done" in view.status.text() and view.start_button.text() == "Start"
    assert view.state.net.arch == CONV                 # the main model was not touched


def test_the_same_architecture_twice_draws_one_curve_twice(qtbot, view):
    assert run_to_end(qtbot, view, CONV, images=40, epochs=2) == "completed"
    a, b = (view.plots.average_curves[i].getData() for i in (0, 1))
    assert len(a[0]) == 8
    np.testing.assert_array_equal(a[1], b[1])
    assert view.runs[0].eval_accuracy == view.runs[1].eval_accuracy


def test_a_bad_challenger_shows_the_parsers_error_and_cannot_start(qtbot, view):
    view.challenger_edit.setText("fc32 rleu fc10")
    assert "token 2 'rleu'" in view.arch_error.text() and view.arch_error.isVisible()
    assert not view.start_button.isEnabled()
    assert not view.start() and not view.running
    view.challenger_edit.setText("fc32 relu fc5")       # parses, but 5 classes for 10 digits
    assert view.start_button.isEnabled() and not view.start()
    assert "5 class scores" in view.status.text() and not view.running


def test_a_diverging_challenger_is_reported_not_a_crash(qtbot, view):
    view.config_source = lambda: TrainConfig(epochs=1, batch_size=10, lr=80.0, seed=0)
    assert run_to_end(qtbot, view, "fc64 relu fc64 relu fc10", images=120) == "completed"
    diverged = [row for row, run in enumerate(view.runs) if run.diverged]
    assert diverged, [r.batch_loss for r in view.runs]
    for row in diverged:
        assert view.table.cell_text(row, "held-out accuracy") == "diverged"
    assert "diverged" in view.status.text()


@pytest.fixture
def held_run(monkeypatch):
    """The comparison held after its first step until ``release()``: what ends a run early
    (Stop, closing the window, another model) always comes while it runs, however long the
    UI thread is descheduled on a loaded machine (a whole run takes seconds)."""
    from cnnviz.training.compare import Comparison
    held = MethodGate(monkeypatch, Comparison, "step", 1, WAIT_MS / 1000)
    yield held
    held.release()                    # never leave a thread held past the test


def test_stop_ends_the_run_early(qtbot, view, held_run):
    """Stop is honoured between mini-batches: the run is held after its first batch until
    Stop has been clicked, so a fast machine cannot finish it first."""
    view.challenger_edit.setText(DENSE)
    view.images_spin.setValue(200)
    view.epochs_spin.setValue(3)
    assert view.start()
    qtbot.waitUntil(held_run.passed.is_set, timeout=WAIT_MS)
    with qtbot.waitSignal(view.finished, timeout=WAIT_MS) as outcome:
        view.start_button.click()                   # Stop
        held_run.release()
    assert outcome.args[0] == "stopped"
    assert len(view.runs[1].batch_loss) < 60 and not view.running


def test_closing_the_window_during_a_run_stops_and_joins_its_thread(qtbot, held_run):
    win = open_window(qtbot, small_dataset(300, 100))
    view = win.views["compare"]
    win.raise_dock("compare")
    assert view.challenger_edit.text() == win.state.net.arch
    view.challenger_edit.setText(DENSE)
    view.epochs_spin.setValue(5)
    assert view.start()
    thread = view.thread
    assert thread in live_training_threads()
    qtbot.waitUntil(held_run.passed.is_set, timeout=WAIT_MS)    # training, held
    with qtbot.waitSignal(view.finished, timeout=WAIT_MS) as outcome:
        win.close()
        held_run.release()
    assert outcome.args[0] == "stopped"
    qtbot.waitUntil(lambda: thread not in live_training_threads(), timeout=WAIT_MS)


def test_the_training_menu_raises_the_compare_view(qtbot):
    win = open_window(qtbot, small_dataset(100, 50))
    win.raise_dock("activations")
    action = next(a for menu in win.menuBar().findChildren(QMenu)
                  for a in menu.actions() if a.text() == "&Compare architectures...")
    action.trigger()
    qtbot.waitUntil(lambda: is_exposed(win.views["compare"]))


OTHER = "conv6x3 relu maxpool fc10"
FRESH_LOSS_TOP = 2.5        # cnnviz.app.epoch_plots: a fresh model's loss axis


def test_opening_another_model_clears_the_finished_comparison(qtbot, view):
    """The table and curves describe the model now shown, not the last run's "current"."""
    assert run_to_end(qtbot, view, DENSE, images=40) == "completed"
    assert view.table.cell_text(0, "architecture") == CONV
    view.state.set_model(build_network(OTHER, seed=1), "other.npz", pretrained=True)
    assert view.runs == []
    assert view.table.rowCount() == 2
    assert view.table.cell_text(0, "architecture") == OTHER
    assert view.table.cell_text(0, "parameters") == f"{described(OTHER):,}"
    assert view.table.cell_text(0, "held-out accuracy") == "-"
    assert view.table.cell_text(1, "architecture") == DENSE      # the challenger as typed
    for model in (0, 1):
        assert view.plots.points(model) == (0, 0)
    # fresh axes, not the last run's loss scale (pyqtgraph keeps a range when data goes)
    box = view.plots.loss_plot.getViewBox()
    box.updateAutoRange()
    assert box.viewRange()[1] == pytest.approx([0.0, FRESH_LOSS_TOP])
    assert box.viewRange()[0] == pytest.approx([0.0, 1.0])
    assert "Press Start" in view.status.text()


def test_a_new_architecture_during_a_comparison_stops_it_and_shows_the_new_one(qtbot, view,
                                                                              held_run):
    view.challenger_edit.setText(DENSE)
    view.images_spin.setValue(200)
    view.epochs_spin.setValue(20)
    with qtbot.waitSignal(view.finished, timeout=WAIT_MS):
        assert view.start()
        qtbot.waitUntil(lambda: bool(view.runs), timeout=WAIT_MS)
        view.state.set_model(build_network(OTHER, seed=1), "new network")
        held_run.release()
    assert not view.running and view.runs == []
    assert view.table.cell_text(0, "architecture") == OTHER
    assert "model changed" in view.status.text() and view.start_button.text() == "Start"
    assert view.plots.points(0) == (0, 0)
