"""The inspector's page for a layer without maps: one bar per unit (a dense layer's units,
the class probabilities), the biggest in orange, values written over up to ten bars."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from ...mosaic import range_levels

BAR_COLOR = (90, 120, 170)
TOP_COLOR = (255, 170, 40)
LABELLED = 10            # write the values over this many bars at most


class BarsPage(pg.PlotWidget):
    """Bars of a vector ``(n,)``; ``unit_at(scene_pos)`` is the bar under a point."""

    def __init__(self) -> None:
        super().__init__()
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.8,
                                    brush=pg.mkBrush(*BAR_COLOR), pen=pg.mkPen(None))
        self.addItem(self.bars)
        self.labels = []                      # a value over each bar when there are <= 10
        for _ in range(LABELLED):
            label = pg.TextItem(anchor=(0.5, 1.0), color=(230, 230, 230))
            self.addItem(label)
            self.labels.append(label)
        self.count = 0

    def draw(self, name: str, kind: str, values: np.ndarray, title_pt: str) -> None:
        n = self.count = len(values)
        brushes = [pg.mkBrush(*BAR_COLOR)] * n
        if n <= LABELLED:
            brushes = list(brushes)
            brushes[int(np.argmax(values))] = pg.mkBrush(*TOP_COLOR)
        self.bars.setOpts(x=np.arange(n), height=values, width=0.8, brushes=brushes)
        axis = self.getAxis("bottom")
        if n <= LABELLED:
            axis.setTicks([[(i, str(i)) for i in range(n)]])
        else:
            axis.setTicks(None)
        axis.setLabel("class" if n <= LABELLED else "unit")
        self.getAxis("left").setLabel("probability" if kind == "softmax" else "value")
        self.setTitle(f"{name} output: {n} values", size=title_pt)
        if kind == "softmax":
            self.setYRange(0, 1.08, padding=0.02)
        else:
            lo, hi = range_levels(values)
            self.setYRange(min(lo, 0.0), max(hi, 0.0), padding=0.05)
        self.setXRange(-0.6, n - 0.4, padding=0)
        for i, label in enumerate(self.labels):
            label.setVisible(i < n <= LABELLED)
            if i < n <= LABELLED:
                v = float(values[i])
                label.setText(f"{100 * v:.1f}%" if kind == "softmax" else f"{v:.2f}")
                label.setPos(i, max(v, 0.0))

    def unit_at(self, scene_pos) -> float | None:
        """The x coordinate (unit index, unrounded) under ``scene_pos``, or None."""
        vb = self.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        return vb.mapSceneToView(scene_pos).x()
