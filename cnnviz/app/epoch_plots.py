"""The loss-over-accuracy pair of plots against epochs (the loss view and the Compare view)."""

from __future__ import annotations

import pyqtgraph as pg

FRESH_LOSS_TOP = 2.5      # a fresh model's loss axis before any batch: chance is ln 10 = 2.3


def epoch_plots(loss_label: str) -> tuple[pg.GraphicsLayoutWidget, pg.PlotItem, pg.PlotItem]:
    """``(graphics, loss_plot, acc_plot)``: loss above accuracy (3:2), x in epochs and linked,
    a light grid, no context menu, no SI prefix on the axes ("epoch (x0.001)"), and x never
    below 0 (one point, a single Step, would auto-range as x +- 0.5)."""
    graphics = pg.GraphicsLayoutWidget()
    graphics.setBackground("w")
    loss_plot = graphics.addPlot(row=0, col=0)
    acc_plot = graphics.addPlot(row=1, col=0)
    graphics.ci.layout.setRowStretchFactor(0, 3)
    graphics.ci.layout.setRowStretchFactor(1, 2)
    for plot in (loss_plot, acc_plot):
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setLabel("bottom", "epoch")
        plot.setMenuEnabled(False)
        for side in ("bottom", "left"):
            plot.getAxis(side).enableAutoSIPrefix(False)
        # an epoch's point sits at the right end of the data: keep it off the edge
        plot.getViewBox().setDefaultPadding(0.04)
        plot.getViewBox().setLimits(xMin=0)
    acc_plot.setXLink(loss_plot)
    loss_plot.setLabel("left", loss_label)
    acc_plot.setLabel("left", "accuracy")
    return graphics, loss_plot, acc_plot


def fresh_axes(loss_plot: pg.PlotItem, acc_plot: pg.PlotItem, log_loss: bool = False) -> None:
    """The axes of a plot pair with no data yet (another model, a cleared comparison):
    epochs 0-1, loss 0 to a little above chance, accuracy 0-1, auto-range on again. With no
    data pyqtgraph keeps whatever range it had, so without this a previous run's 6 epochs
    and loss scale stayed, and a zoom (which turns auto-range off) outlived its model.
    ``log_loss``: the loss axis is logarithmic and keeps its own (log10) range."""
    loss_plot.setXRange(0.0, 1.0, padding=0.0)
    if not log_loss:
        loss_plot.setYRange(0.0, FRESH_LOSS_TOP, padding=0.0)
    loss_plot.enableAutoRange()
    acc_plot.setYRange(0, 1, padding=0.02)
