"""Space pressed while a stopped run finishes its batch starts a new run, however late the
old run's thread ends (tests/test_lifecycle.py's version failed on a loaded machine: the
run's "finished" reached the window while its thread was still returning, so the new run
was taken for a resume of the old one and never started)."""

import time

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QMessageBox

import cnnviz.app.worker as worker_module
import window_support


# A run that outlasts the test: "running" and the Pause button are what a run shows while it
# trains; a run of the preset's 3 short epochs (60 batches) could be over, and show Start,
# before the waits looked (the UI thread busy drawing while it trained).
LONG_RUN_EPOCHS = 1000


@pytest.fixture
def window(qtbot, monkeypatch):
    for kind in ("critical", "warning", "information", "question"):
        monkeypatch.setattr(QMessageBox, kind,
                            lambda *a, **k: QMessageBox.StandardButton.Yes)
    win = window_support.open_window(qtbot, window_support.small_dataset(320, 50))
    win.controls.batch_spin.setValue(16)
    win.controls.epochs_spin.setValue(LONG_RUN_EPOCHS)
    yield win
    win.stop_training()


@pytest.fixture
def lingering_threads(monkeypatch):
    """Every run's thread outlives its worker's "finished" by 0.5 s, as on a busy machine."""
    real_start = worker_module.TrainingController.start

    def start(self, *args, **kwargs):
        worker = real_start(self, *args, **kwargs)
        worker.finished.connect(lambda *_: time.sleep(0.5), Qt.ConnectionType.DirectConnection)
        return worker
    monkeypatch.setattr(worker_module.TrainingController, "start", start)


def test_start_after_stop_waits_for_a_lingering_thread(qtbot, window, lingering_threads):
    window.start_training()
    qtbot.waitUntil(lambda: window.controls.start_button.text() == "Pause", timeout=30000)
    window_support.start_again_while_stopping(qtbot, window)
    assert window.controls.start_button.text() == "Pause"


def test_start_after_a_finished_run_whose_thread_outlives_the_join(qtbot, window,
                                                                  lingering_threads,
                                                                  monkeypatch):
    """A finished run is over even if its thread is still returning when "finished" has
    waited for it as long as it may: Start begins a new run (it was taken for a resume of
    the finished one, and nothing happened)."""
    monkeypatch.setattr(worker_module, "FINISHED_JOIN_MS", 1)
    window.controls.epochs_spin.setValue(1)
    with qtbot.waitSignal(window.controller.finished, timeout=60000):
        window.start_training()
    first = window.controller.worker
    window.controls.epochs_spin.setValue(LONG_RUN_EPOCHS)     # the new run: a long one
    window.controls.start_button.click()
    qtbot.waitUntil(lambda: window.controller.worker is not first, timeout=20000)
    qtbot.waitUntil(lambda: window.controller.state == "running", timeout=20000)
