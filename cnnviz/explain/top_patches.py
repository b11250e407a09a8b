"""Which training images excite a channel most, and where (the data set side of "what does
this channel detect?")."""

from __future__ import annotations

from dataclasses import dataclass

import threading
import zlib

import numpy as np

from ..nn.arch import ACTIVATIONS, POOLS
from .network_walk import as_batch, find_layer, image_size, layer_geometry, layer_infos
from .receptive_field import receptive_field

# Element-wise layers whose forward works on one channel alone, so a channel can be computed
# without its neighbours; for any other kind the whole layer is computed.
_PER_CHANNEL = {*ACTIVATIONS, *POOLS}


@dataclass(frozen=True)
class TopPatches:
    """The ``k`` images whose channel maximum is highest, best first.

    ``indices (k,)`` into the images given, ``values (k,)`` the maxima, ``positions (k, 2)``
    the (row, column) of each maximum in the layer's output (``(0, 0)`` for dense layers),
    ``boxes (k, 4)`` its receptive field in input pixels as ``(top, left, bottom, right)``
    inclusive. ``maxima (N,)`` and ``means (N,)``: every image's maximum and spatial mean of
    the channel (for per-class averages).
    """

    layer: str
    channel: int
    indices: np.ndarray
    values: np.ndarray
    positions: np.ndarray
    boxes: np.ndarray
    maxima: np.ndarray
    means: np.ndarray


def channel_activation(net, images, layer: str, channel: int, batch: int = 500) -> np.ndarray:
    """One channel of ``layer`` for every image: ``(N, H, W)`` (``(N, 1, 1)`` for dense units).

    Runs the layers before the last mixing layer (conv or dense) in batches, then only the
    wanted channel of that layer and of the element-wise layers after it.
    """
    x = as_batch(net, images)
    info = find_layer(net, layer)
    if not 0 <= channel < info.shape[0]:
        raise ValueError(f"{layer} has {info.shape[0]} channels; {channel} is out of range")
    infos = layer_infos(net)
    position = [i.name for i in infos].index(layer)
    mixing = position
    while mixing >= 0 and infos[mixing].kind in _PER_CHANNEL:
        mixing -= 1
    fast = mixing >= 0 and infos[mixing].kind in ("conv", "dense")
    stop = infos[mixing].index if fast else info.index + 1
    prefix = _PREFIX_CACHE.get(net, x, stop)
    if prefix is None:
        prefix = [_run(net.layers[:stop], x[s:s + batch]) for s in range(0, len(x), batch)]
        _PREFIX_CACHE.put(net, x, stop, prefix)
    parts = []
    for out in prefix:
        if fast:
            out = _one_channel(net.layers[stop][1], out, channel)
            out = _run([net.layers[later.index] for later in infos[mixing + 1: position + 1]], out)
            out = out[:, 0]
        else:
            out = out[:, channel]
        parts.append(out.reshape(len(out), *(out.shape[1:] if out.ndim == 3 else (1, 1))))
    return np.concatenate(parts) if parts else np.zeros((0, 1, 1), net.dtype)


