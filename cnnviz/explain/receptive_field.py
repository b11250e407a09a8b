"""Receptive fields: which input pixels an output pixel of a spatial layer can depend on.

Read from ``net.describe()`` alone (kernel size, stride and padding of every conv and pool
record; element-wise layers are 1 x 1 windows), so any stack of conv, pool and activation
layers works. Two views of the same geometry:

* ``layer_window(info, row, col)``: the window of the layer's own input that output
  ``(row, col)`` reads (a conv's K x K window, a pool's 2 x 2, an activation's own pixel);
* ``receptive_field(net, layer)``: the same traced down to the input image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Window:
    """``size x size`` pixels from ``(top, left)`` of a layer's input; on a padded conv the
    window may start at -padding (the zero border), so ``clipped`` gives what is real."""

    top: int
    left: int
    size: int

    def clipped(self, height: int, width: int) -> tuple[int, int, int, int]:
        """``(top, left, bottom, right)`` inclusive, inside a ``height x width`` map."""
        return (max(self.top, 0), max(self.left, 0),
                min(self.top + self.size, height) - 1, min(self.left + self.size, width) - 1)

    def border_cells(self, height: int, width: int) -> int:
        """How many of the window's pixels lie outside the map (on the zero border)."""
        top, left, bottom, right = self.clipped(height, width)
        inside = max(0, bottom - top + 1) * max(0, right - left + 1)
        return self.size * self.size - inside


def geometry(info) -> tuple[int, int, int]:
    """``(kernel, stride, padding)`` of a layer record; ``(1, 1, 0)`` for element-wise ones."""
    kernel = getattr(info, "kernel_size", None)
    if kernel is None:
        return (1, 1, 0)
    stride = getattr(info, "stride", None) or (1 if info.kind == "conv" else kernel)
    return (int(kernel), int(stride), int(getattr(info, "padding", None) or 0))


def layer_window(info, row: int, col: int) -> Window | None:
    """The window of ``info``'s input that its output ``(row, col)`` reads; None for layers
    without maps (flatten, dense, softmax)."""
    if len(info.output_shape) != 3 or info.kind in ("input", "flatten", "dense", "softmax"):
        return None
    kernel, stride, padding = geometry(info)
    return Window(row * stride - padding, col * stride - padding, kernel)


@dataclass(frozen=True)
class ReceptiveField:
    """Where a layer's output pixels look in the input.

    Output pixel ``(i, j)`` sees input rows ``start + i * jump`` to ``start + i * jump +
    size - 1`` (and the same for columns), before clipping to the image.
    """

    size: int
    jump: int
    start: int

    def box(self, i: int, j: int, image_size: int) -> tuple[int, int, int, int]:
        """``(top, left, bottom, right)`` inclusive, clipped to the image."""
        top, left = self.start + i * self.jump, self.start + j * self.jump
        last = image_size - 1
        return (max(top, 0), max(left, 0),
                min(top + self.size - 1, last), min(left + self.size - 1, last))

    def centre(self, i) -> np.ndarray:
        """Input coordinate of the centre of output row/column ``i`` (array or number)."""
        return self.start + np.asarray(i) * self.jump + (self.size - 1) / 2


def receptive_field(net, layer: str) -> ReceptiveField:
    """The receptive field of ``layer``'s output pixels (layers with maps only): the
    windows of every layer from the input up to it, composed."""
    records = list(net.describe())
    names = [info.name for info in records]
    if layer not in names:
        raise ValueError(f"no layer called {layer!r}; the network has {', '.join(names)}")
    stop = names.index(layer)
    if len(records[stop].output_shape) != 3:
        raise ValueError(f"{layer} has no maps (output {records[stop].output_shape}): "
                         "a receptive field needs a layer with rows and columns")
    size, jump, start = 1, 1, 0
    for info in records[1:stop + 1]:
        kernel, stride, padding = geometry(info)
        start -= padding * jump
        size += (kernel - 1) * jump
        jump *= stride
    return ReceptiveField(size, jump, start)
