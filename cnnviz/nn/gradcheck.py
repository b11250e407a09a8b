"""Central-difference gradient checking.

``df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h)``, compared with the analytic gradient by
the relative error ``|a - b| / max(|a| + |b|, tiny)``. Use float64: in float32 the rounding
error of f swamps the difference quotient.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6,
                       indices=None) -> np.ndarray:
    """Estimate ``df/dx`` by perturbing ``x`` in place (restored afterwards).

    ``indices``: flat positions to check (all by default); other entries stay 0.
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in (range(x.size) if indices is None else indices):
        # A multi-index, not x.reshape(-1)[i]: reshaping a non-contiguous array (say, a
        # transposed conv output) returns a copy, and perturbing a copy changes nothing.
        at = np.unravel_index(i, x.shape)
        old = x[at]
        x[at] = old + h
        plus = f()
        x[at] = old - h
        minus = f()
        x[at] = old
        grad[at] = (plus - minus) / (2 * h)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """Largest elementwise relative error between two gradients."""
    a, b = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))
