"""Accuracy and mean loss of a network on a labelled set of images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..nn.loss import log_softmax
from ..nn.network import Network


@dataclass(frozen=True)
class EvalResult:
    """``predictions (N,)`` and ``probabilities (N, classes)`` are kept for confusion matrices."""

    accuracy: float
    loss: float
    n: int
    predictions: np.ndarray
    probabilities: np.ndarray

    def confusion_matrix(self, labels: np.ndarray, classes: int = 10) -> np.ndarray:
        """``(classes, classes)`` counts: row = true label, column = prediction."""
        matrix = np.zeros((classes, classes), dtype=np.int64)
        np.add.at(matrix, (np.asarray(labels, np.int64), self.predictions), 1)
        return matrix


def evaluate(net: Network, images: np.ndarray, labels: np.ndarray,
             batch_size: int = 500) -> EvalResult:
    """Evaluate on ``images (N, 1, 28, 28)`` float in [0, 1] and ``labels (N,)``."""
    labels = np.asarray(labels, dtype=np.int64)
    n = len(labels)
    if n == 0:
        raise ValueError("cannot evaluate on an empty set of images")
    log_probs = np.concatenate([log_softmax(net.forward(images[i:i + batch_size]))
                                for i in range(0, n, batch_size)])
    net.release_buffers()       # chunk-sized work arrays would otherwise stay allocated
    predictions = log_probs.argmax(axis=1)
    loss = -float(log_probs[np.arange(n), labels].mean())
    return EvalResult(accuracy=float((predictions == labels).mean()), loss=loss, n=n,
                      predictions=predictions, probabilities=np.exp(log_probs))
