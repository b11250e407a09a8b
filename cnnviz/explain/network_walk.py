"""Walking a network's layers by name: forward to a layer, backward from it, its geometry.

Everything here reads the network only through ``net.layers`` (ordered ``(name, layer)``
pairs), each layer's ``forward``/``backward``, and ``net.describe()`` when the network has it,
so it works for any architecture, not only LeNet. Layer names are the ones of ``net.trace``
and ``net.describe()``; layers are found by name or kind, never by a literal name or
position. Receptive fields live in ``receptive_field.py``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ..nn.arch import ACTIVATIONS as ARCH_ACTIVATIONS, POOLS

# Kinds that act on every channel separately (so one channel can be computed alone).
CHANNELWISE = {*ARCH_ACTIVATIONS, *POOLS, "dropout", "identity"}
ACTIVATIONS = set(ARCH_ACTIVATIONS)


@dataclass(frozen=True)
class LayerInfo:
    """One layer as the explain functions see it: name, kind and one example's output shape."""

    name: str
    kind: str
    shape: tuple[int, ...]
    index: int  # position in ``net.layers``


def layer_infos(net) -> list[LayerInfo]:
    """Every layer of ``net`` (not ``input``/``softmax``), in order, with its output shape."""
    describe = getattr(net, "describe", None)
    shapes = dict(net.output_shapes())
    records = []
    if callable(describe):
        for record in describe():
            name = _field(record, "name")
            if name in ("input", "softmax"):
                continue
            records.append((name, _field(record, "kind")))
    else:
        records = [(name, layer.kind) for name, layer in net.layers]
    index = {name: i for i, (name, _) in enumerate(net.layers)}
    return [LayerInfo(name, kind, tuple(shapes[name]), index[name])
            for name, kind in records if name in index]


def _field(record, key):
    return record[key] if isinstance(record, dict) else getattr(record, key)


def find_layer(net, name: str) -> LayerInfo:
    """The layer called ``name``; a ``ValueError`` naming the choices if there is none."""
    infos = layer_infos(net)
    for info in infos:
        if info.name == name:
            return info
    choices = ", ".join(i.name for i in infos)
    raise ValueError(f"no layer called {name!r}; the network has {choices}")


def spatial_layers(net) -> list[LayerInfo]:
    """Layers whose output is a stack of maps ``(C, H, W)``: convs, activations, pools."""
    return [i for i in layer_infos(net) if len(i.shape) == 3]


def channel_layers(net) -> list[LayerInfo]:
    """Layers with channels or units worth a card: spatial layers and dense layers."""
    return [i for i in layer_infos(net) if len(i.shape) == 3 or i.kind == "dense"]


def penultimate_layer(net) -> LayerInfo:
    """The output the classifier reads: the input of the last dense layer (after flatten)."""
    infos = layer_infos(net)
    dense = [i for i in infos if i.kind == "dense"]
    if not dense:
        return infos[-1]
    last = dense[-1]
    before = [i for i in infos if i.index < last.index]
    return before[-1] if before else last


def last_conv_activation(net) -> LayerInfo:
    """The last spatial layer that is a conv or the activation right after one (Grad-CAM's)."""
    infos = layer_infos(net)
    best = None
    for k, info in enumerate(infos):
        if info.kind == "conv":
            best = info
            if k + 1 < len(infos) and infos[k + 1].kind in ACTIVATIONS:
                best = infos[k + 1]
    if best is None:
        raise ValueError("the network has no convolution layer")
    return best


def image_size(net) -> int:
    """The side of the (square) input images, from the network's own shapes."""
    return int(net.output_shapes()[0][1][-1])


def as_batch(net, images) -> np.ndarray:
    """Images ``(N, 28, 28)``, ``(N, 1, 28, 28)`` or one ``(28, 28)`` as ``(N, 1, H, W)``."""
    x = np.asarray(images)
    if x.ndim == 2:
        x = x[None, None]
    elif x.ndim == 3:
        x = x[:, None]
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / 255.0
    size = image_size(net)
    if x.ndim != 4 or x.shape[1:] != (1, size, size):
        raise ValueError(f"expected images of shape (N, {size}, {size}), got {np.shape(images)}")
    return x.astype(net.dtype, copy=False)


def forward_to(net, x: np.ndarray, layer: str) -> np.ndarray:
    """The output of ``layer`` for ``x (N, 1, H, W)``; every layer up to it caches its state.

    The array may be the layer's reused buffer: valid until its next pass (copy to keep it).
    """
    stop = find_layer(net, layer).index
    out = x
    for _, module in net.layers[: stop + 1]:
        out = module.forward(out)
    return out


def forward_from(net, activation: np.ndarray, layer: str) -> np.ndarray:
    """Logits ``(N, classes)`` from ``layer``'s output, running only the layers after it."""
    start = find_layer(net, layer).index
    out = activation
    for _, module in net.layers[start + 1:]:
        out = module.forward(out)
    return out


def backward_from(net, grad: np.ndarray, layer: str, guided: bool = False) -> np.ndarray:
    """``d / d input (N, 1, H, W)`` given ``grad``, the gradient at ``layer``'s output.

    Uses the caches of the last ``forward_to``/``forward`` through that layer. With
    ``guided``, every activation layer also lets only positive gradients through (guided
    backpropagation). The result may be the first layer's reused buffer (copy to keep it).
    """
    stop = find_layer(net, layer).index
    for _, module in reversed(net.layers[: stop + 1]):
        if guided and module.kind in ACTIVATIONS:
            grad = np.maximum(grad, 0)
        if hasattr(module, "needs_input_grad"):
            module.needs_input_grad = True
        grad = module.backward(grad)
    return grad


def layer_geometry(module) -> tuple[int, int, int]:
    """``(kernel, stride, padding)`` of an engine layer; ``(1, 1, 0)`` for element-wise ones
    (``receptive_field.geometry`` reads the same from a ``describe()`` record)."""
    if module.kind == "conv":
        kernel = getattr(module, "kernel_size", None)
        if kernel is None:
            kernel = module.params["weight"].shape[-1]
        return (_int(kernel), _int(getattr(module, "stride", 1)), _int(getattr(module, "padding", 0)))
    if module.kind.endswith("pool"):
        kernel = _int(getattr(module, "kernel_size", getattr(module, "size", 2)))
        return (kernel, _int(getattr(module, "stride", kernel)), _int(getattr(module, "padding", 0)))
    return (1, 1, 0)


def _int(value) -> int:
    return int(value[0]) if isinstance(value, (tuple, list)) else int(value)


def detached_copy(net):
    """A copy of ``net`` with its own parameter arrays, safe to run in another thread.

    Layers are shallow-copied (their forward passes assign fresh caches, never write into
    the old ones), parameters deep-copied, gradients dropped.
    """
    clone = copy.copy(net)
    layers = []
    for name, module in net.layers:
        twin = copy.copy(module)
        twin.params = {key: value.copy() for key, value in module.params.items()}
        twin.grads = {}
        if hasattr(module, "_buffers"):     # the engine's reused output/scratch arrays
            twin._buffers = {}
        layers.append((name, twin))
    clone.layers = layers
    return clone
