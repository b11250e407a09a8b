"""Loss and accuracy curves: per-batch loss (faint) with a moving average, per-epoch training
and held-out loss (top plot) and accuracy (bottom plot), x axis in epochs, live.

The data lives in a bounded ``LossHistory``; adding batches is cheap and the curves are
redrawn (a ``LiveView``) after each drawn training snapshot (``state.progressed``), only while
on screen and, while training, at most every ``TRAINING_REDRAW_S``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QCheckBox, QGraphicsItem, QHBoxLayout, QLabel, QVBoxLayout

from ..epoch_plots import epoch_plots, fresh_axes
from ..label_fit import fit_axis_label
from ..history import LossHistory
from ..live_view import LiveView

BATCH_PEN = pg.mkPen((120, 160, 220, 90), width=1)
AVERAGE_PEN = pg.mkPen((30, 90, 200), width=2)
TRAIN_COLOR = (230, 120, 20)
TEST_COLOR = (30, 160, 60)
TRAINING_REDRAW_S = 0.5   # while training, redraw at most this often (the plot is costly)
ACCURACY_MARGIN = 0.02    # the accuracy axis spans [lowest accuracy - this, 1]
LOSS_LABELS = ["cross-entropy loss", "loss"]   # the longest that fits the plot's height


def _swatch(color, text: str, dot: bool = False) -> str:
    """Legend entry as rich text: a line (with a dot for per-epoch points) in ``color``."""
    r, g, b = color[:3]
    a = color[3] / 255 if len(color) > 3 else 1.0
    mark = "━●━" if dot else "━━"
    return (f"<span style='color: rgba({r},{g},{b},{a:.2f}); font-weight: bold'>{mark}</span>"
            f"&nbsp;{text}")


class LossCurvesView(LiveView):
    """Two linked plots: loss (batch, moving average, per-epoch) and accuracy per epoch."""

    # a history plot: 2 redraws a second will do while training (the plot is costly); the
    # newest data (an epoch's points, the last batches of a run) is drawn once the wait is over
    min_interval_ms = int(1000 * TRAINING_REDRAW_S)

    def __init__(self, state=None, parent=None, capacity: int = 5000,
                 average_window: int = 50) -> None:
        super().__init__(state, parent)
        self.history = LossHistory(capacity)
        self.average_window = average_window

        self.graphics, self.loss_plot, self.acc_plot = epoch_plots(LOSS_LABELS[0])
        left = self.loss_plot.getAxis("left")       # a short plot: "loss", not cut at the top
        self.loss_plot.getViewBox().sigResized.connect(lambda _vb: fit_axis_label(left,
                                                                                  LOSS_LABELS))
        self.acc_plot.enableAutoRange(y=False)
        self.acc_plot.setYRange(0, 1, padding=0.02)
        # a loss is never negative: one batch's loss (one Step) auto-ranged the axis to
        # -0.46 .. 0.54 around it (log scale: the axis holds log10 values, no floor)
        self.loss_plot.getViewBox().setLimits(yMin=0)
        self._acc_low = 0.0

        self.batch_curve = self.loss_plot.plot([], [], pen=BATCH_PEN, name="batch loss")
        self.average_curve = self.loss_plot.plot([], [], pen=AVERAGE_PEN,
                                                 name=f"moving average ({average_window})")
        self.train_loss_curve = self._epoch_curve(self.loss_plot, TRAIN_COLOR, "train (epoch)")
        self.test_loss_curve = self._epoch_curve(self.loss_plot, TEST_COLOR, "held-out (epoch)")
        self.train_acc_curve = self._epoch_curve(self.acc_plot, TRAIN_COLOR, "train")
        self.test_acc_curve = self._epoch_curve(self.acc_plot, TEST_COLOR, "held-out")
        # No clipToView / auto-downsampling: pyqtgraph's versions presume increasing, evenly
        # spaced x, and a run started again from epoch 0 breaks that; then each repaint picked
        # another downsampling factor, moved the auto-range and repainted again (a loop that
        # took the UI thread to 50-65 % CPU while training). ``LossHistory`` already keeps at
        # most ``capacity`` points, which draw in about a millisecond.
        for plot in (self.loss_plot, self.acc_plot):
            for side in ("bottom", "left"):
                # an axis repaints with every curve update: as a cached pixmap unless it changed
                plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._marker = pg.InfiniteLine(angle=90, movable=False,
                                       pen=pg.mkPen((200, 30, 30), width=2))
        self._marker.setVisible(False)
        self._marker.setZValue(10)
        self.loss_plot.addItem(self._marker, ignoreBounds=True)
        if state is not None:
            state.lossesArrived.connect(self.add_snapshot)
            state.epochEnded.connect(self.add_epoch)
            state.progressed.connect(self._on_progressed)

        # the legend: one row under the plots (the colours are shared), never over a curve
        self.legend = QLabel("&nbsp;&nbsp;&nbsp;".join([
            _swatch((120, 160, 220, 200), "batch loss"),
            _swatch((30, 90, 200), f"average of {average_window}"),
            _swatch(TRAIN_COLOR, "train (epoch)", dot=True),
            _swatch(TEST_COLOR, "held-out (epoch)", dot=True)]))
        self.legend.setObjectName("lossLegend")
        self.legend.setWordWrap(True)

        self.log_check = QCheckBox("Log-scale loss")
        self.log_check.toggled.connect(self.set_log_scale)
        self.summary = QLabel("No training yet.")
        self.summary.setWordWrap(True)          # the epoch summary wraps instead of being cut
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.log_check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.legend)

    @staticmethod
    def _epoch_curve(plot, color, name):
        return plot.plot([], [], pen=pg.mkPen(color, width=2), symbol="o", symbolSize=7,
                         symbolBrush=color, symbolPen=None, name=name)

    # -- data ---------------------------------------------------------------------------------
    def add_snapshot(self, snapshot) -> None:
        """Take a ``Snapshot``'s batch losses (cheap; drawn on the next ``refresh``)."""
        if len(snapshot.losses):
            self.history.add_batches(snapshot.epoch_progress, snapshot.losses)
            self.mark_dirty()

    def add_epoch(self, event) -> None:
        self.history.add_epoch(event)
        self.mark_dirty()

    def begin_run(self) -> None:
        """A new training run: its curve continues to the right of the earlier ones."""
        self.history.begin_run()

    def clear(self) -> None:
        """Forget every run (another model): the curves and the axes start afresh."""
        self.history.clear()
        self.reset_axes()
        self.schedule_refresh()

    def reset_axes(self) -> None:
        """Fresh axes for a new model (``epoch_plots.fresh_axes``)."""
        fresh_axes(self.loss_plot, self.acc_plot, log_loss=self.log_check.isChecked())
        self._acc_low = 0.0

    def set_marker(self, x: float | None) -> None:
        """A vertical line at epoch ``x`` (a replayed recording's step); None hides it."""
        self._marker.setVisible(x is not None)
        if x is not None:
            self._marker.setValue(x)

    def set_log_scale(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=bool(on))
        self.loss_plot.getViewBox().setLimits(yMin=-1e307 if on else 0)    # (pyqtgraph's default)
        self.schedule_refresh()

    # -- drawing ------------------------------------------------------------------------------
    def _on_progressed(self, _snapshot) -> None:
        self.schedule_refresh()     # a training snapshot was drawn: the curves follow

    def refresh(self) -> None:
        """Draw the curves from the history now."""
        h = self.history
        x, y = h.batch_x.copy(), h.batch_loss.copy()
        if self.log_check.isChecked():     # log axes cannot show zero
            y = np.maximum(y, 1e-12)
        # a single batch (one Step) is a line of no length: drawn as a dot instead
        self.batch_curve.setData(x, y, symbol="o" if len(x) == 1 else None, symbolSize=7,
                                 symbolPen=None, symbolBrush=AVERAGE_PEN.color())
        avg = h.moving_average(self.average_window)
        self.average_curve.setData(x, np.maximum(avg, 1e-12) if self.log_check.isChecked() else avg)
        e = h.epoch_arrays()
        self.train_loss_curve.setData(e["x"], e["train_loss"])
        self.test_loss_curve.setData(e["x"], e["test_loss"])
        self.train_acc_curve.setData(e["x"], e["train_accuracy"])
        self.test_acc_curve.setData(e["x"], e["test_accuracy"])
        self._range_accuracy(np.concatenate([e["train_accuracy"], e["test_accuracy"]]))
        text = f"{h.batches_seen:,} batches"
        if len(avg):
            text += f", loss (avg) {avg[-1]:.4f}"
        if len(e["x"]):
            text += (f"; epoch {int(e['x'][-1])}: held-out accuracy "
                     f"{100 * e['test_accuracy'][-1]:.1f}%")
        self.summary.setText(text)

    def _range_accuracy(self, values: np.ndarray) -> None:
        """Fit the accuracy axis to the data, [lowest - margin, 1], so the curves use the
        plot's height instead of sitting along its top edge (0..1 before any epoch)."""
        values = values[np.isfinite(values)]
        low = 0.0 if not len(values) else max(0.0, float(values.min()) - ACCURACY_MARGIN)
        if low != self._acc_low:
            self._acc_low = low
            self.acc_plot.setYRange(low, 1.0, padding=0.05)

