"""The weights that make a channel: a conv channel's kernel, a dense unit's weight row."""

from __future__ import annotations

import numpy as np

from .network_walk import find_layer, layer_infos
from .top_patches import _PER_CHANNEL


def channel_weights(net, layer: str, channel: int) -> tuple[str, np.ndarray]:
    """``(layer that owns them, maps (K, h, w))``: the incoming weights of ``channel``.

    A conv channel (or the activation/pool channel right after it): its kernel
    ``weight[channel] (C, K, K)``. A dense unit: its weight row shaped like the maps it reads
    ``(C, H, W)`` when its input is a flattened stack of maps, else ``(1, rows, cols)`` (a
    near-square grid, NaN-padded).
    """
    infos = layer_infos(net)
    names = [i.name for i in infos]
    position = names.index(find_layer(net, layer).name)
    while position >= 0 and infos[position].kind in _PER_CHANNEL:
        position -= 1
    if position < 0 or infos[position].kind not in ("conv", "dense"):
        raise ValueError(f"{layer} has no weights of its own or before it")
    owner = infos[position]
    weight = net.layers[owner.index][1].params["weight"][channel]
    if owner.kind == "conv":
        return owner.name, np.asarray(weight)
    shapes = dict(net.output_shapes())
    source = infos[position - 1] if position > 0 else None
    if source is not None and source.kind == "flatten" and position > 1:
        maps_shape = shapes[infos[position - 2].name]
        if len(maps_shape) == 3 and int(np.prod(maps_shape)) == weight.size:
            return owner.name, np.asarray(weight).reshape(maps_shape)
    n = weight.size
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    grid = np.full(rows * cols, np.nan, dtype=np.float64)
    grid[:n] = weight
    return owner.name, grid.reshape(1, rows, cols)
