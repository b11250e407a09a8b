"""The main window, driven through its real widgets under pytest-qt (offscreen)."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QMessageBox

from cnnviz.app.main_window import MainWindow
from cnnviz.app.state import AppState
from cnnviz.nn import build_network

import window_support

ISSUE3_VIEWS = {"controls", "loss_curves", "activations", "pooling", "filters", "drawing_pad",
                "probe_browser", "inspector"}


@pytest.fixture(scope="module")
def small_dataset():
    return window_support.small_dataset(640, 100)


@pytest.fixture
def messages(monkeypatch):
    """Capture message boxes instead of blocking: list of (kind, title, text)."""
    seen = []

    def fake(kind, answer=None):
        def box(parent, title, text, *args, **kwargs):
            seen.append((kind, title, text))
            return answer
        return box
    monkeypatch.setattr(QMessageBox, "critical", fake("critical"))
    monkeypatch.setattr(QMessageBox, "warning", fake("warning"))
    monkeypatch.setattr(QMessageBox, "information", fake("information"))
    monkeypatch.setattr(QMessageBox, "question", fake("question", QMessageBox.StandardButton.Yes))
    return seen


@pytest.fixture
def window(qtbot, small_dataset, messages):
    state = AppState(build_network(seed=0), small_dataset)
    state.model_name = "test model"
    win = MainWindow(state)
    qtbot.addWidget(win)
    win.controls.batch_spin.setValue(16)
    # a run the tests pause, stop or close is still running then, however slow the UI thread
    win.controls.epochs_spin.setValue(20)      # 800 batches
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.stop_training()


def batch_points(win):
    x, y = win.loss_view.batch_curve.getData()
    return 0 if x is None else len(x)


def test_window_opens_with_every_view(window):
    assert ISSUE3_VIEWS <= set(window.docks)
    for name, dock in window.docks.items():
        assert dock.objectName() == f"{name}Dock"
        assert not dock.isHidden(), name
        # each dock is on screen or one click (its tab) away
        assert dock.isVisible() or window.tabifiedDockWidgets(dock), name
    assert "test model" in window.windowTitle()


def test_start_trains_and_loss_points_appear(qtbot, window):
    assert batch_points(window) == 0
    qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
    assert window.controls.start_button.text() == "Pause"
    qtbot.waitUntil(lambda: batch_points(window) >= 3, timeout=15000)
    x, y = window.loss_view.batch_curve.getData()
    assert np.all(np.isfinite(y)) and np.all(x > 0)
    assert window.controls.progress_bar.value() > 0


def test_snapshots_reach_the_ui_network(qtbot, window):
    before = window.state.net.copy_params()
    qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not np.array_equal(before["conv1.weight"],
                                               window.state.net.params["conv1.weight"]),
                    timeout=15000)
    worker_params = window.controller.worker.net.params
    assert not np.shares_memory(window.state.net.params["conv1.weight"],
                                worker_params["conv1.weight"])


def test_pause_and_resume_with_the_button(qtbot, window):
    button = window.controls.start_button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    worker = window.controller.worker
    qtbot.waitUntil(lambda: worker.trainer.step_count >= 2, timeout=15000)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)           # Pause
    qtbot.waitUntil(lambda: button.text() == "Resume", timeout=30000)
    paused_at = worker.trainer.step_count
    qtbot.wait(300)
    assert worker.trainer.step_count == paused_at
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)           # Resume
    qtbot.waitUntil(lambda: worker.trainer.step_count > paused_at + 1, timeout=15000)
    # the worker's "running" reaches the button as a queued signal: wait for it, not race it
    qtbot.waitUntil(lambda: button.text() == "Pause", timeout=15000)


def test_step_button_trains_exactly_one_batch(qtbot, window):
    before = window.state.net.copy_params()
    qtbot.mouseClick(window.controls.step_button, Qt.MouseButton.LeftButton)
    worker = window.controller.worker
    qtbot.waitUntil(lambda: worker.trainer.step_count == 1, timeout=10000)
    qtbot.waitUntil(lambda: not np.array_equal(before["fc2.weight"],
                                               window.state.net.params["fc2.weight"]),
                    timeout=30000)
    qtbot.wait(300)
    assert worker.trainer.step_count == 1
    assert window.controls.start_button.text() == "Resume"
    # the shown weights are exactly the worker's after that one batch
    for name, value in worker.net.params.items():
        np.testing.assert_array_equal(window.state.net.params[name], value)


def test_step_keyboard_shortcut(qtbot, window):
    window.activateWindow()
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: window.controller.worker is not None
                    and window.controller.worker.trainer.step_count == 1, timeout=10000)


def test_stop_button_ends_the_run(qtbot, window):
    qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
    worker = window.controller.worker
    qtbot.waitUntil(lambda: worker.trainer.step_count >= 1, timeout=15000)
    with qtbot.waitSignal(window.controller.finished, timeout=30000):
        qtbot.mouseClick(window.controls.stop_button, Qt.MouseButton.LeftButton)
    assert window.controls.start_button.text() == "Start"
    # it returns at once after "finished"; the bound is for a descheduled thread (loaded machine)
    assert window.controller.thread.wait(60000)


def test_closing_while_training_stops_the_thread(qtbot, window):
    qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
    worker, thread = window.controller.worker, window.controller.thread
    qtbot.waitUntil(lambda: worker.trainer.step_count >= 2, timeout=15000)
    ended = []                  # the run's own end: completed (True) or stopped (False)
    worker.finished.connect(ended.append, Qt.ConnectionType.DirectConnection)
    window.close()              # asks the worker to stop, waits a little for it
    assert worker.stopping
    # under load the thread may need longer than close waits: wait for it to end by itself
    qtbot.waitUntil(thread.isFinished, timeout=60000)
    assert ended == [False]     # stopped, not run to the end


def test_corrupt_checkpoint_shows_error_and_keeps_model(tmp_path, window, messages):
    before = window.state.net.copy_params()
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"this is not a checkpoint")
    assert not window.open_model(bad)
    kind, title, text = messages[-1]
    assert kind == "critical" and "broken.npz" in text
    wrong = tmp_path / "wrong_shape.npz"
    params = build_network().copy_params()
    params["fc2.weight"] = np.zeros((3, 3), np.float32)
    np.savez(wrong, **params)
    assert not window.open_model(wrong)
    assert "wrong_shape.npz" in messages[-1][2] and "fc2" in messages[-1][2]
    for name, value in before.items():
        np.testing.assert_array_equal(window.state.net.params[name], value)
    assert window.state.model_name == "test model"


def test_good_checkpoint_round_trip(tmp_path, window, messages):
    path = tmp_path / "mine.npz"
    assert window.save_model(path)
    other = build_network(seed=5)
    other.save(tmp_path / "other.npz")
    assert window.open_model(tmp_path / "other.npz")
    assert "other.npz" in window.windowTitle()
    np.testing.assert_array_equal(window.state.net.params["conv1.weight"],
                                  other.params["conv1.weight"])


def test_bad_idx_folder_shows_error_and_keeps_data(tmp_path, window, messages, small_dataset):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03garbage")
    assert not window.open_dataset(tmp_path)
    text = messages[-1][2]
    assert str(tmp_path) in text and "missing" in text
    assert window.state.dataset is small_dataset


def test_diverging_run_pauses_and_names_the_learning_rate(qtbot, window, messages):
    window.controls.lr_spin.setValue(1e6)
    window.controls.momentum_spin.setValue(0.99)
    qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(m[0] == "warning" for m in messages), timeout=15000)
    text = [m for m in messages if m[0] == "warning"][-1][2]
    assert "learning rate" in text and "1e+06" in text
    qtbot.waitUntil(lambda: window.controls.start_button.text() == "Resume", timeout=30000)
    assert all(np.isfinite(v).all() for v in window.state.net.params.values())
    assert all(np.isfinite(v).all() for v in window.controller.worker.net.params.values())


def test_reset_asks_first(qtbot, window, messages, monkeypatch):
    before = window.state.net.copy_params()
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.No)
    qtbot.mouseClick(window.controls.reset_button, Qt.MouseButton.LeftButton)
    np.testing.assert_array_equal(window.state.net.params["conv1.weight"], before["conv1.weight"])
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.controls.seed_spin.setValue(7)
    qtbot.mouseClick(window.controls.reset_button, Qt.MouseButton.LeftButton)
    np.testing.assert_array_equal(window.state.net.params["conv1.weight"],
                                  build_network(seed=7).params["conv1.weight"])


def test_layout_is_saved_and_restored(qtbot, window, small_dataset):
    window.docks["loss_curves"].hide()
    window.close()
    again = MainWindow(AppState(build_network(), small_dataset))
    qtbot.addWidget(again)
    again.show()
    assert again.docks["loss_curves"].isHidden()
    again.reset_layout()
    assert not again.docks["loss_curves"].isHidden()


def test_export_view_png(tmp_path, window):
    path = window.export_view(tmp_path / "loss.png", window.docks["loss_curves"])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
