"""The class probabilities of one digit as bars (``ProbBars``, a ``pg.PlotItem``), and the
room they need to stay readable (``ProbBars.room``).

The plot's title names the prediction: "predicted **7** (100%), true 7". A view that places
the plot with ``fit_layout.arrange`` must not make the plot's room follow the digit on show:
the layout would then depend on which digits were shown before, and a training run (a new
title at every snapshot) would search a layout per snapshot. So the room is a function of
the fonts, the number of classes and the title's *form* only (with or without the true
label): it is measured for the widest title of that form, "predicted **8** (100%), true 8"
(every title of the form gets the same room: one bucket per form). The axes get fixed sizes
from their tick font, so pyqtgraph's axes do not grow with the labels they happened to draw.

Readable means: the left axis's 0 / 0.5 / 1 labels lie ``TICK_LINES`` / 2 lines of their font
apart (so a line and a half: they never touch), and the class numbers below the bars have
room side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, QTimer
from PyQt6.QtGui import QFont, QFontMetricsF, QTextDocument
from PyQt6.QtWidgets import QGraphicsItem

from .label_fit import label_font

BAR_COLOR = (90, 120, 170)
PREDICTED_COLOR = (255, 170, 40)
TITLE_SIZE = "9pt"          # the title in normal mode (presentation mode enlarges it in place)
Y_TICKS = (0, 0.5, 1)
#: Height of the bars' box in lines of the tick font: 0, 0.5 and 1 a line and a half apart.
TICK_LINES = 3.0
TICK_GAP = 6.0              # px between two class numbers under the bars, at least
DOC_MARGIN = 4.0            # a QGraphicsTextItem's document margin, px a side


@dataclass(frozen=True)
class ProbRoom:
    """Pixels the probability plot needs: ``axis_w`` (left axis), ``axis_h`` (bottom axis),
    ``title_h`` (title row), and at least ``least_w`` x ``least_h`` in all."""

    axis_w: float
    axis_h: float
    title_h: float
    least_w: float
    least_h: float

    def extra_w(self, aspect: float) -> float:
        """``fit_layout.Option.extra_w`` for a plot ``aspect * h + extra_w`` wide at height
        ``h``: the left axis beside the bars, and at ``least_h`` at least ``least_w`` (a
        title wider than the bars)."""
        return max(self.axis_w, self.least_w - aspect * self.least_h)


def title_for(predicted: int, probability: float, label: int | None) -> str:
    """The plot's title (rich text): ``predicted <b>7</b> (100%), true 7``."""
    truth = f", true {label}" if label is not None else ""
    return f"predicted <b>{predicted}</b> ({probability:.0%}){truth}"


@lru_cache(maxsize=64)
def _text_width(html: str, font_key: str) -> float:
    font = QFont()
    font.fromString(font_key)
    doc = QTextDocument()
    doc.setDocumentMargin(0)
    doc.setDefaultFont(font)
    doc.setHtml(html)
    return doc.idealWidth()


def widest_title_width(font: QFont, classes: int, labelled: bool) -> float:
    """Pixels of the widest title of its form (in ``font``), for ``classes`` classes."""
    bold = QFont(font)
    bold.setBold(True)
    digits = QFontMetricsF(bold)
    widest = max(range(classes), key=lambda c: digits.horizontalAdvance(str(c)))
    return _text_width(title_for(widest, 1.0, widest if labelled else None), font.toString())


