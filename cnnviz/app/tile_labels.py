"""Tile numbers on a mosaic: drawn readable, or not at all.

A mosaic's channel numbers are text items in the mosaic's image coordinates, scaled to the
gap above each tile, so they shrink with the tiles. In large type (presentation mode: the
application font at ``LARGE_TYPE_PT`` or more) the issue asks every text to be readable from
the back row, at least ``LARGE_TYPE_PT``: a number that would be drawn smaller than that is
hidden rather than shown unreadably (a tile a few dozen pixels tall cannot carry an 18 pt
number). In normal type there is no floor (a reader at a monitor can lean in).

``TileNumber(text, x, y, height)`` is one such number (its own class, so checks can tell a
tile number from other scene text); ``show_if_legible(items, font)`` applies the rule to a list of ``QGraphicsSimpleTextItem``
(``keep_legible(box, items)`` calls it whenever the box's transform or font changes); ``drawn_px(item)`` is the pixel
size of an item's font as drawn on the screen, ``floor_px(font)`` the least allowed.
"""

from __future__ import annotations

import math

from PyQt6 import sip
from PyQt6.QtCore import QEvent, QObject
from PyQt6.QtGui import QColor, QFont, QFontInfo
from PyQt6.QtWidgets import QGraphicsSimpleTextItem

LARGE_TYPE_PT = 18.0     # presentation mode's type floor (the issue: "at least 18 pt")
DRAWN_PX = 100           # the font's pixel size before scaling (large: smooth glyphs)
COLOUR = QColor(225, 225, 225)


class TileNumber(QGraphicsSimpleTextItem):
    """``text`` with its top-left at image coordinates ``(x, y)``, ``height`` image pixels
    tall (its line height): add it to a ViewBox with ``ignoreBounds=True``."""

    def __init__(self, text: str, x: float, y: float, height: float) -> None:
        super().__init__(text)
        font = QFont()
        font.setPixelSize(DRAWN_PX)
        self.setFont(font)
        self.setBrush(COLOUR)
        self.setScale(height / self.boundingRect().height())
        self.setPos(x, y)


def floor_px(font: QFont) -> float:
    """The least pixel size a tile number may be drawn at when ``font`` (the scene's: the
    application's) is the text size around it: ``LARGE_TYPE_PT`` in large type, else 0."""
    if font.pointSizeF() < LARGE_TYPE_PT - 1e-6:
        return 0.0
    floor = QFont(font)
    floor.setPointSizeF(LARGE_TYPE_PT)
    return float(QFontInfo(floor).pixelSize())


def drawn_px(item) -> float:
    """Pixel size of ``item``'s font as drawn in its scene (its own scale and every parent
    transform, e.g. a ViewBox's data-to-screen scale, included)."""
    t = item.sceneTransform()
    scale = math.hypot(t.m21(), t.m22())        # how long a unit of the item's height is drawn
    return QFontInfo(item.font()).pixelSize() * scale


def show_if_legible(items, font: QFont) -> bool:
    """Show ``items`` if they are drawn at least ``floor_px(font)``, else hide them all (one
    number hidden among its neighbours would read as a missing channel). Returns whether
    they are shown."""
    floor = floor_px(font)
    legible = not items or floor <= 0 or min(drawn_px(i) for i in items) >= floor - 0.5
    for item in items:
        if item.isVisible() != legible:
            item.setVisible(legible)
    return legible


class _Watch(QObject):
    """Event filter of a ViewBox: its font changed (the application font: presentation mode
    on or off), so its numbers are checked again."""

    def __init__(self, box, items: list) -> None:
        super().__init__()
        self.box, self.items = box, items
        box.installEventFilter(self)
        box.sigTransformChanged.connect(self.check)

    def check(self, *_args) -> bool:
        if sip.isdeleted(self.box):             # a view being torn down
            return False
        return show_if_legible(self.items, self.box.font())

    def eventFilter(self, watched, event) -> bool:     # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.FontChange and not sip.isdeleted(watched):
            self.check()
        return False


def keep_legible(box, items: list) -> _Watch:
    """Keep ``items`` (a list of ``TileNumber`` on ``box``, a ``pg.ViewBox``; changed in place
    by its owner) shown only while legible: checked whenever the box's transform (a new
    range, a resize) or font changes. Keep the returned object (``.check()`` checks now)."""
    return _Watch(box, items)
