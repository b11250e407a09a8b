"""Learning-rate schedules: the rate at any point of a run, and the schedule in words.

Two kinds, chosen by a training config's ``lr_schedule``:

* ``"cosine"``: ``lr * (f + (1 - f) * (1 + cos(pi * e / E)) / 2)`` at fractional epoch ``e``
  of a run of ``E`` epochs, ``f = lr_floor``: smooth, batch by batch, from ``lr`` down to
  ``f * lr`` at the very end, whatever ``E`` is.
* ``"step"``: ``lr * max(lr_decay ** (floor(e) // lr_decay_every), f)`` (``lr_decay = 1``:
  constant): it steps down but never below ``f * lr`` either (halving every epoch without a
  floor left 3.6e-14 of the rate by epoch 40, and nothing moved).

``config`` is any object with those fields (a ``TrainConfig``).
"""

from __future__ import annotations

import math

SCHEDULES = ("cosine", "step")


def lr_at(config, epoch: float, base_lr: float) -> float:
    """The rate at fractional ``epoch`` (0 = the first batch) for base rate ``base_lr``."""
    kind = getattr(config, "lr_schedule", "step")
    floor = min(max(float(config.lr_floor), 0.0), 1.0)
    if kind == "cosine":
        t = min(max(epoch / max(1, config.epochs), 0.0), 1.0)
        return base_lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t)))
    if kind == "step":
        steps = int(epoch) // max(1, config.lr_decay_every)
        return base_lr * max(config.lr_decay ** steps, min(floor, 1.0))
    raise ValueError(f"unknown learning-rate schedule {kind!r}; choose one of "
                     f"{', '.join(SCHEDULES)}")


def describe(config) -> str:
    """The schedule in words: ``"cosine to 5% over 3 epochs"``, ``"halved every epoch, down
    to 5%"``, ``"×0.9 every 10 epochs, down to 5%"``, ``"constant"``."""
    if getattr(config, "lr_schedule", "step") == "cosine":
        epochs = config.epochs
        return (f"cosine to {100 * config.lr_floor:g}% over {epochs} "
                f"epoch{'s' if epochs != 1 else ''}")
    if config.lr_decay == 1.0:
        return "constant"
    every = config.lr_decay_every
    factor = "halved" if config.lr_decay == 0.5 else f"×{config.lr_decay:g}"
    return (f"{factor} every {'epoch' if every == 1 else f'{every} epochs'}, "
            f"down to {100 * config.lr_floor:g}%")
