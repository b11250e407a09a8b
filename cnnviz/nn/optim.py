"""Stochastic gradient descent with momentum and L2 weight decay.

For every parameter ``w`` with gradient ``g``:

    g <- g + weight_decay * w            (the gradient of (weight_decay / 2) * ||w||^2)
    v <- momentum * v + g
    w <- w - lr * v

With ``momentum = 0`` this is plain SGD. ``lr`` and ``momentum`` may change between steps.
"""

from __future__ import annotations

import numpy as np


class SGD:
    def __init__(self, params: dict[str, np.ndarray], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        self.params = params
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.velocity = {name: np.zeros_like(p) for name, p in params.items()}

    def step(self, grads: dict[str, np.ndarray]) -> None:
        """Update every parameter in place from ``grads`` (same keys and shapes as params)."""
        for name, w in self.params.items():
            g = grads[name]
            if self.weight_decay:
                g = g + self.weight_decay * w
            if self.momentum:
                v = self.velocity[name]
                v *= self.momentum
                v += g
                g = v
            w -= self.lr * g

    def reset(self) -> None:
        for v in self.velocity.values():
            v.fill(0)
