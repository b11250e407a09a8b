"""One step, before and after: what a single mini-batch of SGD did to the network.

After each Step (``state.stepped`` calls ``show_step(detail)`` with the worker's ``StepDetail``)
the view shows:

* the batch's digits with their true labels and the network's predictions before and after
  the update (click a digit to follow it in the gradient tabs);
* the batch's mean loss before and after the update, large, and their difference;
* tab "Weight change": delta-W = W_after - W_before of conv1 (20 5x5 filters) and conv2
  (50 x 20 kernels), each mosaic with ITS OWN colour scale symmetric around zero and a colour
  bar, plus the largest |delta| of every parameter;
* tab "Gradients": d loss / d (each feature map) for the chosen digit: conv1, relu1, pool1,
  conv2, relu2, pool2 (symmetric scales, written in each title);
* tab "Max-pool routing": for one channel of pool1 and of pool2, the gradient arriving at the
  pool output and, after max-pool backward, at the pre-pool resolution, with the winner of
  each 2x2 window outlined: the gradient reaches only the winner of each window.

Every number is the worker's: ``detail.delta(name)`` is exactly what the optimizer changed,
the gradients are the backward pass of that very step (``detail.output_grads``), and the
winner masks come from re-running the forward pass of the chosen digit with the weights
before the update (the pass the backward went through).

Public API (tests, scripts): ``show_step(detail)``, ``select_digit(k)``,
``select_pool_channel(pool, channel)``, ``shown_delta(name)`` (the delta-W drawn, read back
from the mosaic), ``shown_grad(layer)``, ``routing(pool)`` -> dict of the arrays drawn,
``digit``, ``detail``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QFontMetricsF, QPainterPath, QPen
from PyQt6.QtWidgets import (QFrame, QGraphicsPathItem, QGridLayout, QHBoxLayout, QLabel,
                             QScrollArea, QSizePolicy, QSpinBox, QTabWidget, QVBoxLayout, QWidget)

from ...nn import build_network
from ..digit_widgets import DigitImage
from ..fit_layout import Option, Placement, arrange
from ..image_panel import DIVERGING_CMAP, FitCanvas, ImagePanel, MosaicPanel, colormap
from ..label_fit import fit_label
from ..mosaic import symmetric_levels
from ..state import is_exposed

MAX_DIGITS = 12                  # batch digits shown in the strip
GRAD_LAYERS = ("conv1", "relu1", "pool1", "conv2", "relu2", "pool2")
POOLS = {"pool1": "relu1", "pool2": "relu2"}       # pool -> the layer feeding it
GOOD, BAD = "#2e9e3e", "#d23a2a"
WINNER_COLOUR = QColor(40, 200, 60)
GRAD_COLUMNS = (4, 5, 10, 20, 25)     # mosaic column counts to choose from
GRAD_TEMPLATES = [                        # rows of gradient panels to choose from
    [["conv1", "relu1", "pool1"], ["conv2", "relu2", "pool2"]],
    [["conv1", "relu1"], ["pool1", "conv2"], ["relu2", "pool2"]],
    [["conv1", "relu1", "pool1", "conv2", "relu2", "pool2"]],
    [["conv1"], ["relu1"], ["pool1"], ["conv2"], ["relu2"], ["pool2"]],
]


def routed_levels(*arrays: np.ndarray) -> tuple[float, float]:
    """One symmetric scale for a pool's output gradient and its routed gradient."""
    return symmetric_levels(np.concatenate([np.ravel(a) for a in arrays]))


def format_change(change: float) -> str:
    """The loss difference, signed; tiny changes (a trained net) in scientific notation."""
    return f"{change:+.4f}" if abs(change) >= 5e-4 or change == 0 else f"{change:+.1e}"


def _scale_text(levels: tuple[float, float]) -> str:
    return f"±{levels[1]:.2g}"


class _DigitCell(QFrame):
    """One batch digit: the image, and "label 3 · 5 → 3" under it; click selects it."""

    clicked = pyqtSignal(int)

    def __init__(self, index: int, parent=None) -> None:
        super().__init__(parent)
        self.index = index
        self.image = DigitImage(minimum=48)
        self.caption = QLabel(" ")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.caption)
        self.setObjectName("digitCell")
        self.set_selected(False)

    def set_selected(self, on: bool) -> None:
        colour = "#ffaa28" if on else "#555555"
        self.setStyleSheet(f"#digitCell {{ border: {3 if on else 1}px solid {colour}; }}")

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.index)
        super().mousePressEvent(event)


