"""A small array drawn as coloured cells with its value written in every cell.

Used by the classroom explainers (a 5x5 patch, kernel and products; a 10x10 confusion
matrix). The numbers are drawn in image coordinates, so they grow with the widget and stay
inside their cells at any size: on a projector, a maximised view gives big numbers. They are
as large as lets the widest fit its cell (``cell_numbers.fitting_size``, the rule the
confusion matrix's counts follow), so ``number_px(cell_px)`` tells the pixel size they come
out at before drawing; each is a ``GridNumber`` (checks tell grid numbers from other text).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtGui import QColor, QFont, QPainterPath, QPen, QTransform
from PyQt6.QtWidgets import QGraphicsPathItem, QGraphicsSimpleTextItem

from .cell_numbers import NUMBER_HEIGHT, NUMBER_WIDTH, SMALL_HEIGHT, SMALL_WIDTH, fitting_size

DIVERGING_CMAP = "CET-D1"   # signed values, levels symmetric around 0
GREY_CMAP = "CET-L1"        # the input digit / unsigned values


def image_box(layout: pg.GraphicsLayout, row: int | None = None, col: int | None = None
              ) -> pg.ViewBox:
    """A y-inverted, aspect-locked, mouse-free ViewBox (row 0 of an image at the top)."""
    return layout.addViewBox(row=row, col=col, invertY=True, lockAspect=True,
                             enableMouse=False, enableMenu=False, defaultPadding=0.02)


def text_colour(fraction: float, dark_ends: bool) -> QColor:
    """Black or white text, whichever reads better on a cell at ``fraction`` (0..1) of its map.

    ``dark_ends``: the colour map is dark at both ends (diverging) rather than only at 0.
    """
    dark = abs(fraction - 0.5) > 0.32 if dark_ends else fraction < 0.55
    return QColor(255, 255, 255) if dark else QColor(0, 0, 0)


class GridNumber(QGraphicsSimpleTextItem):
    """One number written in a cell of a ``NumberGrid``."""


def format_number(value: float, fmt: str) -> str:
    """``fmt.format(value)`` without the confusing ``-0.00`` of a tiny negative number."""
    text = fmt.format(value)
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def number_px(texts, cell_px: float, snug: bool = False) -> float:
    """Pixel size ``texts`` (any strings) are written at in square cells ``cell_px`` a side:
    the largest bold size at which the widest fits (``cell_numbers.fitting_size``; ``snug``:
    filling the cells a little more, as ``CellNumbers`` does in truly small cells)."""
    strings = [str(t) for t in np.ravel(texts)]
    if not strings:
        return 0.0
    height, width = (SMALL_HEIGHT, SMALL_WIDTH) if snug else (NUMBER_HEIGHT, NUMBER_WIDTH)
    return min(fitting_size(t, cell_px, cell_px, height, width) for t in strings)


class NumberGrid:
    """A title over a ViewBox showing ``values (H, W)`` as colours with numbers on top.

    The title goes in ``(row, col)`` of ``layout`` and the grid in ``(row + 1, col)``, so
    grids side by side share one row and get the same height. ``texts`` holds the strings
    shown, so tests can read what the audience reads.
    """

    def __init__(self, layout: pg.GraphicsLayout, row: int, col: int, shape: tuple[int, int],
                 cmap: str = DIVERGING_CMAP, title: str = "", title_size: str = "14pt") -> None:
        self.shape = shape
        self.cmap = cmap
        self.title = layout.addLabel(title, row=row, col=col, size=title_size)
        self.box = image_box(layout, row=row + 1, col=col)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get(cmap))
        self.box.addItem(self.image)
        self._items: list[list[GridNumber]] = []
        self._lines: QGraphicsPathItem | None = None
        self.set_shape(shape)

    def set_shape(self, shape: tuple[int, int]) -> None:
        """Make the grid ``shape`` cells (a kernel of another size): new text items and lines."""
        shape = (int(shape[0]), int(shape[1]))
        if self._items and shape == self.shape:
            return
        for row in self._items:
            for item in row:
                self.box.removeItem(item)
        if self._lines is not None:
            self.box.removeItem(self._lines)
        self.shape = shape
        font = QFont()
        font.setPixelSize(100)
        font.setBold(True)
        self._items = []
        for r in range(shape[0]):
            row_items = []
            for c in range(shape[1]):
                item = GridNumber("")
                item.setFont(font)
                item.setZValue(5)
                self.box.addItem(item, ignoreBounds=True)
                row_items.append(item)
            self._items.append(row_items)
        self.texts = np.full(shape, "", dtype=object)
        # Thin lines between the cells, so zeros on a black cell still read as a grid.
        path = QPainterPath()
        for r in range(shape[0] + 1):
            path.moveTo(0, r)
            path.lineTo(shape[1], r)
        for c in range(shape[1] + 1):
            path.moveTo(c, 0)
            path.lineTo(c, shape[0])
        lines = QGraphicsPathItem(path)
        pen = QPen(QColor(110, 110, 110))
        pen.setCosmetic(True)
        pen.setWidthF(1.0)
        lines.setPen(pen)
        lines.setZValue(4)
        self.box.addItem(lines, ignoreBounds=True)
        self._lines = lines
        self.box.setRange(xRange=(0, shape[1]), yRange=(0, shape[0]), padding=0.02)

    def set_title(self, text: str) -> None:
        self.title.setText(text)

    def set_values(self, values: np.ndarray, levels: tuple[float, float],
                   texts: np.ndarray | None = None, fmt: str = "{:.2f}",
                   snug: bool = False) -> None:
        """Colour ``values (H, W)`` with fixed ``levels`` and write ``texts`` (or formatted
        values; ``snug``: filling the cells a little more, see ``number_px``)."""
        values = np.asarray(values, dtype=np.float64)
        self.image.setImage(values, autoLevels=False, levels=levels)
        if texts is None:
            texts = np.array([[format_number(v, fmt) for v in row] for row in values],
                             dtype=object)
        self.texts = texts
        lo, hi = levels
        fractions = np.clip((values - lo) / ((hi - lo) or 1.0), 0, 1)
        dark_ends = self.cmap == DIVERGING_CMAP
        # one font size for the whole grid (the widest number fits its cell), so numbers
        # line up; in cell units, as the items are drawn in the image's coordinates
        size = number_px(texts, 1.0, snug)
        sample = self._items[0][0]
        sample.setText("0")
        line_h = sample.boundingRect().height()
        scale = size / sample.font().pixelSize()
        for r in range(self.shape[0]):
            for c in range(self.shape[1]):
                item = self._items[r][c]
                item.setText(texts[r, c])
                item.setBrush(text_colour(float(fractions[r, c]), dark_ends))
                w = item.boundingRect().width() * scale
                item.setTransform(QTransform.fromScale(scale, scale))
                item.setPos(c + 0.5 - w / 2, r + 0.5 - line_h * scale / 2)

    def items(self) -> list[GridNumber]:
        """Every number item, row by row."""
        return [item for row in self._items for item in row]

    def set_visible_numbers(self, visible: bool) -> None:
        for row in self._items:
            for item in row:
                item.setVisible(visible)
