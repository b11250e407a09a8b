"""Accuracy and mean loss of a network on a labelled set of images."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..nn.loss import log_softmax
from ..nn.network import Network


class TrainingInterrupted(Exception):
    """A long computation was stopped between two chunks because ``should_stop()`` said so."""


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


def evaluate(net: Network, images: np.ndarray, labels: np.ndarray, batch_size: int = 250,
             should_stop: Callable[[], bool] | None = None) -> EvalResult:
    """Evaluate on ``images (N, 1, 28, 28)`` float in [0, 1] and ``labels (N,)``.

    ``should_stop`` is asked before each chunk of ``batch_size`` images; when it returns True
    the evaluation raises ``TrainingInterrupted`` (a 10,000-digit set takes seconds, a stop
    request must not wait for all of it).
    """
    labels = np.asarray(labels, dtype=np.int64)
    n = len(labels)
    if n == 0:
        raise ValueError("cannot evaluate on an empty set of images")
    chunks = []
    try:
        for i in range(0, n, batch_size):
            if should_stop is not None and should_stop():
                raise TrainingInterrupted(f"evaluation stopped after {i} of {n} images")
            chunks.append(log_softmax(net.forward(images[i:i + batch_size])))
    finally:
        net.release_buffers()   # chunk-sized work arrays would otherwise stay allocated
    log_probs = np.concatenate(chunks)
    predictions = log_probs.argmax(axis=1)
    loss = -float(log_probs[np.arange(n), labels].mean())
    return EvalResult(accuracy=float((predictions == labels).mean()), loss=loss, n=n,
                      predictions=predictions, probabilities=np.exp(log_probs))
