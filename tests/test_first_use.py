"""What a first-time user ran into, driven through the real window (pytest-qt, offscreen):
reset while a run is paused, the learning-rate schedule, images/s, starting from the
pre-trained model, the loss plots, the drawing pad's clear, and closing."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QApplication, QMessageBox

from cnnviz.app.main_window import MainWindow
from cnnviz.app.state import AppState
from cnnviz.app.worker import join_training_threads
from cnnviz.nn import build_network

import window_support


@pytest.fixture(scope="module")
def small_dataset():
    return window_support.small_dataset(640, 100)


@pytest.fixture
def questions(monkeypatch):
    """Answer every QMessageBox.question with Yes; record (title, text)."""
    seen = []

    def question(parent, title, text, *args, **kwargs):
        seen.append((title, text))
        return QMessageBox.StandardButton.Yes
    monkeypatch.setattr(QMessageBox, "question", question)
    for kind in ("critical", "warning", "information"):
        monkeypatch.setattr(QMessageBox, kind, lambda *a, **k: None)
    return seen


@pytest.fixture
def window(qtbot, small_dataset, questions):
    state = AppState(build_network(seed=0), small_dataset)
    state.model_name = "test model"
    win = MainWindow(state)
    qtbot.addWidget(win)
    win.controls.batch_spin.setValue(16)
    win.controls.epochs_spin.setValue(2)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.stop_training()


def click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


# -- 1. Reset while a run is paused --------------------------------------------------------------
def test_reset_while_paused_gives_fresh_weights_and_a_fresh_run(qtbot, window):
    c = window.controls
    window.raise_dock("timeline")
    c.epochs_spin.setValue(20)         # 800 batches: still running when it is paused
    click(qtbot, c.start_button)
    worker = window.controller.worker
    qtbot.waitUntil(lambda: worker.trainer.step_count >= 3, timeout=15000)
    click(qtbot, c.start_button)                                   # Pause
    qtbot.waitUntil(lambda: c.start_button.text() == "Resume", timeout=30000)
    window.views["timeline"].flush()
    assert len(window.views["timeline"].timeline) > 0
    assert window.loss_view.history.batches_seen > 0
    c.seed_spin.setEnabled(True)       # the seed is fixed during a run; set before the reset
    c.seed_spin.setValue(3)
    click(qtbot, c.reset_button)                                   # asks; answered Yes
    join_training_threads()            # the old run has ended...
    QApplication.processEvents()       # ...and whatever it still had queued was delivered
    fresh = build_network(c.preset_name(), seed=3)
    for name, value in fresh.params.items():
        np.testing.assert_array_equal(window.state.net.params[name], value, err_msg=name)
    assert not window.controller.active
    assert c.start_button.text() == "Start"
    assert c.progress_bar.value() == 0 and c.progress_bar.format() == "not started"
    assert window.loss_view.history.batches_seen == 0
    assert len(window.views["timeline"].timeline) == 0
    assert window.views["step_explainer"].detail is None
    assert window.views["confusion"].accuracy is None
    assert "*" not in window.windowTitle()
    # the next Step starts a NEW run from the fresh weights
    click(qtbot, c.step_button)
    qtbot.waitUntil(lambda: window.controller.worker is not None
                    and window.controller.worker is not worker
                    and window.controller.worker.trainer.step_count == 1, timeout=10000)
    qtbot.waitUntil(lambda: window.views["step_explainer"].detail is not None, timeout=30000)
    np.testing.assert_array_equal(window.views["step_explainer"].detail.params_before
                                  ["conv1.weight"], fresh.params["conv1.weight"])


# -- 2. The learning-rate schedule is shown and editable ------------------------------------------
def test_learning_rate_schedule_is_shown_and_used(qtbot, window):
    c = window.controls
    # the lenet preset: a cosine fall over the epochs asked for (the step knobs are hidden)
    assert c.schedule_combo.currentData() == "cosine" and c.lr_decay_spin.isHidden()
    c.epochs_spin.setValue(40)
    assert "cosine to 5% over 40 epochs" in c.schedule_label.text()
    assert c.config().lr_at_epoch(39.9) > 0.001           # still learning at epoch 40
    c.schedule_combo.setCurrentIndex(c.schedule_combo.findData("step"))
    assert not c.lr_decay_spin.isHidden()
    assert c.lr_decay_spin.value() == 0.5 and c.lr_every_spin.value() == 1
    assert "halved every epoch" in c.schedule_label.text()
    c.lr_decay_spin.setValue(0.8)
    c.lr_every_spin.setValue(2)
    assert "×0.8 every 2 epochs" in c.schedule_label.text()
    assert c.config().lr_decay == 0.8 and c.config().lr_decay_every == 2
    c.epochs_spin.setValue(3)
    c.lr_decay_spin.setValue(0.5)
    c.lr_every_spin.setValue(1)
    # The run pauses itself where epoch 1 begins. (Paused from here once the worker was seen
    # in epoch 1, a run outpacing a busy UI thread was already in epoch 2, at 0.005.)
    c.pause_epoch_box.setChecked(True)
    window.controller.start(window._worker_network(), window._training_data(), c.config())
    c.set_run_state("running")
    worker = window.controller.worker
    assert worker.trainer.config.lr_decay == 0.5
    qtbot.waitUntil(lambda: c._last_snapshot is not None and c._last_snapshot.epoch >= 1,
                    timeout=30000)
    assert c._last_snapshot.epoch == 1
    lr_now = c._last_snapshot.lr
    assert lr_now == pytest.approx(0.01)        # 0.02 halved after one epoch
    assert c.lr_spin.value() == pytest.approx(0.02)
    assert f"now {lr_now:g}" in c.lr_now_label.text()
    assert "base 0.02" in c.status_label.text() and "halved every epoch" in c.status_label.text()


# -- 4. Starting the pre-trained model --------------------------------------------------------------
@pytest.fixture
def pretrained_window(window):
    window.state.set_model(build_network(seed=0), "lenet.npz", pretrained=True, accuracy=0.984)
    return window


def answer_start_box(qtbot, button_text_start):
    """Click the button starting with ``button_text_start`` in the box the next call opens."""
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication
    asked = []

    def click():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            return
        asked.append(box.text())
        for b in box.buttons():
            if b.text().startswith(button_text_start):
                b.click()
                return
        raise AssertionError([b.text() for b in box.buttons()])
    QTimer.singleShot(50, click)
    return asked


def test_controls_say_the_model_is_pre_trained(pretrained_window):
    text = pretrained_window.controls.model_label.text()
    assert "pre-trained" in text and "98.4%" in text and "Reset" in text
    pretrained_window.reset_weights()
    assert "pre-trained" not in pretrained_window.controls.model_label.text()


def test_the_model_line_stops_quoting_the_accuracy_once_training_changed_it(pretrained_window):
    """After a Step the line said "pre-trained (98.4% held-out)" of weights that had moved."""
    pretrained_window.state.set_modified(True)           # what a Step or a run does
    text = pretrained_window.controls.model_label.text()
    assert "trained here" in text and "98.4%" not in text and "not saved" in text
    pretrained_window.state.set_modified(False)
    assert "98.4%" in pretrained_window.controls.model_label.text()


def test_start_from_pretrained_asks_and_trains_fresh_weights(qtbot, pretrained_window):
    win, c = pretrained_window, pretrained_window.controls
    c.seed_spin.setValue(4)
    asked = answer_start_box(qtbot, "Train from fresh")
    click(qtbot, c.start_button)
    assert asked and "already trained" in asked[0]
    worker = win.controller.worker
    assert worker is not None and win.state.model_name.startswith("new lenet")
    qtbot.waitUntil(lambda: worker.trainer.step_count >= 1, timeout=10000)
    win.stop_training()
    # the run started from the seed-4 random weights, not the pre-trained ones
    assert not np.array_equal(worker.net.params["fc2.weight"],
                              build_network(seed=0).params["fc2.weight"])


def test_start_from_pretrained_continue_asks_once_and_cancel_does_nothing(qtbot,
                                                                          pretrained_window):
    win, c = pretrained_window, pretrained_window.controls
    asked = answer_start_box(qtbot, "Cancel")
    click(qtbot, c.start_button)
    assert asked and win.controller.worker is None
    asked = answer_start_box(qtbot, "Continue")
    click(qtbot, c.start_button)
    assert asked and win.controller.active and win.state.model_name == "lenet.npz"
    win.stop_training()
    c.set_run_state("idle")
    asked = answer_start_box(qtbot, "Cancel")  # (would answer a second question)
    click(qtbot, c.start_button)               # asked once: starts at once
    qtbot.wait(100)                            # (the answering timer fires now, not later)
    # a run was started (the stop forgot the last one); it may be over already: 80 batches
    assert not asked and win.controller.worker is not None


# -- 5. The loss and accuracy plots ----------------------------------------------------------------
class _Epoch:
    """What the loss view reads of an EpochEvent."""

    def __init__(self, epoch, train_accuracy, test_accuracy):
        self.epoch, self.train_loss, self.test_loss = epoch, 0.3, 0.2
        self.train_accuracy, self.test_accuracy = train_accuracy, test_accuracy


def test_one_epoch_shows_its_accuracy_points_inside_an_axis_fitted_to_the_data(qtbot, window):
    view = window.loss_view
    window.raise_dock("loss_curves")
    qtbot.waitUntil(lambda: view.isVisible(), timeout=30000)
    view.add_snapshot(type("S", (), {"epoch_progress": np.linspace(0.05, 1.0, 20),
                                     "losses": np.linspace(2.0, 0.2, 20)})())
    view.add_epoch(_Epoch(0, 0.95, 0.97))
    view.refresh()
    x, y = view.test_acc_curve.getData()
    assert list(x) == [1.0] and view.test_acc_curve.opts["symbol"] == "o"
    # pyqtgraph applies an auto-range when it paints, some event-loop passes later
    qtbot.waitUntil(lambda: view.acc_plot.viewRange()[0][0] < 1.0
                    < view.acc_plot.viewRange()[0][1] - 0.01)   # the point is not on the edge
    (x_lo, x_hi), (y_lo, y_hi) = view.acc_plot.viewRange()
    assert 0.9 < y_lo < 0.95 and y_hi >= 1.0           # [0.95 - 0.02, 1] with a little padding
    view.add_epoch(_Epoch(1, 0.99, 0.985))
    view.refresh()
    assert 0.9 < view.acc_plot.viewRange()[1][0] < 0.95
    # no legend over the data: one legend row under the plots instead
    assert view.loss_plot.legend is None and view.acc_plot.legend is None
    assert "held-out" in view.legend.text() and view.legend.isVisible()


def test_a_throttled_redraw_is_done_a_little_later(qtbot, window):
    from cnnviz.app.state import is_exposed, refresh_queue
    view = window.loss_view
    window.raise_dock("loss_curves")
    qtbot.waitUntil(lambda: is_exposed(view) and not view.dirty)   # its catch-up redraw done
    view.add_epoch(_Epoch(0, 0.9, 0.92))
    view.schedule_refresh()                   # drawn now: the next training redraw waits
    assert len(view.test_acc_curve.getData()[0]) == 1
    view.add_epoch(_Epoch(1, 0.95, 0.96))     # e.g. the run's last epoch
    with refresh_queue().spread():
        view.schedule_refresh()
    assert len(view.test_acc_curve.getData()[0]) == 1
    qtbot.waitUntil(lambda: len(view.test_acc_curve.getData()[0]) == 2, timeout=30000)


def test_start_question_buttons_show_their_whole_labels_in_large_type(qtbot, pretrained_window):
    """In presentation type (20 pt) the three answers were cut to 'fresh random weights (reco'
    and 'ue training the pre-trained' at 1366x768: short labels, the advice in the text."""
    window = pretrained_window
    font = QApplication.font()
    big = QApplication.font()
    big.setPointSize(20)
    QApplication.setFont(big)
    seen = []

    def look():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, look)
            return
        screen = box.screen().availableGeometry()
        for b in box.buttons():
            icon = 0 if b.icon().isNull() else b.iconSize().width()
            need = b.fontMetrics().horizontalAdvance(b.text()) + icon
            seen.append((b.text(), need, b.width()))
        seen.append(("box", box.frameGeometry().width(), screen.width()))
        box.reject()
    try:
        QTimer.singleShot(50, look)
        assert window.ask_start_from_pretrained() == "cancel"
    finally:
        QApplication.setFont(font)
    for text, need, width in seen:
        assert need <= width, (text, need, width)
