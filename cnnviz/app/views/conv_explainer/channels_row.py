"""The explainer's second row, for a conv that reads several channels: every input channel's
patch and kernel as two mosaics, and a bar per channel with its sum of products.

The bars get a guaranteed height (``MIN_BARS_PX``): their title shares the row of titles and
the row asks for the room its title, tick labels and bars need (at 1920 x 1080 the bars were
squeezed to a few pixels under their own title and two rows of ticks: zero height).

Many input channels page (``paging.Pager``, as the app's mosaics do): patches, kernels and
bars show the same channels, as many as keep a kernel ``MIN_KERNEL_PX`` a side (the same
``paging.readable_page_size`` rule as the maps' ``MIN_TILE_PX``, for a picture of only KxK
weights: a 3x3 kernel at 12 px shows 4 px a weight; the one written out is in numbers above)
and a bar ``MIN_BAR_PX`` wide at the row's size; ◀ ▶ sit at the right end of the titles' row and the
page follows the input channel written out. Every number keeps its global channel index, and
the bars share one scale over all channels (a bar on page 3 compares with one on page 1).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QPointF, QRectF
from PyQt6.QtGui import QColor, QFont, QFontMetricsF

from ...label_fit import fit_label
from ...mosaic import mosaic_layout, range_levels, symmetric_levels, tile
from ...number_grid import DIVERGING_CMAP, GREY_CMAP, image_box
from ...paging import Pager, pager_arrows, readable_page_size
from ...tile_labels import TileNumber, keep_legible
from .main_row import WINDOW_COLOUR, outline

POSITIVE_BRUSH = QColor(200, 40, 40)
NEGATIVE_BRUSH = QColor(40, 80, 210)
MIN_BARS_PX = 60          # the bars' own drawing height, at least
MIN_BAR_PX = 8            # a bar narrower than this is hard to see, and to click
MIN_KERNEL_PX = 12        # a kernel (or patch) thumbnail drawn smaller is a dot
TICK_SPACING_PX = 28      # one channel number per this many pixels of axis, at least
BOX_PADDING = 1.04        # image_box pads its range by 2% each side


def tile_labels(box: pg.ViewBox, layout, items: list, first: int = 0) -> None:
    """Write each tile's index (counting from ``first``) in the gap above it (image
    coordinates, scaled to the gap; hidden while too small for the type around it:
    ``tile_labels.keep_legible``)."""
    for item in items:
        box.removeItem(item)
    items.clear()
    for i in range(layout.count):
        y, x = layout.origin(i)
        item = TileNumber(str(first + i), x, y - layout.gap, 0.9 * layout.gap)
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
    """Patches and kernels of every input channel, and their contributions as bars (a page
    of them when there are many: ``pager``)."""

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
        self._legible = [keep_legible(box, self._tile_items[key]) for key, box in
                         (("patches", self.patches_box), ("kernels", self.kernels_box))]
        self.tiles = None               # the page's MosaicLayout (page-local tile indices)
        self._labelled = None           # (layout, first channel) the tile labels show
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
        # the value axis widens for its labels when painted: the bars' height changes then
        self.bars_plot.vb.sigResized.connect(lambda *_: self._set_value_ticks())
        for column, stretch in ((0, 3), (1, 3), (2, 5)):
            c.layout.setColumnStretchFactor(column, stretch)
        # paging: one page of channels in all three pictures, ◀ ▶ at the titles' right end
        self.pager = Pager()
        self.pager.pageChanged.connect(self._on_page)
        self.prev_label, self.next_label = pager_arrows(self.pager)
        for arrow in (self.prev_label, self.next_label):
            arrow.setParentItem(c)
            arrow.setVisible(False)
        self.graphics.scene().sigMouseClicked.connect(self._on_click)
        self._count = 0
        self._y_range = (0.0, 1.0)      # the bars' value range shown
        self._shown = None              # the ConvPixel drawn last
        self._ci = 0                    # the input channel written out (outlined)
        self._title_pt = "11pt"
        self._font = QFont()

    # -- paging ----------------------------------------------------------------------------
    @property
    def page_start(self) -> int:
        return self.pager.page_start

    @property
    def page_stop(self) -> int:
        return self.pager.page_stop

    def _gap(self, k: int) -> int:
        return max(2, k // 2)

    def _kernel_px(self, n: int, k: int, columns: int) -> float:
        """Pixels a side of ``n`` KxK tiles in ``columns`` columns in the boxes as laid out
        now."""
        layout = mosaic_layout(n, k, k, columns=columns, gap=self._gap(k))
        h, w = layout.shape
        scale = min(self.kernels_box.width() / (w * BOX_PADDING),
                    self.kernels_box.height() / ((h + layout.gap) * BOX_PADDING))
        return scale * k

    def _columns(self, n: int, k: int) -> int:
        """Columns for a page of ``n`` tiles: ten (the row's long-standing look) while that
        keeps them readable, else whichever count draws them largest."""
        if self._kernel_px(n, k, min(10, n)) >= MIN_KERNEL_PX:
            return min(10, n)
        return max(range(1, n + 1), key=lambda c: self._kernel_px(n, k, c))

    def _readable(self, n: int, k: int) -> bool:
        """``n`` channels a page keep a kernel ``MIN_KERNEL_PX`` a side and a bar
        ``MIN_BAR_PX`` wide at the row's current size."""
        bar_px = 0.8 * self.bars_plot.vb.width() / (n + 0.4)
        return (self._kernel_px(n, k, self._columns(n, k)) >= MIN_KERNEL_PX
                and bar_px >= MIN_BAR_PX)

    def kernel_px(self) -> float:
        """Pixels a side of the kernels drawn now (for tests and scripts)."""
        m = self.tiles
        a = self.kernels_box.mapViewToScene(QPointF(0, 0))
        b = self.kernels_box.mapViewToScene(QPointF(m.tile_w, m.tile_h))
        return min(abs(b.x() - a.x()), abs(b.y() - a.y()))

    def _repage(self) -> bool:
        """Choose the channels per page for the row's size; True if the page changed."""
        e = self._shown
        if e is None:
            return False
        count, k = e.kernel.shape[0], e.kernel.shape[-1]
        self.pager.set_count(count)
        size = readable_page_size(count, lambda n: self._readable(n, k))
        return self.pager.set_page_size(size)

    def _on_page(self, _page: int) -> None:
        if self._shown is not None:
            self._draw_page()
            self.fit_titles(self._shown)

    # -- layout ------------------------------------------------------------------------------
    def _on_resize(self) -> None:
        if getattr(self, "_shown", None) is not None:
            self.fit_titles(self._shown)
            self._settle_pages()

    def _settle_pages(self) -> None:
        """Page again until the page size holds: a new page range re-fits the bars' title,
        which can move the columns' widths (three rounds at most)."""
        for _ in range(3):
            if not self._repage():
                return
            self._draw_page()
            self.fit_titles(self._shown)

    def set_fonts(self, font: QFont, title_pt: str, colour=None) -> None:
        """Titles at ``title_pt`` in ``colour`` (None: the default grey); tick labels in
        ``font``."""
        self._title_pt = title_pt
        self._font = QFont(font)
        for title in (self.patches_title, self.kernels_title, self.bars_title,
                      self.prev_label, self.next_label):
            title.opts["color"] = colour
            title.setText(title.text, size=title_pt)
        # title + tick labels + the bars themselves: the row never squeezes the bars flat
        line = QFontMetricsF(font).height()
        title = QFontMetricsF(QFont(font.family(), int(round(float(title_pt[:-2]))))).height()
        self.graphics.setMinimumHeight(int(title + line + MIN_BARS_PX + 30))

    def _arrow_width(self) -> float:
        return self.prev_label.item.boundingRect().width()

    def fit_titles(self, e) -> None:
        """Titles no wider than their columns (stretch 3 : 3 : 5); the pager's arrows at the
        right end of the bars' title."""
        share = max(1, self.graphics.width() - 20) / 11
        name = f"{e.layer}[{e.channel}]"
        # a narrow column keeps the layer's name and drops the other words
        fit_label(self.patches_title, [f"patches ({e.input_name})", e.input_name], 3 * share)
        fit_label(self.kernels_title, [f"kernels {name}", name], 3 * share)
        # the mosaics' columns may be wider than their share (their titles): what is left
        left = self.graphics.width() - 30 - self.patches_box.width() - self.kernels_box.width()
        paging = self.pager.pages > 1
        arrows = 2 * self._arrow_width() + 6 if paging else 0.0
        page, short = self.pager.text(), self.pager.text(compact=True)
        texts = [t + page for t in ("channel contributions", "contributions", "Σ per channel")]
        texts += [f"Σ {short}", "Σ"] if paging else ["Σ"]
        justify = "left" if paging else "center"     # the arrows at the right end
        if self.bars_title.opts.get("justify") != justify:
            self.bars_title.setAttr("justify", justify)
        fit_label(self.bars_title, texts, max(min(5 * share, max(left, 1)) - arrows, 1))
        # the scene's layout was stretched to the longer titles' minimum width: back to the
        # view's width, and the columns for the new titles laid out now
        self.graphics.ci.setGeometry(QRectF(self.graphics.viewport().rect()))
        self.graphics.ci.layout.activate()
        self._place_arrows(paging)
        self._set_ticks()

    def _place_arrows(self, paging: bool) -> None:
        row = self.bars_title.geometry()
        right = self.bars_plot.geometry().right()
        a = self._arrow_width()
        for i, arrow in enumerate((self.prev_label, self.next_label)):
            arrow.setVisible(paging)
            arrow.setGeometry(QRectF(right - (2 - i) * a, row.top(), a, row.height()))

    # -- drawing -------------------------------------------------------------------------------
    def draw(self, e, ci: int) -> None:
        """Input channels of ``e`` (a ``ConvPixel``), a page of them when there are many;
        channel ``ci`` outlined (its page is turned to when ``ci`` changes)."""
        new_ci = ci != self._ci or self._shown is None or \
            (self._shown.layer, self._shown.channel) != (e.layer, e.channel)
        self._shown, self._ci = e, ci
        self._count = e.kernel.shape[0]
        self._repage()
        if new_ci:
            self.pager.show_index(ci)       # (drawn by its signal, then again below: cheap)
        self._draw_page()
        self.fit_titles(e)
        self._settle_pages()
        if new_ci:
            self.pager.show_index(ci)

    def _draw_page(self) -> None:
        e, ci = self._shown, self._ci
        k = e.kernel.shape[-1]
        start, stop = self.page_start, self.page_stop
        n = stop - start
        columns = self._columns(n, k)
        layout = mosaic_layout(n, k, k, columns=columns, gap=self._gap(k))
        if self._labelled != (layout, start):
            self.tiles, self._labelled = layout, (layout, start)
            tile_labels(self.patches_box, layout, self._tile_items["patches"], start)
            tile_labels(self.kernels_box, layout, self._tile_items["kernels"], start)
            h, w = layout.shape
            for box in (self.patches_box, self.kernels_box):
                box.setRange(xRange=(0, w), yRange=(-layout.gap, h), padding=0.02)
            for watch in self._legible:
                watch.check()
        patches = tile(e.patch[start:stop], layout)
        self.patches_image.setImage(patches, autoLevels=False, levels=range_levels(e.patch))
        kernels = tile(e.kernel[start:stop], layout)
        self.kernels_image.setImage(kernels, autoLevels=False, levels=symmetric_levels(e.kernel))
        on_page = start <= ci < stop
        if on_page:
            y, x = layout.origin(ci - start)
            for rect in (self.patches_sel, self.kernels_sel):
                rect.setRect(QRectF(x, y, k, k))
        for rect in (self.patches_sel, self.kernels_sel):
            rect.setVisible(on_page)

        contributions = e.contributions
        shown = contributions[start:stop]
        brushes = [POSITIVE_BRUSH if v >= 0 else NEGATIVE_BRUSH for v in shown]
        pens = [pg.mkPen("w", width=3) if i == ci else pg.mkPen(None) for i in range(start, stop)]
        self.bars.setOpts(x=np.arange(start, stop), height=shown, width=0.8, brushes=brushes,
                          pens=pens)
        # one scale for every page: the range all the bars span (with 0); all-positive bars
        # use the whole height
        lo, hi = min(0.0, float(contributions.min())), max(0.0, float(contributions.max()))
        margin = 0.08 * ((hi - lo) or 1.0)
        self._y_range = (lo - (margin if lo < 0 else 0), hi + margin)
        self.bars_plot.setRange(xRange=(start - 0.7, stop - 0.3), yRange=self._y_range,
                                padding=0)

    def _set_ticks(self) -> None:
        """One row of channel numbers (global), as many as fit the axis."""
        if not self._count:
            return
        start, stop = self.page_start, self.page_stop
        width = max(1.0, self.bars_plot.vb.width())
        # room for the widest number in the axis's font (large in presentation mode)
        axis = self.bars_plot.getAxis("bottom")
        fonts = [f for f in (self._font, axis.style.get("tickFont")) if f is not None]
        label = max(QFontMetricsF(f).horizontalAdvance(str(stop - 1)) for f in fonts)
        spacing = max(TICK_SPACING_PX, label + 10)
        step = max(1, math.ceil((stop - start) * spacing / width))
        self.bars_plot.getAxis("bottom").setTicks(
            [[(i, str(i)) for i in range(start, stop, step)], []])
        self._set_value_ticks()

    def _set_value_ticks(self) -> None:
        """The value axis's own ticks while they fit its height; else every second (third...)
        of them, 0 kept: 20 pt labels on a 60 px axis were drawn over each other."""
        if not self._count:
            return
        axis = self.bars_plot.getAxis("left")
        height = self.bars_plot.vb.height()
        font = axis.style.get("tickFont") or self._font
        room = max(2, int(height // (1.25 * QFontMetricsF(font).height())))
        lo, hi = self._y_range
        levels = axis.tickValues(lo, hi, max(height, 1.0)) if hi > lo else []
        values = [float(v) for v in levels[0][1]] if levels else []
        if len(values) + sum(len(level[1]) for level in levels[1:]) <= room:
            axis.setTicks(None)                 # pyqtgraph's own ticks fit
            return
        zero = min(range(len(values)), key=lambda i: abs(values[i])) if values else 0
        step = max(1, math.ceil(len(values) / room))
        while len(values[zero % step::step]) > room:
            step += 1
        axis.setTicks([[(v, f"{v:g}") for v in values[zero % step::step]], []])

    def bar_rect(self, index: int) -> QRectF:
        """Global channel ``index``'s bar in the row's viewport pixels (on the page shown;
        for tests and scripts)."""
        height = float(self.bars.opts["height"][index - self.page_start])
        vb = self.bars_plot.vb
        corners = [self.graphics.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
                   for x, y in ((index - 0.4, 0.0), (index + 0.4, height))]
        return QRectF(QPointF(corners[0]), QPointF(corners[1])).normalized()

    def tile_to_scene(self, index: int, box: str = "kernels") -> QPointF:
        """Scene position of the centre of global channel ``index``'s tile (on the page
        shown) in the ``"kernels"`` or ``"patches"`` mosaic."""
        y, x = self.tiles.origin(index - self.page_start)
        k = self.tiles.tile_h
        target = self.kernels_box if box == "kernels" else self.patches_box
        return target.mapViewToScene(QPointF(x + k / 2, y + k / 2))

    def _on_click(self, event) -> None:
        pos = event.scenePos()
        if any(arrow.isVisible() and arrow.sceneBoundingRect().contains(pos)
               for arrow in (self.prev_label, self.next_label)):
            return                           # the arrow turns the page itself
        if self.bars_plot.sceneBoundingRect().contains(pos):
            x = int(round(self.bars_plot.vb.mapSceneToView(pos).x()))
            if self.page_start <= x < self.page_stop:
                self._on_select(x)
            return
        for box in (self.patches_box, self.kernels_box):
            if box.sceneBoundingRect().contains(pos) and self.tiles is not None:
                p = box.mapSceneToView(pos)
                hit = self.tiles.tile_at(p.y(), p.x())
                if hit is not None:
                    self._on_select(self.page_start + hit[0])
                return
