"""A run that stops learning (a "dead" network at chance) is caught: trainer, CLI and app.

lr 0.3 with the lenet preset throws the weights about in the first batches and the network
then answers every digit alike: loss ln(10), accuracy 10 %, with no blow-up for the
divergence guard to see. A healthy run (lr 0.02) and a merely slow one (lr 1e-5, loss also
near ln 10 but its weights hardly moved) are never flagged.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from cnnviz.nn import build_network, get_preset
from cnnviz.training import DeadRunError, DivergenceError, Trainer
from cnnviz.training.dead_run import DeadRunWatch
from helpers import bundled_float
from test_cli import run_cli


@pytest.fixture(scope="module")
def data():
    return bundled_float(seed=0)


def lenet_trainer(data, n_train, **changes):
    train_x, train_y, test_x, test_y = data
    config = get_preset("lenet").training.with_overrides(**changes)
    return Trainer(build_network(seed=0), train_x[:n_train], train_y[:n_train],
                   test_x[:300], test_y[:300], config)


def test_lenet_at_lr_03_dies_and_is_caught_with_a_lower_rate_to_try(data):
    trainer = lenet_trainer(data, 3200, lr=0.3, epochs=3)
    with pytest.raises(DeadRunError) as caught:
        while not trainer.finished:
            trainer.step()
    error = caught.value
    assert isinstance(error, DivergenceError)           # handled wherever a blow-up is
    assert error.step <= 200, "caught only after the whole run"
    assert trainer.step_count == error.step and error.result is not None   # the step counted
    assert error.lr == 0.3 and error.suggested_lr == pytest.approx(0.03)
    text = str(error)
    assert "stopped learning" in text and "learning rate 0.3" in text and "e.g. 0.03" in text
    assert "\n" not in text
    # it really is dead: the held-out digits are at chance
    from cnnviz.training import evaluate
    _, _, test_x, test_y = data
    assert evaluate(trainer.net, test_x[:300], test_y[:300]).accuracy < 0.15


def test_a_healthy_and_a_slow_run_are_never_flagged(data):
    """lr 0.02: an epoch of 3,200 digits learns (over 85 %); lr 1e-5: a whole epoch with the
    loss near ln 10 and the accuracy near chance, but the weights hardly moved: slow, not
    dead. ``step`` would raise DeadRunError on a false alarm."""
    healthy = lenet_trainer(data, 3200, lr=0.02, epochs=1)     # 100 batches: a full window
    while not healthy.finished:
        healthy.step()
    assert healthy.history[-1].test_accuracy > 0.85
    slow = lenet_trainer(data, 3200, lr=1e-5, epochs=1)
    while not slow.finished:
        slow.step()
    assert slow.history[-1].test_accuracy < 0.2            # it did not learn either
    assert slow.dead_watch.moved(slow.net.params) < 0.1


def test_a_run_that_had_learned_and_then_sits_at_chance_is_dead():
    params = {"w": np.ones(10, np.float32)}
    watch = DeadRunWatch(classes=10, window=50)
    watch.start(params)
    for _ in range(30):                                   # learning: 90 % of batches right
        assert watch.check_batch(0.3, 0.9, params) is None
    reason, batches = None, 0
    while reason is None and batches < 100:            # then at a guess's loss and chance
        reason = watch.check_batch(math.log(10) + 0.01, 0.1, params)
        batches += 1
    # flagged once the window is (almost) all chance batches, not before
    assert 45 <= batches <= 50, batches
    assert "after it had learned" in reason and "50 batches" in reason
    # never learned and the weights did not move: a slow start, not a dead run
    fresh = DeadRunWatch(classes=10, window=50)
    fresh.start(params)
    for _ in range(200):
        assert fresh.check_batch(math.log(10), 0.1, params) is None
    assert fresh.check_epoch(math.log(10), 0.1, params) is None
    moved = {"w": params["w"] * 3}                        # thrown 2x its size: dead
    assert "moved 2.0x" in fresh.check_epoch(math.log(10) - 0.01, 0.098, moved)


def test_cli_train_at_lr_03_exits_3_with_one_line_naming_a_lower_rate(tmp_path):
    result = run_cli(tmp_path, "train", "--lr", "0.3", "--epochs", "3", "--limit", "3200",
                     "--out", "dead.npz")
    assert result.returncode == 3, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnnviz: error: training stopped learning")
    assert "learning rate 0.3 " in lines[0] and "try --lr 0.03" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "dead.npz").exists()


@pytest.fixture
def window(qtbot, monkeypatch):
    from PyQt6.QtWidgets import QMessageBox

    import window_support
    seen = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text, *a, **k: seen.append((title, text)))
    win = window_support.open_window(qtbot, window_support.small_dataset(3200, 300))
    win.warnings = seen
    yield win
    win.stop_training()


def test_the_app_pauses_a_dead_run_and_says_so(qtbot, window):
    window.controls.lr_spin.setValue(0.3)
    window.controls.epochs_spin.setValue(3)
    qtbot.mouseClick(window.controls.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(window.warnings), timeout=120000)
    title, text = window.warnings[-1]
    assert title == "Training stopped learning"
    assert "learning rate 0.3" in text and "e.g. 0.03" in text
    qtbot.waitUntil(lambda: window.controls.start_button.text() == "Resume", timeout=30000)
    assert window.controller.active and window.controller.worker.paused
    assert "stopped learning" in window.statusBar().currentMessage()
