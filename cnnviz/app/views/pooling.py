"""Max-pooling argmax masks: which pixel of every 2x2 window won, for pool1 and pool2.

For each pool layer, every channel's pre-pool map (conv + ReLU output) is drawn with the
winner of each 2x2 window marked, in one of three modes:

* ``map``: the pre-pool activations (viridis);
* ``mask``: the winners alone (orange on dark grey);
* ``overlay``: the map in grey with the winners tinted orange.

Images are composed as RGBA mosaics in NumPy. ``displayed_mask(layer)`` decodes the
winners back from the very array drawn (a winner is the only pixel whose red and blue
differ), so a test can compare what the user sees with the engine's mask.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..image_panel import ACTIVATION_CMAP, MosaicPanel, colormap
from ..mosaic import range_levels, tile
from ..lazy_refresh import RefreshWhenExposed

MODES = ("overlay", "map", "mask")
WINNER = np.array([255, 140, 0], np.float32)     # orange
LOSER_GREY = 45                                  # mask mode: non-winners
CAPTION = ("Max pooling keeps the largest value of each 2x2 window: the marked <b>winner</b>. "
           "In backprop the gradient flows back only through the winners; the other three "
           "pixels of each window get zero.")


class PoolingView(RefreshWhenExposed, QWidget):
    """pool1 and pool2: pre-pool maps with every 2x2 window's argmax marked."""

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self._dirty = True
        self._lut = colormap(ACTIVATION_CMAP).getLookupTable(nPts=256, alpha=False)
        self._masks: dict[str, np.ndarray] = {}      # layer -> tiled mask (float, NaN gaps)
        self._maps: dict[str, np.ndarray] = {}       # layer -> (C, H, W) pre-pool maps

        self.mode_box = QComboBox()
        self.mode_box.addItems(MODES)
        self.mode_box.setToolTip("map: the activations; mask: the winners; overlay: both")
        self.mode_box.currentTextChanged.connect(lambda _mode: self.refresh())
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Show:"))
        controls.addWidget(self.mode_box)
        controls.addStretch(1)

        self.graphics = pg.GraphicsLayoutWidget()
        self.panels = {
            "pool1": MosaicPanel("pool1: conv1 + ReLU, 2x2 winners", cmap=None, columns=5),
            "pool2": MosaicPanel("pool2: conv2 + ReLU, 2x2 winners", cmap=None, columns=10),
        }
        self.graphics.addItem(self.panels["pool1"].layout, row=0, col=0)
        self.graphics.addItem(self.panels["pool2"].layout, row=0, col=1)
        self.graphics.ci.layout.setColumnStretchFactor(0, 5)
        self.graphics.ci.layout.setColumnStretchFactor(1, 4)

        self.caption = QLabel(CAPTION)
        self.caption.setWordWrap(True)
        self.status = QLabel(" ")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.caption)
        layout.addWidget(self.status)

        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.graphics.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        state.traceChanged.connect(self.schedule_refresh)
        state.modelChanged.connect(self.schedule_refresh)
        self.schedule_refresh()

    @property
    def mode(self) -> str:
        return self.mode_box.currentText()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown pooling display mode {mode!r}; choose one of {MODES}")
        self.mode_box.setCurrentText(mode)

    # -- refresh -------------------------------------------------------------------------
    def refresh(self) -> None:
        self._dirty = False
        trace = self.state.trace
        names = trace.names
        for layer, panel in self.panels.items():
            pre = names[names.index(layer) - 1]
            maps = trace[pre].output[0]                  # (C, H, W) pre-pool
            mask = trace[layer].mask[0]                  # (C, H, W) bool, True = winner
            c, h, w = maps.shape
            layout = panel.ensure_layout(c, h, w)
            map_mosaic = tile(maps, layout)
            mask_mosaic = tile(mask.astype(np.float32), layout)
            self._maps[layer], self._masks[layer] = maps, mask_mosaic
            rgba = self._compose(map_mosaic, mask_mosaic, range_levels(maps))
            panel.image.setImage(rgba, autoLevels=False)   # RGBA uint8: drawn as is

    def _compose(self, values: np.ndarray, mask: np.ndarray, levels) -> np.ndarray:
        """``(H, W, 4)`` uint8 for the current mode; gaps (NaN) are transparent."""
        gaps = np.isnan(values)
        lo, hi = levels
        scaled = np.clip((np.nan_to_num(values, nan=lo) - lo) / (hi - lo), 0, 1)
        winners = mask > 0.5
        rgba = np.empty(values.shape + (4,), np.uint8)
        mode = self.mode
        if mode == "map":
            rgba[..., :3] = self._lut[(scaled * 255).astype(np.uint8)]
        else:
            if mode == "mask":
                rgb = np.full(values.shape + (3,), LOSER_GREY, np.float32)
            else:
                # zero stays dark grey, not black, so tiles stand out from the background
                rgb = np.repeat((30 + scaled * 225)[..., None], 3, axis=2)
            # a winner: the orange tint blended with its value; red != blue marks it
            tinted = 0.45 * rgb[winners] + 0.55 * WINNER if mode == "overlay" else WINNER
            rgb[winners] = tinted
            rgba[..., :3] = np.round(rgb).astype(np.uint8)
        rgba[..., 3] = np.where(gaps, 0, 255)
        return rgba

    # -- for tests and the inspector ---------------------------------------------------------
    def displayed_mask(self, layer: str) -> np.ndarray:
        """``(C, H, W)`` bool: the winners as drawn (decoded from the displayed image).

        In ``map`` mode no winners are drawn; the mask mosaic composed for the other modes
        is untiled instead.
        """
        panel = self.panels[layer]
        if self.mode == "map":
            return panel.untile(self._masks[layer]) > 0.5
        rgba = panel.untile(panel.image.image)           # (C, H, W, 4)
        return rgba[..., 0] != rgba[..., 2]

    def _on_mouse_moved(self, scene_pos) -> None:
        for layer, panel in self.panels.items():
            found = panel.locate(scene_pos)
            panel.highlight(None)
            if found is None:
                continue
            channel, row, col = found
            value = self._maps[layer][channel, row, col]
            won = panel.untile(self._masks[layer])[channel, row, col] > 0.5
            panel.highlight([channel], row - row % 2, col - col % 2, 2)
            self.status.setText(
                f"{layer} input · channel {channel} · (row {row}, col {col}) = {value:.4g} · "
                + ("winner: the gradient flows back here" if won
                   else "not the max of its 2x2 window: gets no gradient"))

    def _on_mouse_clicked(self, event) -> None:
        """A click on a map selects that pool layer's channel (the channel card shows it)."""
        for layer, panel in self.panels.items():
            found = panel.locate(event.scenePos())
            if found is not None:
                self.state.select_channel(layer, found[0])
                return
