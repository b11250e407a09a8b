"""Fooling the network: the smallest change to a digit, in signed-gradient steps, that makes
the network read something else."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.nn.loss import softmax

from .network_walk import as_batch


@dataclass(frozen=True)
class Fooled:
    """The result of ``fool``.

    ``image (H, W)``: the changed digit (the first that reached the goal, or the last tried);
    ``change (H, W)``: ``image - original``; ``images (T + 1, H, W)`` and ``probabilities
    (T + 1, classes)``: every step, the original first; ``success``: whether the prediction
    left ``original_class`` (or reached ``target``); ``size``: the largest pixel change,
    ``max |change|``.
    """

    image: np.ndarray
    change: np.ndarray
    images: np.ndarray
    probabilities: np.ndarray
    original_class: int
    target: int | None
    success: bool

    @property
    def size(self) -> float:
        return float(np.abs(self.change).max())

    @property
    def predicted(self) -> int:
        return int(self.probabilities[-1].argmax())

    @property
    def steps(self) -> int:
        return len(self.probabilities) - 1


def loss_input_gradient(net, x: np.ndarray, label: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities ``(classes,)`` for one image ``x (1, 1, H, W)`` and the gradient of the
    cross-entropy loss for ``label`` with respect to every pixel, ``(H, W)``."""
    logits = net.forward(x)
    probs = softmax(logits)
    dlogits = probs.copy()
    dlogits[0, label] -= 1
    return probs[0], net.backward(dlogits, need_input_grad=True)[0, 0].copy()


def fool(net, image, target: int | None = None, max_change: float = 0.3,
         step: float = 0.01, max_steps: int | None = None) -> Fooled:
    """Push ``image (28, 28)`` in [0, 1] away from its predicted class (or towards ``target``)
    by steps of ``step`` per pixel along the sign of the loss gradient, never changing a pixel
    by more than ``max_change`` nor leaving [0, 1]; stop at the first image that is read
    differently (or as ``target``). The change therefore grows one ``step`` at a time and the
    first success is the smallest this path finds.
    """
    if not 0 < max_change <= 1:
        raise ValueError(f"max_change must be in (0, 1], got {max_change}")
    if step <= 0:
        raise ValueError(f"step must be positive, got {step}")
    original = as_batch(net, image)[:1]
    probs, _ = loss_input_gradient(net, original, 0)
    classes = len(probs)
    if target is not None and not 0 <= target < classes:
        raise ValueError(f"target {target} is out of range 0..{classes - 1}")
    original_class = int(probs.argmax())
    steps = max_steps if max_steps is not None else int(np.ceil(max_change / step)) + 10

    def reached(p: np.ndarray) -> bool:
        return int(p.argmax()) == target if target is not None else int(p.argmax()) != original_class

    x = original.copy()
    images, history = [x[0, 0].copy()], [probs]
    success = reached(probs)
    for _ in range(steps):
        if success:
            break
        if target is None:      # climb the loss of the class it reads now
            _, grad = loss_input_gradient(net, x, original_class)
            move = step * np.sign(grad)
        else:                   # descend the loss of the target
            _, grad = loss_input_gradient(net, x, target)
            move = -step * np.sign(grad)
        low = np.maximum(original[0, 0] - max_change, 0)
        high = np.minimum(original[0, 0] + max_change, 1)
        moved = np.clip(x[0, 0] + move, low, high).astype(x.dtype)
        if np.array_equal(moved, x[0, 0]):
            break               # every pixel is at its limit: nothing more to try
        x = moved[None, None]
        probs = softmax(net.forward(x))[0]
        images.append(moved.copy())
        history.append(probs)
        success = reached(probs)
    final = images[-1]
    return Fooled(final, final - original[0, 0], np.stack(images), np.stack(history),
                  original_class, target, success)
