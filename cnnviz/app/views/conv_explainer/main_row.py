"""The explainer's first row: where the window is | patch × kernel = products | the output map.

Panels are placed by hand (``arrange``) on one canvas: one row when wide, two or three rows
when narrow, so nothing is cut off and the numbers stay as large as the view allows. In large
type (presentation mode) the input may also stack over the output map in one column
(``MAPS``, ``LARGE_TYPE_TEMPLATES``): on the wide, short stage the three grids get the width,
and with it the height left free below them, that 18 pt numbers need.
The input is drawn with its zero padding as a dark border (outlined in yellow: the real input
is inside), the window outlined in red; border cells of the patch are outlined in yellow too.

Numbers: every grid writes as many decimals (at most ``MOST_PLACES``) as let its widest
number reach the type floor, ``MIN_TEXT_PX`` or, in large type (presentation mode), 18 pt
(``tile_labels.floor_px``); when even one decimal does not, its numbers are hidden and the
colours tell the story (as the mosaics do with their tile numbers).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF
from PyQt6.QtGui import QColor, QFont, QFontMetricsF, QPainterPath, QPen
from PyQt6.QtWidgets import QGraphicsPathItem, QGraphicsRectItem

from ...fit_layout import Option, Placement, arrange_with_title_room
from ...image_panel import FitCanvas
from ...label_fit import TEXT_MARGIN, fit_label, label_font, text_width
from ...mosaic import range_levels, symmetric_levels
from ...number_grid import (DIVERGING_CMAP, GREY_CMAP, NumberGrid, format_number, image_box,
                            number_px)
from ...tile_labels import floor_px, show_if_legible

MAPS = "maps"            # the input over the output map, one column (a key of the templates)
# rows of panels: one row when wide, two or three when narrow
MAIN_TEMPLATES = [
    [["input", "patch", "times", "kernel", "equals", "products", "output"]],
    [["input", "patch", "times", "kernel"], ["equals", "products", "output"]],
    [["patch", "times", "kernel", "equals", "products"], ["input", "output"]],
    [["input", "output"], ["patch", "times", "kernel"], ["equals", "products"]],
]
# in large type also the maps stacked in one column: the grids get the width 18 pt needs
LARGE_TYPE_TEMPLATES = MAIN_TEMPLATES + [[[MAPS, "patch", "times", "kernel", "equals",
                                           "products"]]]
MIN_TEXT_PX = 7.0        # smallest number size in a grid cell (pixels) before dropping decimals
MOST_PLACES = {"patch": 2, "kernel": 2, "products": 3}    # decimals in big cells
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

    def __init__(self) -> None:
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
        self._values: dict[str, tuple] = {}    # grid key -> (values (K, K), colour levels)
        self._places: dict[str, int] = {}      # grid key -> decimals written
        self._font = QFont()

    # -- fonts and layout ----------------------------------------------------------------------
    def set_fonts(self, title_pt: str, sign_pt: str, font: QFont, colour=None) -> None:
        """Titles at ``title_pt``, × and = at ``sign_pt``, in ``colour`` (None: the default
        grey); ``font``: the view's (its size sets the numbers' floor)."""
        self.title_pt = title_pt
        self._font = QFont(font)
        for label, size in [(t, title_pt) for t in self.titles.values()] + \
                [(s, sign_pt) for s in self.signs.values()]:
            label.opts["color"] = colour
            label.setText(label.text, size=size)
        self.arrange()
        self.write_numbers()            # the type floor follows the font

    def arrange(self, *_args) -> None:
        """Place input | patch × kernel = products | output for the canvas's size."""
        size = self.canvas.size()
        if not self.title_pt or size.width() < 20 or size.height() < 20:
            return
        k = self.kernel_size
        spacing = 6.0
        sign_w = max(s.minimumWidth() for s in self.signs.values()) + 4
        title_px = max(t.minimumHeight() for t in self.titles.values()) + 2
        side = max(self.source_size, self.output_size)

        def options_for(widen: dict) -> dict:
            return {
                "input": [Option(None, 1.0, self.source_size, widen.get("input", 0.0))],
                "output": [Option(None, 1.0, self.output_size, widen.get("output", 0.0))],
                # two square maps and the output's title in a column of content height H:
                # each map (H - title - spacing) / 2 a side (wider if its titles need it)
                MAPS: [Option(None, 0.5, 2 * side,
                              widen.get(MAPS, 0.0) - (title_px + spacing) / 2)],
                "patch": [Option(None, 1.0, k)], "kernel": [Option(None, 1.0, k)],
                "products": [Option(None, 1.0, k)],
                "times": [Option(None, 1e-3, 1, extra_w=sign_w)],
                "equals": [Option(None, 1e-3, 1, extra_w=sign_w)]}

        # the maps' titles at their full size (a narrow column would shrink them)
        need = dict.fromkeys(["patch", "kernel", "products", "times", "equals"], 0.0)
        need.update({key: self._title_need(key) for key in ("input", "output")})
        need[MAPS] = max(need["input"], need["output"])
        _, placements = arrange_with_title_room(
            size.width(), size.height(),
            LARGE_TYPE_TEMPLATES if floor_px(self._font) > 0 else MAIN_TEMPLATES,
            options_for, need, rounds=3,
            title_px=title_px, spacing=spacing,
            titled={"input", "output", "patch", "kernel", "products", MAPS},
            weights={"times": 0.0, "equals": 0.0, "input": 0.5, "output": 0.5, MAPS: 1.0,
                     "products": 1.5})
        self.placements = _split_maps(placements, title_px, spacing)
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
        cell = self._drawn_cell_px() if self.placements else 0.0
        if abs(cell - self.cell_px) > 0.5:
            self.cell_px = cell
            self.write_numbers()

    # -- numbers ---------------------------------------------------------------------------------
    def _drawn_cell_px(self) -> float:
        """One cell of the grids on screen, pixels (the boxes pad their range a little)."""
        box = self.product_grid.box
        if box.width() < 2 or box.height() < 2:
            return 0.0
        px_w, px_h = box.viewPixelSize()
        return 1.0 / max(px_w, px_h, 1e-9)

    def grids(self) -> dict[str, NumberGrid]:
        return {"patch": self.patch_grid, "kernel": self.kernel_grid,
                "products": self.product_grid}

    def floor_px(self) -> float:
        """The least pixel size a grid's number may be drawn at: 18 pt in large type."""
        return max(MIN_TEXT_PX, floor_px(self._font))

    def places(self, values: np.ndarray, most: int) -> tuple[int, bool, bool]:
        """``(decimals, fits, snug)``: the decimals to write ``values`` with in the cells as
        laid out now (``most`` down to one), whether they reach the type floor with them
        (else they are hidden) and whether only by filling the cells a little more."""
        floor = self.floor_px()
        for places in range(most, 0, -1):
            texts = [format_number(v, "{:.%df}" % places) for v in np.ravel(values)]
            if number_px(texts, self.cell_px) >= floor:
                return places, True, False
        # one decimal, the cells filled a little more: before hiding them, as CellNumbers
        snug = number_px(texts, self.cell_px, snug=True) >= floor
        return 1, snug, snug

    def decimals(self) -> int:
        """Decimals of the products' numbers: 3 in big cells, fewer in small ones."""
        return self._places.get("products", MOST_PLACES["products"])

    def write_numbers(self) -> None:
        """Write every grid's numbers with the decimals that fit its cells now (hidden when
        even one does not reach the floor; ``show_if_legible`` checks the drawn size)."""
        for key, grid in self.grids().items():
            if key not in self._values:
                continue
            values, levels = self._values[key]
            places, fits, snug = self.places(values, MOST_PLACES[key])
            self._places[key] = places
            grid.set_values(values, levels, fmt="{:.%df}" % places, snug=snug)
            if fits:
                show_if_legible(grid.items(), self._font)
            else:
                grid.set_visible_numbers(False)

    def _title_need(self, key: str) -> float:
        """Pixels the shortest of ``key``'s titles needs at its full size."""
        texts = self._title_texts.get(key)
        if not texts:
            return 0.0
        label = self.titles[key]
        return text_width(QFontMetricsF(label_font(label)), texts[-1]) + TEXT_MARGIN

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
        self._values = {"patch": (patch, (min(lo, 0.0), hi)),
                        "kernel": (kernel, symmetric_levels(e.kernel)),
                        "products": (products, symmetric_levels(products))}
        if not relayout:
            self.write_numbers()            # (a new layout writes them for its cells)
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
            self.cell_px = 0.0              # the new cells: numbers written for them
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


def _split_maps(placements: dict, title_px: float, spacing: float) -> dict:
    """``placements`` with a ``MAPS`` column replaced by the input above the output map."""
    if MAPS not in placements:
        return placements
    column = placements.pop(MAPS)
    x, y, w, h = column.rect
    half = (h - spacing) / 2
    content = half - title_px
    placements["input"] = Placement(None, (x, y, w, half), content)
    placements["output"] = Placement(None, (x, y + half + spacing, w, half), content)
    return placements
