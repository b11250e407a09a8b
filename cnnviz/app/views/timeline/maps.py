"""The replayed feature maps under the timeline's slider, for any network.

``ReplayMaps`` draws, from ``conv_blocks(net.describe())`` (a conv, its activation, its
pool): the probe, the first conv layer's filters, that layer's maps and its pool's, and a
deeper conv block's maps (the last by default; a selector picks another when there are
several). A network without conv layers shows a sentence instead: it has no feature maps
to replay.

Every picture is a ``MosaicBarPanel`` on one ``FitCanvas``, placed by ``maps_layout`` (the
app's ``fit_layout.arrange`` and ``paging.readable_layout``): a layer of many channels pages
(◀ ▶ beside its title) instead of shrinking its maps to dots, and every title is drawn in
the same size (a panel narrower than its title is widened, never its title shrunk).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QSize, Qt, pyqtSignal
from PyQt6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout,
                             QWidget)

from ....explain.replay_trace import conv_blocks
from ...image_panel import ACTIVATION_CMAP, DIVERGING_CMAP, GREY_CMAP, FitCanvas
from ...mosaic import range_levels, symmetric_levels
from ...mosaic_panel import MosaicBarPanel
from .maps_layout import FILTERS, PROBE, MapsLayout


class ReplayMaps(QWidget):
    """Feature maps and first-layer filters of one replayed step (see module doc).

    ``panels``: layer name (``"relu1"``, ``"pool1"``, ...) or ``"filters"`` -> its
    ``MosaicBarPanel``; ``probe_panel``: the probe's; ``lower``: the conv block drawn after
    the first (None: one conv layer, or none).
    """

    lowerChanged = pyqtSignal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.blocks: list = []
        self.lower = None
        self.panels: dict[str, MosaicBarPanel] = {}
        self.probe_panel: MosaicBarPanel | None = None
        self.shapes: dict[str, tuple] = {}       # panel key -> (C, H, W) of its maps
        self.layout_maker = MapsLayout(self)
        self.graphics = pg.GraphicsView(background="k")
        self.canvas = FitCanvas(self.arrange)
        self.graphics.setCentralItem(self.canvas)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setMargin(24)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.graphics)
        self.stack.addWidget(self.note)
        self.selector = QComboBox()
        self.selector.setToolTip("Which deeper conv layer to replay beside the first")
        self.selector.currentTextChanged.connect(self._on_selector)
        self.selector_label = QLabel("deeper layer:")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.selector_label)
        row.addWidget(self.selector)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.stack, 1)

    def sizeHint(self) -> QSize:      # noqa: N802 (Qt's name)
        """As tall as its least: the curve and the maps share a view's height by their
        stretch (a long legend's or the mosaics' hints left the maps their least)."""
        hint = super().sizeHint()
        return QSize(hint.width(), self.minimumSizeHint().height())

    # -- structure ---------------------------------------------------------------------------
    def set_network(self, layers, arch: str = "") -> None:
        """Panels for the network described by ``layers`` (``net.describe()``)."""
        self.blocks = conv_blocks(layers)
        deeper = [b.name for b in self.blocks[1:]]
        self.lower = self.blocks[-1] if deeper else None
        self.selector.blockSignals(True)
        self.selector.clear()
        self.selector.addItems(deeper)
        if deeper:
            self.selector.setCurrentText(deeper[-1])
        self.selector.blockSignals(False)
        several = len(deeper) > 1
        self.selector.setVisible(several)
        self.selector_label.setVisible(several)
        if not self.blocks:
            self.note.setText(
                f"This network ({arch}) has no convolution layers, so there are no feature "
                "maps or filters to replay. The curve above still shows how sure it was "
                "about the probe at every recorded step.")
            self.stack.setCurrentWidget(self.note)
        else:
            self.stack.setCurrentWidget(self.graphics)
        self._rebuild()

    def select_lower(self, conv: str) -> None:
        """Replay conv layer ``conv``'s block beside the first (not the first conv layer)."""
        names = [b.name for b in self.blocks[1:]]
        if conv not in names:
            raise ValueError(f"no deeper conv layer {conv!r}; choose one of: "
                             f"{', '.join(names) or 'none (one conv layer only)'}")
        if self.selector.currentText() != conv:
            self.selector.setCurrentText(conv)        # -> _on_selector
        elif self.lower is None or self.lower.name != conv:
            self._on_selector(conv)

    def _on_selector(self, conv: str) -> None:
        block = next((b for b in self.blocks[1:] if b.name == conv), None)
        if block is None or block is self.lower:
            return
        self.lower = block
        self._rebuild()
        self.lowerChanged.emit(conv)

    def _rebuild(self) -> None:
        for panel in self.all_panels().values():
            panel.remove()
        self.panels, self.probe_panel = {}, None
        self.layout_maker.forget()
        if not self.blocks:
            return
        first = self.blocks[0]
        self.probe_panel = self._panel(GREY_CMAP, ["probe"], labels=None)
        f, _c, k, _ = first.conv.params[0][1]
        self.panels[FILTERS] = self._panel(DIVERGING_CMAP, [f"{first.name} filters",
                                                            first.name], gap=1)
        self.shapes = {PROBE: (1, 28, 28), FILTERS: (f, k, k)}
        rows = [[PROBE, FILTERS]]
        pools = []
        for block in [first] + ([self.lower] if self.lower is not None else []):
            if block.pool is not None and block.pool.name != block.shown.name:
                pools.append(block.pool.name)
            keys = []
            for info, title in ((block.shown, block.caption), (block.pool, None)):
                if info is None:
                    continue
                titles = [title, info.name] if title and title != info.name else [info.name]
                self.panels[info.name] = self._panel(ACTIVATION_CMAP, titles)
                self.shapes[info.name] = tuple(info.output_shape)
                keys.append(info.name)
            rows.append(keys)
        self.layout_maker.set_groups(rows, spare=pools)
        self.graphics.setMinimumHeight(self.layout_maker.least_height())

    def _panel(self, cmap: str, titles: list[str], labels: str | None = "tiles",
               gap: int | None = None) -> MosaicBarPanel:
        panel = MosaicBarPanel(cmap, labels=labels, gap=gap, colour_bar=False)
        panel.set_titles(titles)
        panel.set_parent(self.canvas)
        panel.set_visible(False)        # until placed: unplaced, every title lies in one corner
        return panel

    def all_panels(self) -> dict[str, MosaicBarPanel]:
        """Every panel by key: ``"probe"``, ``"filters"`` and the layer names."""
        panels = dict(self.panels)
        if self.probe_panel is not None:
            panels[PROBE] = self.probe_panel
        return panels

    def picture_heights(self) -> dict[str, float]:
        """On-screen height (px) of each panel's picture area (its ViewBox), by panel name
        (``"probe"``, ``"filters"`` and the layer names)."""
        return {name: panel.box.sceneBoundingRect().height()
                for name, panel in self.all_panels().items()}

    # -- layout ------------------------------------------------------------------------------
    def arrange(self, *_args) -> None:
        """Choose every panel's page size and place the panels for the canvas's size."""
        self.layout_maker.arrange(self.canvas.size(), self.font())

    def changeEvent(self, event) -> None:      # noqa: N802 (presentation mode's large titles)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.layout_maker.forget()
            self.graphics.setMinimumHeight(self.layout_maker.least_height())
            self.arrange()

    # -- data --------------------------------------------------------------------------------
    def shown_layers(self) -> list[str]:
        """The layer names whose maps are drawn, first block first."""
        return [name for name in self.panels if name != FILTERS]

    def current(self, trace, params) -> tuple[dict[str, np.ndarray] | None, np.ndarray | None]:
        """The maps ``{layer: (C, H, W)}`` of a probe's ``trace`` (the network's ``Trace``)
        and the first conv layer's filters ``(F, K, K)`` from ``params``: what ``draw`` shows
        before any snapshot was recorded. ``(None, None)`` without conv layers."""
        if not self.blocks:
            return None, None
        maps = {name: np.asarray(trace[name].output[0]) for name in self.shown_layers()}
        weight = np.asarray(params[f"{self.blocks[0].name}.weight"])
        return maps, weight.reshape(-1, *weight.shape[2:])

    def draw(self, maps: dict[str, np.ndarray] | None, filters: np.ndarray | None,
             probe: np.ndarray, label: int | None) -> None:
        """Draw the replayed ``maps`` (layer name -> ``(C, H, W)``, all channels: a panel
        shows its page) and the first conv layer's ``filters (F, K, K)`` beside
        ``probe (28, 28)`` (None: nothing to draw yet)."""
        if self.probe_panel is None:
            return
        probe = np.asarray(probe, np.float32)
        self.shapes[PROBE] = (1, *probe.shape)
        self.probe_panel.set_maps(probe[None], (0.0, 1.0))
        self.probe_panel.set_titles((["probe (true {})".format(label)] if label is not None
                                     else []) + ["probe"])
        if maps is None or filters is None:
            return
        for name, panel in self.panels.items():
            if name != FILTERS:
                # copies: the panel keeps what it is given
                panel.set_maps(np.array(maps[name], np.float32), range_levels(maps[name]))
        levels = symmetric_levels(filters)
        name = self.blocks[0].name
        filters_panel = self.panels[FILTERS]
        filters_panel.set_maps(np.array(filters, np.float32), levels)
        filters_panel.set_titles([f"{name} filters (±{levels[1]:.2g})", f"{name} filters",
                                  name])
        if not self.layout_maker.placed:
            self.arrange()
