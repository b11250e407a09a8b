"""Feature visualisation: a synthetic input that excites one channel as much as possible."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network_walk import backward_from, find_layer, forward_to, image_size


@dataclass(frozen=True)
class Synthesised:
    """The result of ``maximize_activation``.

    ``image (H, W)`` in [0, 1]; ``value`` its channel maximum (the same measure as
    ``top_patches``); ``history (steps + 1,)`` the value after each step (the start first).
    """

    layer: str
    channel: int
    image: np.ndarray
    value: float
    history: np.ndarray


def blur(image: np.ndarray) -> np.ndarray:
    """A 3 x 3 binomial blur of ``image (H, W)`` ([1, 2, 1] / 4 each way, edges repeated)."""
    p = np.pad(image, 1, mode="edge")
    rows = (p[:-2] + 2 * p[1:-1] + p[2:]) / 4
    return (rows[:, :-2] + 2 * rows[:, 1:-1] + rows[:, 2:]) / 4


def channel_peak(net, x: np.ndarray, layer: str, channel: int) -> tuple[float, np.ndarray]:
    """The channel's maximum for one image ``x (1, 1, H, W)`` and its gradient ``(H, W)``."""
    out = forward_to(net, x, layer)
    plane = out[0, channel].reshape(-1)
    where = int(plane.argmax())
    grad = np.zeros_like(out)
    grad.reshape(1, out.shape[1], -1)[0, channel, where] = 1
    return float(plane[where]), backward_from(net, grad, layer)[0, 0].copy()


def maximize_activation(net, layer: str, channel: int, steps: int = 200, seed: int = 0,
                        step_size: float = 0.05, jitter: int = 1, blur_every: int = 2
                        ) -> Synthesised:
    """Gradient ascent on a 28 x 28 input in [0, 1] for the maximum of ``channel`` of ``layer``.

    Starts from faint noise (fixed by ``seed``); each step shifts the image by up to
    ``jitter`` pixels, follows the gradient normalised to a mean absolute value of
    ``step_size`` (shrinking to a fifth of it by the last step), shifts back and clips to
    [0, 1]; every ``blur_every`` steps a 3 x 3 blur keeps the image smooth. The best image
    seen (measured without any shift) is returned; the same seed always gives the same image.
    """
    info = find_layer(net, layer)
    if not 0 <= channel < info.shape[0]:
        raise ValueError(f"{layer} has {info.shape[0]} channels; {channel} is out of range")
    rng = np.random.default_rng(seed)
    size = image_size(net)
    image = np.clip(0.1 + 0.05 * rng.standard_normal((size, size)), 0, 1).astype(net.dtype)
    best_value, _ = channel_peak(net, image[None, None], layer, channel)
    best, history = image.copy(), [best_value]
    for step in range(steps):
        dy, dx = rng.integers(-jitter, jitter + 1, size=2) if jitter else (0, 0)
        shifted = np.roll(image, (dy, dx), axis=(0, 1))
        _, grad = channel_peak(net, shifted[None, None], layer, channel)
        grad = np.roll(grad, (-dy, -dx), axis=(0, 1))
        scale = np.abs(grad).mean()
        if scale > 0:
            # The step shrinks to a fifth by the end, so the ascent settles instead of bouncing.
            image = image + step_size * (1 - 0.8 * step / steps) * grad / scale
        if blur_every and (step + 1) % blur_every == 0:
            image = blur(image)
        image = np.clip(image, 0, 1).astype(net.dtype)
        value, _ = channel_peak(net, image[None, None], layer, channel)
        history.append(value)
        if value > best_value:
            best_value, best = value, image.copy()
    return Synthesised(layer, channel, best, best_value, np.asarray(history))
