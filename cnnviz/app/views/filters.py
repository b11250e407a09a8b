"""The learned filters, live: conv1's 20 5x5 filters and conv2's 50 x 20 kernels.

Weights are signed, so both mosaics use a diverging colour map with levels symmetric around
zero (white = 0, blue negative, red positive), each with a colour bar showing its scale.
The scale is rounded up to a "nice" number (0.25, 0.3, 0.4, ...), so while training it
moves in steps instead of jittering every snapshot (and the colour bars redraw rarely).
conv2 is a table: row = output channel (0-49), column = input channel (0-19); a spin box
picks one output channel whose 20 kernels are also shown large.

Two switches make learning visible: *Show* the weights ``W`` or their change since the model
was reset, opened or created (``W - W0``), and *each filter its own scale* (per-filter colour
scaling: every tile spans the whole colour range, so a filter's structure shows even when its
weights are small; the colour bars then read in fractions of each filter's largest |w|).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QRectF
from PyQt6.QtGui import QFontMetricsF
from PyQt6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout,
                             QWidget)

from ..fit_layout import Option, Placement, arrange
from ..image_panel import DIVERGING_CMAP, FitCanvas, MosaicPanel, colormap
from ..mosaic import symmetric_levels
from ..lazy_refresh import RefreshWhenExposed
from ...training.filter_change import display_values

SHOW_MODES = (("weights", "weights W"), ("change", "change W − W0"))

# column counts for the two mosaics of 20 filters (whichever fits the widget best)
FILTER_COLUMNS = (2, 4, 5, 10, 20)
# the conv2 table: row = output channel ("out") or row = input channel ("in", a wide table)
TABLE_ORIENTATIONS = ("out", "in")
# rows of panels to choose from (besides the "filters column beside the table" layout)
ROW_TEMPLATES = [
    [["conv1", "conv2_channel", "conv2"]],
    [["conv1", "conv2_channel"], ["conv2"]],
    [["conv1"], ["conv2_channel"], ["conv2"]],
]
SPACING = 8.0


class FiltersView(RefreshWhenExposed, QWidget):
    """conv1 filters, conv2 kernels (all, and one output channel's), diverging colours."""

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self._dirty = True
        self._weights: dict[str, np.ndarray] = {}
        self.table_rows = "out"          # conv2 table: rows are output (or input) channels
        self.placements: dict = {}
        self._baseline: dict[str, np.ndarray] = {}

        self.channel_box = QSpinBox()
        self.channel_box.setToolTip("conv2 output channel whose 20 kernels are shown large")
        self.channel_box.valueChanged.connect(lambda _c: self.refresh())
        self.mode_combo = QComboBox()
        for key, text in SHOW_MODES:
            self.mode_combo.addItem(text, key)
        self.mode_combo.setToolTip("The weights, or how far training moved them since this "
                                   "model was reset, opened or created (W − W0)")
        self.mode_combo.currentIndexChanged.connect(lambda _i: self._restyle())
        self.per_filter_box = QCheckBox("per-filter scale")
        self.per_filter_box.setToolTip("Scale every filter's colours to its own largest |w|, "
                                       "so its pattern shows even when its weights are small")
        self.per_filter_box.setChecked(True)
        self.per_filter_box.toggled.connect(lambda _on: self._restyle())
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Show"))
        controls.addWidget(self.mode_combo)
        controls.addWidget(self.per_filter_box)
        controls.addSpacing(8)
        out_label = QLabel("conv2 out:")
        out_label.setToolTip(self.channel_box.toolTip())
        controls.addWidget(out_label)
        controls.addWidget(self.channel_box)
        controls.addStretch(1)

        # panels placed by hand (``arrange``): conv1 and the chosen channel's kernels as one
        # column beside the conv2 table when the view is wide, everything in rows when tall
        self.graphics = pg.GraphicsView(background="k")
        self.canvas = FitCanvas(self.arrange)
        self.graphics.setCentralItem(self.canvas)
        cmap = colormap(DIVERGING_CMAP)
        self.panels = {
            "conv1": MosaicPanel("conv1 filters (20 × 5×5)", DIVERGING_CMAP, columns=5, gap=2),
            "conv2": MosaicPanel("conv2 kernels", DIVERGING_CMAP, columns=20, labels="grid"),
            "conv2_channel": MosaicPanel("", DIVERGING_CMAP, columns=5, gap=2),
        }
        self.bars = {}
        for key, panel in self.panels.items():
            panel.layout.setContentsMargins(0, 0, 0, 0)
            panel.layout.setParentItem(self.canvas)
            self.bars[key] = self._colour_bar(cmap, panel)
            self.bars[key].setParentItem(self.canvas)

        self.status = QLabel(" ")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.status)

        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.graphics.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        state.paramsChanged.connect(self.schedule_refresh)
        state.modelChanged.connect(self._on_model)
        self._on_model()

    # -- what is shown -------------------------------------------------------------------
    def _on_model(self) -> None:
        """A new model (reset, opened, created): its weights now are the baseline W0."""
        params = self.state.net.params
        self._baseline = {k: params[k].copy() for k in ("conv1.weight", "conv2.weight")}
        self.schedule_refresh()

    @property
    def show_change(self) -> bool:
        return self.mode_combo.currentData() == "change"

    @property
    def per_filter(self) -> bool:
        return self.per_filter_box.isChecked()

    def set_show_change(self, on: bool) -> None:
        self.mode_combo.setCurrentIndex(1 if on else 0)

    def _restyle(self) -> None:
        self._titles = None                 # new titles: re-placed on the next refresh
        self.refresh()

    def _shown(self, key: str) -> np.ndarray:
        """The weights ``key`` as shown: W, or W - W0 (a baseline of another shape: W)."""
        w = self.state.net.params[key]
        base = self._baseline.get(key)
        if self.show_change and base is not None and base.shape == w.shape:
            return w - base
        return w

    # -- layout --------------------------------------------------------------------------
    def _tick_width(self) -> float:
        """Width of a colour bar's tick labels ("-0.25") in the current font."""
        return QFontMetricsF(self.font()).horizontalAdvance("-0.25") + 14

    def _bar_width(self) -> float:
        """Room right of a mosaic for its colour bar and tick labels."""
        return 4 + 14 + self._tick_width()

    def _options(self) -> dict[str, list[Option]]:
        w1 = self.state.net.params["conv1.weight"]
        w2 = self.state.net.params["conv2.weight"]
        c2, c1, k, _ = w2.shape
        bar = self._bar_width()
        options = {}
        for key, count in (("conv1", w1.shape[0]), ("conv2_channel", c1)):
            panel = self.panels[key]
            options[key] = []
            for columns in sorted({min(c, count) for c in FILTER_COLUMNS if -count % c < c / 2}):
                ew, eh = panel.extent(count, k, k, columns)
                options[key].append(Option(columns, ew / eh, eh, extra_w=bar))
        table = self.panels["conv2"]
        options["conv2"] = []
        for rows_are in TABLE_ORIENTATIONS:
            columns = c1 if rows_are == "out" else c2
            ew, eh = table.extent(c1 * c2, k, k, columns)
            options["conv2"].append(Option(rows_are, ew / eh, eh, extra_w=bar))
        return options

    def arrange(self, *_args) -> None:
        """Place the three mosaics and their colour bars for the canvas's current size."""
        size = self.canvas.size()
        if not hasattr(self, "panels") or size.width() < 20 or size.height() < 20:
            return
        options = self._options()
        title_px = max(p.title.minimumHeight() for p in self.panels.values()) + 2
        self.placements = best_filters_layout(size.width(), size.height(), options, title_px)
        bar = self._bar_width()
        relayout = False
        for key, place in self.placements.items():
            x, y, w, h = place.rect
            panel = self.panels[key]
            self._fit_title(key, w - bar)
            panel.layout.setGeometry(QRectF(x, y, w - bar, h))
            top = y + h - place.content_h
            # pyqtgraph fixes the ticks' width at 45 px: "-0.25" in large type needs more
            self.bars[key].axis.setWidth(self._tick_width())
            # inset by half a line: the end ticks' text is centred on the bar's ends
            pad = min(QFontMetricsF(self.font()).height() / 2, place.content_h / 4)
            self.bars[key].setGeometry(QRectF(x + w - bar + 4, top + pad, bar - 4,
                                              place.content_h - 2 * pad))
            if key == "conv2":
                if place.value != self.table_rows:
                    self.table_rows = place.value
                    relayout = True
            elif place.value != panel.columns:
                panel.columns = place.value
                relayout = True
        if relayout and self._weights:
            self.refresh()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.arrange()

    @staticmethod
    def _colour_bar(cmap, panel: MosaicPanel) -> pg.ColorBarItem:
        bar = pg.ColorBarItem(values=(-1, 1), colorMap=cmap, interactive=False, width=14,
                              colorMapMenu=False)
        return bar

    # -- refresh -------------------------------------------------------------------------
    def refresh(self) -> None:
        self._dirty = False
        w1 = self._shown("conv1.weight")                  # (C1, 1, K, K)
        w2 = self._shown("conv2.weight")                  # (C2, C1, K, K)
        c2, c1, k, _ = w2.shape
        self.channel_box.setMaximum(c2 - 1)
        out = self.channel_box.value()
        # the table's tiles in reading order: row = output channel, or row = input channel
        table = w2 if self.table_rows == "out" else w2.transpose(1, 0, 2, 3)
        # copies: the network's arrays change in place, and ImageItem keeps what it is given
        self._weights = {"conv1": w1[:, 0].copy(), "conv2": table.reshape(c2 * c1, k, k).copy(),
                         "conv2_channel": w2[out].copy()}
        self.panels["conv2"].columns = c1 if self.table_rows == "out" else c2
        levels2 = nice_levels(self._weights["conv2"])
        for key, levels in (("conv1", nice_levels(self._weights["conv1"])),
                            ("conv2", levels2), ("conv2_channel", levels2)):
            maps = self._weights[key]
            if self.per_filter:             # each tile spans the whole colour range
                maps, levels = display_values(maps, per_filter=True), (-1.0, 1.0)
            self.panels[key].set_maps(maps, levels)
            if tuple(self.bars[key].levels()) != levels:   # an axis redraw costs milliseconds
                self.bars[key].setLevels(levels)
            # per filter the bar reads "fraction of each filter's largest |w|": -1, 0, 1 say it
            ticks = [[(-1.0, "-1"), (0.0, "0"), (1.0, "1")]] if self.per_filter else None
            if getattr(self.bars[key], "_pace_ticks", None) != ticks:
                self.bars[key]._pace_ticks = ticks
                self.bars[key].axis.setTicks(ticks)
        n1 = w1.shape[0]
        titles = {
            "conv1": ([f"conv1 change since reset ({n1} × 5×5)", "conv1 change (W − W0)",
                       "conv1 ΔW", "ΔW"] if self.show_change else
                      [f"conv1 filters ({n1} × 5×5)", "conv1 filters", "conv1"]),
            "conv2": (["conv2: row = out, column = in", "conv2 (row = out)", "conv2 out×in"]
                      if self.table_rows == "out" else
                      ["conv2: row = in, column = out", "conv2 (row = in)", "conv2 in×out"]),
            "conv2_channel": [f"conv2 out {out}: its {c1} kernels", f"conv2 out {out}",
                              f"out {out}"]}
        if self.show_change:
            titles["conv2"] = ["Δ " + t for t in titles["conv2"]]
            titles["conv2_channel"] = ["Δ " + t for t in titles["conv2_channel"]]
        if titles != getattr(self, "_titles", None) or not self.placements:
            self._titles = titles
            self.arrange()

    def _fit_title(self, key: str, width: float) -> None:
        """The longest of the panel's titles that fits ``width`` pixels (a title wider than
        its panel would widen the panel over its colour bar)."""
        titles = (getattr(self, "_titles", None) or {}).get(key)
        if not titles:
            return
        title = self.panels[key].title
        metrics = QFontMetricsF(title.item.font())
        fitting = [t for t in titles if metrics.horizontalAdvance(t) + 8 <= width]
        self.panels[key].set_title(fitting[0] if fitting else titles[-1])

    def table_index(self, out: int, inp: int) -> int:
        """The conv2 table's tile index of kernel ``(out, inp)`` (rows are output channels
        in a tall table, input channels in a wide one)."""
        c2, c1 = self.state.net.params["conv2.weight"].shape[:2]
        return out * c1 + inp if self.table_rows == "out" else inp * c2 + out

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
                c2 = self._weights["conv2"].shape[0] // c1
                if key == "conv2_channel":
                    out, inp = self.channel_box.value(), index
                elif self.table_rows == "out":
                    out, inp = divmod(index, c1)
                else:
                    inp, out = divmod(index, c2)
                where = f"conv2 kernel out {out} <- in {inp}"
            what = "change since reset" if self.show_change else "weight"
            self.status.setText(f"{where} · (row {row}, col {col}) {what} = {value:+.4g}")
            return

    def _on_mouse_clicked(self, event) -> None:
        """A click on a filter selects its output channel (the channel card shows it)."""
        for key, panel in self.panels.items():
            found = panel.locate(event.scenePos())
            if found is None:
                continue
            if key == "conv1":
                self.state.select_channel("conv1", found[0])
            elif key == "conv2_channel":
                self.state.select_channel("conv2", self.channel_box.value())
            else:
                c1 = self._weights["conv2_channel"].shape[0]
                c2 = self._weights["conv2"].shape[0] // c1
                out = divmod(found[0], c1)[0] if self.table_rows == "out" else found[0] % c2
                self.state.select_channel("conv2", out)
            return


