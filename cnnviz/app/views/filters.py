"""The learned filters, live: conv1's 20 5x5 filters and conv2's 50 x 20 kernels.

Weights are signed, so both mosaics use a diverging colour map with levels symmetric around
zero (white = 0, blue negative, red positive), each with a colour bar showing its scale.
The scale is rounded up to a "nice" number (0.25, 0.3, 0.4, ...), so while training it
moves in steps instead of jittering every snapshot (and the colour bars redraw rarely).
conv2 is a table: row = output channel (0-49), column = input channel (0-19); a spin box
picks one output channel whose 20 kernels are also shown large.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from ..image_panel import DIVERGING_CMAP, MosaicPanel, colormap
from ..mosaic import symmetric_levels
from ..state import is_exposed, request_refresh


class FiltersView(QWidget):
    """conv1 filters, conv2 kernels (all, and one output channel's), diverging colours."""

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self._dirty = True
        self._weights: dict[str, np.ndarray] = {}

        self.channel_box = QSpinBox()
        self.channel_box.setToolTip("conv2 output channel whose 20 kernels are shown large")
        self.channel_box.valueChanged.connect(lambda _c: self.refresh())
        controls = QHBoxLayout()
        controls.addWidget(QLabel("conv2 output channel:"))
        controls.addWidget(self.channel_box)
        controls.addStretch(1)

        self.graphics = pg.GraphicsLayoutWidget()
        cmap = colormap(DIVERGING_CMAP)
        self.panels = {
            "conv1": MosaicPanel("conv1 filters (20 x 5x5)", DIVERGING_CMAP, columns=5, gap=2),
            "conv2": MosaicPanel("conv2 kernels: row = output channel, column = input channel",
                                 DIVERGING_CMAP, columns=20, labels="grid"),
            "conv2_channel": MosaicPanel("", DIVERGING_CMAP, columns=5, gap=2),
        }
        self.bars = {}
        left = self.graphics.ci.addLayout(row=0, col=0)
        for row, key in enumerate(("conv1", "conv2_channel")):
            left.addItem(self.panels[key].layout, row=row, col=0)
            self.bars[key] = self._colour_bar(cmap, self.panels[key])
            left.addItem(self.bars[key], row=row, col=1)
        self.graphics.addItem(self.panels["conv2"].layout, row=0, col=1)
        self.bars["conv2"] = self._colour_bar(cmap, self.panels["conv2"])
        self.graphics.addItem(self.bars["conv2"], row=0, col=2)
        self.graphics.ci.layout.setColumnStretchFactor(0, 2)
        self.graphics.ci.layout.setColumnStretchFactor(1, 3)

        self.status = QLabel(" ")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.status)

        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        state.paramsChanged.connect(self._on_params)
        state.modelChanged.connect(self._on_params)
        self._on_params()

    @staticmethod
    def _colour_bar(cmap, panel: MosaicPanel) -> pg.ColorBarItem:
        bar = pg.ColorBarItem(values=(-1, 1), colorMap=cmap, interactive=False, width=14,
                              colorMapMenu=False)
        return bar

    # -- refresh -------------------------------------------------------------------------
    def _on_params(self, *_args) -> None:
        if not is_exposed(self):             # hidden, closed, or a tab behind another
            self._dirty = True
            return
        request_refresh(self, self.refresh)  # while training: in its own event-loop turn

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self.refresh()

    def refresh(self) -> None:
        self._dirty = False
        params = self.state.net.params
        w1 = params["conv1.weight"]                       # (C1, 1, K, K)
        w2 = params["conv2.weight"]                       # (C2, C1, K, K)
        c2, c1, k, _ = w2.shape
        self.channel_box.setMaximum(c2 - 1)
        out = self.channel_box.value()
        # copies: the network's arrays change in place, and ImageItem keeps what it is given
        self._weights = {"conv1": w1[:, 0].copy(), "conv2": w2.reshape(c2 * c1, k, k).copy(),
                         "conv2_channel": w2[out].copy()}
        self.panels["conv2"].columns = c1
        levels2 = nice_levels(self._weights["conv2"])
        for key, levels in (("conv1", nice_levels(self._weights["conv1"])),
                            ("conv2", levels2), ("conv2_channel", levels2)):
            self.panels[key].set_maps(self._weights[key], levels)
            if tuple(self.bars[key].levels()) != levels:   # an axis redraw costs milliseconds
                self.bars[key].setLevels(levels)
        self.panels["conv2_channel"].set_title(
            f"conv2 output channel {out}: its {c1} kernels (one per input channel)")

    def levels(self, key: str) -> tuple[float, float]:
        """The ``(low, high)`` levels of a panel's image (symmetric around zero)."""
        return tuple(float(v) for v in self.panels[key].image.getLevels())

    def _on_mouse_moved(self, scene_pos) -> None:
        for key, panel in self.panels.items():
            found = panel.locate(scene_pos)
            if found is None:
                continue
            index, row, col = found
            value = self._weights[key][index, row, col]
            if key == "conv1":
                where = f"conv1 filter {index}"
            else:
                c1 = self._weights["conv2_channel"].shape[0]
                out, inp = (divmod(index, c1) if key == "conv2"
                            else (self.channel_box.value(), index))
                where = f"conv2 kernel out {out} <- in {inp}"
            self.status.setText(f"{where} · (row {row}, col {col}) = {value:+.4g}")
            return


NICE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_levels(values: np.ndarray) -> tuple[float, float]:
    """``(-m, m)`` with ``m`` the largest |value| rounded up to 1, 1.2, 1.5, 2, ... x 10^k."""
    m = symmetric_levels(values)[1]
    scale = 10.0 ** np.floor(np.log10(m))
    step = next(f for f in NICE_STEPS if f * scale >= m * (1 - 1e-9))
    return (-float(step * scale), float(step * scale))