class ProbBars(pg.PlotItem):
    """Bars of ``classes`` probabilities, the predicted class highlighted, titled with the
    prediction. ``room(font, labelled)`` measures what it needs; ``fit(room)`` sizes its
    axes and title row to that room. ``on_restyled()`` (its owner's) is called when its
    title or axes changed size (a new title, or presentation mode restyling the scene after
    the view was placed): the owner checks whether the room changed."""

    def __init__(self, classes: int = 10, on_restyled=None) -> None:
        super().__init__()
        self.on_restyled = on_restyled
        self._restyle_pending = False
        self.setTitle("probabilities", size=TITLE_SIZE)
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setYRange(0, 1, padding=0.02)
        self.getAxis("left").setTicks([[(v, f"{v:g}") for v in Y_TICKS]])
        for side in ("bottom", "left"):     # fixed axes: repaint as cached pixmaps
            self.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.bars = pg.BarGraphItem(x=np.arange(classes), height=np.zeros(classes), width=0.75,
                                    brush=BAR_COLOR)
        self.addItem(self.bars)
        self._brushes = {False: pg.mkBrush(BAR_COLOR), True: pg.mkBrush(PREDICTED_COLOR)}
        self.title_text = ""
        self.labelled = False       # whether the title shown names the true label
        self.placed: QRectF | None = None
        self.set_classes(classes)

    def set_classes(self, classes: int) -> None:
        self.classes = classes
        self.setXRange(-0.6, classes - 0.4, padding=0)
        self.getAxis("bottom").setTicks([self.class_ticks()])

    def class_ticks(self) -> list[tuple[int, str]]:
        step = 1 if self.classes <= 20 else 5
        return [(i, str(i)) for i in range(0, self.classes, step)]

    def set_probabilities(self, probs: np.ndarray, label: int | None) -> None:
        """Bars of ``probs`` (classes,), the largest highlighted; the title names it (and the
        true ``label``, if known)."""
        predicted = int(np.argmax(probs))
        brushes = [self._brushes[i == predicted] for i in range(len(probs))]
        self.bars.setOpts(x=np.arange(len(probs)), height=np.asarray(probs, float),
                          brushes=brushes)
        title = title_for(predicted, float(probs[predicted]), label)
        if title != self.title_text:
            self.title_text = title
            self.labelled = label is not None
            # the size in place: presentation mode enlarges it, and undoes that on leaving
            size = self.titleLabel.opts.get("size") or TITLE_SIZE
            self.titleLabel.setText(title, size=size)
            if self.placed is not None:
                # a longer title widened the plot past its place (its minimum width): back
                self.setGeometry(self.placed)

    def place(self, rect: QRectF) -> None:
        self.placed = QRectF(rect)
        self.setGeometry(rect)

    def updateGeometry(self) -> None:       # noqa: N802 (Qt's name)
        # a part's size hint changed (the title's text or size): tell the owner once, after
        # the change (not from inside Qt's layout invalidation)
        super().updateGeometry()
        if getattr(self, "on_restyled", None) is not None and not self._restyle_pending:
            self._restyle_pending = True
            QTimer.singleShot(0, self._restyled)

    def _restyled(self) -> None:
        self._restyle_pending = False
        self.on_restyled()

    # -- room --------------------------------------------------------------------------------
    def tick_font(self, font: QFont) -> QFont:
        """The font the axes draw their labels in (presentation mode sets one; else the
        view's ``font``)."""
        return QFont(self.getAxis("left").style.get("tickFont") or font)

    def room(self, font: QFont, labelled: bool | None = None) -> ProbRoom:
        """What the plot needs with ``font`` as the view's font and a title of the form with
        (``labelled``; default: as the title shown) or without the true label: a function of
        these alone."""
        labelled = self.labelled if labelled is None else labelled
        ticks = QFontMetricsF(self.tick_font(font))
        left, bottom = self.getAxis("left"), self.getAxis("bottom")
        axis_w = (max(ticks.horizontalAdvance(f"{v:g}") for v in Y_TICKS)
                  + left.style["tickTextOffset"][0] + max(0, left.style["tickLength"]) + 4)
        axis_h = (ticks.height() + bottom.style["tickTextOffset"][1]
                  + max(0, bottom.style["tickLength"]) + 2)
        title_font = label_font(self.titleLabel)
        title_h = QFontMetricsF(title_font).height() + 2 * DOC_MARGIN
        title_w = widest_title_width(title_font, self.classes, labelled) + 2 * DOC_MARGIN + 8
        numbers = self.class_ticks()
        bars_w = len(numbers) * (max(ticks.horizontalAdvance(s) for _, s in numbers) + TICK_GAP)
        return ProbRoom(axis_w=float(np.ceil(axis_w)), axis_h=float(np.ceil(axis_h)),
                        title_h=float(np.ceil(title_h)),
                        # the title sits above the bars, right of the axis
                        least_w=float(np.ceil(axis_w + max(title_w, bars_w) + 2)),
                        least_h=float(np.ceil(title_h + axis_h + TICK_LINES * ticks.height())))

    def fit(self, room: ProbRoom) -> None:
        """Size the axes and the title row to ``room`` (not to the labels drawn so far)."""
        self.getAxis("left").setWidth(int(room.axis_w))
        self.getAxis("bottom").setHeight(int(room.axis_h))
        self.titleLabel.setMaximumHeight(room.title_h)
        self.layout.setRowFixedHeight(0, room.title_h)
