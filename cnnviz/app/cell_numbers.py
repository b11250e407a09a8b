"""Numbers written in the cells of a grid drawn in a ViewBox, sized in screen pixels.

A count in a 40 px cell of a projected confusion matrix should be about 20 px, not the fixed
7 px it once was: ``CellNumbers`` picks one bold font size for the whole grid, as large as
lets the widest number fit its cell (``NUMBER_HEIGHT`` of the height, ``NUMBER_WIDTH`` of the
width). Only when even that is below ``MIN_NUMBER_PX`` (truly small cells) are numbers left
out: the zeros first (the colour says "none"), then any that still do not fit at that size.

The text items ignore the view's transformation (their font is in screen pixels, so they stay
crisp and are not stretched when the cells are not square); ``fit()`` re-sizes them after a
resize or a change of range.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QFont, QFontMetricsF, QTransform
from PyQt6.QtWidgets import QGraphicsItem, QGraphicsSimpleTextItem

NUMBER_HEIGHT = 0.7     # a number's font size: at most this share of the cell's height...
NUMBER_WIDTH = 0.85     # ...and the widest number at most this share of the cell's width
MIN_NUMBER_PX = 9       # smaller than this cannot be read
SMALL_HEIGHT, SMALL_WIDTH = 0.85, 0.95     # in truly small cells: fill them a little more


def bold_font(pixels: int) -> QFont:
    font = QFont()
    font.setPixelSize(max(1, int(pixels)))
    font.setBold(True)
    return font


def fitting_size(text: str, cell_w: float, cell_h: float, height: float = NUMBER_HEIGHT,
                 width: float = NUMBER_WIDTH) -> float:
    """The largest bold font pixel size at which ``text`` fits a ``cell_w x cell_h`` px cell."""
    advance = QFontMetricsF(bold_font(100)).horizontalAdvance(text or "0") / 100.0
    return min(height * cell_h, width * cell_w / max(advance, 1e-9))


class CellNumbers:
    """The strings ``texts (rows, cols)`` written in the cells of ``box`` (a ViewBox in
    which cell ``(r, c)`` spans ``x in [c, c + 1]``, ``y in [r, r + 1]``).

    ``font_px``: the pixel size drawn (0: none shown); ``shown (rows, cols)`` bool: which
    numbers are written.
    """

    def __init__(self, box, shape: tuple[int, int]) -> None:
        self.box = box
        self.texts = np.full(shape, "", dtype=object)
        self.shown = np.zeros(shape, dtype=bool)
        self.font_px = 0
        self.items: list[QGraphicsSimpleTextItem] = []
        for _ in range(shape[0] * shape[1]):
            item = QGraphicsSimpleTextItem()
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            item.setZValue(6)
            box.addItem(item, ignoreBounds=True)
            self.items.append(item)

    def cell_px(self) -> tuple[float, float]:
        """``(width, height)`` of one cell on screen, pixels."""
        if self.box.width() < 2 or self.box.height() < 2:
            return 0.0, 0.0                   # not laid out yet: nothing fits
        px_w, px_h = self.box.viewPixelSize()
        return 1.0 / max(px_w, 1e-9), 1.0 / max(px_h, 1e-9)

    def set_texts(self, texts: np.ndarray, colours: np.ndarray) -> None:
        """``texts (rows, cols)`` strings, each drawn in ``colours (rows, cols)`` (QColor)."""
        self.texts = np.asarray(texts, dtype=object)
        for item, text, colour in zip(self.items, self.texts.ravel(), np.ravel(colours)):
            item.setText(str(text))
            item.setBrush(colour)
        self.fit()

    def fit(self) -> None:
        """Size and place the numbers for the cells' current size on screen."""
        cell_w, cell_h = self.cell_px()
        texts = [str(t) for t in self.texts.ravel()]
        widest = max(texts, key=len, default="")
        size = fitting_size(widest, cell_w, cell_h)
        shown = np.array([bool(t) for t in texts], dtype=bool)
        if size < MIN_NUMBER_PX:
            size = MIN_NUMBER_PX
            shown = np.array([bool(t) and t != "0" and fitting_size(
                t, cell_w, cell_h, SMALL_HEIGHT, SMALL_WIDTH) >= MIN_NUMBER_PX for t in texts],
                dtype=bool)
        self.font_px = int(size) if shown.any() else 0
        self.shown = shown.reshape(self.texts.shape)
        font = bold_font(self.font_px)
        cols = self.texts.shape[1]
        for k, (item, visible) in enumerate(zip(self.items, shown)):
            item.setVisible(bool(visible))
            if not visible:
                continue
            if item.font().pixelSize() != font.pixelSize() or not item.font().bold():
                item.setFont(font)
            rect = item.boundingRect()      # centred on the cell's centre, in screen pixels
            item.setTransform(QTransform.fromTranslate(-rect.width() / 2, -rect.height() / 2))
            item.setPos(k % cols + 0.5, k // cols + 0.5)
