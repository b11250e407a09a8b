"""Which layers of a network are worth a picture, and where each picture's pixels come from.

Pure Python, read from ``net.describe()`` only (``cnnviz.nn.arch.LayerInfo`` records), so it
holds for any architecture the parser accepts. The activations and pooling views draw what
this module lists; nothing here knows a layer by name.

* ``map_groups(describe)``: one ``MapGroup`` per layer worth showing, in data-flow order: the
  input, each conv (drawn after its activation when one follows), each pool, every hidden
  dense layer (after its activation), and the class probabilities (``softmax``).
* ``input_window(group, row, col, height, width)``: the window of the group's source maps that
  output pixel ``(row, col)`` reads (a conv's kernel window, a pool's window), clipped to the
  source, with how much of it lies in the zero padding.
* ``pool_groups``: the pool layers (max and average) with the maps they read.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..nn.arch import ACTIVATIONS as ACTIVATION_KINDS, POOLS as POOL_KINDS

#: Layers that keep every value's place (an activation, dropout at inference): a pixel of
#: their output sits where the same pixel of their input does.
PLACE_KEEPING = ACTIVATION_KINDS + ("dropout",)


@dataclass(frozen=True)
class MapGroup:
    """One picture: a stack of maps ``(C, H, W)`` or a vector of units ``(N,)``.

    ``key``: the layer that names it (``conv1``, ``pool2``, ``fc1``; ``input``, ``softmax``);
    ``kind``: ``input``, ``conv``, ``pool``, ``dense`` or ``probs``; ``trace_name``: the trace
    entry drawn (a conv's activation when one follows it); ``caption``: its title;
    ``shape``: one example's shape of that entry. ``source``: the key of the group whose
    maps the layer reads (through activations and dropouts), with the layer's ``kernel``,
    ``stride`` and ``padding`` (convs and pools); ``pool_kind``: ``maxpool``/``avgpool``.
    """

    key: str
    kind: str
    trace_name: str
    caption: str
    shape: tuple[int, ...]
    source: str | None = None
    kernel: int | None = None
    stride: int | None = None
    padding: int = 0
    pool_kind: str | None = None

    @property
    def channels(self) -> int:
        return self.shape[0]

    @property
    def spatial(self) -> bool:
        return len(self.shape) == 3


@dataclass(frozen=True)
class Window:
    """Rows ``top:bottom`` and columns ``left:right`` of the source maps (clipped to them);
    ``full``: ``(top, left, size)`` before clipping (``top``/``left`` negative, or the
    window running past the end, where it covers the zero padding); ``padded``: how many
    of the ``size x size`` window's pixels lie outside the source (zeros)."""

    top: int
    left: int
    bottom: int
    right: int
    full: tuple[int, int, int]
    padded: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left


def _by_name(describe) -> dict:
    return {layer.name: layer for layer in describe}


def _follower(describe, index: int, kinds) -> object | None:
    """The layer right after ``describe[index]`` if it reads it and is of one of ``kinds``."""
    if index + 1 < len(describe):
        nxt = describe[index + 1]
        if nxt.input == describe[index].name and nxt.kind in kinds:
            return nxt
    return None


def map_groups(describe) -> list[MapGroup]:
    """The pictures of a network, in order (see the module docstring)."""
    describe = tuple(describe)
    shown: dict[str, str] = {}          # trace name -> key of the group that draws it
    groups: list[MapGroup] = []
    layers = _by_name(describe)

    def source_of(name: str | None) -> str | None:
        """The group drawing ``name``'s values (or the same places: activations, dropout)."""
        while name is not None and name not in shown:
            layer = layers.get(name)
            if layer is None or layer.kind not in PLACE_KEEPING:
                return None
            name = layer.input
        return shown.get(name)

    last_dense = max((i for i, l in enumerate(describe) if l.kind == "dense"), default=None)
    for i, layer in enumerate(describe):
        if layer.kind == "input":
            c, h, w = layer.output_shape
            groups.append(MapGroup(layer.name, "input", layer.name, f"input {h}x{w}",
                                   tuple(layer.output_shape)))
        elif layer.kind == "conv":
            act = _follower(describe, i, ACTIVATION_KINDS)
            drawn = act or layer
            k, s, p = layer.kernel_size, layer.stride or 1, layer.padding or 0
            caption = f"{layer.name} + {act.kind}" if act else layer.name
            groups.append(MapGroup(layer.name, "conv", drawn.name, caption,
                                   tuple(drawn.output_shape), source_of(layer.input), k, s, p))
            shown[layer.name] = layer.name
        elif layer.kind in POOL_KINDS:
            what = "max" if layer.kind == "maxpool" else "average"
            k = layer.kernel_size or 2
            groups.append(MapGroup(layer.name, "pool", layer.name,
                                   f"{layer.name} ({what} {k}x{k})", tuple(layer.output_shape),
                                   source_of(layer.input), k, layer.stride or k, 0, layer.kind))
        elif layer.kind == "dense" and i != last_dense:
            act = _follower(describe, i, ACTIVATION_KINDS)
            drawn = act or layer
            n = layer.output_shape[0]
            caption = f"{layer.name} + {act.kind} ({n})" if act else f"{layer.name} ({n})"
            groups.append(MapGroup(layer.name, "dense", drawn.name, caption,
                                   tuple(drawn.output_shape)))
        elif layer.kind == "softmax":
            groups.append(MapGroup(layer.name, "probs", layer.name, "probabilities",
                                   tuple(layer.output_shape)))
        else:
            continue
        shown.setdefault(groups[-1].trace_name, groups[-1].key)
        shown.setdefault(layer.name, groups[-1].key)
    return groups


def input_window(group: MapGroup, row: int, col: int, height: int, width: int) -> Window:
    """The window of ``group.source``'s ``(height, width)`` maps that output pixel
    ``(row, col)`` of ``group`` (a conv or pool) reads, clipped to the maps."""
    if group.kernel is None:
        raise ValueError(f"{group.key} is not a conv or pool layer: it has no window")
    k, s, p = group.kernel, group.stride or 1, group.padding or 0
    top, left = row * s - p, col * s - p
    t, l = max(0, top), max(0, left)
    b, r = min(height, top + k), min(width, left + k)
    inside = max(0, b - t) * max(0, r - l)
    return Window(t, l, b, r, (top, left, k), k * k - inside)


def pool_groups(describe) -> list[MapGroup]:
    """Every pool layer (max and average), each with ``trace_name`` = the pool and the
    pre-pool maps it reads as ``input_name(describe, group)``."""
    return [g for g in map_groups(describe) if g.kind == "pool"]


def layer_input(describe, name: str) -> str:
    """The trace name of the layer ``name`` reads (e.g. a pool's pre-pool activation)."""
    layer = _by_name(describe)[name]
    if layer.input is None:
        raise ValueError(f"{name} reads no other layer")
    return layer.input


def conv_layers(describe) -> list:
    """The conv layers' ``LayerInfo`` records, in order."""
    return [layer for layer in describe if layer.kind == "conv"]
