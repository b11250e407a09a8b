"""How the filters look on screen, and how much of that a run changed.

Pure NumPy. The Filters view draws signed weights with a diverging colour map whose levels
are symmetric around zero. ``display_values`` gives the colour positions it draws: each
weight divided by its filter's own largest ``|w|`` (per-filter scaling, every tile uses the
full colour range) or by the largest ``|w|`` of them all. ``visible_change`` is the measure
the classroom preset is tuned with: the fraction of shown pixels whose colour position moved
by more than ``threshold`` of the displayed range between two sets of weights.
"""

from __future__ import annotations

import numpy as np


def display_values(weights: np.ndarray, per_filter: bool = True) -> np.ndarray:
    """``weights (K, H, W)`` scaled to the displayed range ``[-1, 1]``: by each filter's own
    largest magnitude (``per_filter``) or by the largest of all. All-zero filters stay 0."""
    w = np.asarray(weights, dtype=np.float64)
    if per_filter:
        m = np.abs(w).reshape(len(w), -1).max(axis=1).reshape(-1, *([1] * (w.ndim - 1)))
    else:
        m = np.full([1] * w.ndim, np.abs(w).max() if w.size else 0.0)
    return np.divide(w, m, out=np.zeros_like(w), where=m > 0)


def visible_change(before: np.ndarray, after: np.ndarray, per_filter: bool = True,
                   threshold: float = 0.10) -> float:
    """Fraction of pixels of ``(K, H, W)`` filters whose displayed colour moved by more than
    ``threshold`` of the colour range (the range is ``[-1, 1]``, so by more than
    ``2 * threshold``), each picture drawn with its own scale as the view draws it."""
    a, b = display_values(before, per_filter), display_values(after, per_filter)
    return float((np.abs(b - a) > 2 * threshold).mean()) if a.size else 0.0
