"""The Compare view's drawing: overlaid loss and accuracy curves, and the side-by-side table.

Colours are Okabe and Ito's colour-blind-safe blue and vermillion; the second model is also
drawn dashed with square markers, so the two stay apart in grey print too. The legend is a
row of text under the plots, never over a curve.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, Qt
from PyQt6.QtGui import QFontMetrics
from PyQt6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QTableWidget,
                             QTableWidgetItem, QVBoxLayout, QWidget)

from .epoch_plots import epoch_plots, fresh_axes

# (R, G, B), line style and marker of each model, in order (current model first)
MODEL_STYLES = (((0, 114, 178), Qt.PenStyle.SolidLine, "o"),
                ((213, 94, 0), Qt.PenStyle.DashLine, "s"))
ROLE_NAMES = ("current", "challenger")
TABLE_COLUMNS = ("model", "architecture", "parameters", "images/s", "held-out accuracy")


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean of ``values (N,)`` over up to ``window`` points (shorter at the start)."""
    values = np.asarray(values, np.float64)
    if not len(values):
        return values
    sums = np.cumsum(np.insert(values, 0, 0.0))
    n = np.arange(1, len(values) + 1)
    low = np.maximum(0, n - window)
    return (sums[n] - sums[low]) / (n - low)


def role_name(index: int) -> str:
    return ROLE_NAMES[index] if index < len(ROLE_NAMES) else f"model {index + 1}"


def _swatch(color, text: str, dashed: bool, marker: str) -> str:
    r, g, b = color
    line = "╍╍" if dashed else "━━"
    dot = "■" if marker == "s" else "●"
    return (f"<span style='color: rgb({r},{g},{b}); font-weight: bold'>{line}{dot}{line}"
            f"</span>&nbsp;{text}")