def _run(layers, x: np.ndarray) -> np.ndarray:
    """Forward ``x (N, C, H, W)`` through ``layers``; ReLU and plain max-pooling done here
    without keeping masks, in whichever memory order the array already has (the engine's
    convolution returns a channels-last array seen as ``(N, C, H, W)``). The result is
    always this call's own array: a layer's ``forward`` output lives in a buffer the layer
    rewrites on its next pass, so one that ends the run is copied."""
    borrowed = False
    for _, module in layers:
        kernel, stride, padding = layer_geometry(module)
        borrowed = False
        if module.kind == "relu":
            x = np.maximum(x, 0)
        elif (module.kind == "maxpool" and kernel == stride and not padding
              and x.shape[2] % kernel == 0 and x.shape[3] % kernel == 0):
            n, c, h, w = x.shape
            last = x.transpose(0, 2, 3, 1)
            if last.flags.c_contiguous:
                pooled = last.reshape(n, h // kernel, kernel, w // kernel, kernel, c).max(axis=(2, 4))
                x = pooled.transpose(0, 3, 1, 2)
            else:
                x = x.reshape(n, c, h // kernel, kernel, w // kernel, kernel).max(axis=(3, 5))
        else:
            x, borrowed = module.forward(x), True
    return x.copy() if borrowed else x


class _PrefixCache:
    """The last prefix computed (the input of the layer a channel is taken from), reused
    while the network's weights before that layer and the images stay the same: clicking
    one channel after another of a layer then costs only that channel."""

    def __init__(self) -> None:
        self._key = None
        self._value = None

    @staticmethod
    def _key_of(net, x: np.ndarray, stop: int):
        weights = [zlib.crc32(np.ascontiguousarray(p).view(np.uint8))
                   for _, module in net.layers[:stop] for p in module.params.values()]
        return (id(net), stop, x.shape, zlib.crc32(np.ascontiguousarray(x).view(np.uint8)),
                tuple(weights))

    def get(self, net, x, stop):
        with _LOCK:
            return self._value if self._key == self._key_of(net, x, stop) else None

    def put(self, net, x, stop, value) -> None:
        with _LOCK:
            self._key, self._value = self._key_of(net, x, stop), value

    def clear(self) -> None:
        with _LOCK:
            self._key = self._value = None


_LOCK = threading.Lock()
_PREFIX_CACHE = _PrefixCache()


def clear_cache() -> None:
    """Forget the cached layers (frees their memory; the next call recomputes them)."""
    _PREFIX_CACHE.clear()


def _one_channel(module, x: np.ndarray, channel: int) -> np.ndarray:
    """Output channel ``channel`` of a conv or dense layer: ``(N, 1, OH, OW)`` or ``(N, 1)``."""
    weight, bias = module.params["weight"][channel], module.params["bias"][channel]
    if module.kind == "dense":
        return (x @ weight + bias)[:, None]
    kernel, stride, padding = layer_geometry(module)
    last = np.ascontiguousarray(x.transpose(0, 2, 3, 1))                 # (N, H, W, C)
    if padding:
        last = np.pad(last, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    n, h, w, c = last.shape
    oh, ow = (h - kernel) // stride + 1, (w - kernel) // stride + 1
    out = np.full((n, oh, ow), bias, dtype=x.dtype)
    # One kernel offset at a time: a (N, OH, OW, C) @ (C,) product, no im2col copy.
    for u in range(kernel):
        for v in range(kernel):
            window = last[:, u:u + stride * (oh - 1) + 1:stride, v:v + stride * (ow - 1) + 1:stride]
            if c == 1:      # a product with a length-1 axis is slow as a matmul
                out += window[..., 0] * weight[0, u, v]
            else:
                out += window @ weight[:, u, v]
    return out[:, None]


def top_patches(net, images, layer: str, channel: int, k: int = 9) -> TopPatches:
    """The ``k`` images (of ``images (N, 28, 28)`` or ``(N, 1, 28, 28)``) that excite
    ``channel`` of ``layer`` most, one place per image (its maximum); see ``TopPatches``."""
    maps = channel_activation(net, images, layer, channel)               # (N, H, W)
    n, h, w = maps.shape
    flat = maps.reshape(n, h * w)
    where = flat.argmax(axis=1)
    maxima = flat[np.arange(n), where]
    k = min(k, n)
    # Stable sort of -maxima: equal values keep the earlier image first.
    order = np.argsort(-maxima, kind="stable")[:k]
    rows, cols = np.divmod(where[order], w)
    size = image_size(net)
    if len(find_layer(net, layer).shape) == 3:
        field = receptive_field(net, layer)
        boxes = np.array([field.box(r, c, size) for r, c in zip(rows, cols)], dtype=int)
    else:
        boxes = np.tile([0, 0, size - 1, size - 1], (k, 1))
    return TopPatches(layer, channel, order, maxima[order], np.stack([rows, cols], axis=1),
                      boxes.reshape(k, 4), maxima, flat.mean(axis=1))


def class_means(values: np.ndarray, labels: np.ndarray, classes: int = 10) -> np.ndarray:
    """Mean of ``values (N,)`` over the images of each class: ``(classes,)`` (0 if none)."""
    labels = np.asarray(labels).astype(int)
    sums = np.bincount(labels, weights=values, minlength=classes)[:classes]
    counts = np.bincount(labels, minlength=classes)[:classes]
    return np.divide(sums, counts, out=np.zeros(classes), where=counts > 0)
