"""Image panels configured the app's way, and labelled mosaics of many small maps.

* ``ImagePanel``: a title over a ViewBox holding one ImageItem. The ViewBox is y-inverted and
  aspect-locked and the ImageItem is row-major, so an ``(H, W)`` array shows upright with row 0
  at the top whatever the global pyqtgraph options are. Mouse pan/zoom is off by default
  (these are pictures to read, not plots to explore).
* ``MosaicPanel``: an ImagePanel that draws ``maps (K, H, W)`` as ONE mosaic image (one
  ImageItem per group of maps keeps a refresh near 5 ms), labels every tile with its channel
  number once, maps a scene position back to ``(channel, row, col)`` and can outline a
  rectangle on some of its tiles (a receptive field, a pooling window).
* ``set_image``: set an image with fixed levels (and optionally a colour map).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QPointF
from PyQt6.QtGui import QColor, QPainterPath, QPen
from PyQt6.QtWidgets import QGraphicsPathItem

from .mosaic import MosaicLayout, mosaic_layout, tile
from .tile_labels import TileNumber, keep_legible

ACTIVATION_CMAP = "viridis"      # unsigned values (activations)
DIVERGING_CMAP = "CET-D1"        # signed values (weights, gradients), levels symmetric around 0
GREY_CMAP = "CET-L1"             # the input digit


def colormap(name: str) -> pg.ColorMap:
    return pg.colormap.get(name)


def set_image(item: pg.ImageItem, data: np.ndarray, levels, cmap: str | pg.ColorMap | None = None
              ) -> None:
    """Show ``data (H, W)`` (or ``(H, W, 4)`` RGBA) with fixed ``levels`` (no auto-levels)."""
    if cmap is not None:
        item.setColorMap(colormap(cmap) if isinstance(cmap, str) else cmap)
    item.setImage(data, autoLevels=False, levels=levels)


class ImagePanel:
    """A title above a y-inverted, aspect-locked ViewBox with one row-major ImageItem.

    Add ``panel.layout`` to a ``pg.GraphicsLayout`` (``layout.addItem(panel.layout, row, col)``).
    """

    def __init__(self, title: str = "", cmap: str | None = ACTIVATION_CMAP,
                 interactive: bool = False) -> None:
        self.layout = pg.GraphicsLayout()
        self.layout.setContentsMargins(2, 2, 2, 2)
        self.layout.setSpacing(0)
        self.title = self.layout.addLabel(title, row=0, col=0, size="9pt")
        self.box = self.layout.addViewBox(row=1, col=0, invertY=True, lockAspect=True,
                                          enableMouse=interactive, enableMenu=False,
                                          defaultPadding=0.01)
        self.image = pg.ImageItem(axisOrder="row-major")
        if cmap is not None:
            self.image.setColorMap(colormap(cmap))
        self.box.addItem(self.image)

    def set_title(self, text: str) -> None:
        if text != self.title.text:     # setText re-lays out the scene: skip when unchanged
            self.title.setText(text)

    def set_image(self, data: np.ndarray, levels) -> None:
        set_image(self.image, data, levels)

    def scene_to_pixel(self, scene_pos) -> tuple[float, float] | None:
        """``(y, x)`` image coordinates under a scene position, or None outside the box."""
        if not self.box.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.box.mapSceneToView(scene_pos)
        return p.y(), p.x()

    def pixel_to_scene(self, y: float, x: float) -> QPointF:
        """Scene position of image coordinate ``(y, x)`` (use ``y + 0.5`` for a pixel centre)."""
        return self.box.mapViewToScene(QPointF(x, y))


class MosaicPanel(ImagePanel):
    """Many ``(H, W)`` maps as one labelled mosaic image.

    ``labels``: ``"tiles"`` writes each tile's channel number in the gap above it;
    ``"grid"`` writes row numbers on the left and column numbers on top (for a
    ``rows x columns`` table of kernels); ``None`` writes nothing. Label text is drawn in
    image coordinates, so it always fits the gap whatever the zoom; in large type
    (presentation mode) labels that would be drawn smaller than its type floor are hidden
    (``tile_labels.show_if_legible``), checked whenever the box's transform or font changes.
    """

    def __init__(self, title: str = "", cmap: str | None = ACTIVATION_CMAP,
                 columns: int | None = None, gap: int | None = None, labels: str | None = "tiles",
                 interactive: bool = False) -> None:
        super().__init__(title, cmap, interactive)
        self.columns, self.gap, self.labels = columns, gap, labels
        self.mosaic: MosaicLayout | None = None
        self._label_items: list[TileNumber] = []
        self.outline = QGraphicsPathItem()
        pen = QPen(QColor(255, 60, 60))
        pen.setCosmetic(True)
        pen.setWidthF(2.0)
        self.outline.setPen(pen)
        self.outline.setZValue(10)
        self.box.addItem(self.outline, ignoreBounds=True)
        self._legible = keep_legible(self.box, self._label_items)

    def show_labels_if_legible(self) -> bool:
        """Show the labels if they are drawn large enough for the type around them (see
        ``tile_labels``); returns whether they are shown."""
        return self._legible.check()

    # -- layout --------------------------------------------------------------------------
    def ensure_layout(self, count: int, tile_h: int, tile_w: int) -> MosaicLayout:
        """The mosaic layout for ``count`` tiles of ``tile_h x tile_w``; relabels on change."""
        m = self.mosaic
        if m is None or (m.count, m.tile_h, m.tile_w) != (count, tile_h, tile_w) \
                or (self.columns is not None and m.columns != min(self.columns, count)):
            gap = self.gap if self.gap is not None else _label_gap(tile_h, self.labels)
            columns = min(self.columns, count) if self.columns else None
            self.mosaic = mosaic_layout(count, tile_h, tile_w, columns, gap)
            self._relabel()
        return self.mosaic

    def extent(self, count: int, tile_h: int, tile_w: int, columns: int) -> tuple[float, float]:
        """``(width, height)`` in data pixels of the range shown for ``count`` tiles in
        ``columns`` columns, channel labels included (to choose columns that fit a cell)."""
        gap = self.gap if self.gap is not None else _label_gap(tile_h, self.labels)
        m = mosaic_layout(count, tile_h, tile_w, min(columns, count), gap)
        left, top = self._label_margins(m)
        h, w = m.shape
        return w + left, h + top

    def _label_margins(self, m: MosaicLayout) -> tuple[float, float]:
        if self.labels == "tiles" and m.count > 1:
            return 0.0, float(m.gap)
        if self.labels == "grid":
            size = _grid_label_size(m)
            return size * 1.7, size * 1.3
        return 0.0, 0.0

    def _relabel(self) -> None:
        for item in self._label_items:
            self.box.removeItem(item)
        self._label_items.clear()
        m = self.mosaic
        h, w = m.shape
        left = top = 0.0
        if self.labels == "tiles" and m.count > 1:
            size = m.gap * 0.9
            for i in range(m.count):
                y, x = m.origin(i)
                self._add_label(str(i), x, y - m.gap, size)
            top = m.gap
        elif self.labels == "grid":
            size = _grid_label_size(m)
            step = _grid_label_step(m)
            for r in range(0, m.rows, step):
                y, _ = m.origin(r * m.columns)
                self._add_label(str(r), -size * 1.6, y + (m.tile_h - size) / 2, size)
            for c in range(0, m.columns, step):
                _, x = m.origin(c)
                self._add_label(str(c), x, -size * 1.25, size)
            left, top = size * 1.7, size * 1.3
        self.box.setRange(xRange=(-left, w), yRange=(-top, h), padding=0.01)
        self.show_labels_if_legible()

    def _add_label(self, text: str, x: float, y: float, size: float) -> None:
        item = TileNumber(text, x, y, size)
        self.box.addItem(item, ignoreBounds=True)
        self._label_items.append(item)

    # -- data ----------------------------------------------------------------------------
    def set_maps(self, maps: np.ndarray, levels=None) -> np.ndarray:
        """Tile ``maps (K, H, W)``, show it with ``levels``; returns the mosaic drawn."""
        k, h, w = maps.shape
        mosaic = tile(maps, self.ensure_layout(k, h, w))
        set_image(self.image, mosaic, levels)
        return mosaic

    def tile_of(self, image: np.ndarray, index: int) -> np.ndarray:
        """Tile ``index``'s ``(H, W)`` (or ``(H, W, 4)``) block of a mosaic ``image``."""
        m = self.mosaic
        y, x = m.origin(index)
        return image[y:y + m.tile_h, x:x + m.tile_w]

    def untile(self, image: np.ndarray) -> np.ndarray:
        """A mosaic ``image`` back to ``(K, H, W[, ...])``."""
        return np.stack([self.tile_of(image, i) for i in range(self.mosaic.count)])

    def locate(self, scene_pos) -> tuple[int, int, int] | None:
        """``(tile index, row, col)`` under a scene position, or None."""
        yx = self.scene_to_pixel(scene_pos)
        if yx is None or self.mosaic is None:
            return None
        return self.mosaic.tile_at(*yx)

    def tile_pixel_to_scene(self, index: int, row: int, col: int) -> QPointF:
        """Scene position of the centre of pixel ``(row, col)`` of tile ``index``."""
        y, x = self.mosaic.origin(index)
        return self.pixel_to_scene(y + row + 0.5, x + col + 0.5)

    def highlight(self, tiles, row: int = 0, col: int = 0, height: int = 1,
                  width: int | None = None) -> None:
        """Outline the ``height x width`` block at ``(row, col)`` of each tile in ``tiles``.

        ``tiles`` is a list of tile indices, ``"all"``, or None/empty to clear.
        """
        path = QPainterPath()
        if tiles is not None and self.mosaic is not None:
            if isinstance(tiles, str):
                tiles = range(self.mosaic.count)
            width = height if width is None else width
            for i in tiles:
                y, x = self.mosaic.origin(i)
                path.addRect(x + col, y + row, width, height)
        self.outline.setPath(path)


def _label_gap(tile_h: int, labels: str | None) -> int:
    """Gap between tiles: room for a channel number above each tile, else 1 pixel."""
    if labels != "tiles":
        return 1
    return max(3, round(tile_h * 0.22))


def _grid_label_step(m: MosaicLayout) -> int:
    """Label every row/column of a small table, every 5th of a big one (50 x 20 kernels):
    sparse labels can be twice as large, so they stay readable."""
    return 5 if max(m.rows, m.columns) > 25 else 1


def _grid_label_size(m: MosaicLayout) -> float:
    """Height in data pixels of a table's row/column numbers."""
    return min(m.tile_h, m.tile_w) * (1.6 if _grid_label_step(m) > 1 else 0.8)


class FitCanvas(pg.GraphicsWidget):
    """A GraphicsView's central item that calls ``on_resize()`` whenever it is resized
    (views that place their panels by hand with ``fit_layout.arrange``)."""

    def __init__(self, on_resize) -> None:
        super().__init__()
        self._on_resize = on_resize

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._on_resize()

