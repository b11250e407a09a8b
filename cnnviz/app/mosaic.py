"""Tile many small maps into one image, so a whole layer draws as a single ImageItem.

Pure NumPy (no Qt). One ImageItem per group of maps costs ~5 ms a refresh; one per map
costs 18-28 ms for 70 maps, which is why every multi-map view goes through here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MosaicLayout:
    """Where tile ``i`` sits: row ``i // columns``, column ``i % columns``.

    Tile ``i``'s top-left pixel in the mosaic is ``(row * (tile_h + gap), col * (tile_w + gap))``.
    """

    count: int
    rows: int
    columns: int
    tile_h: int
    tile_w: int
    gap: int

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows * (self.tile_h + self.gap) - self.gap,
                self.columns * (self.tile_w + self.gap) - self.gap)

    def origin(self, index: int) -> tuple[int, int]:
        """``(y, x)`` of tile ``index``'s top-left pixel."""
        r, c = divmod(index, self.columns)
        return r * (self.tile_h + self.gap), c * (self.tile_w + self.gap)

    def tile_at(self, y: float, x: float) -> tuple[int, int, int] | None:
        """``(tile index, row in tile, column in tile)`` under mosaic pixel ``(y, x)``, or None."""
        if y < 0 or x < 0:
            return None
        r, ty = divmod(int(y), self.tile_h + self.gap)
        c, tx = divmod(int(x), self.tile_w + self.gap)
        index = r * self.columns + c
        if ty >= self.tile_h or tx >= self.tile_w or c >= self.columns or index >= self.count:
            return None
        return index, ty, tx


def mosaic_layout(count: int, tile_h: int, tile_w: int, columns: int | None = None,
                  gap: int = 1) -> MosaicLayout:
    """A near-square grid for ``count`` tiles (or ``columns`` wide)."""
    columns = columns or max(1, math.ceil(math.sqrt(count)))
    rows = max(1, math.ceil(count / columns))
    return MosaicLayout(count, rows, columns, tile_h, tile_w, gap)


def tile(maps: np.ndarray, layout: MosaicLayout | None = None, fill: float = np.nan) -> np.ndarray:
    """``maps (K, H, W)`` -> one ``(rows*(H+gap)-gap, cols*(W+gap)-gap)`` image.

    Gaps hold ``fill`` (NaN draws as transparent in pyqtgraph, separating the tiles).
    """
    k, h, w = maps.shape
    layout = layout or mosaic_layout(k, h, w)
    g = layout.gap
    padded = np.full((layout.rows * layout.columns, h + g, w + g), fill, dtype=np.float32)
    padded[:k, :h, :w] = maps
    grid = padded.reshape(layout.rows, layout.columns, h + g, w + g).transpose(0, 2, 1, 3)
    full = grid.reshape(layout.rows * (h + g), layout.columns * (w + g))
    return full[:layout.shape[0], :layout.shape[1]]


def symmetric_levels(values: np.ndarray) -> tuple[float, float]:
    """``(-m, m)`` with ``m`` the largest absolute finite value (for diverging colour maps)."""
    finite = values[np.isfinite(values)]
    m = float(np.abs(finite).max()) if finite.size else 1.0
    return (-m, m) if m > 0 else (-1.0, 1.0)


def range_levels(values: np.ndarray) -> tuple[float, float]:
    """``(min, max)`` over finite values, widened if flat."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return (0.0, 1.0)
    lo, hi = float(finite.min()), float(finite.max())
    return (lo, hi) if hi > lo else (lo, lo + 1.0)
