"""The layer-by-layer inspector: click a step of the network and see what it does to the probe.

A schematic row ``input -> conv1 -> ReLU -> pool1 -> ... -> fc2 -> softmax`` (one checkable
button per layer, with its output shape) selects a layer. The view then shows

* its output for the probe, large: a mosaic of all channels for a map layer, bars for a
  vector layer (fc1's 500 units, the 10 labelled probabilities of the softmax);
* for a map layer, its input beside it; hovering an output pixel shows its value and
  outlines where it comes from on the input: a conv pixel's KxK receptive field (on every
  input channel: conv2 reads all 20 pool1 maps), a pool pixel's 2x2 window, an activation
  pixel's own pixel;
* its parameters (names, shapes, counts, min / max / mean), live while training;
* a plain-words explanation with the formula, written for a student.

Public API for tests: ``select_layer(name)``, ``selected_layer``,
``receptive_field_for(layer, row, col) -> (top, left, size)``, ``hover(y, x)`` (mosaic
coordinates of the output image; returns a ``HoverInfo`` or None).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QPoint, QRect, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtWidgets import (QButtonGroup, QHBoxLayout, QLabel, QLayout, QScrollArea, QSizePolicy,
                             QSplitter, QStackedWidget, QTextBrowser, QToolButton, QVBoxLayout,
                             QWidget)

from ..fit_layout import Option, arrange
from ..image_panel import ACTIVATION_CMAP, DIVERGING_CMAP, GREY_CMAP, FitCanvas, MosaicPanel
from ..label_fit import fit_label
from ..lazy_refresh import RefreshWhenExposed
from ..mosaic import range_levels, symmetric_levels

MAP_KINDS = ("input", "conv", "relu", "sigmoid", "maxpool")
BAR_COLOR = (90, 120, 170)
TOP_COLOR = (255, 170, 40)
POOL_SIZE = 2


@dataclass(frozen=True)
class HoverInfo:
    """The output element under the mouse: ``channel`` is None for a vector layer."""

    layer: str
    channel: int | None
    row: int | None
    col: int | None
    value: float
    field: tuple[int, int, int] | None     # (top, left, size) on the layer's input


def display_name(name: str, kind: str) -> str:
    return {"relu": "ReLU", "sigmoid": "sigmoid"}.get(kind, name)


def shape_text(shape) -> str:
    return " × ".join(str(s) for s in shape)


# -- explanations ---------------------------------------------------------------------------
FORMULAS = {
    "input": "x[i,j] = pixel / 255",
    "conv": "out[f,i,j] = b[f] + Σ_c Σ_u Σ_v w[f,c,u,v] · x[c,i+u,j+v]",
    "relu": "out = max(0, x)",
    "sigmoid": "out = 1 / (1 + e^(−x))",
    "maxpool": "out[c,i,j] = max over the 2×2 window x[c, 2i..2i+1, 2j..2j+1]",
    "flatten": "out[c·H·W + i·W + j] = x[c,i,j]",
    "dense": "y = W x + b",
    "softmax": "p_k = e^(z_k) / Σ_j e^(z_j)",
}

FORMULAS_HTML = {
    "input": "x[i,j] = pixel / 255",
    "conv": ("out[f,i,j] = b[f] + Σ<sub>c</sub> Σ<sub>u</sub> Σ<sub>v</sub> "
             "w[f,c,u,v] · x[c, i+u, j+v]"),
    "relu": "out = max(0, x)",
    "sigmoid": "out = 1 / (1 + e<sup>−x</sup>)",
    "maxpool": "out[c,i,j] = max over the 2×2 window x[c, 2i..2i+1, 2j..2j+1]",
    "flatten": "out[c·H·W + i·W + j] = x[c,i,j]",
    "dense": "y = W x + b",
    "softmax": "p<sub>k</sub> = e<sup>z<sub>k</sub></sup> / Σ<sub>j</sub> e<sup>z<sub>j</sub></sup>",
}


def explanation_html(name: str, kind: str, in_shape, out_shape, kernel: int | None) -> str:
    """A student-level explanation of one layer, with its formula, as rich text."""
    ins, outs = shape_text(in_shape) if in_shape else "", shape_text(out_shape)
    if kind == "input":
        body = (f"The digit the network looks at: {outs} numbers, one per pixel, from 0 "
                "(black) to 1 (white ink). Everything the network decides starts here.")
    elif kind == "conv":
        c_in, c_out = in_shape[0], out_shape[0]
        body = (f"A <b>convolution</b>. Each of the {c_out} filters is a small {kernel}×{kernel} "
                f"grid of weights per input channel ({c_in} here). The filter slides over the "
                f"input; at every position it multiplies the {kernel}×{kernel} patch under it by "
                "its weights, adds everything up (over all input channels too) and adds a bias. "
                "A big positive result means <i>the pattern the filter looks for is here</i>. "
                f"No padding, so the maps shrink by {kernel - 1}: {ins} → {outs}. "
                "Hover a pixel to see the patch it looked at.")
    elif kind == "relu":
        body = ("The <b>ReLU</b> keeps positive values and turns negative ones into 0: "
                "“the pattern is here, this strongly” or “not here”. Without such a bend, "
                "stacking layers would just be one big linear function.")
    elif kind == "sigmoid":
        body = ("The <b>sigmoid</b> squashes every value into (0, 1): large negative → near 0, "
                "large positive → near 1.")
    elif kind == "maxpool":
        body = ("<b>Max pooling</b> cuts every map into 2×2 windows and keeps only the largest "
                f"value of each: {ins} → {outs}. The map gets four times smaller, keeps where the "
                "strong responses are (roughly) and forgets exact positions, so a slightly "
                "shifted digit looks the same. In training, the gradient flows back only to "
                "the winning pixel of each window.")
    elif kind == "flatten":
        body = (f"<b>Flatten</b> lays the {ins} maps out as one long list of {outs} numbers "
                "(channel by channel, row by row) so a dense layer can read them all.")
    elif kind == "dense":
        body = (f"A <b>dense</b> (fully connected) layer: each of the {outs} outputs is a "
                f"weighted sum of all {ins} inputs plus a bias. W is a matrix of "
                f"{outs} × {ins} weights; each row is one output's recipe.")
    elif kind == "softmax":
        body = ("The <b>softmax</b> turns the 10 scores z (logits) into probabilities: "
                "each is made positive by e<sup>z</sup> and divided by the total, so they add "
                "up to 1. The biggest one is the network's answer.")
    else:
        body = ""
    formula = FORMULAS_HTML.get(kind, "")
    return (f"<h3>{name} <span style='font-weight:normal'>— output {outs}</span></h3>"
            f"<p>{body}</p>"
            + (f"<p style='font-size:large; font-family:serif'><b>{formula}</b></p>" if formula else ""))


def parameters_html(layer) -> str:
    """A layer's parameters, one short paragraph each (name, shape, count; min / max / mean):
    it wraps in a narrow dock where a six-column table would not."""
    params = getattr(layer, "params", None) or {}
    if not params:
        return "<p><i>No learned parameters: this step is fixed arithmetic.</i></p>"
    rows = "".join(
        f"<p><b>{key}</b> {'×'.join(map(str, v.shape))} = {v.size:,} numbers<br>"
        f"min {float(v.min()):+.4f}, max {float(v.max()):+.4f}, mean {float(v.mean()):+.4f}</p>"
        for key, v in params.items())
    total = sum(v.size for v in params.values())
    return f"{rows}<p>{total:,} learned numbers in this layer.</p>"


# -- the schematic's flow layout -------------------------------------------------------------
class FlowLayout(QLayout):
    """Lays its items out left to right and wraps onto the next row when the width runs out
    (like words in a paragraph): the schematic takes two or three rows in a narrow dock and
    never forces the window wider than its widest button."""

    def __init__(self, parent=None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list = []
        self._spacing = spacing

    def addItem(self, item) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _place(self, rect: QRect, move: bool) -> int:
        """Place (or only measure) the items in ``rect``; returns the height used."""
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, row_h = area.x(), area.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x > area.x() and x + hint.width() > area.right() + 1:     # wrap
                x, y, row_h = area.x(), y + row_h + self._spacing, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            row_h = max(row_h, hint.height())
        return y + row_h - rect.y() + m.bottom()


# -- the view --------------------------------------------------------------------------------
# mosaic column counts to choose from (whichever fits the picture's shape best)
COLUMN_CHOICES = (1, 2, 4, 5, 7, 10, 13, 17, 20, 25)
MAP_TEMPLATES = [[["input", "output"]], [["input"], ["output"]]]
WIDE_RATIO = 1.3        # picture beside the text when the body is this much wider than tall
WIDE_MIN = 500          # ... and at least this wide


class InspectorView(RefreshWhenExposed, QWidget):
    """A clickable schematic of the network; the selected layer's output, input and maths."""

    layerSelected = pyqtSignal(str)

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.selected_layer = "conv1"
        self.hover_info: HoverInfo | None = None
        self._dirty = True
        self._buttons: dict[str, QToolButton] = {}
        self._kinds: dict[str, str] = {}
        self._shapes: dict[str, tuple[int, ...]] = {}
        self._order: list[str] = []
        self._output: np.ndarray | None = None      # (C, H, W) or (n,) of the selected layer
        self._drawn: dict[str, tuple[np.ndarray, tuple[float, float]]] = {}
        self._title_texts: dict[str, list[str]] = {}
        self.placements: dict = {}
        self._oriented = False

        # schematic: one button per layer (name and shape), wrapping onto more rows
        self.schematic = QWidget()
        self._schematic_layout = FlowLayout(self.schematic)
        self._schematic_layout.setContentsMargins(2, 2, 2, 2)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)

        # maps page: the input and the output mosaics, placed by hand (``arrange``) on one
        # canvas, side by side or one above the other, whichever shows them larger
        self.maps_view = pg.GraphicsView(background="k")
        self.canvas = FitCanvas(self._arrange_maps)
        self.maps_view.setCentralItem(self.canvas)
        self.input_panel = MosaicPanel("input", cmap=GREY_CMAP)
        self.output_panel = MosaicPanel("output", cmap=ACTIVATION_CMAP)
        self._map_panels = {"input": self.input_panel, "output": self.output_panel}
        for panel in self._map_panels.values():
            panel.layout.setContentsMargins(0, 0, 0, 0)
            panel.layout.setParentItem(self.canvas)
        # kept for scripts and tests: the one graphics view that holds both mosaics
        self.input_widget = self.output_widget = self.maps_view
        self.maps_view.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.maps_view.scene().sigMouseClicked.connect(self._on_mouse_clicked)

        # bars page: vectors
        self.bar_plot = pg.PlotWidget()
        self.bar_plot.setMenuEnabled(False)
        self.bar_plot.setMouseEnabled(x=False, y=False)
        self.bar_plot.hideButtons()
        self.bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.8,
                                    brush=pg.mkBrush(*BAR_COLOR), pen=pg.mkPen(None))
        self.bar_plot.addItem(self.bars)
        self.bar_labels = []                 # a value over each bar when there are <= 10
        for _ in range(10):
            label = pg.TextItem(anchor=(0.5, 1.0), color=(230, 230, 230))
            self.bar_plot.addItem(label)
            self.bar_labels.append(label)
        self.bar_plot.scene().sigMouseMoved.connect(self._on_bar_mouse_moved)

        self.pages = QStackedWidget()
        self.pages.addWidget(self.maps_view)
        self.pages.addWidget(self.bar_plot)
        self.pages.setMinimumSize(160, 120)
        self.hover_label = QLabel("Hover the output to read its values.")
        self.hover_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hover_label.setWordWrap(True)       # a long hover text never widens the window
        self.hover_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        picture = QWidget()
        picture_layout = QVBoxLayout(picture)
        picture_layout.setContentsMargins(0, 0, 0, 0)
        picture_layout.addWidget(self.pages, 1)
        picture_layout.addWidget(self.hover_label)

        self.explanation = QTextBrowser()
        self.explanation.setOpenLinks(False)
        self.explanation.setMinimumSize(120, 60)
        self.params_label = QLabel()
        self.params_label.setTextFormat(Qt.TextFormat.RichText)
        self.params_label.setWordWrap(True)
        self.params_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.params_label.setContentsMargins(4, 4, 4, 4)
        # the table scrolls in a narrow dock instead of setting the window's minimum width
        params_area = QScrollArea()
        params_area.setWidget(self.params_label)
        params_area.setWidgetResizable(True)
        params_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        params_area.setMinimumSize(120, 40)
        self.params_title = QLabel("<b>Parameters</b>")
        text = QWidget()
        text_layout = QVBoxLayout(text)
        text_layout.setContentsMargins(0, 0, 0, 0)
        text_layout.addWidget(self.explanation, 3)
        text_layout.addWidget(self.params_title)
        text_layout.addWidget(params_area, 2)

        # picture beside the text when wide, above it when narrow (``_orient``)
        self.body = QSplitter(Qt.Orientation.Horizontal)
        self.body.setChildrenCollapsible(False)
        self.body.addWidget(picture)
        self.body.addWidget(text)
        self.body.setStretchFactor(0, 3)
        self.body.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.schematic)
        layout.addWidget(self.body, 1)

        state.modelChanged.connect(self._build_schematic)
        state.traceChanged.connect(self.schedule_refresh)
        # the selected layer in bold, so it reads from the back of the room
        self.schematic.setStyleSheet("QToolButton:checked { font-weight: bold; }")
        self._build_schematic()
        self._apply_fonts()

    # -- schematic -------------------------------------------------------------------------
    def _build_schematic(self) -> None:
        lay = self._schematic_layout
        while lay.count():
            item = lay.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for button in self._group.buttons():
            self._group.removeButton(button)
        self._buttons.clear()
        net = self.state.net
        self._shapes = dict(net.output_shapes())
        self._order = [name for name, _ in net.output_shapes()]
        self._kinds = {"input": "input", "softmax": "softmax"}
        self._kinds.update({name: layer.kind for name, layer in net.layers})
        for i, name in enumerate(self._order):
            # "→ button" as one item, so a wrapped row starts with its arrow
            step = QWidget()
            row = QHBoxLayout(step)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(2)
            if i:
                row.addWidget(QLabel("→"))
            button = QToolButton()
            button.setText(f"{display_name(name, self._kinds[name])}\n"
                           f"{shape_text(self._shapes[name])}")
            button.setToolTip(f"{name}: output {shape_text(self._shapes[name])}")
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.clicked.connect(lambda _checked, n=name: self.select_layer(n))
            self._group.addButton(button)
            self._buttons[name] = button
            row.addWidget(button)
            lay.addWidget(step)
        if self.selected_layer not in self._buttons:
            self.selected_layer = "conv1" if "conv1" in self._buttons else self._order[0]
        self.select_layer(self.selected_layer)

    # -- layout ----------------------------------------------------------------------------
    def _apply_fonts(self) -> None:
        """Titles in the widget's font size (presentation mode enlarges it)."""
        size = f"{self.font().pointSizeF():.1f}pt"
        # two lines always: a longer hover text must not shrink the maps (and re-tile them)
        self.hover_label.setMinimumHeight(
            2 * self.hover_label.fontMetrics().lineSpacing() + 2)
        for panel in self._map_panels.values():
            panel.title.setText(panel.title.text, size=size)
        self._orient()
        self._arrange_maps()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._apply_fonts()
        super().changeEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._orient()

    def _orient(self) -> None:
        """The picture beside the text when the body is wide, above it when narrow."""
        w = self.width() - 8
        body_h = self.height() - 8 - self.schematic.heightForWidth(w) - 6
        wide = w >= WIDE_MIN and w >= WIDE_RATIO * body_h
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self.body.orientation() != orientation or not self._oriented:
            self._oriented = self.width() > 100
            self.body.setOrientation(orientation)
            total = w if wide else max(body_h, 2)
            self.body.setSizes([total * 3 // 5, total - total * 3 // 5])

    def _map_options(self) -> dict[str, list[Option]]:
        options = {}
        for key, panel in self._map_panels.items():
            if key not in self._drawn:
                continue
            count, h, w = self._drawn[key][0].shape
            options[key] = []
            for columns in sorted({min(c, count) for c in COLUMN_CHOICES
                                   if -count % c < c / 2}):      # last row at least half full
                ew, eh = panel.extent(count, h, w, columns)
                options[key].append(Option(columns, ew / eh, eh))
        return options

    def _arrange_maps(self, *_args) -> None:
        """Place the input and output mosaics (and pick their columns) for the canvas's size."""
        size = self.canvas.size()
        if not hasattr(self, "_map_panels") or "output" not in self._drawn \
                or size.width() < 20 or size.height() < 20:
            return
        options = self._map_options()
        templates = MAP_TEMPLATES if "input" in options else [[["output"]]]
        title_px = max(p.title.minimumHeight() for p in self._map_panels.values()) + 2
        self.placements = arrange(size.width(), size.height(), templates, options,
                                  title_px=title_px, spacing=10, weights={"input": 0.3})
        redraw = False
        for key, panel in self._map_panels.items():
            place = self.placements.get(key)
            panel.layout.setVisible(place is not None)
            if place is None:
                continue
            x, y, w, h = place.rect
            texts = self._title_texts.get(key)
            if texts:
                fit_label(panel.title, texts, w)
            panel.layout.setGeometry(QRectF(x, y, w, h))
            if place.value != panel.columns:
                panel.columns = place.value
                redraw = True
        if redraw:
            for key, (maps, levels) in self._drawn.items():
                self._map_panels[key].set_maps(maps, levels)
            self._highlight(self.hover_info)       # the outlines move with their tiles

    def layer_names(self) -> list[str]:
        return list(self._order)

    def button(self, name: str) -> QToolButton:
        return self._buttons[name]

    # -- selection -------------------------------------------------------------------------
    def select_layer(self, name: str) -> None:
        """Show layer ``name`` (a trace name: "input", "conv1", "relu1", ..., "softmax")."""
        if name not in self._buttons:
            raise KeyError(f"no layer named {name!r}; the layers are {', '.join(self._order)}")
        self.selected_layer = name
        self._buttons[name].setChecked(True)
        kind = self._kinds[name]
        index = self._order.index(name)
        in_shape = self._shapes[self._order[index - 1]] if index else None
        kernel = getattr(self._layer(name), "kernel_size", None)
        self.explanation.setHtml(explanation_html(name, kind, in_shape, self._shapes[name], kernel))
        self.hover_info = None
        self.hover_label.setText("Hover the output to read its values.")
        self.output_panel.highlight(None)
        self.input_panel.highlight(None)
        self.output_panel.mosaic = None      # relabel for the new layer's tiles
        self.input_panel.mosaic = None
        self.refresh()
        self.layerSelected.emit(name)

    def formula(self, name: str | None = None) -> str:
        """The plain-text formula of layer ``name`` (default: the selected one)."""
        return FORMULAS.get(self._kinds[name or self.selected_layer], "")

    def _layer(self, name: str):
        try:
            return self.state.net.layer(name)
        except KeyError:
            return None

    def _input_name(self, name: str) -> str | None:
        index = self._order.index(name)
        return self._order[index - 1] if index else None

    def is_map_layer(self, name: str | None = None) -> bool:
        return len(self._shapes[name or self.selected_layer]) == 3

    # -- drawing ---------------------------------------------------------------------------
    def refresh(self) -> None:
        self._dirty = False
        name = self.selected_layer
        trace = self.state.trace
        if name not in trace:
            return
        kind = self._kinds[name]
        out = trace[name].output[0]
        self._output = out
        layer = self._layer(name)
        self.params_label.setText(parameters_html(layer))
        if out.ndim == 3:
            self.pages.setCurrentIndex(0)
            signed = kind == "conv"
            levels = symmetric_levels(out) if signed else range_levels(out)
            if kind == "input":
                levels = (0.0, 1.0)
            cmap = DIVERGING_CMAP if signed else (GREY_CMAP if kind == "input" else ACTIVATION_CMAP)
            self.output_panel.image.setColorMap(pg.colormap.get(cmap))
            self._drawn = {"output": (out, levels)}
            shape = shape_text(out.shape)
            colours = " (blue &lt; 0 &lt; red)" if signed else ""
            self._title_texts = {"output": [f"{name} output: {shape}{colours}",
                                            f"{name} output: {shape}", f"{name} {shape}",
                                            name]}
            source = self._input_name(name)
            if source is not None and kind in ("conv", "relu", "sigmoid", "maxpool"):
                x = trace[source].output[0]
                in_kind = self._kinds[source]
                in_signed = in_kind == "conv"
                in_levels = ((0.0, 1.0) if in_kind == "input"
                             else symmetric_levels(x) if in_signed else range_levels(x))
                in_cmap = (GREY_CMAP if in_kind == "input"
                           else DIVERGING_CMAP if in_signed else ACTIVATION_CMAP)
                self.input_panel.image.setColorMap(pg.colormap.get(in_cmap))
                self._drawn["input"] = (x, in_levels)
                in_shape = shape_text(x.shape)
                self._title_texts["input"] = [f"its input ({source}): {in_shape}",
                                              f"{source}: {in_shape}", source]
            if self.output_panel.mosaic is None or not self.placements:
                self._arrange_maps()            # a new layer: choose its columns first
            for key, (maps, lv) in self._drawn.items():
                self._map_panels[key].set_maps(maps, lv)
        else:
            self.pages.setCurrentIndex(1)
            self._draw_bars(name, kind, out)
        if self.hover_info is not None and self.hover_info.layer == name:
            self._refresh_hover_value()

    def _draw_bars(self, name: str, kind: str, values: np.ndarray) -> None:
        n = len(values)
        brushes = [pg.mkBrush(*BAR_COLOR)] * n
        if n <= 10:
            brushes = list(brushes)
            brushes[int(np.argmax(values))] = pg.mkBrush(*TOP_COLOR)
        self.bars.setOpts(x=np.arange(n), height=values, width=0.8, brushes=brushes)
        axis = self.bar_plot.getAxis("bottom")
        if n <= 10:
            axis.setTicks([[(i, str(i)) for i in range(n)]])
            axis.setLabel("class")
        else:
            axis.setTicks(None)
            axis.setLabel("unit")
        self.bar_plot.getAxis("left").setLabel("probability" if kind == "softmax" else "value")
        self.bar_plot.setTitle(f"{name} output: {n} values",
                               size=f"{self.font().pointSizeF():.1f}pt")
        if kind == "softmax":
            self.bar_plot.setYRange(0, 1.08, padding=0.02)
        else:
            lo, hi = range_levels(values)
            self.bar_plot.setYRange(min(lo, 0.0), max(hi, 0.0), padding=0.05)
        self.bar_plot.setXRange(-0.6, n - 0.4, padding=0)
        for i, label in enumerate(self.bar_labels):
            label.setVisible(i < n <= 10)
            if i < n <= 10:
                v = float(values[i])
                label.setText(f"{100 * v:.1f}%" if kind == "softmax" else f"{v:.2f}")
                label.setPos(i, max(v, 0.0))

    # -- hover -----------------------------------------------------------------------------
    def receptive_field_for(self, layer: str, row: int, col: int) -> tuple[int, int, int] | None:
        """``(top, left, size)`` on ``layer``'s input of the window output ``(row, col)`` reads.

        conv: the KxK kernel window at (row, col); max-pool: the 2x2 window at
        (2 row, 2 col); an activation: the pixel itself. None for vector layers.
        """
        kind = self._kinds[layer]
        if kind == "conv":
            return row, col, int(self._layer(layer).kernel_size)
        if kind == "maxpool":
            return POOL_SIZE * row, POOL_SIZE * col, POOL_SIZE
        if kind in ("relu", "sigmoid"):
            return row, col, 1
        return None

    def hover(self, y: float, x: float) -> HoverInfo | None:
        """Hover the output image at mosaic coordinates ``(y, x)`` (x only, for bars)."""
        name = self.selected_layer
        out = self._output
        if out is None:
            return None
        if out.ndim == 3:
            hit = self.output_panel.mosaic.tile_at(y, x) if self.output_panel.mosaic else None
            if hit is None:
                return self._clear_hover()
            channel, row, col = hit
            field = self.receptive_field_for(name, row, col)
            info = HoverInfo(name, channel, row, col, float(out[channel, row, col]), field)
            self._highlight(info)
        else:
            index = int(round(x))
            if not 0 <= index < len(out):
                return self._clear_hover()
            info = HoverInfo(name, None, None, index, float(out[index]), None)
        self.hover_info = info
        self.hover_label.setText(self._hover_text(info))
        return info

    def _highlight(self, info: HoverInfo | None) -> None:
        """Outline the hovered output pixel and the window it reads on the input."""
        if info is None or info.channel is None:
            self.output_panel.highlight(None)
            self.input_panel.highlight(None)
            return
        self.output_panel.highlight([info.channel], info.row, info.col, 1)
        if info.field is not None:
            top, left, size = info.field
            tiles = "all" if self._kinds[info.layer] == "conv" else [info.channel]
            self.input_panel.highlight(tiles, top, left, size)
        else:
            self.input_panel.highlight(None)

    def _hover_text(self, info: HoverInfo) -> str:
        if info.channel is None:
            what = "class" if self._kinds[info.layer] == "softmax" else "unit"
            return f"{info.layer} {what} {info.col}: value {info.value:.4g}"
        text = (f"{info.layer} channel {info.channel}, row {info.row}, col {info.col}: "
                f"value {info.value:.4g}")
        if info.field is not None:
            top, left, size = info.field
            source = self._input_name(info.layer)
            if size == 1:
                text += f" — from the same pixel of {source}"
            else:
                channels = self._shapes[source][0]
                where = (f"all {channels} channels of " if self._kinds[info.layer] == "conv"
                         and channels > 1 else "")
                text += (f" — reads rows {top}–{top + size - 1}, cols {left}–{left + size - 1} "
                         f"of {where}{source}")
        return text

    def _refresh_hover_value(self) -> None:
        info = self.hover_info
        out = self._output
        value = float(out[info.channel, info.row, info.col] if info.channel is not None
                      else out[info.col])
        self.hover_info = HoverInfo(info.layer, info.channel, info.row, info.col, value, info.field)
        self.hover_label.setText(self._hover_text(self.hover_info))

    def _clear_hover(self) -> None:
        self.hover_info = None
        self.output_panel.highlight(None)
        self.input_panel.highlight(None)
        return None

    def _on_mouse_moved(self, scene_pos) -> None:
        if self.pages.currentIndex() != 0:
            return
        yx = self.output_panel.scene_to_pixel(scene_pos)
        if yx is None:
            self._clear_hover()
        else:
            self.hover(*yx)

    def _on_bar_mouse_moved(self, scene_pos) -> None:
        if self.pages.currentIndex() != 1:
            return
        vb = self.bar_plot.getPlotItem().vb
        if vb.sceneBoundingRect().contains(scene_pos):
            p = vb.mapSceneToView(scene_pos)
            self.hover(p.y(), p.x())

    def _on_mouse_clicked(self, event) -> None:
        """A click on an output map selects its channel (the channel card shows it)."""
        self._on_mouse_moved(event.scenePos())
        info = self.hover_info
        if info is not None and info.channel is not None:
            self.state.select_channel(info.layer, info.channel)
