"""A blow-up is caught before NaN (trainer, CLI, app); a normal run is never flagged."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnnviz.nn import build_network, get_preset
from cnnviz.training import DivergenceError, Trainer
from cnnviz.training.divergence import DivergenceGuard, weight_norm
from helpers import bundled_float


@pytest.fixture(scope="module")
def data():
    return bundled_float(seed=0)


def lenet_trainer(data, n_train, **changes):
    train_x, train_y, test_x, test_y = data
    config = get_preset("lenet").training.with_overrides(**changes)
    net = build_network(seed=0)
    return Trainer(net, train_x[:n_train], train_y[:n_train], test_x[:200], test_y[:200],
                   config)


def test_learning_rate_10_is_stopped_before_nan_with_the_last_good_weights(data):
    trainer = lenet_trainer(data, 640, lr=10.0, epochs=1)
    start = trainer.net.copy_params()
    with pytest.raises(DivergenceError) as caught:
        for _ in range(20):
            trainer.step()
    error = caught.value
    assert math.isfinite(error.loss), "caught only at NaN: too late"
    assert error.step <= 10 and error.lr == 10.0 and error.suggested_lr < 10.0
    text = str(error)
    assert "learning rate 10" in text and "e.g. 0.01" in text and "\n" not in text
    # back to the last weights whose loss was fine (the start, here), not the blown-up ones
    assert error.kept_step == 0 and trainer.step_count == error.step - 1
    for key, value in trainer.net.params.items():
        np.testing.assert_array_equal(value, start[key], err_msg=key)
    assert all(np.abs(v).sum() == 0 for v in trainer.optimizer.velocity.values())


def test_loss_far_above_its_start_for_several_batches_is_a_blow_up():
    params = {"w": np.ones(4, np.float32)}
    guard = DivergenceGuard(classes=10, loss_factor=3.0, patience=5)
    assert guard.check_loss(2.5, params, 1) is None           # the reference
    for step, loss in enumerate([20.0, 30.0, 1.0, 9.0, 9.0, 9.0, 9.0], start=2):
        assert guard.check_loss(loss, params, step) is None  # a dip resets the streak
    reason = guard.check_loss(40.0, params, 9)
    assert reason is not None and "5 batches" in reason


def test_a_pretrained_start_is_judged_against_a_guess_not_its_tiny_loss():
    params = {"w": np.ones(4, np.float32)}
    guard = DivergenceGuard(classes=10)
    assert guard.check_loss(0.02, params, 1) is None
    assert guard.reference_loss == pytest.approx(math.log(10))
    for step in range(2, 20):               # bad batches of a good model: loss 1.5 now and then
        assert guard.check_loss(1.5, params, step) is None


def test_growing_weights_are_a_blow_up():
    params = {"w": np.ones(100, np.float32)}
    guard = DivergenceGuard(norm_factor=10.0)
    guard.check_loss(2.3, params, 1)
    params["w"] *= 9.0
    assert guard.check_weights(params) is None
    params["w"] *= 2.0
    assert "18-fold" in guard.check_weights(params)
    assert weight_norm({"a": np.full(3, 1e30, np.float32)}) == math.inf


def test_a_normal_run_at_lr_002_is_never_flagged(data):
    """Two epochs of 3,000 digits with the lenet preset: no alarm, and far from both limits."""
    trainer = lenet_trainer(data, 3000, lr=0.02, epochs=2)
    guard = trainer.guard
    worst_loss, worst_norm = 0.0, 0.0
    while not trainer.finished:
        result = trainer.step()          # raises DivergenceError on a false alarm
        if trainer.step_count > 10:
            worst_loss = max(worst_loss, result.batch.loss / guard.reference_loss)
        worst_norm = max(worst_norm, weight_norm(trainer.net.params) / guard.reference_norm)
    assert trainer.history[-1].test_accuracy > 0.9
    assert worst_loss < guard.loss_factor / 2 and worst_norm < guard.norm_factor / 4
