"""The training thread's lifecycle and the window's end of life: no path ends in an abort, a
hang, a lost request or a lost trained model (issues 7 and 12)."""

import ctypes
import gc
import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PyQt6 import sip
from PyQt6.QtWidgets import QApplication, QFileDialog, QMessageBox

import cnnviz.app.worker as worker_module
import window_support
from cnnviz.app import lifecycle
from cnnviz.app.settings import read_value
from cnnviz.app.worker import TrainingController, live_training_threads
from cnnviz.data import images_to_float
from cnnviz.nn import build_network, get_preset, load_checkpoint
from cnnviz.training import Trainer, TrainingInterrupted, evaluate
from cnnviz.training import trainer as trainer_module


@pytest.fixture(scope="module")
def small_dataset():
    return window_support.small_dataset(320, 50)


@pytest.fixture
def messages(monkeypatch):
    """Message boxes recorded instead of shown: list of (kind, title, text)."""
    seen = []

    def fake(kind):
        def box(parent, title, text, *args, **kwargs):
            seen.append((kind, title, text))
            return QMessageBox.StandardButton.Yes
        return box
    for kind in ("critical", "warning", "information", "question"):
        monkeypatch.setattr(QMessageBox, kind, fake(kind))
    return seen


@pytest.fixture
def window(qtbot, small_dataset, messages):
    win = window_support.open_window(qtbot, small_dataset)
    win.controls.batch_spin.setValue(16)
    # runs that outlast the test: a run of the preset's 3 short epochs could end (its button
    # back to Start) before a wait for "running" or "Pause" looked, the UI thread busy
    win.controls.epochs_spin.setValue(1000)
    yield win
    win.stop_training()


@pytest.fixture
def data(small_dataset):
    ds = small_dataset
    return (images_to_float(ds.train_images), ds.train_labels,
            images_to_float(ds.test_images), ds.test_labels)


def config(**kw):
    return get_preset("lenet").training.with_overrides(**{"batch_size": 16, "epochs": 50, **kw})


def trained_a_little(qtbot, win, steps=3):
    """Step ``win`` ``steps`` times and wait until the window shows the result."""
    for _ in range(steps):
        win.step_training()
    qtbot.waitUntil(lambda: win.controller.worker is not None
                    and win.controller.worker.trainer.step_count == steps, timeout=20000)
    qtbot.waitUntil(lambda: win.state.modified, timeout=10000)


# -- long operations are interruptible ----------------------------------------------------------
def test_evaluation_stops_between_chunks():
    net = build_network(seed=0)
    images = np.zeros((1000, 1, 28, 28), np.float32)
    labels = np.zeros(1000, np.int64)
    asked = []

    def should_stop():
        asked.append(1)
        return len(asked) > 2              # two chunks are evaluated, then the stop is seen
    with pytest.raises(TrainingInterrupted, match="after 500 of 1000"):
        evaluate(net, images, labels, batch_size=250, should_stop=should_stop)
    assert len(asked) == 3
    assert evaluate(net, images, labels, should_stop=lambda: False).n == 1000


def test_a_stop_during_the_epoch_end_evaluation_interrupts_it(data):
    trainer = Trainer(build_network(seed=0), *data, config(batch_size=320))
    trainer.should_stop = lambda: True
    with pytest.raises(TrainingInterrupted):
        trainer.step()                     # one batch is the whole epoch: then evaluation
    assert trainer.step_count == 1 and not trainer.history


# -- an exception inside training ----------------------------------------------------------------
def _fail_at(monkeypatch, at_step: int) -> list:
    """``Trainer.step`` raises ValueError on its ``at_step``-th call (counting from 1) while
    the returned list is empty (append to it to stop failing)."""
    real, healed = Trainer.step, []

    def step(self, *args, **kwargs):
        if self.step_count + 1 == at_step and not healed:
            raise ValueError("injected failure")
        return real(self, *args, **kwargs)
    monkeypatch.setattr(trainer_module.Trainer, "step", step)
    return healed


def test_worker_reports_an_exception_and_ends_the_run(qtbot, data, monkeypatch):
    _fail_at(monkeypatch, 3)
    controller = TrainingController()
    errors, finished = [], []
    controller.errored.connect(errors.append)
    controller.finished.connect(finished.append)
    with qtbot.waitSignal(controller.finished, timeout=20000):
        controller.start(build_network(seed=0), data, config())
    assert errors == ["ValueError: injected failure"] and finished == [False]
    assert controller.thread.wait(5000) and not controller.active


