"""The replayed feature maps under the timeline's slider, for any network.

``ReplayMaps`` draws, from ``conv_blocks(net.describe())`` (a conv, its activation, its
pool): an upper row with the probe, the first conv layer's filters, that layer's maps and its
pool's; a lower row with a deeper conv block (the last by default; a selector picks another
when there are several). A network without conv layers shows a sentence instead: it has no
feature maps to replay.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QFontMetricsF
from PyQt6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout,
                             QWidget)

from ....explain.replay_trace import conv_blocks
from ...image_panel import DIVERGING_CMAP, GREY_CMAP, ImagePanel, MosaicPanel
from ...label_fit import fit_label, keep_layout_in_view, label_font
from ...mosaic import range_levels, symmetric_levels

MIN_MAP_HEIGHT = 48     # px of pictures each row of maps keeps (a 28x28 digit, enlarged)
ROW_SPACING = 4         # px between the rows and panels of maps


def mosaic_columns(count: int, wide: bool = False) -> int:
    """Columns for ``count`` maps: near-square, or twice as wide as tall for a wide row."""
    return max(1, min(count, math.ceil(math.sqrt(count * (2 if wide else 1)))))


class ReplayMaps(QWidget):
    """Feature maps and first-layer filters of one replayed step (see module doc).

    ``panels``: layer name (``"relu1"``, ``"pool1"``, ...) or ``"filters"`` -> its panel;
    ``lower``: the conv block drawn in the lower row (None: one conv layer, or none).
    """

    lowerChanged = pyqtSignal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.blocks: list = []
        self.lower = None
        self.panels: dict[str, ImagePanel] = {}
        self.probe_panel: ImagePanel | None = None
        self.graphics = pg.GraphicsLayoutWidget()
        # no nested margins: at 1280x720 they took 36 of the rows' 172 px and left the
        # pictures 10 px (the probe was drawn 2 px high)
        self.graphics.ci.setContentsMargins(0, 0, 0, 0)
        self.graphics.ci.setSpacing(ROW_SPACING)
        # titles fitted to their panel's share of the width (a LabelItem is as wide as its
        # text, and beside the curve the maps' titles pushed pool1 out of the view)
        self._rows: list[list[tuple[ImagePanel, int]]] = []     # (panel, stretch) per row
        self._titles: dict[int, str] = {}                       # id(panel) -> full title
        keep_layout_in_view(self.graphics)
        self.graphics.installEventFilter(self)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setMargin(24)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.graphics)
        self.stack.addWidget(self.note)
        self.selector = QComboBox()
        self.selector.setToolTip("Which deeper conv layer to replay in the lower row")
        self.selector.currentTextChanged.connect(self._on_selector)
        self.selector_label = QLabel("deeper layer (lower row):")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.selector_label)
        row.addWidget(self.selector)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.stack, 1)

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
        """Replay conv layer ``conv``'s block in the lower row (not the first conv layer)."""
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
        self.graphics.ci.clear()
        self._rows, self._titles = [], {}
        self.panels = {}
        self.probe_panel = None
        if not self.blocks:
            return
        first = self.blocks[0]
        top = self._row(0)
        self.probe_panel = ImagePanel("probe", cmap=GREY_CMAP)
        f, _c, k, _ = first.conv.params[0][1]
        filters = MosaicPanel(f"{first.name} filters", DIVERGING_CMAP,
                              columns=mosaic_columns(f), gap=1, labels="tiles")
        self.panels["filters"] = filters
        cells = [(self.probe_panel, 1.0), (filters, _aspect(filters, f, k, k))]
        cells += self._block_panels(first, wide=False)
        self._place(top, cells)
        if self.lower is not None:
            bottom = self._row(1)
            self._place(bottom, self._block_panels(self.lower, wide=True))
        self._hold_height()
        self.fit_titles()

    def _row(self, row: int):
        layout = self.graphics.ci.addLayout(row=row, col=0)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(ROW_SPACING)
        return layout

    def picture_heights(self) -> dict[str, float]:
        """On-screen height (px) of each panel's picture area (its ViewBox), by panel name
        (``"probe"``, ``"filters"`` and the layer names)."""
        panels = dict(self.panels)
        if self.probe_panel is not None:
            panels["probe"] = self.probe_panel
        return {name: panel.box.sceneBoundingRect().height() for name, panel in panels.items()}

    def _hold_height(self) -> None:
        """Each row of maps keeps its title and ``MIN_MAP_HEIGHT`` px of pictures: squeezed
        under the probability curve at 1280x720 the lower row's titles were cut off."""
        if not self.panels:
            return
        # the titles as drawn (presentation mode restyles them; a LabelItem adds margins)
        line = max(max(QFontMetricsF(label_font(p.title)).height() + 10,
                       p.title.item.boundingRect().height()) for p in self.panels.values())
        rows = 2 if self.lower is not None else 1
        # title, picture, the panels' own 2 px margins, the spacing between the rows
        self.graphics.setMinimumHeight(int(rows * (line + MIN_MAP_HEIGHT + 4)
                                           + (rows - 1) * ROW_SPACING + 4))

    def eventFilter(self, watched, event) -> bool:     # noqa: N802 (Qt's name)
        if watched is self.graphics and event.type() == QEvent.Type.Resize:
            self.fit_titles()
        return super().eventFilter(watched, event)

    def set_title(self, panel: ImagePanel, text: str) -> None:
        """Title ``panel`` with ``text``, shortened to fit its share of the row."""
        self._titles[id(panel)] = text
        self.fit_titles()

    def fit_titles(self) -> None:
        width = self.graphics.width() - 2
        for cells in self._rows:
            total = sum(stretch for _panel, stretch in cells) or 1
            room = (width - ROW_SPACING * (len(cells) - 1)) / len(cells)
            for panel, stretch in cells:
                text = self._titles.get(id(panel), panel.title.text)
                # a panel gets at least its share by stretch, and never less than an equal
                # share once the pictures (aspect-locked) leave room
                fit_label(panel.title, [text], max(width * stretch / total, min(room, width)) - 4)

    def changeEvent(self, event) -> None:      # noqa: N802 (presentation mode's large titles)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:     # after the scene's titles are styled
            QTimer.singleShot(0, self._hold_height)
            QTimer.singleShot(0, self.fit_titles)

    def _block_panels(self, block, wide: bool) -> list[tuple[ImagePanel, float]]:
        cells = []
        for info, title in ((block.shown, block.caption), (block.pool, None)):
            if info is None:
                continue
            c, h, w = info.output_shape
            panel = MosaicPanel(title or info.name, columns=mosaic_columns(c, wide))
            self.panels[info.name] = panel
            cells.append((panel, _aspect(panel, c, h, w)))
        return cells

    def _place(self, row, cells) -> None:
        placed = []
        for col, (panel, aspect) in enumerate(cells):
            row.addItem(panel.layout, row=0, col=col)
            stretch = max(1, round(10 * aspect))
            row.layout.setColumnStretchFactor(col, stretch)
            self._titles[id(panel)] = panel.title.text
            placed.append((panel, stretch))
        self._rows.append(placed)

    # -- data --------------------------------------------------------------------------------
    def shown_layers(self) -> list[str]:
        """The layer names whose maps are drawn, upper row first."""
        return [name for name in self.panels if name != "filters"]

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
        """Draw the replayed ``maps`` (layer name -> ``(C, H, W)``) and the first conv
        layer's ``filters (F, K, K)`` (None: nothing recorded yet) beside ``probe (28, 28)``."""
        if self.probe_panel is None:
            return
        self.probe_panel.set_image(probe, (0.0, 1.0))
        self.set_title(self.probe_panel, "probe" + (f" (true {label})" if label is not None
                                                    else ""))
        if maps is None or filters is None:
            for panel in self.panels.values():
                panel.image.clear()
            return
        for name, panel in self.panels.items():
            if name != "filters":
                panel.set_maps(maps[name], range_levels(maps[name]))
        levels = symmetric_levels(filters)
        self.panels["filters"].set_maps(filters, levels)
        self.set_title(self.panels["filters"], f"{self.blocks[0].name} filters "
                                               f"(±{levels[1]:.2g})")


def _aspect(panel: MosaicPanel, count: int, h: int, w: int) -> float:
    width, height = panel.extent(count, h, w, panel.columns or count)
    return width / max(height, 1e-9)