def best_filters_layout(width: float, height: float, options: dict[str, list[Option]],
                        title_px: float) -> dict:
    """The best placement of the three panels: rows (``ROW_TEMPLATES``) or conv1 and the
    chosen channel's kernels as one column beside the conv2 table (its width tried at a
    few fractions of the view), scored like ``fit_layout.arrange``."""

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
        left = arrange(left_w, height, [[["conv1"], ["conv2_channel"]]],
                       {k: options[k] for k in ("conv1", "conv2_channel")},
                       title_px=title_px, spacing=SPACING)
        right = arrange(width - left_w - SPACING, height, [[["conv2"]]],
                        {"conv2": options["conv2"]}, title_px=title_px, spacing=SPACING)
        if not left or not right:
            continue
        # the column hugs its content: the table starts right after the column's widest panel
        used = max(p.rect[0] + p.rect[2] for p in left.values())
        lx = min(p.rect[0] for p in left.values())
        shifted = {k: Placement(p.value, (p.rect[0] - lx, *p.rect[1:]), p.content_h)
                   for k, p in left.items()}
        table = right["conv2"]
        tx = used - lx + SPACING + (width - (used - lx) - SPACING - table.rect[2]) / 2
        shifted["conv2"] = Placement(table.value, (tx, *table.rect[1:]), table.content_h)
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
