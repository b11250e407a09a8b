"""The explainer's first row: where the window is | patch × kernel = products | the output map.

Panels are placed by hand (``arrange``) on one canvas: one row when wide, two or three rows
when narrow, so nothing is cut off and the numbers stay as large as the view allows. The
input is drawn with its zero padding as a dark border (outlined in yellow: the real input is
inside), the window outlined in red; border cells of the patch are outlined in yellow too.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF
from PyQt6.QtGui import QColor, QPainterPath, QPen
from PyQt6.QtWidgets import QGraphicsPathItem, QGraphicsRectItem

from ...fit_layout import Option, arrange
from ...image_panel import FitCanvas
from ...label_fit import fit_label
from ...mosaic import range_levels, symmetric_levels
from ...number_grid import DIVERGING_CMAP, GREY_CMAP, NumberGrid, image_box

# rows of panels: one row when wide, two or three when narrow
MAIN_TEMPLATES = [
    [["input", "patch", "times", "kernel", "equals", "products", "output"]],
    [["input", "patch", "times", "kernel"], ["equals", "products", "output"]],
    [["patch", "times", "kernel", "equals", "products"], ["input", "output"]],
    [["input", "output"], ["patch", "times", "kernel"], ["equals", "products"]],
]
MIN_TEXT_PX = 7.0        # smallest number height in a grid cell before dropping decimals
DIGIT_ASPECT = 0.62      # a digit's width / height in the grid's bold font
WINDOW_COLOUR = QColor(255, 70, 70)
BORDER_COLOUR = QColor(240, 200, 40)


def outline(colour: QColor, width: float = 3.0, dashed: bool = False) -> QGraphicsRectItem:
    item = QGraphicsRectItem()
    pen = QPen(colour)
    pen.setCosmetic(True)
    pen.setWidthF(width)
    if dashed:
        pen.setDashPattern([4.0, 3.0])
    item.setPen(pen)
    item.setZValue(10)
    return item


class MainRow:
    """The canvas of the first row; ``draw(e, ...)`` shows one ``ConvPixel``."""

    def __init__(self, on_cell_change) -> None:
        self._on_cell_change = on_cell_change
        self.title_pt = ""              # set by set_fonts; no layout before it
        self.placements: dict = {}
        self.cell_px = 0.0              # on-screen size of one cell of the K x K grids
        self.kernel_size = 5
        self.source_size = 28           # the (padded) input's side, for the layout
        self.output_size = 24
        self.graphics = pg.GraphicsView(background="k")
        self.canvas = FitCanvas(self.arrange)
        self.graphics.setCentralItem(self.canvas)
        self.panels: dict[str, pg.GraphicsLayout] = {}

        def panel(key: str) -> pg.GraphicsLayout:
            layout = pg.GraphicsLayout()
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setSpacing(0)
            layout.setParentItem(self.canvas)
            self.panels[key] = layout
            return layout

        g = panel("input")
        self.input_title = g.addLabel("", row=0, col=0)
        self.input_box = image_box(g, row=1, col=0)
        self.input_image = pg.ImageItem(axisOrder="row-major")
        self.input_image.setColorMap(pg.colormap.get(GREY_CMAP))
        self.input_box.addItem(self.input_image)
        self.pad_frame = outline(BORDER_COLOUR, 1.5, dashed=True)   # the real input's edge
        self.input_box.addItem(self.pad_frame, ignoreBounds=True)
        self.patch_rect = outline(WINDOW_COLOUR)
        self.input_box.addItem(self.patch_rect, ignoreBounds=True)

        self.patch_grid = NumberGrid(panel("patch"), 0, 0, (5, 5), GREY_CMAP, "input patch")
        self.kernel_grid = NumberGrid(panel("kernel"), 0, 0, (5, 5), DIVERGING_CMAP, "kernel")
        self.product_grid = NumberGrid(panel("products"), 0, 0, (5, 5), DIVERGING_CMAP,
                                       "products")
        self.border_cells = QGraphicsPathItem()     # the patch's cells on the zero border
        pen = QPen(BORDER_COLOUR)
        pen.setCosmetic(True)
        pen.setWidthF(2.0)
        pen.setDashPattern([3.0, 2.0])
        self.border_cells.setPen(pen)
        self.border_cells.setZValue(6)
        self.patch_grid.box.addItem(self.border_cells, ignoreBounds=True)
        self.signs = {}
        for key, text in (("times", "×"), ("equals", "=")):
            sign = pg.LabelItem(text)
            sign.setParentItem(self.canvas)
            self.signs[key] = sign

        g = panel("output")
        self.output_title = g.addLabel("", row=0, col=0)
        self.output_box = image_box(g, row=1, col=0)
        self.output_image = pg.ImageItem(axisOrder="row-major")
        self.output_image.setColorMap(pg.colormap.get("viridis"))
        self.output_box.addItem(self.output_image)
        self.pixel_rect = outline(WINDOW_COLOUR)
        self.output_box.addItem(self.pixel_rect, ignoreBounds=True)
        self.pool_rect = outline(QColor(255, 255, 255), 2.0)
        self.output_box.addItem(self.pool_rect, ignoreBounds=True)
        self.titles = {"input": self.input_title, "patch": self.patch_grid.title,
                       "kernel": self.kernel_grid.title, "products": self.product_grid.title,
                       "output": self.output_title}
        self._title_texts: dict[str, list[str]] = {}
        self._title_widths: dict[str, float] = {}

    # -- fonts and layout ----------------------------------------------------------------------
    def set_fonts(self, title_pt: str, sign_pt: str) -> None:
        self.title_pt = title_pt
        for title in self.titles.values():
            title.setText(title.text, size=title_pt)
        for sign in self.signs.values():
            sign.setText(sign.text, size=sign_pt)
        self.arrange()

    def arrange(self, *_args) -> None:
        """Place input | patch × kernel = products | output for the canvas's size."""
        size = self.canvas.size()
        if not self.title_pt or size.width() < 20 or size.height() < 20:
            return
        k = self.kernel_size
        sign_w = max(s.minimumWidth() for s in self.signs.values()) + 4
        options = {"input": [Option(None, 1.0, self.source_size)],
                   "output": [Option(None, 1.0, self.output_size)],
                   "patch": [Option(None, 1.0, k)], "kernel": [Option(None, 1.0, k)],
                   "products": [Option(None, 1.0, k)],
                   "times": [Option(None, 1e-3, 1, extra_w=sign_w)],
                   "equals": [Option(None, 1e-3, 1, extra_w=sign_w)]}
        title_px = max(t.minimumHeight() for t in self.titles.values()) + 2
        self.placements = arrange(
            size.width(), size.height(), MAIN_TEMPLATES, options, title_px=title_px, spacing=6,
            titled={"input", "output", "patch", "kernel", "products"},
            weights={"times": 0.0, "equals": 0.0, "input": 0.5, "output": 0.5,
                     "products": 1.5})
        for key, place in self.placements.items():
            x, y, pw, ph = place.rect
            if key in self.signs:
                sign = self.signs[key]
                sh = sign.minimumHeight()
                sign.setGeometry(QRectF(x, y + ph - place.content_h / 2 - sh / 2, pw, sh))
                continue
            self._title_widths[key] = pw
            self._fit_title(key)
            self.panels[key].setGeometry(QRectF(x, y, pw, ph))
            self.panels[key].layout.activate()     # now, not in a later event-loop turn
        for box in (self.input_box, self.output_box, self.patch_grid.box, self.kernel_grid.box,
                    self.product_grid.box):
            box.updateViewRange()              # the images follow their boxes' new size now
            box.updateMatrix()
        cell = self.placements["products"].content_h / k if self.placements else 0.0
        if abs(cell - self.cell_px) > 0.5:
            old = self.decimals()
            self.cell_px = cell
            if self.decimals() != old:
                self._on_cell_change()

    def decimals(self) -> int:
        """Decimals of the products' numbers: 3 in big cells, fewer in small ones, so a
        number written across 90% of its cell is at least ``MIN_TEXT_PX`` tall."""
        for places in (3, 2, 1):
            chars = places + 3                              # "-0.123"
            if 0.9 * self.cell_px / (chars * DIGIT_ASPECT) >= MIN_TEXT_PX:
                return places
        return 0

    def _fit_title(self, key: str) -> None:
        texts = self._title_texts.get(key)
        width = self._title_widths.get(key)
        if texts and width:
            fit_label(self.titles[key], texts, width)

    def set_title(self, key: str, texts: list[str]) -> None:
        self._title_texts[key] = texts
        self._fit_title(key)

    # -- drawing -----------------------------------------------------------------------------
    def draw(self, e, source: np.ndarray, out: np.ndarray, ci: int) -> None:
        """Show ``e`` (a ``ConvPixel``): ``source (H, W)`` is input channel ``ci`` of the
        conv (unpadded), ``out (h, w)`` the map that shows the pixel."""
        k, p = e.kernel_size, e.padding
        many = len(e.contributions) > 1
        name = f"{e.layer}[{e.channel}]"
        relayout = (k, source.shape[1] + 2 * p, out.shape[0]) != \
            (self.kernel_size, self.source_size, self.output_size)
        self.kernel_size, self.source_size, self.output_size = \
            k, source.shape[1] + 2 * p, out.shape[0]
        for grid in (self.patch_grid, self.kernel_grid, self.product_grid):
            grid.set_shape((k, k))

        # the input with its zero border; coordinates stay those of the unpadded input
        h, w = source.shape
        shown = np.pad(source, p) if p else source
        lo, hi = range_levels(source)
        self.input_image.setImage(shown, autoLevels=False, levels=(min(lo, 0.0), hi))
        self.input_image.setRect(QRectF(-p, -p, w + 2 * p, h + 2 * p))
        self.input_box.setRange(xRange=(-p, w + p), yRange=(-p, h + p), padding=0.02)
        self.pad_frame.setVisible(p > 0)
        self.pad_frame.setRect(QRectF(0, 0, w, h))
        self.patch_rect.setRect(QRectF(e.left, e.top, k, k))
        where = "input digit" if e.input_name == "input" else f"{e.input_name}[{ci}]"
        pad = f" + zero border {p}" if p else ""
        self.set_title("input", [f"{where}{pad}, window at ({e.top}, {e.left})",
                                 f"{where}, window at ({e.top}, {e.left})",
                                 f"{where} ({e.top}, {e.left})", where, "input"])

        patch, kernel, products = e.patch[ci], e.kernel[ci], e.products[ci]
        places = self.decimals()
        small = "{:.%df}" % min(2, places)
        self.patch_grid.set_values(patch, (min(lo, 0.0), hi), fmt=small)
        self.kernel_grid.set_values(kernel, symmetric_levels(e.kernel), fmt=small)
        self.product_grid.set_values(products, symmetric_levels(products),
                                     fmt="{:.%df}" % places)
        for grid in (self.patch_grid, self.kernel_grid, self.product_grid):
            grid.set_visible_numbers(self.cell_px * 0.42 >= MIN_TEXT_PX * 0.8)
        path = QPainterPath()
        for r, c in zip(*np.nonzero(e.border)):
            path.addRect(QRectF(float(c) + 0.06, float(r) + 0.06, 0.88, 0.88))
        self.border_cells.setPath(path)
        self.set_title("patch", [f"input patch [{ci}]", "patch"] if many
                       else ["input patch", "patch"])
        self.set_title("kernel", [f"kernel {name}" + (f"[{ci}]" if many else ""), "kernel"])
        self.set_title("products", [f"products: Σ = {products.sum():.3f}",
                                    f"Σ = {products.sum():.3f}", "products"])

        # the output map with the pixel and its pool window marked
        self.output_image.setImage(out, autoLevels=False, levels=range_levels(out))
        self.output_box.setRange(xRange=(0, out.shape[1]), yRange=(0, out.shape[0]),
                                 padding=0.02)
        self.pixel_rect.setRect(QRectF(e.col, e.row, 1, 1))
        pool = e.pool
        self.pool_rect.setVisible(pool is not None)
        if pool is not None:
            self.pool_rect.setRect(QRectF(pool.cell[1] * pool.stride, pool.cell[0] * pool.stride,
                                          pool.window, pool.window))
        after = f" after {e.activation_name}" if e.activation_name else ""
        self.set_title("output", [f"{name}{after}", name])
        if relayout or not self.placements:
            self.arrange()

    def pixel_at(self, scene_pos, shape) -> tuple[int, int] | None:
        """``(row, col)`` of the output map under a scene position, or None."""
        if not self.output_box.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.output_box.mapSceneToView(scene_pos)
        row, col = int(np.floor(p.y())), int(np.floor(p.x()))
        if 0 <= row < shape[0] and 0 <= col < shape[1]:
            return row, col
        return None
