"""The probe digit's class probabilities against the training step: one line per class.

``ProbabilityCurve`` is a plot (whole-number step axis, probabilities 0..1), a row of
coloured class labels under it (never a legend over the curves), the true class drawn thick,
a dashed cursor at the replayed step, and a title that says whose curve it is, worded as
long as the plot's width allows.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6 import sip
from PyQt6.QtCore import QEvent, QSize, Qt, QTimer
from PyQt6.QtGui import QFont, QFontMetricsF
from PyQt6.QtWidgets import QGraphicsItem, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ...class_key import ClassKey

# Ten distinguishable line colours (the common "category 10" palette), class 0..9; more
# classes get evenly spaced hues after these.
CLASS_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
                 (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
                 (188, 189, 34), (23, 190, 207)]
THIN, THICK = 2.0, 5.0
MIN_CURVE_HEIGHT = 50     # px of plot area the curves always get, and in large type
MIN_CURVE_LINES = 3.6     # this many lines of the tick font (three ticks 1.2 lines apart)
AXIS_LABEL_LINES = 5      # lines of plot area before the step axis is labelled too


def class_colour(k: int) -> tuple[int, int, int]:
    if k < len(CLASS_COLOURS):
        return CLASS_COLOURS[k]
    colour = pg.intColor(k, hues=max(k + 1, 12))
    return colour.red(), colour.green(), colour.blue()


class IntegerAxis(pg.AxisItem):
    """An axis whose ticks are whole numbers (training steps: no "0.5" with one snapshot)."""

    def tickSpacing(self, minVal, maxVal, size):
        levels = [(spacing, offset) for spacing, offset in super().tickSpacing(minVal, maxVal,
                                                                                 size)
                  if spacing >= 1]
        return levels or [(1.0, 0.0)]


class ProbabilityCurve(QWidget):
    """The plot, its class-label row and the replay cursor (see module doc)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": IntegerAxis("bottom")})
        self.plot_widget.installEventFilter(self)      # its own resizes: fit the title
        plot = self.plot = self.plot_widget.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(x=False, y=False)
        plot.setYRange(-0.02, 1.02, padding=0.0)
        plot.vb.sigResized.connect(lambda *_: self.fit_axis())
        self._y_ticks: tuple = ()
        self._y_label = ""
        plot.setLabel("bottom", "training step")
        plot.showGrid(x=True, y=True, alpha=0.2)
        for side in ("bottom", "left"):   # axes + grid repaint with every curve update: cache
            plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        # the class labels in as many columns as the width holds (one row, or two beside
        # the maps in a wide presentation view: ``max_legend_columns``)
        # with a least width that is not the row's: the row reflows to the width it gets
        # (one row of ten labels set the view's least width, wider than a 1280x720 dock)
        self.class_key = ClassKey("━━ ", colour_of=class_colour)
        self.class_key.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.lines: list = []
        self._thick: int | None = None
        self.cursor = pg.InfiniteLine(angle=90, movable=False,
                                      pen=pg.mkPen((200, 200, 200), width=1,
                                                   style=Qt.PenStyle.DashLine))
        plot.addItem(self.cursor, ignoreBounds=True)
        self.cursor.hide()
        self._title = ""
        self._title_parts = ("the probe", "")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.class_key)
        self.set_classes(10)
        self.fit_axis()

    def sizeHint(self) -> QSize:      # noqa: N802 (Qt's name)
        """As tall as its least: the curve and the maps share a view's height by their
        stretch (a long legend's or the mosaics' hints left the maps their least)."""
        hint = super().sizeHint()
        return QSize(hint.width(), self.minimumSizeHint().height())

    def set_classes(self, count: int) -> None:
        """One line and one label per class (another network may have other classes)."""
        if count == len(self.lines):
            return
        for line in self.lines:
            self.plot.removeItem(line)
        self.lines, self._thick = [], None
        for k in range(count):
            self.lines.append(self.plot.plot([], [], pen=pg.mkPen(class_colour(k), width=THIN)))
        self.class_key.set_classes(count)

    @property
    def legend_labels(self) -> list[QLabel]:
        return self.class_key.labels

    @property
    def max_legend_columns(self) -> int | None:
        return self.class_key.max_columns

    @max_legend_columns.setter
    def max_legend_columns(self, columns: int | None) -> None:
        self.class_key.max_columns = columns

    def reflow_legend(self) -> None:
        """Place the class labels in the columns that fit the key's width."""
        self.class_key.reflow()

    def draw(self, steps: np.ndarray, probs: np.ndarray, label: int | None, who: str) -> None:
        """``steps (M,)``, ``probs (M, classes)``; ``label``: the true class (thick)."""
        for k, line in enumerate(self.lines):
            if len(steps) and k < probs.shape[1]:
                line.setData(steps, probs[:, k])
            else:
                line.setData([], [])
        if not len(steps):       # with no data pyqtgraph keeps the last model's step range
            self.plot.setXRange(0.0, 1.0, padding=0.0)
            self.plot.enableAutoRange(x=True)
        if label is not None and not 0 <= label < len(self.lines):
            label = None
        if label != self._thick:
            if self._thick is not None:
                self.lines[self._thick].setPen(pg.mkPen(class_colour(self._thick), width=THIN))
            if label is not None:
                self.lines[label].setPen(pg.mkPen(class_colour(label), width=THICK))
            self.class_key.set_bold(label)
            self._thick = label
        truth = f" (true class {label}, thick line)" if label is not None else ""
        self._title_parts = (who, truth)
        self.fit_title()

    def set_cursor(self, step: int | None) -> None:
        if step is None:
            self.cursor.hide()
        else:
            self.cursor.setValue(step)
            self.cursor.show()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.reflow_legend()
        self.fit_axis()
        self.fit_title()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:      # presentation mode: larger type
            self.fit_axis()
            self.fit_title()

    def eventFilter(self, watched, event) -> bool:     # noqa: N802 (Qt's name)
        if watched is self.plot_widget and event.type() == QEvent.Type.Resize:
            self.fit_title()
        return super().eventFilter(watched, event)

    def _fill_view(self) -> None:
        """The plot back to its view's size: a long title had widened it (a LabelItem is as
        wide as its text) and it is not narrowed again by itself."""
        if sip.isdeleted(self) or sip.isdeleted(self.plot_widget):
            return
        view = self.plot_widget
        if self.plot.geometry().width() != view.range.width():
            self.plot.setGeometry(view.range)

    def fit_axis(self) -> None:
        """As many probability ticks, and as long a label, as the plot's height holds: in a
        short plot (presentation mode at 1280x720) five ticks piled up and "probability"
        ran off the top."""
        axis = self.plot.getAxis("left")
        font = axis.style.get("tickFont") or self.font()
        line = QFontMetricsF(font).height()
        # room for the curves below the title (larger type and margins: two lines) and above
        # the step axis's numbers (two more: at
        # 1280x720 the maps below took the view's height and left the curves 10 px)
        least = int(4 * line + max(MIN_CURVE_HEIGHT, MIN_CURVE_LINES * line))
        if self.plot_widget.minimumHeight() != least:
            self.plot_widget.setMinimumHeight(least)
        # "training step" under the axis only where the curves keep their room without it:
        # in a short dock (1280x720) the line is the curves' (the title says "by step")
        labelled = self.plot_widget.height() >= (3 + AXIS_LABEL_LINES) * line
        bottom = self.plot.getAxis("bottom")
        if bottom.labelStyle != axis.labelStyle:
            # styled like the probability label, which is always shown (presentation mode
            # restyles only the labels shown when it starts)
            bottom.setLabel("training step", **axis.labelStyle)
            bottom.showLabel(labelled)
        if bottom.label.isVisible() != labelled:
            bottom.showLabel(labelled)
        lines = 3 if labelled else 2
        height = max(0.0, self.plot_widget.height() - lines * line)   # less title and axis
        if self.plot.vb.height() > 0:
            height = min(height, self.plot.vb.height())           # the plot area itself
        ticks = next(t for t in ((0, 0.25, 0.5, 0.75, 1), (0, 0.5, 1), (0, 1))
                     if len(t) * line * 1.2 <= height or len(t) == 2)
        if ticks != self._y_ticks:
            self._y_ticks = ticks
            axis.setTicks([[(v, f"{v:g}") for v in ticks]])
        self._pad_y()
        label_font = QFont(font)
        size = axis.labelStyle.get("font-size", "")
        if size.endswith("pt"):
            label_font.setPointSizeF(float(size[:-2]))
        label = "probability" if QFontMetricsF(label_font).horizontalAdvance(
            "probability") + 10 <= height else "P"
        if label != self._y_label:
            self._y_label = label
            self.plot.setLabel("left", label)

    def _pad_y(self, *_args) -> None:
        """Room above 1 and below 0 for half a tick label: labels that would stick out of
        the plot are not drawn, so "0" and "1" went missing and presentation mode at
        1280x720 showed only "0.5"."""
        axis = self.plot.getAxis("left")
        half = 0.5 * QFontMetricsF(axis.style.get("tickFont") or self.font()).height() + 3
        height = max(1.0, self.plot.vb.height())
        pad = min(0.4, half / max(1.0, height - 2 * half))   # data units, of the 0..1 range
        if abs(pad - getattr(self, "_y_pad", -1.0)) > 1e-3:
            self._y_pad = pad
            self.plot.setYRange(-pad, 1 + pad, padding=0.0)

    def fit_title(self) -> None:
        """The longest wording of the plot's title that fits the plot's width (it was cut
        at the right in a 1920x1080 window)."""
        who, truth = self._title_parts
        size = self.plot.titleLabel.opts.get("size") or "11pt"
        font = QFont(self.font())
        font.setPointSizeF(float(size[:-2]) if size.endswith("pt") else 11.0)
        # the title sits over the plot area, right of the probability axis
        room = self.plot_widget.width() - self.plot.getAxis("left").width() - 24
        short_truth = truth.replace(", thick line", "")
        for title in (f"How sure the network is about {who}{truth}, step by step",
                      f"How sure the network is about {who}{short_truth}",
                      f"Probabilities for {who}{short_truth} by step",
                      f"{who}: probabilities by step", f"{who}: probabilities",
                      "probabilities"):
            if QFontMetricsF(font).horizontalAdvance(title) <= room:
                break
        else:      # a narrow column in large type: even the shortest is cut with "…"
            title = QFontMetricsF(font).elidedText(title, Qt.TextElideMode.ElideRight,
                                                   max(0.0, room))
        if title != self._title:
            self._title = title
            self.plot.setTitle(title, size=size)
            QTimer.singleShot(0, self._fill_view)
