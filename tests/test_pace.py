"""Pace a teacher can narrate: the speed control and pausing at each epoch's end.

No test measures time: a pace of one batch per 1000 s makes "it waits" certain, and every
check waits on the state or signal it needs.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from cnnviz.app.worker import TrainingController
from cnnviz.data import images_to_float, load_bundled
from cnnviz.nn import build_network, get_preset
from cnnviz.training.pacing import FULL_SPEED, SPEEDS, Pacing, speed_text

SLOW = 0.001        # batches per second: one batch every 1000 s


@pytest.fixture(scope="module")
def data():
    ds = load_bundled()
    return (images_to_float(ds.train_images[:64]), ds.train_labels[:64],
            images_to_float(ds.test_images[:50]), ds.test_labels[:50])


@pytest.fixture
def controller(qtbot):
    ctl = TrainingController()
    yield ctl
    ctl.pacing.set_batches_per_second(FULL_SPEED)
    ctl.shutdown(2000)


def config(**kw):
    return get_preset("lenet").training.with_overrides(**{"batch_size": 16, "epochs": 3, **kw})


def test_pacing_waits_the_rest_of_a_batchs_time_and_tells_listeners():
    pacing = Pacing()
    assert pacing.delay(started=10.0, now=10.0) == 0.0           # full speed: never waits
    woken = []
    pacing.add_listener(lambda: woken.append(True))
    pacing.set_batches_per_second(2.0)
    assert woken and pacing.delay(started=10.0, now=10.1) == pytest.approx(0.4)
    assert pacing.delay(started=10.0, now=11.0) == 0.0 and pacing.delay(None) == 0.0
    with pytest.raises(ValueError):
        pacing.set_batches_per_second(0)
    assert SPEEDS[0] == 1.0 and SPEEDS[-1] == FULL_SPEED
    assert (speed_text(1.0), speed_text(20.0), speed_text(FULL_SPEED)) == \
        ("1 batch/s", "20 batches/s", "full speed")


def test_a_slow_pace_waits_but_pause_stop_and_a_new_speed_act_at_once(qtbot, controller, data):
    controller.pacing.set_batches_per_second(SLOW)
    # 1000 epochs: at full speed the run must still be going when stopped (3 epochs of 4
    # batches could all train, and "finished" arrive, before the wait for step 4 looked)
    worker = controller.start(build_network(seed=0), data, config(epochs=1000))
    qtbot.waitUntil(lambda: worker.trainer.step_count == 1, timeout=10000)
    # waiting ~1000 s for batch 2; Pause must not wait for it
    with qtbot.waitSignal(controller.stateChanged, timeout=5000,
                          check_params_cb=lambda s: s == "paused"):
        controller.pause()
    assert worker.trainer.step_count == 1
    controller.resume()
    with qtbot.waitSignal(controller.stateChanged, timeout=5000,
                          check_params_cb=lambda s: s == "running"):
        pass
    assert worker.trainer.step_count == 1
    controller.pacing.set_batches_per_second(FULL_SPEED)      # live: wakes the waiting worker
    qtbot.waitUntil(lambda: worker.trainer.step_count >= 4, timeout=10000)
    controller.pacing.set_batches_per_second(SLOW)
    with qtbot.waitSignal(controller.finished, timeout=30000):
        controller.stop()


def test_time_left_counts_the_pace_not_only_the_computing():
    pacing = Pacing()
    assert pacing.seconds_left(420, 0.02) == pytest.approx(8.4)       # full speed: compute
    assert math.isnan(pacing.seconds_left(420, math.nan))
    pacing.set_batches_per_second(1.0)
    assert pacing.seconds_left(420, 0.02) == pytest.approx(420.0)     # one batch a second
    assert pacing.seconds_left(420, math.nan) == pytest.approx(420.0)
    assert pacing.seconds_left(10, 3.0) == pytest.approx(30.0)        # slower than the pace
    assert pacing.seconds_left(-1, 0.02) == 0.0


def test_a_slowed_runs_snapshots_give_the_time_left_at_that_pace(qtbot, controller, data):
    """Seen under Xvfb: at 1 batch/s with 420 batches to go the bar said "time left 0:08"."""
    snapshots = []
    controller.lossesArrived.connect(snapshots.append)      # every snapshot, as it arrives
    controller.pacing.set_batches_per_second(SLOW)
    worker = controller.start(build_network(seed=0), data, config())
    qtbot.waitUntil(lambda: worker.trainer.step_count == 1, timeout=10000)
    with qtbot.waitSignal(controller.stateChanged, timeout=5000,
                          check_params_cb=lambda s: s == "paused"):
        controller.pause()                                  # emits a snapshot first
    last = snapshots[-1]
    left = last.total_steps - last.step
    assert left == 11 and last.eta_seconds >= left / SLOW * 0.99, last.eta_seconds
    with qtbot.waitSignal(controller.finished, timeout=30000):
        controller.stop()


@pytest.mark.parametrize("ui", ["prompt", "lagging"])
def test_pause_at_the_end_of_each_epoch(qtbot, controller, data, ui):
    """``lagging``: the UI thread takes the "running" after each Resume only once the worker
    has trained the whole next epoch and paused again (or ended the run): every state and
    the end still arrive, in order, and the run pauses where it should."""
    controller.pacing.set_pause_each_epoch(True)
    epochs, states, ends = [], [], []
    controller.epochFinished.connect(lambda e: epochs.append(e.epoch))
    # every state and the end, as they arrive: an epoch of 4 batches can run, pause again or
    # finish the run within one event-loop pass (the UI thread descheduled), so polling
    # ``controller.state`` for "running" could miss it, and a wait entered after the run's
    # "finished" was delivered would never see it
    controller.stateChanged.connect(states.append)
    controller.finished.connect(ends.append)
    worker = controller.start(build_network(seed=0), data, config(epochs=3))
    moved_on = threading.Event()          # set in the worker's thread: it paused or ended
    lag = {"armed": False}
    worker.stateChanged.connect(lambda s: s == "paused" and moved_on.set(),
                                Qt.ConnectionType.DirectConnection)
    worker.finished.connect(lambda _: moved_on.set(), Qt.ConnectionType.DirectConnection)

    def lag_behind(state: str) -> None:
        if ui == "lagging" and state == "running" and lag["armed"]:
            lag["armed"] = False
            assert moved_on.wait(60), "the worker neither paused nor ended"
    controller.stateChanged.connect(lag_behind)
    for done in (1, 2):
        qtbot.waitUntil(lambda: "paused" in states, timeout=20000)
        t = worker.trainer
        assert (t.epoch, t.batch) == (done, 0) and epochs == list(range(done))
        assert states[-1] == "paused" and not ends
        del states[:]
        moved_on.clear()
        lag["armed"] = True
        controller.resume()
        qtbot.waitUntil(lambda: "running" in states, timeout=30000)
    qtbot.waitUntil(lambda: bool(ends), timeout=20000)
    assert ends == [True] and epochs == [0, 1, 2]
    assert "paused" not in states and states[-1] == "stopped"


# -- in the window ------------------------------------------------------------------------------

@pytest.fixture
def window(qtbot, monkeypatch):
    from PyQt6.QtWidgets import QMessageBox

    import window_support
    seen = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text, *a, **k: seen.append(text))
    win = window_support.open_window(qtbot, window_support.small_dataset(640, 100))
    win.warnings = seen
    win.controls.batch_spin.setValue(16)
    yield win
    win.controller.pacing.set_batches_per_second(FULL_SPEED)
    win.stop_training()


def test_the_speed_slider_and_epoch_checkbox_drive_the_pacing_live(qtbot, window):
    c, pacing = window.controls, window.controller.pacing
    assert c.speed() == FULL_SPEED and pacing.batches_per_second == FULL_SPEED
    assert c.speed_label.text() == "full speed"
    c.speed_slider.setValue(0)
    assert pacing.batches_per_second == 1.0 and c.speed_label.text() == "1 batch/s"
    c.epochs_spin.setValue(1000)     # at full speed, still running when the box is checked
    qtbot.mouseClick(c.start_button, Qt.MouseButton.LeftButton)
    worker = window.controller.worker
    qtbot.waitUntil(lambda: worker.trainer.step_count >= 1, timeout=10000)
    assert c.speed_slider.isEnabled()                        # live, not fixed for the run
    c.speed_slider.setValue(len(SPEEDS) - 1)
    qtbot.waitUntil(lambda: worker.trainer.step_count >= 8, timeout=10000)
    c.pause_epoch_box.setChecked(True)
    assert pacing.pause_each_epoch
    qtbot.waitUntil(lambda: c.start_button.text() == "Resume", timeout=20000)
    assert worker.trainer.batch == 0 and worker.trainer.epoch >= 1


def test_learning_rate_10_pauses_the_app_with_the_last_good_weights(qtbot, window):
    start = window.state.net.copy_params()
    window.controls.lr_spin.setValue(10.0)
    qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(window.warnings), timeout=15000)
    text = window.warnings[-1]
    assert "learning rate 10" in text and "e.g. 0.01" in text
    qtbot.waitUntil(lambda: window.controls.start_button.text() == "Resume", timeout=30000)
    qtbot.waitUntil(lambda: np.array_equal(window.state.net.params["conv1.weight"],
                                           start["conv1.weight"]), timeout=30000)
    for key, value in window.state.net.params.items():   # the views show the good weights
        np.testing.assert_array_equal(value, start[key], err_msg=key)
    assert math.isfinite(window.controller.worker.trainer.guard.reference_loss)


# -- every view describes the model it shows ----------------------------------------------------

def test_reset_clears_the_confusion_panels_list_of_the_old_models_digits(qtbot, window):
    from cnnviz.app.views.confusion import CELL_PROMPT
    confusion = window.views["confusion"]
    confusion.evaluate_now()
    confusion.select_cell(3, 3)
    assert confusion.thumbs.count() > 0 and "digits 3" in confusion.cell_title.text()
    window.reset_weights()
    assert confusion.thumbs.count() == 0 and confusion.cell_title.text() == CELL_PROMPT
    assert confusion.predictions is None and "No evaluation yet" in confusion.summary.text()


def test_one_step_never_shows_negative_epochs(qtbot, window):
    window.raise_dock("loss_curves")
    window.step_training()
    view = window.loss_view
    qtbot.waitUntil(lambda: view.history.batches_seen == 1, timeout=10000)
    view.refresh()
    box = view.loss_plot.getViewBox()
    box.updateAutoRange()
    assert box.viewRange()[0][0] >= 0, box.viewRange()


def test_a_continued_run_counts_epochs_like_the_plot_and_the_status_bar_follows(qtbot, window):
    c = window.controls
    c.batch_spin.setValue(64)                      # 10 batches an epoch
    c.epochs_spin.setValue(2)
    with qtbot.waitSignal(window.controller.finished, timeout=60000):
        qtbot.mouseClick(c.start_button, Qt.MouseButton.LeftButton)
    assert "finished" in window.statusBar().currentMessage()
    assert window.loss_view.history.end == pytest.approx(2.0)
    c.speed_slider.setValue(0)                     # 1 batch/s: still running when checked
    qtbot.mouseClick(c.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controller.state == "running", timeout=10000)
    assert "finished" not in window.statusBar().currentMessage()
    assert "Training" in window.statusBar().currentMessage()
    worker = window.controller.worker
    qtbot.waitUntil(lambda: worker.trainer.step_count >= 1
                    and c._last_snapshot.batches_per_epoch == 10
                    and c._last_snapshot.total_steps == 20 and c._last_snapshot.step >= 1
                    and c._last_snapshot.step < 20, timeout=10000)
    text = c.progress_bar.format()
    # the plot draws this run from epoch 2 on: its first epoch is the model's third
    assert text.startswith("epoch 3 (this run: epoch 1/2"), text


def test_a_slowed_run_shows_the_images_per_second_it_really_trains(window):
    """Seen under Xvfb: at 1 batch/s of 32 images the status line said "283 images/s" (the
    computing speed) beside "time left 14:00"."""
    from types import SimpleNamespace
    c = window.controls
    snapshot = SimpleNamespace(progress=0.1, total_steps=40, batches_per_epoch=40, epoch=0,
                               batch=4, step=4, finished=False, images_per_second=2000.0,
                               lr=0.02, eta_seconds=36.0)
    c.show_progress(snapshot)
    assert "2,000 images/s" in c.status_label.text()              # full speed: as computed
    c.speed_slider.setValue(0)                                     # 1 batch/s
    assert c.speed() == 1.0
    c.show_progress(snapshot)
    assert f"{c.batch_spin.value()} images/s" in c.status_label.text(), c.status_label.text()


def test_a_continued_runs_epoch_message_numbers_epochs_like_the_loss_plot(qtbot, window):
    """Seen under Xvfb: the loss header said "epoch 4: held-out accuracy 95.8%" while the
    status bar said "Epoch 1: ... held-out accuracy 95.8%" for the same epoch."""
    c = window.controls
    c.batch_spin.setValue(64)                      # 10 batches an epoch
    c.epochs_spin.setValue(1)
    with qtbot.waitSignal(window.controller.finished, timeout=60000):
        qtbot.mouseClick(c.start_button, Qt.MouseButton.LeftButton)
    assert "finished" in window.statusBar().currentMessage()
    c.epochs_spin.setValue(2)
    c.pause_epoch_box.setChecked(True)             # stops after this run's first epoch
    qtbot.mouseClick(c.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controller.state == "paused"
                    and "held-out accuracy" in window.statusBar().currentMessage(),
                    timeout=60000)
    message = window.statusBar().currentMessage()
    assert message.startswith("Epoch 2 (this run: 1): "), message
    # the loss view's header names the same epoch (it draws once the view refreshes)
    qtbot.waitUntil(lambda: "epoch 2: held-out" in window.loss_view.summary.text(),
                    timeout=30000)


# -- shortcuts wherever focus is ------------------------------------------------------------------

def focus(qtbot, widget):
    widget.window().activateWindow()
    widget.setFocus()
    qtbot.waitUntil(lambda: widget.hasFocus(), timeout=30000)


def test_space_in_a_number_field_starts_training_and_s_steps(qtbot, window):
    c = window.controls
    lr = c.lr_spin.value()
    c.epochs_spin.setValue(1000)     # resumed at full speed, still running when Space pauses
    focus(qtbot, c.lr_spin)
    qtbot.keyClick(c.lr_spin, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: window.controller.active and
                    window.controller.worker.trainer.step_count == 1, timeout=10000)
    qtbot.keyClick(c.lr_spin, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: c.run_state == "running", timeout=10000)
    assert c.lr_spin.value() == lr and " " not in c.lr_spin.text()
    qtbot.keyClick(c.lr_spin, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: c.run_state == "paused", timeout=10000)
    qtbot.keyClick(c.epochs_spin, Qt.Key.Key_End)  # digits still edit the number
    c.stop_button.click()
    qtbot.waitUntil(lambda: c.run_state == "idle", timeout=10000)
    focus(qtbot, c.epochs_spin)
    c.epochs_spin.selectAll()
    qtbot.keyClick(c.epochs_spin, Qt.Key.Key_7)
    assert c.epochs_spin.value() == 7


def test_a_text_field_keeps_space_and_digits(qtbot, window):
    from PyQt6.QtWidgets import QLineEdit
    field = QLineEdit(window.controls)
    field.show()
    focus(qtbot, field)
    qtbot.keyClicks(field, "a 1")
    assert field.text() == "a 1" and not window.controller.active


def test_number_keys_raise_the_classroom_views(qtbot, window):
    from cnnviz.app.main_window import CLASSROOM_KEYS
    focus(qtbot, window.controls.start_button)
    for key, name in ((Qt.Key.Key_2, CLASSROOM_KEYS[1]), (Qt.Key.Key_8, CLASSROOM_KEYS[7]),
                      (Qt.Key.Key_6, CLASSROOM_KEYS[5])):
        dock = window.docks[name]
        qtbot.keyClick(window.controls.start_button, key)
        qtbot.waitUntil(lambda: dock.isVisible() and not dock.visibleRegion().isEmpty(),
                        timeout=30000)
    assert not window.controller.active
    from cnnviz.app.dialogs import SHORTCUTS
    assert any(k.startswith("1") for k, _ in SHORTCUTS) and any("Reload" in t for _, t in SHORTCUTS)


def test_file_reload_pretrained_model(qtbot, window, monkeypatch):
    from PyQt6.QtWidgets import QMessageBox
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    action = next(a for a in window.findChildren(type(window.start_action))
                  if a.text().replace("&", "") == "Reload pre-trained model")
    assert action.shortcut().toString() == "Ctrl+L"
    window.step_training()
    qtbot.waitUntil(lambda: window._modified, timeout=10000)
    action.trigger()
    assert window.state.pretrained and window.state.model_name == "lenet.npz"
    assert not window.controller.active and window.controls.run_state == "idle"
    assert window.views["confusion"].predictions is None


# -- watch one digit learn: dense at the start --------------------------------------------------

def test_the_timeline_records_every_early_step_then_thins_and_stays_bounded():
    from cnnviz.app.timeline import DENSE_STEPS, ProbeTimeline, wants_step
    assert all(wants_step(s) for s in range(1, DENSE_STEPS + 1)) and not wants_step(0)
    assert [s for s in range(DENSE_STEPS + 1, DENSE_STEPS + 9) if wants_step(s)] == \
        [DENSE_STEPS + 2, DENSE_STEPS + 4, DENSE_STEPS + 6, DENSE_STEPS + 8]
    later = [s for s in range(2 * DENSE_STEPS + 1, 2 * DENSE_STEPS + 17) if wants_step(s)]
    assert np.all(np.diff(later) == 4)
    wanted = [s for s in range(1, 50 * 281 + 1) if wants_step(s)]   # 50 lenet epochs
    assert len(wanted) < 2500
    timeline = ProbeTimeline()
    params = {k: np.zeros(3, np.float32) for k in timeline.keys}
    for s in wanted:
        timeline.record(s, s / 281, params, None)
    assert len(timeline) <= timeline.capacity and timeline.steps[0] == 1


def test_watch_one_digit_learn_gets_every_one_of_the_first_steps(qtbot, window):
    view = window.views["timeline"]
    c = window.controls
    c.epochs_spin.setValue(4)                          # 40 batches an epoch: 160 steps
    with qtbot.waitSignal(window.controller.finished, timeout=120000):
        qtbot.mouseClick(c.start_button, Qt.MouseButton.LeftButton)
    steps = view.timeline.steps
    assert list(steps[:160]) == list(range(1, 161)), steps[:20]
    curve_steps, probs = view.timeline.curve()
    assert set(range(1, 161)) <= set(curve_steps.tolist())
    assert probs.shape[1] == 10 and np.allclose(probs.sum(axis=1), 1, atol=1e-4)
    # the digit's probabilities move over those steps: not a straight line of a few points
    assert np.abs(np.diff(probs[:160], axis=0)).sum(axis=1).max() > 0
    assert len(np.unique(probs[:160].argmax(axis=1))) >= 1 and np.ptp(probs[:160]) > 0.2