class ComparePlots(QWidget):
    """Training loss (per batch faint, its moving average bold) over held-out accuracy, x in
    epochs, one colour per model."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.graphics, self.loss_plot, self.acc_plot = epoch_plots("loss")
        self.batch_curves, self.average_curves, self.accuracy_curves = [], [], []
        for color, style, marker in MODEL_STYLES:
            self.batch_curves.append(self.loss_plot.plot(
                [], [], pen=pg.mkPen((*color, 60), width=1)))
            self.average_curves.append(self.loss_plot.plot(
                [], [], pen=pg.mkPen(color, width=2.5, style=style)))
            self.accuracy_curves.append(self.acc_plot.plot(
                [], [], pen=pg.mkPen(color, width=2, style=style), symbol=marker,
                symbolSize=7, symbolBrush=color, symbolPen=None))
        self.legend = QLabel()
        self.legend.setObjectName("compareLegend")
        self.legend.setWordWrap(True)
        self.set_legend()
        self.side_by_side = False
        self.setMinimumHeight(150)      # below this the dock scrolls: the curves stay readable
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.legend)

    def set_legend(self) -> None:
        """One line: the models' colours (their architectures are in the table)."""
        parts = [_swatch(color, role_name(index), style == Qt.PenStyle.DashLine, marker)
                 for index, (color, style, marker) in enumerate(MODEL_STYLES)]
        self.legend.setText("&nbsp;&nbsp;&nbsp;".join(parts)
                            + "&nbsp;&nbsp;&nbsp;<span style='color: gray'>loss: faint each "
                              "batch, bold averaged</span>")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._arrange(self.graphics.width() > 1.6 * self.graphics.height())
        self._align_axes()

    def _align_axes(self) -> None:
        """One width for both left axes, wide enough for "0.00" in their tick font (larger
        in presentation mode), so stacked plots' linked x axes line up epoch for epoch."""
        widths = []
        for plot in (self.loss_plot, self.acc_plot):
            axis = plot.getAxis("left")
            metrics = QFontMetrics(axis.style.get("tickFont") or self.font())
            widths.append(metrics.horizontalAdvance("0.00") + 2 * metrics.height() + 8)
        for plot in (self.loss_plot, self.acc_plot):
            plot.getAxis("left").setWidth(max(widths))

    def _arrange(self, side_by_side: bool) -> None:
        """Loss above accuracy, or beside it when the view is wide and low (a short dock)."""
        if side_by_side == self.side_by_side:
            return
        self.side_by_side = side_by_side
        layout = self.graphics.ci
        layout.removeItem(self.acc_plot)
        if side_by_side:
            layout.addItem(self.acc_plot, row=0, col=1)
            layout.layout.setRowStretchFactor(1, 0)
        else:
            layout.addItem(self.acc_plot, row=1, col=0)
            layout.layout.setRowStretchFactor(1, 2)

    def show_runs(self, runs, window: int) -> None:
        """Draw ``runs`` (``ModelRun``, at most two) with a loss average over ``window``."""
        accuracies = []
        for index in range(len(MODEL_STYLES)):
            run = runs[index] if index < len(runs) else None
            x = np.asarray(run.batch_x if run else [], np.float64)
            loss = np.asarray(run.batch_loss if run else [], np.float64)
            self.batch_curves[index].setData(x, loss)
            self.average_curves[index].setData(x, moving_average(loss, window))
            ex = np.asarray(run.eval_x if run else [], np.float64)
            acc = np.asarray(run.eval_accuracy if run else [], np.float64)
            self.accuracy_curves[index].setData(ex, acc)
            accuracies.extend(acc.tolist())
        if not runs:                      # nothing (any more): not the last run's ranges
            fresh_axes(self.loss_plot, self.acc_plot)
        else:
            low = max(0.0, min(accuracies) - 0.02) if accuracies else 0.0
            self.acc_plot.setYRange(low, 1.0, padding=0.05)
        self._align_axes()

    def points(self, index: int) -> tuple[int, int]:
        """(loss points, accuracy points) drawn for model ``index`` (tests)."""
        loss = self.average_curves[index].getData()[0]
        acc = self.accuracy_curves[index].getData()[0]
        return (0 if loss is None else len(loss)), (0 if acc is None else len(acc))


class CompareTable(QTableWidget):
    """One row per model: role, architecture, parameters, images/s, held-out accuracy."""

    def __init__(self, parent=None) -> None:
        super().__init__(0, len(TABLE_COLUMNS), parent)
        self.setObjectName("compareTable")
        self.setHorizontalHeaderLabels(TABLE_COLUMNS)
        self.verticalHeader().setVisible(False)
        self._fit_rows()
        self.setWordWrap(False)             # a long architecture is elided (full: tooltip)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def _fit_rows(self) -> None:
        """Rows one line of the current font high; the table exactly as high as its rows."""
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        rows = max(2, self.rowCount())
        self.setFixedHeight(self.horizontalHeader().sizeHint().height() + 4
                            + rows * self.verticalHeader().defaultSectionSize())

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:      # presentation mode
            self._fit_rows()

    def show_runs(self, runs) -> None:
        self.setRowCount(len(runs))
        for row, run in enumerate(runs):
            ips = run.images_per_second
            acc = run.final_accuracy
            if run.diverged:
                acc_text = "diverged"
            else:
                acc_text = f"{acc:.2%}" if math.isfinite(acc) else "-"
            cells = (role_name(row), run.arch, f"{run.parameter_count:,}",
                     f"{ips:,.0f}" if math.isfinite(ips) else "-", acc_text)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if col == 0 and row < len(MODEL_STYLES):
                    item.setForeground(pg.mkColor(MODEL_STYLES[row][0]))
                item.setToolTip(run.diverged or text)
                self.setItem(row, col, item)
        self._fit_rows()

    def cell_text(self, row: int, column: str) -> str:
        item = self.item(row, TABLE_COLUMNS.index(column))
        return "" if item is None else item.text()
