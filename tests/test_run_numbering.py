"""A second Start continues the model: the app state says how many steps and epochs earlier
runs trained it (``steps_before``, ``epochs_before``), so a run's own step numbers (each run's
``Snapshot.step`` counts from 0 again) can be shown as the model's, as the loss plot's x axis
does. Seen: after a second Start the loss plot was at 1,692 batches (epoch 6) while the
timeline said "step 846 · epoch 3.00"."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt

import window_support


@pytest.fixture
def window(qtbot):
    win = window_support.open_window(qtbot, window_support.small_dataset(640, 100))
    yield win
    win.stop_training()


def test_a_second_run_knows_what_the_first_trained(qtbot, window):
    c = window.controls
    c.batch_spin.setValue(64)                      # 10 batches an epoch
    c.epochs_spin.setValue(2)
    assert (window.state.steps_before, window.state.epochs_before) == (0, 0.0)
    with qtbot.waitSignal(window.controller.finished, timeout=60000):
        qtbot.mouseClick(c.start_button, Qt.MouseButton.LeftButton)
    first_steps = window.loss_view.history.batches_seen
    assert first_steps == 20
    with qtbot.waitSignal(window.controller.finished, timeout=60000):
        qtbot.mouseClick(c.start_button, Qt.MouseButton.LeftButton)      # a second Start
    assert window.state.steps_before == first_steps
    assert window.state.epochs_before == pytest.approx(2.0)
    last = c._last_snapshot                         # the second run's own numbering
    assert (last.step, last.position) == (20, pytest.approx(2.0))
    # the model's numbering: what the loss plot shows
    assert window.state.steps_before + last.step == window.loss_view.history.batches_seen == 40
    assert window.state.epochs_before + last.position == pytest.approx(
        window.loss_view.history.end)
    # another model starts from nothing
    window.reset_weights()
    assert (window.state.steps_before, window.state.epochs_before) == (0, 0.0)
