"""Softmax and the softmax cross-entropy loss, computed stably with log-sum-exp."""

from __future__ import annotations

import numpy as np


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """``log(softmax(logits))`` for ``logits (N, K)``, without overflow.

    Subtracting each row's maximum first keeps ``exp`` finite:
    ``log softmax(z)_k = z_k - m - log sum_j exp(z_j - m)`` with ``m = max_j z_j``.
    """
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities ``(N, K)`` from ``logits (N, K)``; every row sums to 1."""
    return np.exp(log_softmax(logits))


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy over the batch and its gradient with respect to the logits.

    ``loss = -(1/N) sum_n log softmax(logits_n)[labels_n]`` and
    ``d loss / d logits = (softmax(logits) - onehot(labels)) / N``, shape ``(N, K)``.
    """
    n = logits.shape[0]
    rows = np.arange(n)
    # The same log-sum-exp as log_softmax, written out so that the exponentials serve
    # twice: for the loss and, divided by their sum, as the probabilities of the gradient
    # (a dozen small NumPy calls per step otherwise; at batch 5 each one counts).
    shifted = logits - logits.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    sums = exps.sum(axis=1, keepdims=True)
    loss = float(np.log(sums).sum() - shifted[rows, labels].sum()) / n
    dlogits = np.divide(exps, sums * n, out=exps)
    dlogits[rows, labels] -= 1 / n
    return loss, dlogits
