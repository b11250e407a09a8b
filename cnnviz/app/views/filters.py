"""The learned filters of every conv layer, live, for any channel count and kernel size.

The conv layers come from ``net.describe()``. Three panels (``MosaicBarPanel``: title, mosaic,
colour bar):

* ``filters``: the first conv layer's filters, one ``K x K`` kernel each (it reads the one
  input channel);
* ``table``: a later conv layer (chosen with *layer*) as a table of kernels: row = output
  channel, column = input channel (or turned, when a wide table fits the view better);
* ``channel``: the kernels of one output channel of that layer (chosen with *out*), large.

A network with one conv layer shows only ``filters``; one with none says so. Layers with many
channels page (◀ ▶ beside the title; a table pages by whole rows) rather than shrinking
kernels to dots. Weights are signed: a diverging colour map with levels symmetric around zero
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

from ...training.filter_change import display_values
from ..fit_layout import Option, Placement, arrange
from ..image_panel import DIVERGING_CMAP, FitCanvas
from ..lazy_refresh import RefreshWhenExposed
from ..mosaic import symmetric_levels
from ..mosaic_panel import MosaicBarPanel

SHOW_MODES = (("weights", "weights W"), ("change", "change W − W0"))
FILTERS, TABLE, CHANNEL = "filters", "table", "channel"
FILTER_COLUMNS = (2, 4, 5, 6, 8, 10, 16, 20)
TABLE_ORIENTATIONS = ("out", "in")       # table rows: output (or input) channels
FILTER_PAGE = 32                         # first-layer filters per page, beyond 48 of them
TABLE_TILES = 1000                       # kernels per table page (LeNet's 50 x 20 fit)
CHANNEL_PAGE = 64                        # one output channel's kernels per page
ROW_TEMPLATES = [[[FILTERS, CHANNEL, TABLE]], [[FILTERS, CHANNEL], [TABLE]],
                 [[FILTERS], [CHANNEL], [TABLE]]]
SPACING = 8.0
NO_CONV = "This network has no convolution layers, so it has no filters to show."


class FiltersView(RefreshWhenExposed, QWidget):
    """Every conv layer's kernels, diverging colours, paged when there are many."""

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self._dirty = True
        self._weights: dict[str, np.ndarray] = {}       # panel -> (K, H, W) drawn (all pages)
        self._baseline: dict[str, np.ndarray] = {}
        self._arch: str | None = None
        self.convs: list = []                            # LayerInfo of every conv layer
        self.table_rows = "out"
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
        for panel in self.panels.values():
            panel.set_parent(self.canvas)
            panel.pageChanged.connect(self.arrange)     # a last page may hold fewer kernels
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
            self.placements = {}
        params = net.params
        self._baseline = {_weight_name(l): params[_weight_name(l)].copy() for l in self.convs}
        self.schedule_refresh()

    def _on_layer(self, _index: int) -> None:
        """Another layer for the table: its shape differs, so place the panels again."""
        self.placements = {}
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
    def _table_shape(self, rows_are: str) -> tuple[int, int, int, int | None]:
        """``(rows in all, columns, kernel, tiles per page or None)`` of the table."""
        c2, c1, k, _ = self.table_layer().params[0][1]
        rows, columns = (c2, c1) if rows_are == "out" else (c1, c2)
        per_page = max(1, TABLE_TILES // columns)
        return rows, columns, k, (per_page * columns if rows > per_page else None)

    def _options(self) -> dict[str, list[Option]]:
        font = self.font()
        options = {FILTERS: self.panels[FILTERS].options(FILTER_COLUMNS, font)}
        if self.table_layer() is None:
            return options
        options[CHANNEL] = self.panels[CHANNEL].options(FILTER_COLUMNS, font)
        table = self.panels[TABLE]
        options[TABLE] = []
        for rows_are in TABLE_ORIENTATIONS:
            rows, columns, k, page = self._table_shape(rows_are)
            ew, eh = table.panel.extent(page or rows * columns, k, k, columns)
            options[TABLE].append(Option(rows_are, ew / eh, eh, extra_w=table.bar_width(font)))
        return options

    def arrange(self, *_args) -> None:
        """Place the panels and their colour bars for the canvas's current size."""
        size = self.canvas.size()
        if not self.convs or not self._weights or size.width() < 20 or size.height() < 20:
            return
        options = self._options()
        title_px = max(p.title_px() for p in self.panels.values())
        if len(options) == 1:
            self.placements = arrange(size.width(), size.height(), [[[FILTERS]]], options,
                                      title_px=title_px, spacing=SPACING)
        else:
            self.placements = best_filters_layout(size.width(), size.height(), options,
                                                  title_px)
        turned = False
        for key, place in self.placements.items():
            if key == TABLE:
                turned = place.value != self.table_rows
                self.table_rows = place.value
                columns = self._table_shape(place.value)[1]
                self.panels[key].place(place, self.font(), columns)
            else:
                self.panels[key].place(place, self.font())
        if turned:
            self.refresh()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.arrange()

    # -- refresh -------------------------------------------------------------------------
    def refresh(self) -> None:
        self._dirty = False
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
            self._weights[TABLE] = table.reshape(c2 * c1, k, k).copy()
            self._weights[CHANNEL] = w2[out].copy()
            self.panels[TABLE].columns = c1 if self.table_rows == "out" else c2
            levels = nice_levels(self._weights[TABLE])
            self._draw(TABLE, self._weights[TABLE], self._table_shape(self.table_rows)[3], levels)
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
        """The table's (global) tile index of kernel ``(out, inp)``."""
        c2, c1 = self.table_layer().params[0][1][:2]
        return out * c1 + inp if self.table_rows == "out" else inp * c2 + out

    def _kernel_of(self, index: int) -> tuple[int, int]:
        """``(out, in)`` of the table's tile ``index``."""
        c2, c1 = self.table_layer().params[0][1][:2]
        return divmod(index, c1) if self.table_rows == "out" else divmod(index, c2)[::-1]

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


def best_filters_layout(width: float, height: float, options: dict[str, list[Option]],
                        title_px: float) -> dict:
    """The best placement of the three panels: rows (``ROW_TEMPLATES``) or the filters and
    the chosen channel's kernels as one column beside the table (its width tried at a few
    fractions of the view), scored like ``fit_layout.arrange``."""

    def score(placements) -> float:
        if len(placements) != len(options):
            return -np.inf
        return sum(np.log(p.content_h / next(o.native_h for o in options[k]
                                             if o.value == p.value))
                   for k, p in placements.items())

    best = arrange(width, height, ROW_TEMPLATES, options, title_px=title_px, spacing=SPACING)
    best_score = score(best)
    for fraction in np.linspace(0.2, 0.6, 9):
        left_w = width * fraction
        left = arrange(left_w, height, [[[FILTERS], [CHANNEL]]],
                       {k: options[k] for k in (FILTERS, CHANNEL)},
                       title_px=title_px, spacing=SPACING)
        right = arrange(width - left_w - SPACING, height, [[[TABLE]]],
                        {TABLE: options[TABLE]}, title_px=title_px, spacing=SPACING)
        if not left or not right:
            continue
        # the column hugs its content: the table starts right after the column's widest panel
        used = max(p.rect[0] + p.rect[2] for p in left.values())
        lx = min(p.rect[0] for p in left.values())
        shifted = {k: Placement(p.value, (p.rect[0] - lx, *p.rect[1:]), p.content_h)
                   for k, p in left.items()}
        table = right[TABLE]
        tx = used - lx + SPACING + (width - (used - lx) - SPACING - table.rect[2]) / 2
        shifted[TABLE] = Placement(table.value, (tx, *table.rect[1:]), table.content_h)
        s = score(shifted)
        if s > best_score:
            best, best_score = shifted, s
    return best


NICE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_levels(values: np.ndarray) -> tuple[float, float]:
    """``(-m, m)`` with ``m`` the largest |value| rounded up to 1, 1.2, 1.5, 2, ... x 10^k."""
    m = symmetric_levels(values)[1]
    scale = 10.0 ** np.floor(np.log10(m))
    step = next(f for f in NICE_STEPS if f * scale >= m * (1 - 1e-9))
    return (-float(step * scale), float(step * scale))
