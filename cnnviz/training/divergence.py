"""Spot a training run blowing up before its loss becomes NaN, and keep weights to go back to.

A too-large learning rate rarely reaches NaN at once: with lr 10 the loss jumps from 3 to
~27,000 in one batch, then sits far above where it started while the weights grow a
thousand-fold, and the network ends at chance (10 %). ``DivergenceGuard`` watches two signs
after every batch:

* **the loss**: more than ``loss_factor`` times its reference for ``patience`` batches in a
  row. The reference is the first batch's loss, but at least ``ln(classes)`` (a guess's
  loss), so a pre-trained model starting near 0 is not flagged for an ordinary bad batch;
* **the weights**: their overall norm more than ``norm_factor`` times its value at the start.

A normal run (lr 0.02) keeps its batch losses below the reference after the first few
batches and its weight norm within ~30 % of the start, far from either limit.

Every ``keep_every`` healthy batches it copies the weights (their loss was fine), so a
diverged run can be put back to the last good weights (``restore``).
"""

from __future__ import annotations

import math

import numpy as np


def weight_norm(params: dict[str, np.ndarray]) -> float:
    """The Euclidean norm of all parameters together (inf once they overflow)."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = sum(float(np.dot(v.reshape(-1), v.reshape(-1))) for v in params.values())
    return math.sqrt(total) if math.isfinite(total) else math.inf


class DivergenceGuard:
    """Watches batch losses and the weight norm of one run (see the module doc)."""

    def __init__(self, classes: int = 10, loss_factor: float = 3.0, patience: int = 5,
                 norm_factor: float = 10.0, keep_every: int = 5) -> None:
        self.loss_floor = math.log(max(2, classes))
        self.loss_factor = loss_factor
        self.patience = patience
        self.norm_factor = norm_factor
        self.keep_every = max(1, keep_every)
        self.reference_loss: float | None = None
        self.reference_norm: float | None = None
        self.high_streak = 0
        self.good_params: dict[str, np.ndarray] | None = None
        self.good_step = 0
        self._healthy = 0

    def restart(self) -> None:
        """Forget the streak (a new learning rate, or after going back to good weights);
        the references stay: "far above the start" still means the run's start."""
        self.high_streak = 0

    def check_loss(self, loss: float, params: dict[str, np.ndarray], step: int) -> str | None:
        """Before the update: ``loss`` is the batch's loss with the weights ``params`` (before
        step ``step``). Returns why the run diverged, or None. Healthy weights are kept now
        and then."""
        if not math.isfinite(loss):
            return f"the loss became {loss}"
        if self.reference_loss is None:
            self.reference_loss = max(float(loss), self.loss_floor)
            self.reference_norm = weight_norm(params)
        limit = self.loss_factor * self.reference_loss
        if loss > limit:
            self.high_streak += 1
            if self.high_streak >= self.patience:
                return (f"the loss stayed above {limit:.3g} ({self.loss_factor:g}× its start) "
                        f"for {self.high_streak} batches, now {loss:.4g}")
            return None
        self.high_streak = 0
        if self.good_params is None or self._healthy % self.keep_every == 0:
            self.good_params = {k: v.copy() for k, v in params.items()}
            self.good_step = step - 1
        self._healthy += 1
        return None

    def check_weights(self, params: dict[str, np.ndarray]) -> str | None:
        """After the update: returns why the run diverged if the weights grew too far."""
        if self.reference_norm is None:
            return None
        norm = weight_norm(params)
        if not math.isfinite(norm):
            return "the weights became infinite"
        if norm > self.norm_factor * self.reference_norm:
            return (f"the weights grew {norm / self.reference_norm:.0f}-fold, norm "
                    f"{self.reference_norm:.3g} -> {norm:.3g}")
        return None

    def restore(self, params: dict[str, np.ndarray]) -> int | None:
        """Copy the last good weights back into ``params`` in place; their step, or None if
        none were kept."""
        if self.good_params is None:
            return None
        for key, value in self.good_params.items():
            np.copyto(params[key], value)
        self.restart()
        return self.good_step