def test_window_shows_the_error_keeps_the_last_weights_and_trains_again(qtbot, window,
                                                                        messages, monkeypatch):
    healed = _fail_at(monkeypatch, 3)
    for _ in range(2):
        window.step_training()
    qtbot.waitUntil(lambda: window.controller.worker.trainer.step_count == 2, timeout=20000)
    qtbot.waitUntil(lambda: window.views["step_explainer"].detail is not None
                    and window.views["step_explainer"].detail.step == 2, timeout=20000)
    qtbot.waitUntil(lambda: window.controls._last_snapshot is not None
                    and window.controls._last_snapshot.step == 2, timeout=20000)
    shown = window.state.net.copy_params()
    np.testing.assert_array_equal(shown["conv1.weight"],
                                  window.views["step_explainer"].detail.params_after["conv1.weight"])
    # resume: the third batch fails. Waited for: the run's "finished" (queued after its
    # error; the thread can end, so that the controller is no longer active, before the UI
    # thread has been handed the "finished" that turns the button back to Start)
    with qtbot.waitSignal(window.controller.finished, timeout=20000):
        window.controls.start_button.click()
    title, text = [m[1:] for m in messages if m[0] == "critical"][-1]
    assert "error" in title.lower() and "ValueError: injected failure" in text
    assert not window.controller.active
    assert window.controls.start_button.text() == "Start"
    assert "injected failure" in window.statusBar().currentMessage()
    for name, value in shown.items():               # the last good weights stay
        np.testing.assert_array_equal(window.state.net.params[name], value)
    healed.append(True)
    window.controls.start_button.click()            # and the window is still usable
    qtbot.waitUntil(lambda: window.controller.active
                    and window.controller.worker.trainer.step_count >= 2, timeout=20000)


# -- Reset / Open model while a long step runs -----------------------------------------------------
def test_reset_during_a_long_evaluation_never_destroys_the_running_thread(qtbot, window,
                                                                          monkeypatch):
    entered, release, outcome = threading.Event(), threading.Event(), []
    real = trainer_module.evaluate

    def slow_evaluate(*args, **kwargs):
        entered.set()
        release.wait(30)                   # an evaluation longer than abandon() waits
        try:
            return real(*args, **kwargs)
        except TrainingInterrupted:
            outcome.append("interrupted")
            raise
    monkeypatch.setattr(trainer_module, "evaluate", slow_evaluate)
    window.controls.batch_spin.setValue(320)        # one batch is one epoch
    window.start_training()
    assert entered.wait(20)
    thread = window.controller.thread
    window.stop_training(timeout_ms=50)             # what Reset and Open model do first
    assert window.controller.thread is None and thread.isRunning()
    assert thread in live_training_threads()        # still referenced, never destroyed
    window.reset_weights()
    fresh = window.state.net.copy_params()
    release.set()
    qtbot.waitUntil(lambda: thread not in live_training_threads(), timeout=20000)
    assert outcome == ["interrupted"]               # the stop cut the evaluation short
    QApplication.processEvents()                    # the old run's last signals: dropped
    for name, value in fresh.items():
        np.testing.assert_array_equal(window.state.net.params[name], value)
    assert window.controls.start_button.text() == "Start"


def test_signals_of_an_abandoned_run_are_dropped(qtbot, data):
    controller = TrainingController()
    got = []
    controller.lossesArrived.connect(got.append)
    old = controller.start(build_network(seed=0), data, config(), start_paused=True)
    controller.abandon()
    new = controller.start(build_network(seed=1), data, config(), start_paused=True)
    with qtbot.waitSignal(controller.stepped, timeout=20000):
        controller.step()
    qtbot.waitUntil(lambda: bool(got), timeout=10000)
    count = len(got)
    old._emit_snapshot()                   # anything the old run still had queued
    old.stepped.emit(None)
    QApplication.processEvents()
    assert len(got) == count and got[-1].step == new.trainer.step_count
    controller.abandon()


# -- requests go to the run's real state -----------------------------------------------------------
def test_start_pressed_while_a_stop_is_pending_starts_a_new_run(qtbot, window):
    window.start_training()
    first = window.controller.worker
    qtbot.waitUntil(lambda: first.trainer.step_count >= 1, timeout=20000)
    qtbot.waitUntil(lambda: window.controls.start_button.text() == "Pause", timeout=30000)
    assert window_support.start_again_while_stopping(qtbot, window) is first
    assert not first.paused                          # no pause was sent to the stopping run
    assert window.controls.start_button.text() == "Pause"


