"""Where the network looks for a class: Grad-CAM, guided backpropagation and gradient
saliency (occlusion, which needs no gradient, is in ``occlusion.py``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network_walk import as_batch, backward_from, find_layer, image_size, last_conv_activation
from .receptive_field import receptive_field


@dataclass(frozen=True)
class GradCam:
    """Grad-CAM of one image for one class at one layer.

    ``coarse (h, w)``: ReLU of the channel sum of the layer's maps weighted by ``weights
    (C,)`` (each channel's mean gradient of the class logit); ``map (H, W)``: ``coarse``
    upsampled to the input, each cell placed at the centre of its receptive field.
    """

    layer: str
    class_index: int
    map: np.ndarray
    coarse: np.ndarray
    weights: np.ndarray


def grad_cam(net, image, class_index: int, layer: str | None = None) -> GradCam:
    """Grad-CAM of ``image (28, 28)`` for ``class_index`` at a spatial ``layer`` (by default
    the last convolution's activation): ``ReLU(sum_k alpha_k A_k)`` with ``alpha_k`` the mean
    over positions of ``d logit / d A_k``."""
    x = as_batch(net, image)[:1]
    layer = layer or last_conv_activation(net).name
    info = find_layer(net, layer)
    if len(info.shape) != 3:
        raise ValueError(f"Grad-CAM needs a layer with feature maps; {layer} has shape {info.shape}")
    trace = net.trace(x)
    classes = trace.probabilities.shape[1]
    if not 0 <= class_index < classes:
        raise ValueError(f"class {class_index} is out of range 0..{classes - 1}")
    activation = trace[layer].output[0]                                   # (C, h, w)
    dlogits = np.zeros_like(trace.probabilities)
    dlogits[0, class_index] = 1
    grads: dict[str, np.ndarray] = {}
    net.backward(dlogits, output_grads=grads)
    weights = grads[layer][0].mean(axis=(1, 2))                           # (C,)
    coarse = np.maximum(np.tensordot(weights, activation, axes=(0, 0)), 0)
    return GradCam(layer, class_index, upsample(coarse, receptive_field(net, layer),
                                                 image_size(net)), coarse, weights)


def upsample(coarse: np.ndarray, field, size: int) -> np.ndarray:
    """Bilinear interpolation of ``coarse (h, w)`` to ``(size, size)``, with cell ``(i, j)``
    at the centre of its receptive field and the border cells' values held beyond it."""
    h, w = coarse.shape
    pixels = np.arange(size)
    rows = _weights(pixels, field.centre(np.arange(h)))                   # (size, h)
    cols = _weights(pixels, field.centre(np.arange(w)))                   # (size, w)
    return rows @ coarse @ cols.T


def _weights(pixels: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Linear interpolation weights ``(len(pixels), len(centres))`` (clamped at the ends)."""
    n = len(centres)
    out = np.zeros((len(pixels), n))
    if n == 1:
        out[:] = 1
        return out
    position = np.interp(pixels, centres, np.arange(n))
    low = np.floor(position).astype(int).clip(0, n - 2)
    frac = position - low
    out[np.arange(len(pixels)), low] = 1 - frac
    out[np.arange(len(pixels)), low + 1] += frac
    return out


def guided_backprop(net, image, class_index: int) -> np.ndarray:
    """Guided backpropagation ``(28, 28)``: the input gradient of logit ``class_index`` where
    every activation layer passes only positive gradients (and only where its input was
    positive, as its own backward already does)."""
    x = as_batch(net, image)[:1]
    logits = net.forward(x)
    classes = logits.shape[1]
    if not 0 <= class_index < classes:
        raise ValueError(f"class {class_index} is out of range 0..{classes - 1}")
    dlogits = np.zeros_like(logits)
    dlogits[0, class_index] = 1
    last = net.layers[-1][0]
    return backward_from(net, dlogits, last, guided=True)[0, 0].copy()


@dataclass(frozen=True)
class Saliency:
    """Gradient saliency of one image: ``gradient (H, W)`` is ``d logit[class_index] / d
    pixel``; ``probability`` the class's probability for the image."""

    class_index: int
    probability: float
    gradient: np.ndarray


def gradient_saliency(net, image, class_index: int | None = None) -> Saliency:
    """The input gradient of the logit of ``class_index`` (default: the predicted class) for
    ``image (H, W)``: red where more ink would raise the score. Any architecture, with or
    without conv layers (one backward pass through the whole network)."""
    x = as_batch(net, image)[:1]
    probs = net.predict_proba(x)[0]
    cls = int(probs.argmax()) if class_index is None else int(class_index)
    if not 0 <= cls < len(probs):
        raise ValueError(f"class {cls} is out of range 0..{len(probs) - 1}")
    return Saliency(cls, float(probs[cls]), net.input_gradient(x, cls)[0, 0].copy())
