"""What a first-time user ran into, driven through the real window (pytest-qt, offscreen):
reset while a run is paused, the learning-rate schedule, images/s, starting from the
pre-trained model, the loss plots, the drawing pad's clear, and closing."""

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QMessageBox

from cnnviz.app.main_window import MainWindow
from cnnviz.app.state import AppState
from cnnviz.data import Dataset, load_bundled
from cnnviz.nn import build_network

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)


@pytest.fixture(autouse=True)
def settings_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_SETTINGS_DIR", str(tmp_path / "settings"))


@pytest.fixture(scope="module")
def small_dataset():
    ds = load_bundled()
    return Dataset("small", ds.train_images[:640], ds.train_labels[:640],
                   ds.test_images[:100], ds.test_labels[:100])


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
    click(qtbot, c.start_button)
    worker = window.controller.worker
    qtbot.waitUntil(lambda: worker.trainer.step_count >= 3, timeout=15000)
    click(qtbot, c.start_button)                                   # Pause
    qtbot.waitUntil(lambda: c.start_button.text() == "Resume", timeout=5000)
    window.views["timeline"].flush()
    assert len(window.views["timeline"].timeline) > 0
    assert window.loss_view.history.batches_seen > 0
    c.seed_spin.setEnabled(True)       # the seed is fixed during a run; set before the reset
    c.seed_spin.setValue(3)
    click(qtbot, c.reset_button)                                   # asks; answered Yes
    qtbot.wait(400)                                                # anything still queued
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
    qtbot.waitUntil(lambda: window.views["step_explainer"].detail is not None, timeout=5000)
    np.testing.assert_array_equal(window.views["step_explainer"].detail.params_before
                                  ["conv1.weight"], fresh.params["conv1.weight"])