def test_space_pauses_and_resumes_by_the_workers_state(qtbot, window):
    window.start_training()
    worker = window.controller.worker
    window.controls.start_button.click()            # pause
    window.controls.start_button.click()            # resume, before any state came back
    assert not worker.paused
    qtbot.waitUntil(lambda: worker.trainer.step_count >= 2, timeout=20000)


# -- many fast Steps -----------------------------------------------------------------------------
def test_a_burst_of_steps_trains_each_batch_but_shows_only_the_newest(qtbot, window,
                                                                      monkeypatch):
    entered, release = threading.Event(), threading.Event()
    real = worker_module.detailed_step

    def gated(trainer):
        entered.set()
        release.wait(30)                    # the first Step is still training...
        return real(trainer)
    monkeypatch.setattr(worker_module, "detailed_step", gated)
    shown, renders, losses = [], [], []
    window.controller.stepped.connect(shown.append)
    window.controller.renderSnapshot.connect(renders.append)
    window.controller.lossesArrived.connect(lambda s: losses.extend(s.steps))
    window.step_training()
    assert entered.wait(20)
    for _ in range(49):                     # ...while 49 more are requested
        window.step_training()
    release.set()
    worker = window.controller.worker
    qtbot.waitUntil(lambda: worker.trainer.step_count == 50, timeout=60000)
    qtbot.waitUntil(lambda: bool(shown) and shown[-1].step == 50, timeout=20000)
    qtbot.waitUntil(lambda: renders and renders[-1].step == 50, timeout=20000)
    assert [d.step for d in shown] == [1, 50]      # two details crossed, not fifty
    assert list(losses) == list(range(1, 51))       # yet every batch's loss arrived


# -- closing -------------------------------------------------------------------------------------
def _answer(monkeypatch, answer):
    asked = []
    monkeypatch.setattr(lifecycle, "ask_save_changes",
                        lambda parent: asked.append(parent) or answer)
    return asked


def test_closing_an_unchanged_model_asks_nothing(qtbot, window, monkeypatch):
    asked = _answer(monkeypatch, "cancel")
    assert not window.state.modified and "*" not in window.windowTitle()
    window.close()
    assert asked == [] and not window.isVisible()


def test_closing_a_trained_model_and_cancelling_keeps_the_window(qtbot, window, monkeypatch):
    trained_a_little(qtbot, window)
    assert window.windowTitle().split(" - ")[0].endswith("*")
    asked = _answer(monkeypatch, "cancel")
    window.close()
    assert asked == [window] and window.isVisible() and window.state.modified
    assert window.controller.active                  # the run goes on


def test_closing_a_trained_model_and_discarding_closes(qtbot, window, monkeypatch, tmp_path):
    trained_a_little(qtbot, window)
    asked = _answer(monkeypatch, "discard")
    thread = window.controller.thread
    window.close()
    assert asked == [window] and not window.isVisible() and thread.isFinished()


def test_closing_a_trained_model_and_saving_writes_it(qtbot, window, monkeypatch, tmp_path):
    trained_a_little(qtbot, window)
    target = tmp_path / "kept.npz"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    asked = _answer(monkeypatch, "save")
    window.close()
    assert asked == [window] and not window.isVisible()
    saved = load_checkpoint(target)
    for name, value in window.state.net.params.items():
        np.testing.assert_array_equal(saved.params[name], value)
    assert not window.state.modified


def test_saving_clears_the_modified_mark_and_a_cancelled_save_keeps_the_window(
        qtbot, window, monkeypatch, tmp_path):
    trained_a_little(qtbot, window)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    asked = _answer(monkeypatch, "save")
    window.close()                                   # Save, then Cancel in the file dialog
    assert asked and window.isVisible()
    window.stop_training()
    assert window.save_model(tmp_path / "m.npz") and not window.state.modified
    assert "*" not in window.windowTitle()
    window.close()
    assert len(asked) == 1 and not window.isVisible()


def test_ctrl_q_asks_too(qtbot, window, monkeypatch):
    trained_a_little(qtbot, window)
    asked = _answer(monkeypatch, "cancel")
    quit_action = [a for a in window.actions() if a.text() == "&Quit"][0]
    quit_action.trigger()
    assert asked == [window] and window.isVisible()


# -- the window destroyed under the app ----------------------------------------------------------
def _destroy_notify(window_id: int) -> sip.voidptr:
    """An xcb DestroyNotify event for ``window_id``, as the X server sends it (32 bytes)."""
    event = ctypes.create_string_buffer(32)
    event[0] = lifecycle.XCB_DESTROY_NOTIFY
    event[4:8] = window_id.to_bytes(4, sys.byteorder)
    event[8:12] = window_id.to_bytes(4, sys.byteorder)
    _destroy_notify.keep = event
    return sip.voidptr(ctypes.addressof(event))


