"""The loss-over-accuracy pair of plots against epochs (the loss view and the Compare view)."""

from __future__ import annotations

import pyqtgraph as pg


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
