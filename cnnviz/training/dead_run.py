"""Spot a training run that has stopped learning: a "dead" network that only guesses.

A learning rate a little too large does not always blow up (``divergence.DivergenceGuard``
catches that): with lr 0.3 the ``lenet`` preset throws its weights about four times their
starting size in the first batches, its ReLUs go silent and from then on the network gives
every digit the same answer. The loss settles at ``ln(classes)`` (2.303 for ten classes: the
loss of a uniform guess), batch accuracy at chance (10 %), and the run ends at 9.8 % with no
sign of trouble. ``DeadRunWatch`` calls such a run dead when

* over the last ``window`` batches the mean loss is within ``loss_margin`` of
  ``ln(classes)`` and the mean batch accuracy at most ``chance_factor`` x chance, or
* an epoch ends with the held-out loss that close to ``ln(classes)`` and the held-out
  accuracy at most ``chance_factor`` x chance,

**and** the run had learned before (some ``learned_window`` batches averaged at least
``learned_factor`` x chance) or its weights moved at least ``moved_factor`` times their
starting norm (a large rate threw them about).

The second condition keeps a run that is merely slow from being called dead: with lr 1e-5
the loss also stays near 2.4 and the accuracy near chance, but its weights move 0.4 % in an
epoch. A healthy lenet run (lr 0.02) has left chance after a dozen batches (72 % batch
accuracy over its first 50, 96 % held-out after one epoch).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from .divergence import weight_norm


class DeadRunWatch:
    """Watches one run's batch losses and accuracies (see the module docstring)."""

    def __init__(self, classes: int = 10, window: int = 100, loss_margin: float = 0.05,
                 chance_factor: float = 1.5, learned_window: int = 20,
                 learned_factor: float = 3.0, moved_factor: float = 1.0) -> None:
        self.classes = max(2, classes)
        self.guess_loss = math.log(self.classes)
        self.chance = 1.0 / self.classes
        self.window = window
        self.loss_margin = loss_margin
        self.chance_factor = chance_factor
        self.learned_factor = learned_factor
        self.moved_factor = moved_factor
        self.learned = False
        self._losses: deque = deque(maxlen=window)
        self._accuracies: deque = deque(maxlen=window)
        self._recent: deque = deque(maxlen=learned_window)
        self._start: dict[str, np.ndarray] | None = None
        self._start_norm = 0.0

    def start(self, params: dict[str, np.ndarray]) -> None:
        """The weights the run starts from (copied: how far they move is measured from them)."""
        self._start = {k: v.copy() for k, v in params.items()}
        self._start_norm = weight_norm(self._start)

    def restart(self) -> None:
        """Forget the window (a new learning rate, or after the user was warned)."""
        self._losses.clear()
        self._accuracies.clear()

    def _at_chance(self, loss: float, accuracy: float) -> bool:
        return (abs(loss - self.guess_loss) <= self.loss_margin
                and accuracy <= self.chance_factor * self.chance)

    def moved(self, params: dict[str, np.ndarray]) -> float:
        """How far the weights moved from the run's start, relative to their starting norm."""
        if self._start is None or self._start_norm == 0:
            return 0.0
        return weight_norm({k: params[k] - v for k, v in self._start.items()}) / self._start_norm

    def _why_not_slow(self, params) -> str | None:
        """Why the run is dead rather than slow ("it had learned", "weights moved"), or None."""
        if self.learned:
            return "after it had learned"
        moved = self.moved(params)
        if moved >= self.moved_factor:
            return f"after its weights moved {moved:.1f}x their starting size"
        return None

    def check_batch(self, loss: float, accuracy: float, params: dict[str, np.ndarray]
                    ) -> str | None:
        """After a batch (``loss`` and ``accuracy`` before its update, ``params`` after it):
        why the run is dead, or None."""
        if self._start is None:
            self.start(params)
        self._recent.append(accuracy)
        if len(self._recent) == self._recent.maxlen \
                and np.mean(self._recent) >= self.learned_factor * self.chance:
            self.learned = True
        self._losses.append(loss)
        self._accuracies.append(accuracy)
        if len(self._losses) < self.window:
            return None
        mean_loss, mean_acc = float(np.mean(self._losses)), float(np.mean(self._accuracies))
        return self._verdict(mean_loss, mean_acc, params,
                             f"over the last {self.window} batches its")

    def check_epoch(self, test_loss: float, test_accuracy: float,
                    params: dict[str, np.ndarray]) -> str | None:
        """At an epoch's end: why the run is dead (held-out digits at chance), or None."""
        return self._verdict(test_loss, test_accuracy, params, "at the epoch's end its held-out")

    def _verdict(self, loss: float, accuracy: float, params: dict[str, np.ndarray],
                 evidence: str) -> str | None:
        """Why the run is dead given this loss and accuracy (``evidence`` says whose), or None."""
        if not self._at_chance(loss, accuracy):
            return None
        why = self._why_not_slow(params)
        if why is None:
            return None
        return (f"the network stopped learning {why}: {evidence} loss was {loss:.3f} "
                f"(ln {self.classes} = {self.guess_loss:.3f}, a guess) and accuracy "
                f"{accuracy:.1%} (chance)")
