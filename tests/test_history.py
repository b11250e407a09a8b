"""The loss history stays bounded and keeps the curve's shape."""

import numpy as np
import pytest

from cnnviz.app.history import LossHistory


def test_full_resolution_until_capacity():
    h = LossHistory(capacity=8)
    h.add_batches(np.arange(8) / 10, np.arange(8, dtype=float))
    assert len(h) == 8 and h.stride == 1
    np.testing.assert_allclose(h.batch_loss, np.arange(8))


def test_merges_pairs_when_full_and_stays_bounded():
    h = LossHistory(capacity=8)
    n = 1000
    x = np.arange(n) / 100
    y = np.arange(n, dtype=float)
    h.add_batches(x, y)
    assert len(h) <= 8
    assert h.batches_seen == n
    assert h.stride > 1
    # merged points are means of consecutive batches: still on the line y = 100 x
    np.testing.assert_allclose(h.batch_loss, 100 * h.batch_x)
    assert np.all(np.diff(h.batch_x) > 0)
    # covers (almost) the whole run, not just its end
    assert h.batch_x[0] < 0.2 * x[-1] and h.batch_x[-1] > 0.8 * x[-1]


def test_mean_loss_is_preserved_by_merging():
    rng = np.random.default_rng(0)
    h = LossHistory(capacity=16)
    y = rng.random(16 * 64)
    h.add_batches(np.arange(len(y), dtype=float), y)
    assert h.stride == 64
    assert h.batch_loss.mean() == pytest.approx(y.mean())


def test_moving_average_is_trailing_mean():
    h = LossHistory(capacity=100)
    h.add_batches(np.arange(6, dtype=float), np.array([1, 3, 5, 7, 9, 11], float))
    np.testing.assert_allclose(h.moving_average(2), [1, 2, 4, 6, 8, 10])


class Epoch:
    """Stands in for an EpochEvent."""

    def __init__(self, e):
        self.epoch, self.train_loss, self.test_loss = e, 1.0 / (e + 1), 2.0 / (e + 1)
        self.train_accuracy, self.test_accuracy = 0.5 + e / 10, 0.4 + e / 10


def test_epochs_and_clear():
    h = LossHistory()
    h.add_epoch(Epoch(0))
    h.add_epoch(Epoch(1))
    arrays = h.epoch_arrays()
    np.testing.assert_allclose(arrays["x"], [1, 2])
    np.testing.assert_allclose(arrays["test_accuracy"], [0.4, 0.5])
    h.add_batches([0.1], [2.0])
    h.clear()
    assert len(h) == 0 and h.epoch_arrays()["x"].size == 0


def test_a_second_run_continues_to_the_right_of_the_first():
    h = LossHistory(capacity=8)
    h.add_batches(np.array([0.5, 1.0]), np.array([2.0, 1.0]))
    h.add_epoch(Epoch(0))
    h.begin_run()                                     # Stop, then Start: epochs count from 0
    h.add_batches(np.array([0.5, 1.0]), np.array([0.8, 0.6]))
    h.add_epoch(Epoch(0))
    np.testing.assert_array_equal(h.batch_x, [0.5, 1.0, 1.5, 2.0])
    np.testing.assert_array_equal(h.epoch_arrays()["x"], [1.0, 2.0])
    h.clear()
    h.add_batches(np.array([0.5]), np.array([1.0]))
    np.testing.assert_array_equal(h.batch_x, [0.5])   # Reset starts the axis again
