"""Bounded loss history for the loss view: hours of training never grow memory.

Pure Python/NumPy (no Qt). Batch losses are stored at full resolution until ``capacity``
points are held; then neighbouring pairs are merged (mean x, mean loss), halving the count,
and later points are accumulated ``stride`` at a time, so the curve keeps its shape over
the whole run at a fixed cost.
"""

from __future__ import annotations

import numpy as np


class LossHistory:
    """Per-batch losses (downsampled), their moving average, and per-epoch results."""

    def __init__(self, capacity: int = 5000) -> None:
        if capacity < 4 or capacity % 2:
            raise ValueError("capacity must be an even number of at least 4")
        self.capacity = capacity
        self.clear()

    def clear(self) -> None:
        self._x = np.empty(self.capacity, np.float64)   # epochs (fractional)
        self._y = np.empty(self.capacity, np.float64)   # batch loss (mean over merged batches)
        self._n = 0
        self.stride = 1              # batches merged into each stored point
        self._pending_x = 0.0        # partial point being accumulated
        self._pending_y = 0.0
        self._pending_count = 0
        self.batches_seen = 0
        self.epochs: list = []       # EpochEvent-like objects, one per finished epoch
        self._epoch_offsets: list[float] = []
        self.offset = 0.0            # epochs trained by earlier runs, added to this run's x
        self.end = 0.0               # the furthest epoch recorded so far

    def begin_run(self) -> None:
        """A new run starts (its epochs count from 0 again): draw it after the earlier ones."""
        self.offset = self.end

    # -- batches ---------------------------------------------------------------------------
    def add_batches(self, epoch_progress: np.ndarray, losses: np.ndarray) -> None:
        """Append batch losses ``(B,)`` at fractional epochs ``(B,)`` of the current run."""
        for x, y in zip(np.asarray(epoch_progress, float) + self.offset,
                        np.asarray(losses, float)):
            self.end = max(self.end, x)
            self._pending_x += x
            self._pending_y += y
            self._pending_count += 1
            self.batches_seen += 1
            if self._pending_count == self.stride:
                if self._n == self.capacity:
                    self._merge()   # stride doubles: keep accumulating this point
                    continue
                self._x[self._n] = self._pending_x / self.stride
                self._y[self._n] = self._pending_y / self.stride
                self._n += 1
                self._pending_x = self._pending_y = 0.0
                self._pending_count = 0

    def _merge(self) -> None:
        """Halve the stored points by averaging neighbouring pairs (capacity is even)."""
        half = self.capacity // 2
        self._x[:half] = self._x[:self.capacity].reshape(half, 2).mean(axis=1)
        self._y[:half] = self._y[:self.capacity].reshape(half, 2).mean(axis=1)
        self._n = half
        self.stride *= 2

    def __len__(self) -> int:
        return self._n

    @property
    def batch_x(self) -> np.ndarray:
        """``(n,)`` fractional epochs of the stored points (a view; copy before keeping)."""
        return self._x[:self._n]

    @property
    def batch_loss(self) -> np.ndarray:
        return self._y[:self._n]

    def moving_average(self, window: int = 50) -> np.ndarray:
        """``(n,)`` trailing mean over ``window`` stored points (shorter at the start)."""
        y = self.batch_loss
        if not len(y):
            return y.copy()
        window = max(1, min(window, len(y)))
        c = np.concatenate([[0.0], np.cumsum(y)])
        idx = np.arange(1, len(y) + 1)
        lo = np.maximum(0, idx - window)
        return (c[idx] - c[lo]) / (idx - lo)

    # -- epochs ------------------------------------------------------------------------------
    def add_epoch(self, event) -> None:
        """Record an ``EpochEvent`` (train/test loss and accuracy)."""
        self.epochs.append(event)
        self._epoch_offsets.append(self.offset)
        self.end = max(self.end, self.offset + event.epoch + 1)

    def epoch_arrays(self) -> dict[str, np.ndarray]:
        """``x`` (epochs done, 1-based) and train/test loss/accuracy, each ``(E,)``."""
        e = self.epochs
        return {
            "x": np.array([ev.epoch + 1 + offset
                           for ev, offset in zip(e, self._epoch_offsets)], float),
            "train_loss": np.array([ev.train_loss for ev in e], float),
            "test_loss": np.array([ev.test_loss for ev in e], float),
            "train_accuracy": np.array([ev.train_accuracy for ev in e], float),
            "test_accuracy": np.array([ev.test_accuracy for ev in e], float),
        }
