"""Replay the probe's feature maps with the conv weights of an earlier training step.

The timeline ("watch one digit learn") keeps, for each recorded step, only the parameters
of the conv layers (``conv_param_keys``): the fc layers are large and the feature maps do
not need them. ``FeatureReplay(net)`` owns a private copy of the network's layers;
``replay(params, image)`` loads those parameters into it and runs one image through the
spatial part of the network (every layer whose output is a stack of maps ``(C, H, W)``,
i.e. everything before the flatten), giving each layer's output by name.

``conv_blocks(layers)`` groups the spatial layers the way a reader sees them: a conv, the
activation right after it, and the pooling after that (either may be missing; a dropout in
between is skipped). Everything here reads the network's structure from ``net.describe()``
(``cnnviz.nn.arch.LayerInfo`` records) only; no layer is named.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..nn.arch import ACTIVATIONS as ACTIVATION_KINDS, POOLS as POOL_KINDS
from .network_walk import detached_copy


def conv_param_keys(layers) -> tuple[str, ...]:
    """The ``state_dict`` names of every conv layer's parameters, in order
    (``conv1.weight``, ``conv1.bias``, ``conv2.weight``, ...); ``layers``: ``net.describe()``."""
    return tuple(name for info in layers if info.kind == "conv" for name, _ in info.params)


def spatial_names(layers) -> tuple[str, ...]:
    """Names of the layers with a ``(C, H, W)`` output (the input excluded), in order."""
    return tuple(info.name for info in layers
                 if info.kind != "input" and len(info.output_shape) == 3)


@dataclass(frozen=True)
class ConvBlock:
    """A conv layer and what a reader sees as its block: the activation right after it and
    the pooling after that (None when there is none). ``shown`` is the block's main map:
    the activation's output, or the conv's when it has no activation."""

    conv: object                      # LayerInfo
    activation: object | None = None
    pool: object | None = None

    @property
    def shown(self):
        return self.activation or self.conv

    @property
    def name(self) -> str:
        return self.conv.name

    @property
    def caption(self) -> str:
        """``"conv1 + ReLU"``, ``"conv2 + tanh"`` or just ``"conv3"``."""
        if self.activation is None:
            return self.conv.name
        kind = self.activation.kind
        return f"{self.conv.name} + {'ReLU' if kind == 'relu' else kind}"


def conv_blocks(layers) -> list[ConvBlock]:
    """One ``ConvBlock`` per conv layer of ``layers`` (``net.describe()``), in order."""
    layers = list(layers)
    blocks = []
    for i, info in enumerate(layers):
        if info.kind != "conv":
            continue
        activation = pool = None
        for after in layers[i + 1:]:
            if after.kind == "dropout":
                continue
            if after.kind in ACTIVATION_KINDS and activation is None and pool is None:
                activation = after
                continue
            if after.kind in POOL_KINDS and pool is None:
                pool = after
            break
        blocks.append(ConvBlock(info, activation, pool))
    return blocks


class FeatureReplay:
    """The spatial part of ``net``'s forward pass with other conv weights (a private copy).

    ``replay(params, image)`` -> ``{layer name: (C, H, W) float array}`` for every spatial
    layer, computed with ``params`` (e.g. a timeline snapshot's conv weights) in place of the
    network's own. The copy is inference-mode (dropout is the identity). Not thread-safe:
    one replay at a time.
    """

    def __init__(self, net) -> None:
        self.layers = tuple(net.describe())
        self.names = spatial_names(self.layers)
        self.keys = conv_param_keys(self.layers)
        self._net = detached_copy(net)
        self._net.training = False
        self.dtype = net.dtype

    def replay(self, params: dict[str, np.ndarray], image: np.ndarray) -> dict[str, np.ndarray]:
        """Every spatial layer's output for ``image (H, W)`` with the conv ``params``.

        ``params`` must hold every name of ``self.keys`` with the network's shapes; other
        names are ignored (a full ``state_dict`` works too).
        """
        missing = [k for k in self.keys if k not in params]
        if missing:
            raise ValueError(f"replay: parameters missing: {', '.join(missing)}")
        own = self._net.params
        for key in self.keys:
            source = np.asarray(params[key])
            if source.shape != own[key].shape:
                raise ValueError(f"replay: {key} has shape {source.shape}, the network's is "
                                 f"{own[key].shape}")
            own[key][...] = source
        out = np.asarray(image, dtype=self.dtype)
        if out.ndim == 2:
            out = out[None, None]
        wanted = set(self.names)
        maps: dict[str, np.ndarray] = {}
        with np.errstate(over="ignore", invalid="ignore"):
            for name, layer in self._net.layers:
                if name not in wanted:
                    break
                out = layer.forward(out)
                maps[name] = np.array(out[0], copy=True)   # the layer reuses its buffer
        return maps
