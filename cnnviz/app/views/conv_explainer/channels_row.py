"""The explainer's second row, for a conv that reads several channels: every input channel's
patch and kernel as two mosaics, and a bar per channel with its sum of products.

The bars get a guaranteed height (``MIN_BARS_PX``): their title shares the row of titles and
the row asks for the room its title, tick labels and bars need (at 1920 x 1080 the bars were
squeezed to a few pixels under their own title and two rows of ticks: zero height).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QPointF, QRectF
from PyQt6.QtGui import QColor, QFont, QFontMetricsF, QTransform
from PyQt6.QtWidgets import QGraphicsSimpleTextItem

from ...label_fit import fit_label
from ...mosaic import mosaic_layout, range_levels, symmetric_levels, tile
from ...number_grid import DIVERGING_CMAP, GREY_CMAP, image_box
from .main_row import WINDOW_COLOUR, outline

POSITIVE_BRUSH = QColor(200, 40, 40)
NEGATIVE_BRUSH = QColor(40, 80, 210)
MIN_BARS_PX = 60          # the bars' own drawing height, at least
TICK_SPACING_PX = 28      # one channel number per this many pixels of axis


def tile_labels(box: pg.ViewBox, layout, items: list) -> None:
    """Write each tile's index in the gap above it (image coordinates, scaled to the gap)."""
    for item in items:
        box.removeItem(item)
    items.clear()
    font = QFont()
    font.setPixelSize(100)
    for i in range(layout.count):
        y, x = layout.origin(i)
        item = QGraphicsSimpleTextItem(str(i))
        item.setFont(font)
        item.setBrush(QColor(230, 230, 230))
        s = 0.9 * layout.gap / item.boundingRect().height()
        item.setTransform(QTransform.fromScale(s, s))
        item.setPos(x, y - layout.gap)
        box.addItem(item, ignoreBounds=True)
        items.append(item)


class _ResizeAware(pg.GraphicsLayoutWidget):
    def __init__(self, on_resize) -> None:
        super().__init__()
        self._on_resize = on_resize

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        callback = getattr(self, "_on_resize", None)   # None while pyqtgraph builds it
        if callback is not None:
            callback()