def test_a_destroyed_native_window_saves_and_exits(qtbot, window, monkeypatch):
    trained_a_little(qtbot, window)
    window.controller.resume()
    qtbot.waitUntil(lambda: window.controller.state == "running", timeout=10000)
    quits, asked = [], _answer(monkeypatch, "cancel")
    monkeypatch.setattr(window, "quit_app", lambda: quits.append(1))
    thread = window.controller.thread
    watcher = lifecycle.WindowGoneWatcher(window, window.window_gone)
    other = int(window.winId()) + 1
    assert watcher.nativeEventFilter(b"xcb_generic_event_t", _destroy_notify(other)) \
        == (False, 0)
    assert not watcher.fired                        # another window: nothing happens
    watcher.nativeEventFilter(b"xcb_generic_event_t", _destroy_notify(int(window.winId())))
    qtbot.waitUntil(lambda: bool(quits), timeout=10000)
    assert asked == []                              # nobody left to ask
    assert not window.isVisible() and window.controller.worker.stopping
    # the close waits a little for the worker; under load it ends by itself a bit later
    qtbot.waitUntil(thread.isFinished, timeout=60000)
    assert read_value("window/geometry") is not None                # the layout was saved
    kept = load_checkpoint(lifecycle.recovery_path())               # and the trained model
    assert lifecycle.recovery_path().parent == Path(os.environ["CNNVIZ_SETTINGS_DIR"])
    for name, value in window.state.net.params.items():
        np.testing.assert_array_equal(kept.params[name], value)


def test_the_next_launch_says_where_the_kept_model_is(qtbot, small_dataset):
    """Under Xvfb, ``xdotool windowclose`` while training: the model was kept in
    ``unsaved-model.npz``, said only on stderr, which a teacher who started the app from a
    menu never sees. The next launch names the file in the status bar."""
    path = lifecycle.recovery_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    build_network(seed=1).save(path)
    win = window_support.open_window(qtbot, small_dataset)
    message = win.statusBar().currentMessage()
    assert str(path) in message and "File > Open model" in message, message
    win.close()
    path.unlink()
    again = window_support.open_window(qtbot, small_dataset)
    assert "unsaved-model" not in again.statusBar().currentMessage()
    again.close()


# -- collection only on the UI thread ------------------------------------------------------------
def test_the_app_collects_garbage_only_on_the_ui_thread(qtbot, monkeypatch, automatic_gc):
    from cnnviz.app.main import open_main_window
    monkeypatch.setattr(gc, "freeze", lambda: None)     # keep the suite's heap collectable
    assert gc.isenabled()
    window = open_main_window(restore_layout=False)
    qtbot.addWidget(window)
    try:
        assert not gc.isenabled()           # no collection can start in the training thread
        threads = []

        def note(phase, info):
            if phase == "stop":
                threads.append(threading.current_thread() is threading.main_thread())
        gc.callbacks.append(note)
        try:
            for _ in range(2000):           # cycles enough to pass the first threshold
                a = []
                a.append(a)
            qtbot.waitUntil(lambda: bool(threads), timeout=30000)
        finally:
            gc.callbacks.remove(note)
        assert all(threads)
    finally:
        window.gc_guard.timer.stop()


def test_jobs_started_while_the_window_is_built_leave_automatic_collection_off(
        qtbot, monkeypatch, automatic_gc):
    """The window starts background jobs while it is built (the training data's conversion,
    explain views), before the app turns automatic collection off; when they ended they
    turned it back on, and a collection could then start inside Qt's code and delete a
    closed window under it (cnnviz/app/background.py)."""
    import cnnviz.app.training_data as training_data
    from cnnviz.app import background
    from cnnviz.app.main import open_main_window
    monkeypatch.setattr(gc, "freeze", lambda: None)     # keep the suite's heap collectable
    release = threading.Event()
    convert = training_data.float_arrays

    def held(dataset):                  # still converting when the window is up
        release.wait(30)
        return convert(dataset)
    monkeypatch.setattr(training_data, "float_arrays", held)
    window = open_main_window(restore_layout=False)
    qtbot.addWidget(window)
    try:
        assert background.collection_paused() and not gc.isenabled()
        release.set()
        qtbot.waitUntil(lambda: window.training_data.ready(window.state.dataset), timeout=30000)
        qtbot.waitUntil(lambda: not background.collection_paused(), timeout=60000)
        assert not gc.isenabled()           # the app's timer collects, nothing else
    finally:
        release.set()
        window.gc_guard.timer.stop()
