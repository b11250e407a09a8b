"""Many fast Steps keep the UI thread's work and the memory they hold bounded (issue 12).

Counts only, never times: how many step details are drawn for many Steps, and how many are
still alive afterwards. ``scripts/measure_steps.py`` measures the stalls and RSS themselves.
"""

import gc
import threading

import pytest
from PyQt6.QtWidgets import QApplication, QMessageBox

import cnnviz.app.worker as worker_module
import window_support
from cnnviz.training.snapshot import StepDetail


@pytest.fixture(scope="module")
def small_dataset():
    return window_support.small_dataset(320, 50)


@pytest.fixture
def window(qtbot, small_dataset, monkeypatch):
    for kind in ("critical", "warning", "information", "question"):
        monkeypatch.setattr(QMessageBox, kind, lambda *a, **k: QMessageBox.StandardButton.Yes)
    win = window_support.open_window(qtbot, small_dataset)
    win.controls.batch_spin.setValue(16)
    win.raise_dock("step_explainer")        # on screen: it draws every detail it is given
    yield win
    win.stop_training()


def alive_details() -> list[StepDetail]:
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, StepDetail)]


def test_fifty_queued_steps_draw_two_details_and_keep_one(qtbot, window, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    real = worker_module.detailed_step

    def gated(trainer):
        entered.set()
        release.wait(30)                    # the first Step is still training...
        return real(trainer)
    monkeypatch.setattr(worker_module, "detailed_step", gated)
    # The queued Steps train only once the first is on screen: else a UI thread slower than
    # 49 batches (a loaded machine) rightly shows only the newest, and there is one drawing
    first_drawn = threading.Event()
    real_train_one = worker_module.TrainingWorker._train_one

    def after_first_drawn(self):
        first_drawn.wait(60)
        return real_train_one(self)
    monkeypatch.setattr(worker_module.TrainingWorker, "_train_one", after_first_drawn)
    view = window.views["step_explainer"]
    drawn = []                              # the step of every detail the explainer drew
    real_refresh = view.refresh

    def counted_refresh():
        if view.detail is not None:         # (a catch-up redraw of the raised tab has none)
            drawn.append(view.detail.step)
        real_refresh()
        if drawn:
            first_drawn.set()
    monkeypatch.setattr(view, "refresh", counted_refresh)
    window.step_training()
    assert entered.wait(20)
    for _ in range(49):                     # ...while 49 more are queued
        window.step_training()
    release.set()
    qtbot.waitUntil(lambda: bool(drawn) and drawn[-1] == 50, timeout=60000)
    assert drawn == [1, 50]                 # two drawings for fifty Steps
    alive = alive_details()                 # each holds two copies of every weight
    assert [d.step for d in alive] == [50]  # only the one on screen is kept


def test_steps_arriving_faster_than_they_are_drawn_are_coalesced(qtbot, window):
    """Step held down: each Step trains and sends its detail, but while the previous show's
    spacing has not passed only the newest waits to be shown; a stop shows it at once."""
    controller = window.controller
    controller.base_interval_ms = 60000     # a spacing no Step in this test outlives
    shown = []
    controller.stepped.connect(lambda detail: shown.append(detail.step))
    window.step_training()
    qtbot.waitUntil(lambda: shown == [1], timeout=20000)
    for k in range(2, 9):
        window.step_training()
        qtbot.waitUntil(lambda: getattr(controller._pending_step, "step", 0) == k
                        or shown[-1] == k, timeout=20000)      # arrived (or, wrongly, shown)
    assert shown == [1]                     # seven details arrived, none drawn yet
    assert len(alive_details()) <= 2        # the one on screen and the newest pending
    with qtbot.waitSignal(controller.finished, timeout=20000):
        controller.stop()
    assert shown == [1, 8]                  # the newest, once


def test_a_steps_detail_is_shown_with_its_snapshot_when_the_worker_stalls_between_them(
        qtbot, window, monkeypatch):
    """The worker sends a Step's snapshot, then its detail. Descheduled between the two (a
    loaded machine), the snapshot alone must not be shown: that show would start the spacing
    and hold the detail back a whole interval (failed once in CI)."""
    controller = window.controller
    controller.base_interval_ms = 60000     # the spacing a wrongly early show would impose
    between = threading.Event()
    real_emit = worker_module.TrainingWorker._emit_snapshot

    def stalling_emit(self, detail_follows=False):
        real_emit(self, detail_follows)
        if detail_follows:
            between.wait(30)                # the worker stalls before sending the detail
    monkeypatch.setattr(worker_module.TrainingWorker, "_emit_snapshot", stalling_emit)
    arrived, shown = [], []
    controller.lossesArrived.connect(lambda snapshot: arrived.append(snapshot.step))
    controller.stepped.connect(lambda detail: shown.append(detail.step))
    window.step_training()
    qtbot.waitUntil(lambda: arrived == [1])
    for _ in range(5):                      # any show scheduled by the snapshot runs now
        QApplication.processEvents()
    assert controller.step_shows == 0
    between.set()
    qtbot.waitUntil(lambda: shown == [1])
    assert controller.step_shows == 1       # weights and detail in one show