class ChannelsRow:
    """Patches and kernels of every input channel, and their contributions as bars."""

    def __init__(self, on_select) -> None:
        self._on_select = on_select
        self.graphics = _ResizeAware(self._on_resize)
        self.graphics.setBackground("k")
        c = self.graphics.ci
        self.patches_title = c.addLabel("patches", row=0, col=0)
        self.patches_box = image_box(c, row=1, col=0)
        self.patches_image = pg.ImageItem(axisOrder="row-major")
        self.patches_image.setColorMap(pg.colormap.get(GREY_CMAP))
        self.patches_box.addItem(self.patches_image)
        self.kernels_title = c.addLabel("kernels", row=0, col=1)
        self.kernels_box = image_box(c, row=1, col=1)
        self.kernels_image = pg.ImageItem(axisOrder="row-major")
        self.kernels_image.setColorMap(pg.colormap.get(DIVERGING_CMAP))
        self.kernels_box.addItem(self.kernels_image)
        self.patches_sel = outline(WINDOW_COLOUR)
        self.kernels_sel = outline(WINDOW_COLOUR)
        self.patches_box.addItem(self.patches_sel, ignoreBounds=True)
        self.kernels_box.addItem(self.kernels_sel, ignoreBounds=True)
        self._tile_items = {"patches": [], "kernels": []}
        self.tiles = None
        # the bars' title in the titles' row: the plot's own title would take the height
        # the bars need (they were squeezed to a few pixels at 1920 x 1080)
        self.bars_title = c.addLabel("channel contributions", row=0, col=2)
        self.bars_plot = c.addPlot(row=1, col=2)
        self.bars_plot.setMenuEnabled(False)
        self.bars_plot.setMouseEnabled(x=False, y=False)
        self.bars_plot.hideButtons()
        self.bars_plot.addLine(y=0, pen=pg.mkPen((180, 180, 180), width=1))
        self.bars = pg.BarGraphItem(x=np.arange(1), height=np.zeros(1), width=0.8)
        self.bars_plot.addItem(self.bars)
        for column, stretch in ((0, 3), (1, 3), (2, 5)):
            c.layout.setColumnStretchFactor(column, stretch)
        self.graphics.scene().sigMouseClicked.connect(self._on_click)
        self._count = 0
        self._shown = None              # the ConvPixel drawn last

    def _on_resize(self) -> None:
        if getattr(self, "_shown", None) is not None:
            self.fit_titles(self._shown)

    def set_fonts(self, font: QFont, title_pt: str) -> None:
        for title in (self.patches_title, self.kernels_title, self.bars_title):
            title.setText(title.text, size=title_pt)
        # title + tick labels + the bars themselves: the row never squeezes the bars flat
        line = QFontMetricsF(font).height()
        title = QFontMetricsF(QFont(font.family(), int(round(float(title_pt[:-2]))))).height()
        self.graphics.setMinimumHeight(int(title + line + MIN_BARS_PX + 30))

    def fit_titles(self, e) -> None:
        """Titles no wider than their columns (stretch 3 : 3 : 5)."""
        share = max(1, self.graphics.width() - 20) / 11
        name = f"{e.layer}[{e.channel}]"
        fit_label(self.patches_title, [f"patches ({e.input_name})", "patches"], 3 * share)
        fit_label(self.kernels_title, [f"kernels {name}", "kernels"], 3 * share)
        # the mosaics' columns may be wider than their share (their titles): what is left
        left = self.graphics.width() - 30 - self.patches_box.width() - self.kernels_box.width()
        fit_label(self.bars_title, ["channel contributions", "contributions", "Σ per channel",
                                    "Σ"], min(5 * share, max(left, 1)))
        # the scene's layout was stretched to the longer titles' minimum width: back to the
        # view's width, and the columns for the new titles laid out now
        self.graphics.ci.setGeometry(QRectF(self.graphics.viewport().rect()))
        self.graphics.ci.layout.activate()
        self._set_ticks()

    def draw(self, e, ci: int) -> None:
        """Every input channel of ``e`` (a ``ConvPixel``), channel ``ci`` outlined."""
        count, k = e.kernel.shape[0], e.kernel.shape[-1]
        layout = mosaic_layout(count, k, k, columns=min(10, count), gap=max(2, k // 2))
        if self.tiles != layout:
            self.tiles = layout
            tile_labels(self.patches_box, layout, self._tile_items["patches"])
            tile_labels(self.kernels_box, layout, self._tile_items["kernels"])
            h, w = layout.shape
            for box in (self.patches_box, self.kernels_box):
                box.setRange(xRange=(0, w), yRange=(-layout.gap, h), padding=0.02)
        patches = tile(e.patch, layout)
        self.patches_image.setImage(patches, autoLevels=False, levels=range_levels(patches))
        kernels = tile(e.kernel, layout)
        self.kernels_image.setImage(kernels, autoLevels=False, levels=symmetric_levels(kernels))
        y, x = layout.origin(ci)
        for rect in (self.patches_sel, self.kernels_sel):
            rect.setRect(QRectF(x, y, k, k))

        contributions = e.contributions
        brushes = [POSITIVE_BRUSH if v >= 0 else NEGATIVE_BRUSH for v in contributions]
        pens = [pg.mkPen("w", width=3) if i == ci else pg.mkPen(None) for i in range(count)]
        self.bars.setOpts(x=np.arange(count), height=contributions, width=0.8, brushes=brushes,
                          pens=pens)
        # the range the bars span (with 0): all-positive bars use the whole height
        lo, hi = min(0.0, float(contributions.min())), max(0.0, float(contributions.max()))
        margin = 0.08 * ((hi - lo) or 1.0)
        self.bars_plot.setRange(xRange=(-0.7, count - 0.3),
                                yRange=(lo - (margin if lo < 0 else 0), hi + margin), padding=0)
        self._count = count
        self._shown = e
        self.fit_titles(e)

    def _set_ticks(self) -> None:
        """One row of channel numbers, as many as fit the axis."""
        count = self._count
        if not count:
            return
        width = max(1.0, self.bars_plot.vb.width())
        step = max(1, math.ceil(count * TICK_SPACING_PX / width))
        self.bars_plot.getAxis("bottom").setTicks(
            [[(i, str(i)) for i in range(0, count, step)], []])

    def bar_rect(self, index: int) -> QRectF:
        """Bar ``index``'s rectangle in the row's viewport pixels (for tests and scripts)."""
        height = float(self.bars.opts["height"][index])
        vb = self.bars_plot.vb
        corners = [self.graphics.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
                   for x, y in ((index - 0.4, 0.0), (index + 0.4, height))]
        return QRectF(QPointF(corners[0]), QPointF(corners[1])).normalized()

    def _on_click(self, event) -> None:
        pos = event.scenePos()
        if self.bars_plot.sceneBoundingRect().contains(pos):
            x = self.bars_plot.vb.mapSceneToView(pos).x()
            self._on_select(int(round(x)))
            return
        for box in (self.patches_box, self.kernels_box):
            if box.sceneBoundingRect().contains(pos) and self.tiles is not None:
                p = box.mapSceneToView(pos)
                hit = self.tiles.tile_at(p.y(), p.x())
                if hit is not None:
                    self._on_select(hit[0])
                return
