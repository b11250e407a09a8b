"""The learned filters of every conv layer, live, for any channel count and kernel size.

The conv layers come from ``net.describe()``. Three panels (``MosaicBarPanel``: title, mosaic,
colour bar):

* ``filters``: the first conv layer's filters, one ``K x K`` kernel each (it reads the one
  input channel);
* ``table``: a later conv layer (chosen with *layer*) as a table of kernels: row = output
  channel, column = input channel (or turned, when a wide table fits the view better);
* ``channel``: the kernels of one output channel of that layer (chosen with *out*), large.

A network with one conv layer shows only ``filters``; one with none says so. Layers with many
channels page (◀ ▶ beside the title) rather than shrinking kernels to dots. A table pages in
blocks of whole kernels (``kernel_blocks``: e.g. out 32–63, in 0–15 of a 128 × 64 table,
every kernel on exactly one page), the fewest pages whose kernels are at least
``KERNEL_TILE_PX`` on screen (``paging.fewest_pages_layout``, chosen with the layout: when the
size, the font or the layer changes, not at every training step) in a layout that keeps the
first layer's filters ``FILTER_TILE_PX`` and the chosen channel's kernels ``KERNEL_TILE_PX``
where it can; the title and the grid labels name the block. Weights are signed: a diverging colour map with levels symmetric around zero
(white = 0), rounded up to a "nice" number so the scale moves in steps while training; the
levels cover the whole layer, so pages compare.

Two switches make learning visible: *Show* the weights ``W`` or their change since the model
was reset, opened or created (``W - W0``), and *per-filter scale* (every tile spans the whole
colour range; the colour bars then read in fractions of each filter's largest |w|).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent
from PyQt6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout,
                             QWidget)

from ....training.filter_change import display_values
from ...fit_layout import Option, arrange
from ...image_panel import DIVERGING_CMAP, FitCanvas
from ...kernel_blocks import KERNEL_TILE_PX, KernelBlocks, block_sizes
from ...live_view import LiveRefresh
from ...mosaic_panel import MosaicBarPanel
from ...paging import RANGE_PADDING, fewest_pages_layout
from .layout import CHANNEL, FILTERS, SPACING, TABLE, best_filters_layout, nice_levels

SHOW_MODES = (("weights", "weights W"), ("change", "change W − W0"))
FILTER_COLUMNS = (2, 4, 5, 6, 8, 10, 16, 20)
TABLE_ORIENTATIONS = ("out", "in")       # table rows: output (or input) channels
FILTER_PAGE = 32                         # first-layer filters per page, beyond 48 of them
CHANNEL_PAGE = 64                        # one output channel's kernels per page
#: Pixels a side the first layer's filters and the chosen channel's kernels keep at least
#: while the table pages (the step explainer's filters keep as much): paging the table into
#: fewer pages must not shrink the filters a lesson is about to dots.
FILTER_TILE_PX = 16
NO_CONV = "This network has no convolution layers, so it has no filters to show."


class FiltersView(LiveRefresh, QWidget):
    """Every conv layer's kernels, diverging colours, paged when there are many."""

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self._weights: dict[str, np.ndarray] = {}       # panel -> (K, H, W) drawn (all pages)
        self._baseline: dict[str, np.ndarray] = {}
        self._arch: str | None = None
        self.convs: list = []                            # LayerInfo of every conv layer
        self.table_rows = "out"
        self._blocks: KernelBlocks | None = None         # the table's pages (rows: table_rows)
        self.placements: dict = {}

        self.mode_combo = QComboBox()
        for key, text in SHOW_MODES:
            self.mode_combo.addItem(text, key)
        self.mode_combo.setToolTip("The weights, or how far training moved them since this "
                                   "model was reset, opened or created (W − W0)")
        self.mode_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.per_filter_box = QCheckBox("per-filter scale")
        self.per_filter_box.setToolTip("Scale every filter's colours to its own largest |w|, "
                                       "so its pattern shows even when its weights are small")
        self.per_filter_box.setChecked(True)
        self.per_filter_box.toggled.connect(lambda _on: self.refresh())
        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("The conv layer shown as a table of kernels")
        self.layer_combo.currentIndexChanged.connect(self._on_layer)
        self.channel_box = QSpinBox()
        self.channel_box.setToolTip("Output channel whose kernels are shown large")
        self.channel_box.valueChanged.connect(lambda _c: self.refresh())
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Show"))
        controls.addWidget(self.mode_combo)
        controls.addWidget(self.per_filter_box)
        controls.addStretch(1)
        # the layer row under the display row: on one row they made the view 587 px wide,
        # wider than a dock column at 1280 x 720 (it scrolled sideways)
        layer_row = QHBoxLayout()
        self.layer_label, self.out_label = QLabel("layer:"), QLabel("out:")
        for widget in (self.layer_label, self.layer_combo, self.out_label, self.channel_box):
            layer_row.addWidget(widget)
        layer_row.addStretch(1)

        self.graphics = pg.GraphicsView(background="k")
        self.canvas = FitCanvas(self.arrange)
        self.graphics.setCentralItem(self.canvas)
        self.panels = {
            FILTERS: MosaicBarPanel(DIVERGING_CMAP, columns=5, gap=2),
            TABLE: MosaicBarPanel(DIVERGING_CMAP, labels="grid", columns=20),
            CHANNEL: MosaicBarPanel(DIVERGING_CMAP, columns=5, gap=2),
        }
        for key, panel in self.panels.items():
            panel.set_parent(self.canvas)
            if key != TABLE:            # a last page may hold fewer kernels (a block: never)
                panel.pageChanged.connect(self.arrange)
        table = self.panels[TABLE]
        table.grid_origin = lambda start: self._blocks.origin(start) if self._blocks else (0, 0)
        table.page_label = self._block_text
        self.note = QLabel(NO_CONV)
        self.note.setWordWrap(True)
        self.status = QLabel(" ")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addLayout(layer_row)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.status)

        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.graphics.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        state.paramsChanged.connect(self.schedule_refresh)
        state.modelChanged.connect(self._on_model)
        self._on_model()

    @property
    def bars(self) -> dict[str, pg.ColorBarItem]:
        return {key: panel.bar for key, panel in self.panels.items()}

    # -- what is shown -------------------------------------------------------------------
    def _on_model(self) -> None:
        """A new model (reset, opened, created): its weights now are the baseline W0."""
        net = self.state.net
        if net.arch != self._arch:
            self._arch = net.arch
            self.convs = [layer for layer in net.describe() if layer.kind == "conv"]
            self.layer_combo.blockSignals(True)
            self.layer_combo.clear()
            for layer in self.convs[1:]:
                self.layer_combo.addItem(_describe_conv(layer), layer.name)
            self.layer_combo.blockSignals(False)
            several = len(self.convs) > 1
            for widget in (self.layer_label, self.layer_combo, self.out_label, self.channel_box):
                widget.setVisible(several)
            self.graphics.setVisible(bool(self.convs))
            self.note.setVisible(not self.convs)
            for key in (TABLE, CHANNEL):
                self.panels[key].set_visible(several)
            self.placements, self._blocks = {}, None
        params = net.params
        self._baseline = {_weight_name(l): params[_weight_name(l)].copy() for l in self.convs}
        self.schedule_refresh()

    def _on_layer(self, _index: int) -> None:
        """Another layer for the table: its shape differs, so place the panels again."""
        self.placements, self._blocks = {}, None
        for key in (TABLE, CHANNEL):
            self.panels[key].page = 0
        self.refresh()

    @property
    def show_change(self) -> bool:
        return self.mode_combo.currentData() == "change"

    @property
    def per_filter(self) -> bool:
        return self.per_filter_box.isChecked()

    def set_show_change(self, on: bool) -> None:
        self.mode_combo.setCurrentIndex(1 if on else 0)

    def table_layer(self):
        """The conv layer shown as a table (None with fewer than two conv layers)."""
        name = self.layer_combo.currentData()
        return next((layer for layer in self.convs if layer.name == name), None)

    def _shown(self, layer) -> np.ndarray:
        """``layer``'s weights ``(C_out, C_in, K, K)`` as shown: W, or W - W0."""
        key = _weight_name(layer)
        w = self.state.net.params[key]
        base = self._baseline.get(key)
        if self.show_change and base is not None and base.shape == w.shape:
            return w - base
        return w

    # -- layout --------------------------------------------------------------------------
    def _table_dims(self, rows_are: str) -> tuple[int, int, int]:
        """``(rows, columns, kernel size)`` of the table with ``rows_are`` ("out" or "in")."""
        c2, c1, k, _ = self.table_layer().params[0][1]
        return (c2, c1, k) if rows_are == "out" else (c1, c2, k)

    def _options(self, per_page: int | None = None) -> dict[str, list[Option]]:
        """Every panel's options; the table's for ``per_page`` kernels a page (None: all),
        one per orientation and block shape (value ``(rows_are, block_rows, block_cols)``)."""
        font = self.font()
        options = {FILTERS: self.panels[FILTERS].options(FILTER_COLUMNS, font)}
        if self.table_layer() is None:
            return options
        options[CHANNEL] = self.panels[CHANNEL].options(FILTER_COLUMNS, font)
        table = self.panels[TABLE]
        options[TABLE] = []
        for rows_are in TABLE_ORIENTATIONS:
            rows, columns, k = self._table_dims(rows_are)
            n = per_page or rows * columns
            for block_rows, block_cols in block_sizes(rows, columns).get(n, [(rows, columns)]):
                ew, eh = table.panel.extent(n, k, k, block_cols)
                options[TABLE].append(Option((rows_are, block_rows, block_cols), ew / eh, eh,
                                             extra_w=table.bar_width(font)))
        return options

    def arrange(self, *_args) -> None:
        """Choose the table's blocks and place the panels and their colour bars for the
        canvas's current size."""
        size = self.canvas.size()
        if not self.convs or not self._weights or size.width() < 20 or size.height() < 20:
            return
        title_px = max(p.title_px() for p in self.panels.values())
        if self.table_layer() is None:
            self.placements = arrange(size.width(), size.height(), [[[FILTERS]]],
                                      self._options(), title_px=title_px, spacing=SPACING)
        else:
            c2, c1, k, _ = self.table_layer().params[0][1]
            (_, self.placements), _ = fewest_pages_layout(
                TABLE, list(block_sizes(c2, c1)),
                lambda per_page: self.table_layout(per_page[TABLE]), (k, k),
                floor=KERNEL_TILE_PX)
        changed = False
        for key, place in self.placements.items():
            if key == TABLE:
                rows_are, block_rows, block_cols = place.value
                changed = self._set_blocks(rows_are, block_rows, block_cols)
                self.panels[key].place(place, self.font(), block_cols)
            else:
                self.panels[key].place(place, self.font())
        if changed:
            self.refresh()

    def table_layout(self, per_page: int) -> tuple[dict, dict]:
        """``(options, placements)`` of the three panels at the canvas's size with the
        table paged ``per_page`` kernels a page. Where it can, the layout keeps the table's
        kernels ``KERNEL_TILE_PX``, the chosen channel's ``KERNEL_TILE_PX`` and the first
        layer's filters ``FILTER_TILE_PX`` a side (``least``: pixels per data pixel)."""
        size = self.canvas.size()
        k = self.table_layer().params[0][1][2]
        k1 = self.convs[0].params[0][1][2]
        least = {TABLE: KERNEL_TILE_PX * RANGE_PADDING / k,
                 FILTERS: FILTER_TILE_PX * RANGE_PADDING / k1,
                 CHANNEL: KERNEL_TILE_PX * RANGE_PADDING / k}
        options = self._options(per_page)
        title_px = max(p.title_px() for p in self.panels.values())
        return options, best_filters_layout(size.width(), size.height(), options, title_px,
                                            least)

    def _set_blocks(self, rows_are: str, block_rows: int, block_cols: int) -> bool:
        """Page the table in ``block_rows x block_cols`` blocks with rows ``rows_are``,
        keeping the first kernel shown now on the page shown. True if that changed."""
        blocks = KernelBlocks(*self._table_dims(rows_are)[:2], block_rows, block_cols)
        if (rows_are, blocks) == (self.table_rows, self._blocks):
            return False
        panel = self.panels[TABLE]
        first = self._kernel_of(panel.page_start) if self._blocks is not None else (0, 0)
        self.table_rows, self._blocks = rows_are, blocks
        panel.pager.page_size = blocks.page_size if blocks.pages > 1 else None
        panel.pager.page = blocks.page_of(*(first if rows_are == "out" else first[::-1]))
        return True

    def _block_text(self, compact: bool) -> str:
        """The table page's block for its title (``KernelBlocks.text``)."""
        if self._blocks is None:
            return ""
        names = ("out", "in") if self.table_rows == "out" else ("in", "out")
        return self._blocks.text(self.panels[TABLE].page_start, compact, *names)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.arrange()

    # -- refresh -------------------------------------------------------------------------
    def refresh(self) -> None:
        if not self.convs:
            return
        first = self.convs[0]
        w1 = self._shown(first)                           # (C1, 1, K, K)
        n1, _, k1, _ = w1.shape
        # copies: the network's arrays change in place, and ImageItem keeps what it is given
        self._weights = {FILTERS: w1[:, 0].copy()}
        self._draw(FILTERS, self._weights[FILTERS], FILTER_PAGE if n1 > 48 else None)
        change = "Δ " if self.show_change else ""
        what = "change (W − W0)" if self.show_change else "filters"
        titles = {FILTERS: [f"{first.name} {what} ({n1} × {k1}×{k1})",
                            f"{first.name} {what}", f"{change}{first.name}"]}
        layer = self.table_layer()
        if layer is not None:
            w2 = self._shown(layer)                       # (C2, C1, K, K)
            c2, c1, k, _ = w2.shape
            self.channel_box.setMaximum(c2 - 1)
            out = self.channel_box.value()
            table = w2 if self.table_rows == "out" else w2.transpose(1, 0, 2, 3)
            rows, cols = table.shape[:2]
            if self._blocks is None or (self._blocks.rows, self._blocks.cols) != (rows, cols):
                self._blocks = KernelBlocks.whole(rows, cols)       # until the layout pages it
            blocks = self._blocks
            # block after block (``KernelBlocks.order``): a page is one block of the table
            self._weights[TABLE] = table.reshape(rows * cols, k, k)[blocks.order()]
            self._weights[CHANNEL] = w2[out].copy()
            self.panels[TABLE].columns = blocks.block_cols
            levels = nice_levels(self._weights[TABLE])      # the whole layer: pages compare
            self._draw(TABLE, self._weights[TABLE],
                       blocks.page_size if blocks.pages > 1 else None, levels)
            self._draw(CHANNEL, self._weights[CHANNEL], CHANNEL_PAGE if c1 > CHANNEL_PAGE
                       else None, levels)
            rows = "row = out, column = in" if self.table_rows == "out" else \
                "row = in, column = out"
            titles[TABLE] = [f"{change}{layer.name} {c2}×{c1} kernels {k}×{k}: {rows}",
                             f"{change}{layer.name}: {rows}", f"{change}{layer.name}"]
            titles[CHANNEL] = [f"{change}{layer.name} out {out}: its {c1} kernels",
                               f"{change}{layer.name} out {out}", f"{layer.name}[{out}]"]
        for key, candidates in titles.items():
            self.panels[key].set_titles(candidates)
        if not self.placements:
            self.arrange()

    def _draw(self, key: str, maps: np.ndarray, page_size: int | None, levels=None) -> None:
        panel = self.panels[key]
        if panel.page_size != page_size:
            panel.page_size, panel.page = page_size, 0
        if key != TABLE:        # channel numbers about a third of a kernel's height
            gap = max(1, round(maps.shape[1] * 0.4))
            if gap != panel.panel.gap:
                panel.panel.gap, panel.panel.mosaic = gap, None
        levels = levels or nice_levels(maps)
        ticks = None
        if self.per_filter:             # each tile spans the whole colour range
            maps, levels = display_values(maps, per_filter=True), (-1.0, 1.0)
            # per filter the bar reads "fraction of each filter's largest |w|": -1, 0, 1
            ticks = [[(-1.0, "-1"), (0.0, "0"), (1.0, "1")]]
        panel.set_maps(maps, levels, ticks)

    def table_index(self, out: int, inp: int) -> int:
        """The table's (global) tile index of kernel ``(out, inp)``: its place in the
        drawn order, block after block."""
        b = self._blocks
        row, col = (out, inp) if self.table_rows == "out" else (inp, out)
        return (b.page_of(row, col) * b.page_size + (row % b.block_rows) * b.block_cols
                + col % b.block_cols)

    def _kernel_of(self, index: int) -> tuple[int, int]:
        """``(out, in)`` of the table's tile ``index`` (global, in the drawn order)."""
        b = self._blocks
        page, place = divmod(int(index), b.page_size)
        row0, col0 = b.origin(page * b.page_size)
        row, col = row0 + place // b.block_cols, col0 + place % b.block_cols
        return (row, col) if self.table_rows == "out" else (col, row)

    def levels(self, key: str) -> tuple[float, float]:
        """The ``(low, high)`` levels of a panel's image (symmetric around zero)."""
        return self.panels[key].levels()

    def _on_mouse_moved(self, scene_pos) -> None:
        for key, panel in self.panels.items():
            found = panel.locate(scene_pos) if key in self.placements else None
            if found is None:
                continue
            index, row, col = found
            value = self._weights[key][index, row, col]
            if key == FILTERS:
                where = f"{self.convs[0].name} filter {index}"
            else:
                out, inp = ((self.channel_box.value(), index) if key == CHANNEL
                            else self._kernel_of(index))
                where = f"{self.table_layer().name} kernel out {out} <- in {inp}"
            what = "change since reset" if self.show_change else "weight"
            self.status.setText(f"{where} · (row {row}, col {col}) {what} = {value:+.4g}")
            return

    def _on_mouse_clicked(self, event) -> None:
        """A click on a filter selects its output channel (the channel card shows it)."""
        for key, panel in self.panels.items():
            found = panel.locate(event.scenePos()) if key in self.placements else None
            if found is None:
                continue
            if key == FILTERS:
                self.state.select_channel(self.convs[0].name, found[0])
            elif key == CHANNEL:
                self.state.select_channel(self.table_layer().name, self.channel_box.value())
            else:
                self.state.select_channel(self.table_layer().name, self._kernel_of(found[0])[0])
            return


def _weight_name(layer) -> str:
    """The state_dict name of a conv layer's weight (``describe()``'s first parameter)."""
    return layer.params[0][0]


def _describe_conv(layer) -> str:
    c_out, c_in, k, _ = layer.params[0][1]
    return f"{layer.name} ({c_out} × {c_in}×{k}×{k})"