def _grid_path(h: int, w: int, step: int) -> QPainterPath:
    """Lines every ``step`` pixels over an ``h x w`` image (the pooling windows)."""
    path = QPainterPath()
    for y in range(0, h + 1, step):
        path.moveTo(0, y)
        path.lineTo(w, y)
    for x in range(0, w + 1, step):
        path.moveTo(x, 0)
        path.lineTo(x, h)
    return path


def _winner_path(mask: np.ndarray) -> QPainterPath:
    """A square around every True pixel of ``mask (H, W)``."""
    path = QPainterPath()
    for y, x in zip(*np.nonzero(mask)):
        path.addRect(float(x) + 0.08, float(y) + 0.08, 0.84, 0.84)
    return path


def _path_item(colour: QColor, width: float, z: float = 6) -> QGraphicsPathItem:
    item = QGraphicsPathItem()
    pen = QPen(colour)
    pen.setCosmetic(True)
    pen.setWidthF(width)
    item.setPen(pen)
    item.setZValue(z)
    return item


class StepExplainerView(QWidget):
    """The last single step: batch, loss before/after, delta-W, gradients, pool routing."""

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("stepExplainerView")
        self.state = state
        self.detail = None
        self.digit = 0                       # index into the batch of the followed digit
        self.pool_channel = {"pool1": 0, "pool2": 0}
        self._auto_channel = True            # pick the strongest channel for a new digit
        self._masks: dict[str, np.ndarray] = {}
        self._routing: dict[str, dict[str, np.ndarray]] = {}
        self._scratch = None
        self._dirty = False
        self._build()
        state.modelChanged.connect(self._on_model)
        state.stepped.connect(self.show_step)

    # -- construction ----------------------------------------------------------------------
    def _build(self) -> None:
        self.intro = QLabel("Press Step (S) to train exactly one mini-batch and see what it "
                            "changed.")
        self.intro.setWordWrap(True)

        self.loss_before = QLabel("–")
        self.loss_after = QLabel("–")
        self.loss_change = QLabel("–")
        losses = QGridLayout()
        for col, (title, label) in enumerate((("loss before", self.loss_before),
                                              ("loss after", self.loss_after),
                                              ("change", self.loss_change))):
            caption = QLabel(title)
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            losses.addWidget(caption, 0, col)
            losses.addWidget(label, 1, col)
        self._loss_captions = [losses.itemAtPosition(0, c).widget() for c in range(3)]
        # the numbers shrink to fit (``_fit_loss_font``): never a minimum width for the window
        for label in [self.loss_before, self.loss_after, self.loss_change] + self._loss_captions:
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._losses = losses

        self.cells = [_DigitCell(i) for i in range(MAX_DIGITS)]
        strip_widget = QWidget()
        strip = QHBoxLayout(strip_widget)
        strip.setContentsMargins(0, 0, 0, 0)
        strip.setSpacing(3)
        for cell in self.cells:
            cell.clicked.connect(self.select_digit)
            cell.hide()
            strip.addWidget(cell)
        self.more = QLabel("")
        strip.addWidget(self.more)
        strip.addStretch(1)

        # scrolls sideways when narrow, so a big batch never makes the view (window) wider
        self.strip_area = QScrollArea()
        self.strip_area.setWidget(strip_widget)
        self.strip_area.setWidgetResizable(True)
        self.strip_area.setFrameShape(QFrame.Shape.NoFrame)
        self.strip_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.strip_area.setMinimumHeight(110)
        top = QHBoxLayout()
        top.addWidget(self.strip_area, 1)
        top.addLayout(losses, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_delta_tab(), "Weight change ΔW")
        self.tabs.addTab(self._build_grad_tab(), "Gradients of the feature maps")
        self.tabs.addTab(self._build_routing_tab(), "Max-pool routing")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.intro)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self._apply_fonts()

    def _colour_bar(self) -> pg.ColorBarItem:
        return pg.ColorBarItem(values=(-1, 1), colorMap=colormap(DIVERGING_CMAP),
                               interactive=False, width=14, colorMapMenu=False)

    def _build_delta_tab(self) -> QWidget:
        page = QWidget()
        # placed by hand (``arrange``): side by side when wide, conv2's table below when not
        self.delta_graphics = pg.GraphicsView(background="k")
        self.delta_canvas = FitCanvas(self._arrange_delta)
        self.delta_graphics.setCentralItem(self.delta_canvas)
        self.delta_panels = {
            "conv1.weight": MosaicPanel("ΔW conv1", DIVERGING_CMAP, columns=5, gap=2),
            "conv2.weight": MosaicPanel("ΔW conv2", DIVERGING_CMAP, columns=50, labels="grid"),
        }
        self.delta_bars = {}
        self.delta_placements: dict = {}
        self._delta_titles: dict[str, list[str]] = {}
        for name, panel in self.delta_panels.items():
            panel.layout.setContentsMargins(0, 0, 0, 0)
            panel.layout.setParentItem(self.delta_canvas)
            self.delta_bars[name] = self._colour_bar()
            self.delta_bars[name].setParentItem(self.delta_canvas)
        self.delta_text = _fill_tab(page, self.delta_graphics)
        return page

    def _tick_width(self) -> float:
        return QFontMetricsF(self.font()).horizontalAdvance("-5e-05") + 14

    def _arrange_delta(self, *_args) -> None:
        """Place the two delta-W mosaics and their colour bars for the canvas's size."""
        size = self.delta_canvas.size()
        if self.detail is None or size.width() < 20 or size.height() < 20:
            return
        bar_w = self._bar_width()
        options = {}
        for name, panel in self.delta_panels.items():
            c_out, c_in, k, _ = self.detail.params_after[name].shape
            count = c_out * c_in
            choices = (4, 5, 10, 20) if c_in == 1 else (c_out,)
            options[name] = []
            for columns in choices:
                ew, eh = panel.extent(count, k, k, columns)
                options[name].append(Option(columns, ew / eh, eh, extra_w=bar_w))
        title_px = max(p.title.minimumHeight() for p in self.delta_panels.values()) + 2
        self.delta_placements = arrange(
            size.width(), size.height(), [[["conv1.weight", "conv2.weight"]],
                                          [["conv1.weight"], ["conv2.weight"]]],
            options, title_px=title_px, spacing=8)
        pad = QFontMetricsF(self.font()).height() / 2
        redraw = False
        for name, place in self.delta_placements.items():
            x, y, w, h = place.rect
            panel = self.delta_panels[name]
            texts = self._delta_titles.get(name)
            if texts:
                fit_label(panel.title, texts, w - bar_w)
            panel.layout.setGeometry(QRectF(x, y, w - bar_w, h))
            bar = self.delta_bars[name]
            bar.axis.setWidth(self._tick_width())     # pyqtgraph's fixed 45 px cut the ticks
            p = min(pad, place.content_h / 4)
            bar.setGeometry(QRectF(x + w - bar_w + 4, y + h - place.content_h + p, bar_w - 4,
                                   place.content_h - 2 * p))
            if name == "conv1.weight" and place.value != panel.columns:
                panel.columns = place.value
                redraw = True
        if redraw and not self._dirty:
            self._draw_delta(self.detail)

    def _build_grad_tab(self) -> QWidget:
        page = QWidget()
        # placed by hand (``arrange``) like the delta-W tab: mosaic columns and rows follow
        # the tab's shape; each map has its own colour bar (its own symmetric scale)
        self.grad_panels, self.grad_bars = {}, {}
        self.grad_placements: dict = {}
        self._grad_titles: dict[str, list[str]] = {}
        self._grad_maps: dict[str, tuple[np.ndarray, tuple[float, float]]] = {}
        self.grad_graphics = pg.GraphicsView(background="k")
        self.grad_canvas = FitCanvas(self._arrange_grads)
        self.grad_graphics.setCentralItem(self.grad_canvas)
        for name in GRAD_LAYERS:
            panel = MosaicPanel(f"d loss / d {name}", DIVERGING_CMAP,
                                columns=5 if name.endswith("1") else 10)
            panel.layout.setContentsMargins(0, 0, 0, 0)
            panel.layout.setParentItem(self.grad_canvas)
            self.grad_panels[name] = panel
            self.grad_bars[name] = self._colour_bar()
            self.grad_bars[name].setParentItem(self.grad_canvas)
        self.grad_text = _fill_tab(page, self.grad_graphics)
        return page

    def _bar_width(self) -> float:
        return 4 + 14 + self._tick_width()

    def _place_bar(self, bar: pg.ColorBarItem, x: float, top: float, content_h: float) -> None:
        """A colour bar ``content_h`` tall at ``(x, top)``, inset by half a line at both ends
        (the end ticks' text is centred on them), with room for its tick labels."""
        bar.axis.setWidth(self._tick_width())     # pyqtgraph's fixed 45 px cut the ticks
        line = QFontMetricsF(self.font()).height()
        # too short for three tick labels: one "±scale" label in the middle, not a pile-up
        lo, hi = bar.levels()
        bar.axis.setTicks([[(0.0, _scale_text((lo, hi)))]] if content_h < 3.5 * line else None)
        p = min(line / 2, content_h / 4)
        bar.setGeometry(QRectF(x + 4, top + p, self._bar_width() - 4, content_h - 2 * p))

    def _arrange_grads(self, *_args) -> None:
        """Place the six gradient mosaics and their colour bars for the canvas's size."""
        size = self.grad_canvas.size()
        if not self._grad_maps or size.width() < 20 or size.height() < 20:
            return
        bar_w = self._bar_width()
        options = {}
        for name, (g, _levels) in self._grad_maps.items():
            count, h, w = g.shape
            panel = self.grad_panels[name]
            options[name] = []
            for columns in sorted({min(c, count) for c in GRAD_COLUMNS if -count % c < c / 2}):
                ew, eh = panel.extent(count, h, w, columns)
                options[name].append(Option(columns, ew / eh, eh, extra_w=bar_w))
        templates = [[[k for k in row if k in options] for row in t] for t in GRAD_TEMPLATES]
        templates = [[row for row in t if row] for t in templates]
        title_px = max(p.title.minimumHeight() for p in self.grad_panels.values()) + 2
        self.grad_placements = arrange(size.width(), size.height(), templates, options,
                                       title_px=title_px, spacing=8)
        redraw = False
        for name, place in self.grad_placements.items():
            x, y, w, h = place.rect
            panel = self.grad_panels[name]
            texts = self._grad_titles.get(name)
            if texts:
                fit_label(panel.title, texts, w - bar_w)
            panel.layout.setGeometry(QRectF(x, y, w - bar_w, h))
            self._place_bar(self.grad_bars[name], x + w - bar_w, y + h - place.content_h,
                            place.content_h)
            if place.value != panel.columns:
                panel.columns = place.value
                redraw = True
        if redraw:
            for name, (g, levels) in self._grad_maps.items():
                self.grad_panels[name].set_maps(g, levels)

    def _build_routing_tab(self) -> QWidget:
        page = QWidget()
        self.channel_spins = {}
        controls = QHBoxLayout()
        for pool in POOLS:
            spin = QSpinBox()
            spin.setToolTip(f"which channel of {pool} to follow")
            spin.valueChanged.connect(lambda c, p=pool: self._on_channel_spin(p, c))
            controls.addWidget(QLabel(f"{pool} channel"))
            controls.addWidget(spin)
            self.channel_spins[pool] = spin
        controls.addStretch(1)
        # placed by hand (``arrange``): arriving → routed for each pool, the two pools one
        # above the other (or all four in a row when the tab is wide and low)
        self.routing_graphics = pg.GraphicsView(background="k")
        self.routing_canvas = FitCanvas(self._arrange_routing)
        self.routing_graphics.setCentralItem(self.routing_canvas)
        self.routing_panels: dict[str, dict[str, ImagePanel]] = {}
        self.routing_bars, self.routing_arrows = {}, {}
        self.routing_placements: dict = {}
        self._routing_titles: dict[str, list[str]] = {}
        self._grid_items, self._winner_items = {}, {}
        for pool, source in POOLS.items():
            arriving = ImagePanel("", DIVERGING_CMAP)
            routed = ImagePanel("", DIVERGING_CMAP)
            for panel in (arriving, routed):
                panel.layout.setContentsMargins(0, 0, 0, 0)
                panel.layout.setParentItem(self.routing_canvas)
            self.routing_panels[pool] = {"arriving": arriving, "routed": routed}
            arrow = pg.LabelItem("max-pool<br>backward<br>→", justify="center")
            arrow.setParentItem(self.routing_canvas)
            self.routing_arrows[pool] = arrow
            self.routing_bars[pool] = self._colour_bar()      # one scale for both maps
            self.routing_bars[pool].setParentItem(self.routing_canvas)
            grid = _path_item(QColor(140, 140, 140), 1.0, z=5)
            winners = _path_item(WINNER_COLOUR, 2.5, z=7)
            routed.box.addItem(grid, ignoreBounds=True)
            routed.box.addItem(winners, ignoreBounds=True)
            self._grid_items[pool], self._winner_items[pool] = grid, winners
        self.routing_text = _fill_tab(
            page, self.routing_graphics, controls,
            "The gradient reaches only the winner of each 2x2 window: max pooling passed "
            "on only the largest of the four values, so only that one can change the loss. "
            "Green squares: the winners (argmax of each window).")
        return page

    def _arrow_width(self) -> float:
        return QFontMetricsF(self.font()).horizontalAdvance("backward") + 16

    def _arrange_routing(self, *_args) -> None:
        """Place the four routing maps, the arrows between them and the colour bars."""
        size = self.routing_canvas.size()
        if not self._routing or size.width() < 20 or size.height() < 20:
            return
        arrow_w, bar_w = self._arrow_width(), self._bar_width()
        options, rows = {}, []
        for pool, source in POOLS.items():
            if pool not in self._routing:
                continue
            r = self._routing[pool]
            h, w = r["arriving"].shape
            H, W = r["routed"].shape
            options[f"{pool}.arriving"] = [Option(None, w / h, h, extra_w=arrow_w)]
            options[f"{pool}.routed"] = [Option(None, W / H, H, extra_w=bar_w)]
            rows.append([f"{pool}.arriving", f"{pool}.routed"])
        templates = [rows, [[k for row in rows for k in row]]]
        panels = [p for pair in self.routing_panels.values() for p in pair.values()]
        title_px = max(p.title.minimumHeight() for p in panels) + 2
        self.routing_placements = arrange(size.width(), size.height(), templates, options,
                                          title_px=title_px, spacing=8,
                                          weights={k: 0.7 for k in options
                                                   if k.endswith("arriving")})
        # centred vertically: a wide, low tab leaves room above and below the one row
        bottom = max((p.rect[1] + p.rect[3] for p in self.routing_placements.values()),
                     default=0.0)
        dy = max(0.0, (size.height() - bottom) / 2)
        for key, place in self.routing_placements.items():
            pool, which = key.split(".")
            place = Placement(place.value, (place.rect[0], place.rect[1] + dy,
                                            *place.rect[2:]), place.content_h)
            panel = self.routing_panels[pool][which]
            extra = arrow_w if which == "arriving" else bar_w
            x, y, w, h = place.rect
            texts = self._routing_titles.get(key)
            if texts:
                fit_label(panel.title, texts, w - extra)
            panel.layout.setGeometry(QRectF(x, y, w - extra, h))
            top = y + h - place.content_h
            if which == "arriving":
                arrow = self.routing_arrows[pool]
                arrow_h = 3 * QFontMetricsF(self.font()).lineSpacing() + 12
                arrow.setGeometry(QRectF(x + w - extra, top + (place.content_h - arrow_h) / 2,
                                         extra, arrow_h))
            else:
                self._place_bar(self.routing_bars[pool], x + w - extra, top, place.content_h)

    def _apply_fonts(self) -> None:
        """Loss numbers up to 2.4x the widget font (presentation mode enlarges that font),
        smaller when their column is narrow."""
        base = self.font().pointSizeF()
        mid = QFont(self.font())
        mid.setPointSizeF(base * 1.15)
        for label in self._loss_captions:
            label.setFont(mid)
        # panel titles in the widget's font size (pyqtgraph's default is a fixed 9 pt)
        size = f"{base:.1f}pt"
        panels = list(self.delta_panels.values()) + list(self.grad_panels.values())
        panels += [p for pair in self.routing_panels.values() for p in pair.values()]
        for panel in panels:
            panel.title.setText(panel.title.text, size=size)
        self._arrange_delta()
        self._arrange_grads()
        self._arrange_routing()
        # a digit cell: the image and two caption lines (label; before → after)
        line = QFontMetricsF(self.font()).lineSpacing()
        self.strip_area.setMinimumHeight(int(48 + 2 * line + 30))
        self._fit_loss_font()

    def _fit_loss_font(self) -> None:
        """The largest bold size (1x to 2.4x the widget font) at which the three loss numbers
        fit the width their column gets."""
        base = self.font().pointSizeF()
        labels = (self.loss_before, self.loss_after, self.loss_change)
        # the losses column gets half the row beside the digit strip (it scrolls)
        width = max(60.0, (self.width() - 16) / 2 - 2 * self._losses.spacing())
        big = QFont(self.font())
        big.setBold(True)
        for factor in (2.4, 2.0, 1.7, 1.4, 1.2, 1.0):
            big.setPointSizeF(base * factor)
            metrics = QFontMetricsF(big)
            need = sum(metrics.horizontalAdvance(label.text()) + 6 for label in labels)
            if need <= width:
                break
        if labels[0].font() != big:
            for label in labels:
                label.setFont(big)
        metrics = QFontMetricsF(self._loss_captions[0].font())
        # the longest captions that fit each third of the column (on a narrow stage "Δ"),
        # measured on the labels once they are laid out
        shown = [c.contentsRect().width() for c in self._loss_captions]
        cell = min(shown) if self.isVisible() and min(shown) > 20 else width / 3
        for captions in (("loss before", "loss after", "change"),
                         ("before", "after", "change"), ("before", "after", "Δ")):
            if max(metrics.horizontalAdvance(t) for t in captions) + 8 <= cell:
                break
        for label, text in zip(self._loss_captions, captions):
            if label.text() != text:
                label.setText(text)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_loss_font()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._apply_fonts()
        super().changeEvent(event)

    # -- public API --------------------------------------------------------------------------
    def show_step(self, detail) -> None:
        """Show what ``detail`` (a ``StepDetail``) did; the followed digit restarts at 0."""
        self.detail = detail
        self.digit = 0
        self._auto_channel = True
        self._masks = {}
        if is_exposed(self):                 # not hidden, closed, or a tab behind another
            self.refresh()
        else:
            self._dirty = True

    def select_digit(self, k: int) -> None:
        """Follow batch digit ``k`` in the gradient and routing tabs."""
        if self.detail is None:
            return
        self.digit = int(np.clip(k, 0, len(self.detail.labels) - 1))
        self._auto_channel = True
        self._masks = {}
        self.refresh()

    def _on_channel_spin(self, pool: str, channel: int) -> None:
        self.select_pool_channel(pool, channel)

    def select_pool_channel(self, pool: str, channel: int) -> None:
        """Follow ``channel`` of ``pool`` ("pool1" or "pool2") in the routing tab."""
        if pool not in POOLS:
            raise ValueError(f"no pool layer {pool!r}; choose pool1 or pool2")
        self._auto_channel = False
        self.pool_channel[pool] = int(channel)
        if self.detail is not None:
            self.refresh()

    def shown_delta(self, name: str) -> np.ndarray:
        """The delta-W drawn for ``name`` ("conv1.weight", "conv2.weight"), read back from
        the mosaic image, reshaped like the parameter."""
        self._ensure_drawn()
        panel = self.delta_panels[name]
        maps = panel.untile(panel.image.image)
        c_out, c_in, k, _ = self.detail.params_after[name].shape
        # drawn with one row per INPUT channel (a wide table fits the panel)
        return maps.reshape(c_in, c_out, k, k).transpose(1, 0, 2, 3)

    def delta_levels(self, name: str) -> tuple[float, float]:
        self._ensure_drawn()
        return tuple(float(v) for v in self.delta_panels[name].image.getLevels())

    def shown_grad(self, layer: str) -> np.ndarray:
        """``(C, H, W)`` d loss / d ``layer`` drawn for the followed digit (from the mosaic)."""
        self._ensure_drawn()
        panel = self.grad_panels[layer]
        return panel.untile(panel.image.image)

    def routing(self, pool: str) -> dict[str, np.ndarray]:
        """The arrays of the routing row of ``pool``: ``arriving (h, w)`` gradient at the pool
        output, ``routed (H, W)`` after max-pool backward, ``winners (H, W)`` bool mask,
        and ``channel``."""
        self._ensure_drawn()
        return dict(self._routing[pool])

    # -- drawing ------------------------------------------------------------------------------
    def _ensure_drawn(self) -> None:
        if self.detail is None:
            raise RuntimeError("no step shown yet: press Step first")
        if self._dirty:
            self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty and self.detail is not None:
            self.refresh()

    def _on_model(self) -> None:
        """Another network (loaded, reset): the last step was the old one's; forget it."""
        if self.detail is not None:
            self.clear()

    def clear(self) -> None:
        """Show no step (the intro, empty panels) until the next Step."""
        self.detail, self._dirty, self._masks, self._routing = None, False, {}, {}
        self._grad_maps = {}
        self.intro.setText("New weights: press Step (S) to train exactly one mini-batch and "
                           "see what it changed.")
        for cell in self.cells:
            cell.hide()
        self.more.setText("")
        for label in (self.loss_before, self.loss_after, self.loss_change):
            label.setText("–")
        self.loss_change.setStyleSheet("")
        panels = list(self.delta_panels.values()) + list(self.grad_panels.values())
        panels += [p for pair in self.routing_panels.values() for p in pair.values()]
        for panel in panels:
            panel.image.clear()
        for item in list(self._grid_items.values()) + list(self._winner_items.values()):
            item.setPath(QPainterPath())
        self.delta_text.setText(" ")
        self.grad_text.setText(" ")

    def refresh(self) -> None:
        d = self.detail
        if d is None:
            return
        self._dirty = False
        self._draw_batch(d)
        self._draw_delta(d)
        self._draw_grads(d)
        self._draw_routing(d)

    def _draw_batch(self, d) -> None:
        n = len(d.labels)
        before = None if d.logits_before is None else np.argmax(d.logits_before, axis=1)
        after = None if d.logits_after is None else np.argmax(d.logits_after, axis=1)
        for i, cell in enumerate(self.cells):
            if i >= n:
                cell.hide()
                continue
            cell.show()
            if d.images is not None:
                cell.image.set_image(d.images[i, 0])
            label = int(d.labels[i])
            text = f"<b>{label}</b>"
            if before is not None and after is not None:
                colour = lambda p: GOOD if p == label else BAD      # noqa: E731
                text += (f"<br><span style='color:{colour(before[i])}'>{before[i]}</span> → "
                         f"<span style='color:{colour(after[i])}'>{after[i]}</span>")
            cell.caption.setText(text)
            cell.setToolTip(f"training digit {int(d.indices[i])}: label {label}"
                            + ("" if before is None else
                               f", predicted {before[i]} before and {after[i]} after the step"))
            cell.set_selected(i == self.digit)
        self.more.setText(f"+{n - MAX_DIGITS} more" if n > MAX_DIGITS else "")
        change = d.loss_after - d.loss_before
        self.loss_before.setText(f"{d.loss_before:.4f}")
        self.loss_after.setText(f"{d.loss_after:.4f}")
        self.loss_change.setText(format_change(change))
        self._fit_loss_font()
        self.loss_change.setStyleSheet(f"color: {GOOD if change < 0 else BAD};")
        right = ("" if before is None else
                 f" Right before: {int((before == d.labels).sum())}/{n}, "
                 f"after: {int((after == d.labels).sum())}/{n}.")
        self.intro.setText(
            f"Step {d.step}: one mini-batch of {n} training digits (label, then the prediction "
            f"before → after the update). The loss of this batch went "
            f"{'down' if change < 0 else 'up'} by {format_change(abs(change))[1:]}.{right} "
            "Click a digit to follow it in the gradient tabs.")

    def _draw_delta(self, d) -> None:
        for name, panel in self.delta_panels.items():
            delta = d.delta(name)                                  # (C_out, C_in, K, K)
            c_out, c_in, k, _ = delta.shape
            # row = input channel, column = output channel: conv2's 20 x 50 table is wide,
            # like the panel (conv1's single input channel wraps into rows of 5)
            maps = delta.transpose(1, 0, 2, 3).reshape(c_in * c_out, k, k)
            levels = symmetric_levels(maps)
            if c_in > 1 or not panel.columns:
                panel.columns = c_out if c_in > 1 else 5
            panel.set_maps(maps, levels)
            self.delta_bars[name].setLevels(levels)
            layer = name.split(".")[0]
            what = (f"{c_out} filters {k}x{k}" if c_in == 1
                    else f"{c_out} x {c_in} kernels: column = output channel, row = input")
            self._delta_titles[name] = [f"ΔW {layer} ({what}), scale {_scale_text(levels)}",
                                        f"ΔW {layer}, scale {_scale_text(levels)}",
                                        f"ΔW {layer}"]
        self._arrange_delta()
        parts = []
        for name in d.params_after:
            delta = d.delta(name)
            parts.append(f"{name} {np.abs(delta).max():.2g}")
        self.delta_text.setText(
            "ΔW = W after − W before, each mosaic on its own scale symmetric around 0 "
            "(red: the weight grew, blue: it shrank). Largest |ΔW| per parameter: "
            + ", ".join(parts) + ".")

    def _digit_grads(self, d) -> dict[str, np.ndarray]:
        k = self.digit
        return {name: d.output_grads[name][k] for name in GRAD_LAYERS if name in d.output_grads}

    def _draw_grads(self, d) -> None:
        grads = self._digit_grads(d)
        for name, panel in self.grad_panels.items():
            g = grads.get(name)
            if g is None:
                continue
            g = np.asarray(g, dtype=np.float32)
            levels = symmetric_levels(g)
            self._grad_maps[name] = (g, levels)
            panel.set_maps(g, levels)
            if tuple(self.grad_bars[name].levels()) != levels:
                self.grad_bars[name].setLevels(levels)
            c, h, w = g.shape
            self._grad_titles[name] = [f"d loss / d {name} ({c} × {h}×{w}), scale "
                                       f"{_scale_text(levels)}",
                                       f"d loss / d {name} ({c} × {h}×{w})",
                                       f"d loss / d {name}", f"∂L/∂{name}", name]
        self._arrange_grads()
        label = int(d.labels[self.digit])
        self.grad_text.setText(
            f"The gradient of this batch's loss with respect to every feature map of digit "
            f"{self.digit + 1} (a {label}): how much the loss would change if that value were a "
            "little larger (blue: larger would lower the loss). ReLU passes gradient only where "
            "its input was positive; max pooling only to each window's winner.")

    def _winner_masks(self, d) -> dict[str, np.ndarray]:
        """Pool masks ``(C, H, W)`` of the followed digit with the weights before the step."""
        if not self._masks and d.images is not None:
            net = self.state.net
            if self._scratch is None or self._scratch.config != net.config:
                self._scratch = build_network(config=net.config, dtype=net.dtype)
            self._scratch.load_params(d.params_before)
            trace = self._scratch.trace(d.images[self.digit:self.digit + 1])
            self._masks = {pool: trace[pool].mask[0].copy() for pool in POOLS if pool in trace}
        return self._masks

    def _draw_routing(self, d) -> None:
        masks = self._winner_masks(d)
        grads = self._digit_grads(d)
        notes = []
        for pool, source in POOLS.items():
            if pool not in grads or source not in grads:
                continue
            arriving_all, routed_all = grads[pool], grads[source]      # (C,h,w), (C,H,W)
            channels = arriving_all.shape[0]
            spin = self.channel_spins[pool]
            spin.blockSignals(True)
            spin.setMaximum(channels - 1)
            if self._auto_channel:
                self.pool_channel[pool] = int(np.abs(arriving_all).sum(axis=(1, 2)).argmax())
            c = int(np.clip(self.pool_channel[pool], 0, channels - 1))
            self.pool_channel[pool] = c
            spin.setValue(c)
            spin.blockSignals(False)
            arriving, routed = arriving_all[c], routed_all[c]
            winners = masks[pool][c] if pool in masks else np.zeros(routed.shape, bool)
            levels = routed_levels(arriving, routed)
            panels = self.routing_panels[pool]
            panels["arriving"].set_image(np.asarray(arriving, np.float32), levels)
            panels["routed"].set_image(np.asarray(routed, np.float32), levels)
            h, w = arriving.shape
            H, W = routed.shape
            self.routing_bars[pool].setLevels(levels)
            self._routing_titles[f"{pool}.arriving"] = [
                f"gradient arriving at {pool} channel {c} ({h}×{w})",
                f"arriving at {pool} ch {c}", f"{pool} ch {c}", pool]
            self._routing_titles[f"{pool}.routed"] = [
                f"gradient at {source} channel {c} ({H}×{W}): only the winners get it",
                f"at {source} ch {c}: winners only", f"{source} ch {c}", source]
            self._grid_items[pool].setPath(_grid_path(H, W, 2))
            self._winner_items[pool].setPath(_winner_path(winners))
            self._routing[pool] = {"arriving": np.array(arriving), "routed": np.array(routed),
                                   "winners": winners.copy(), "channel": c}
            nonzero = int(np.count_nonzero(routed))
            off = int(np.count_nonzero(routed[~winners]))
            where = ("all of them winners" if off == 0
                     else f"{off} of them NOT winners (ties?)")
            notes.append(f"{source} channel {c}: {nonzero} of {H * W} pixels got gradient "
                         f"({where})")
        self.routing_text.setText(
            "The gradient reaches only the winner of each 2x2 window (green squares): max "
            "pooling passed on only the largest value, so only it can change the loss. "
            + "; ".join(notes) + ".")
        self._arrange_routing()


def _fill_tab(page: QWidget, graphics, controls=None, caption: str = " ") -> QLabel:
    """Lay out a tab page: optional controls, the graphics (stretching), a wrapped caption."""
    text = QLabel(caption)
    text.setWordWrap(True)
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    if controls is not None:
        layout.addLayout(controls)
    layout.addWidget(graphics, 1)
    layout.addWidget(text)
    return text
