"""The convolution, explained on the trained network, one output pixel at a time.

Pick a pixel ``(row, col)`` of channel ``f`` of conv1 or conv2 (with the picker, by clicking
the small map, or from the feature-map view through ``explain``) and the view shows how the
engine computed it::

    out[f, row, col] = bias[f] + sum_{c, u, v} weight[f, c, u, v] * x[c, row + u, col + v]

the input patch ``x[:, row:row+5, col:col+5]``, the kernel ``weight[f]``, their element-wise
products with the numbers, the sum plus bias (the pre-activation), the ReLU, and the pool cell
``(row // 2, col // 2)`` it feeds and whether it won that cell's 2x2 window. For conv2 the
20 input channels each contribute the sum of their 25 products: bars show which drive it.

Every number comes from ``state.net``'s parameters and ``state.trace`` (the probe's forward
pass); the products are ``patch * kernel`` in NumPy, and the view also prints the engine's own
output at that pixel so the class sees the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QPen, QTransform
from PyQt6.QtWidgets import (QBoxLayout, QComboBox, QGraphicsRectItem, QGraphicsSimpleTextItem, QHBoxLayout,
                             QLabel, QSpinBox, QVBoxLayout, QWidget)

from ..fit_layout import Option, arrange
from ..image_panel import FitCanvas
from ..label_fit import fit_label
from ..mosaic import mosaic_layout, range_levels, symmetric_levels, tile
from ..state import AppState
from ..state import is_exposed, request_refresh
from ..number_grid import DIVERGING_CMAP, GREY_CMAP, NumberGrid, image_box

CONV_LAYERS = ("conv1", "conv2")
# rows of panels for the main row: one row when wide, two or three when narrow
MAIN_TEMPLATES = [
    [["input", "patch", "times", "kernel", "equals", "products", "output"]],
    [["input", "patch", "times", "kernel"], ["equals", "products", "output"]],
    [["patch", "times", "kernel", "equals", "products"], ["input", "output"]],
    [["input", "output"], ["patch", "times", "kernel"], ["equals", "products"]],
]
MIN_TEXT_PX = 7.0        # smallest number height in a grid cell before dropping decimals
DIGIT_ASPECT = 0.62      # a digit's width / height in the grid's bold font
POSITIVE_BRUSH = QColor(200, 40, 40)
NEGATIVE_BRUSH = QColor(40, 80, 210)


@dataclass(frozen=True)
class Explanation:
    """One output pixel of a conv layer, taken apart.

    ``patch``, ``kernel``, ``products``: ``(C, K, K)`` with C the layer's input channels
    (1 for conv1, 20 for conv2); ``contributions (C,)`` the per-channel sums of products.
    """

    layer: str
    channel: int
    row: int
    col: int
    input_name: str          # the layer whose output is the conv's input ("input", "pool1")
    activation_name: str     # "relu1", ...
    pool_name: str           # "pool1", ...
    patch: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    contributions: np.ndarray
    bias: float
    pre_activation: float    # sum of products + bias, computed here
    engine_output: float     # trace[layer].output[0, channel, row, col]
    activation: float        # trace[activation_name].output[0, channel, row, col]
    pool_cell: tuple[int, int]
    pool_value: float        # trace[pool_name].output[0, channel, *pool_cell]
    is_winner: bool          # trace[pool_name].mask[0, channel, row, col]

    @property
    def products_sum(self) -> float:
        return float(self.contributions.sum())


def explain_pixel(net, trace, layer: str, channel: int, row: int, col: int) -> Explanation:
    """Take apart ``trace[layer].output[0, channel, row, col]`` using ``net``'s parameters."""
    names = trace.names
    at = names.index(layer)
    input_name, activation_name, pool_name = names[at - 1], names[at + 1], names[at + 2]
    conv = net.layer(layer)
    k = conv.kernel_size
    x = trace[input_name].output[0]                                   # (C, H, W)
    patch = x[:, row:row + k, col:col + k].astype(np.float64)         # (C, K, K)
    kernel = conv.params["weight"][channel].astype(np.float64)        # (C, K, K)
    products = patch * kernel
    contributions = products.sum(axis=(1, 2))
    bias = float(conv.params["bias"][channel])
    cell = (row // 2, col // 2)
    return Explanation(
        layer=layer, channel=channel, row=row, col=col, input_name=input_name,
        activation_name=activation_name, pool_name=pool_name, patch=patch, kernel=kernel,
        products=products, contributions=contributions, bias=bias,
        pre_activation=float(contributions.sum()) + bias,
        engine_output=float(trace[layer].output[0, channel, row, col]),
        activation=float(trace[activation_name].output[0, channel, row, col]),
        pool_cell=cell,
        pool_value=float(trace[pool_name].output[0, channel, cell[0], cell[1]]),
        is_winner=bool(trace[pool_name].mask[0, channel, row, col]),
    )


def formula_text(e: Explanation) -> str:
    """The one-line story with the actual numbers."""
    total = "Σ products" if len(e.contributions) == 1 else f"Σ over {len(e.contributions)} channels"
    act = {"relu": "ReLU", "sigmoid": "sigmoid"}.get(''.join(ch for ch in e.activation_name
                                                            if ch.isalpha()), e.activation_name)
    outcome = ("winner" if e.is_winner
               else f"not the max (the cell keeps {e.pool_value:.3f})")
    bias = f"{e.bias:.3f}" if e.bias >= 0 else f"({e.bias:.3f})"
    return (f"{total} = {e.products_sum:.3f} + bias {bias} = {e.pre_activation:.3f}"
            f" → {act} → {e.activation:.3f} → {e.pool_name} cell {e.pool_cell}: {outcome}")


def _tile_labels(box: pg.ViewBox, layout, items: list) -> None:
    """Write each tile's index in the gap above it (image coordinates, scaled to the gap)."""
    for item in items:
        box.removeItem(item)
    items.clear()
    font = QFont()
    font.setPixelSize(100)
    for i in range(layout.count):
        y, x = layout.origin(i)
        item = QGraphicsSimpleTextItem(str(i))
        item.setFont(font)
        item.setBrush(QColor(230, 230, 230))
        s = 0.9 * layout.gap / item.boundingRect().height()
        item.setTransform(QTransform.fromScale(s, s))
        item.setPos(x, y - layout.gap)
        box.addItem(item, ignoreBounds=True)
        items.append(item)


def _outline(colour: QColor, width: float = 3.0) -> QGraphicsRectItem:
    item = QGraphicsRectItem()
    pen = QPen(colour)
    pen.setCosmetic(True)
    pen.setWidthF(width)
    item.setPen(pen)
    item.setZValue(10)
    return item


class ConvExplainerView(QWidget):
    """Explains one output pixel of conv1 or conv2 with the numbers (see module docstring)."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("convExplainerView")
        self.state = state
        self.layer, self.channel, self.row, self.col = "conv1", 0, 12, 12
        self.input_channel = 0          # conv2: whose 5x5 grids are written out
        self.explanation: Explanation | None = None
        self._dirty = True
        self._updating = False
        self._build()
        state.traceChanged.connect(self._on_trace)
        state.modelChanged.connect(self._on_model)
        state.pixelSelected.connect(self.explain)
        self._on_model()

    # -- construction ----------------------------------------------------------------------
    def _build(self) -> None:
        # layer channel row col | input channel: one row, or two when narrow (large type)
        picker = QHBoxLayout()
        second = QHBoxLayout()
        self.layer_combo = QComboBox()
        self.layer_combo.addItems(CONV_LAYERS)
        self.channel_spin, self.row_spin, self.col_spin = QSpinBox(), QSpinBox(), QSpinBox()
        self.input_spin = QSpinBox()
        self.input_label = QLabel("input channel")
        for text, widget in (("layer", self.layer_combo), ("channel", self.channel_spin),
                             ("row", self.row_spin), ("col", self.col_spin),
                             (None, self.input_label), (None, self.input_spin)):
            row = picker if text else second
            if text:
                row.addWidget(QLabel(text))
            row.addWidget(widget)
        picker.addStretch(1)
        second.addStretch(1)
        self._picker_rows = (picker, second)
        self.picker = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.picker.addLayout(picker)
        self.picker.addLayout(second)
        self.layer_combo.currentTextChanged.connect(self._on_picker)
        for spin in (self.channel_spin, self.row_spin, self.col_spin):
            spin.valueChanged.connect(self._on_picker)
        self.input_spin.valueChanged.connect(self._on_input_channel)

        # Row 1: where the patch is | patch x kernel = products | the output map, placed by
        # hand (``arrange``): one row when wide, two or three rows when narrow, so nothing is
        # cut off and the numbers stay as large as the view allows.
        self.graphics = pg.GraphicsView(background="k")
        self.canvas = FitCanvas(self._arrange_main)
        self.graphics.setCentralItem(self.canvas)
        self.main_panels: dict[str, pg.GraphicsLayout] = {}

        def panel(key: str) -> pg.GraphicsLayout:
            layout = pg.GraphicsLayout()
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setSpacing(0)
            layout.setParentItem(self.canvas)
            self.main_panels[key] = layout
            return layout

        g = panel("input")
        self.input_title = g.addLabel("", row=0, col=0)
        self.input_box = image_box(g, row=1, col=0)
        self.input_image = pg.ImageItem(axisOrder="row-major")
        self.input_image.setColorMap(pg.colormap.get(GREY_CMAP))
        self.input_box.addItem(self.input_image)
        self.patch_rect = _outline(QColor(255, 70, 70))
        self.input_box.addItem(self.patch_rect, ignoreBounds=True)

        self.patch_grid = NumberGrid(panel("patch"), 0, 0, (5, 5), GREY_CMAP, "input patch")
        self.kernel_grid = NumberGrid(panel("kernel"), 0, 0, (5, 5), DIVERGING_CMAP, "kernel")
        self.product_grid = NumberGrid(panel("products"), 0, 0, (5, 5), DIVERGING_CMAP,
                                       "products")
        self.signs = {}
        for key, text in (("times", "×"), ("equals", "=")):
            sign = pg.LabelItem(text)
            sign.setParentItem(self.canvas)
            self.signs[key] = sign

        g = panel("output")
        self.output_title = g.addLabel("", row=0, col=0)
        self.output_box = image_box(g, row=1, col=0)
        self.output_image = pg.ImageItem(axisOrder="row-major")
        self.output_image.setColorMap(pg.colormap.get("viridis"))
        self.output_box.addItem(self.output_image)
        self.pixel_rect = _outline(QColor(255, 70, 70))
        self.output_box.addItem(self.pixel_rect, ignoreBounds=True)
        self.pool_rect = _outline(QColor(255, 255, 255), 2.0)
        self.output_box.addItem(self.pool_rect, ignoreBounds=True)
        self._titles = {"input": self.input_title, "patch": self.patch_grid.title,
                        "kernel": self.kernel_grid.title, "products": self.product_grid.title,
                        "output": self.output_title}
        self._title_texts: dict[str, list[str]] = {}
        self._title_widths: dict[str, float] = {}
        self.placements: dict = {}
        self.cell_px = 0.0              # on-screen size of one cell of the 5x5 grids
        self.graphics.scene().sigMouseClicked.connect(self._on_click)

        # Row 2 (conv2 only): all input channels' patches and kernels, and their contributions.
        self.channels_graphics = pg.GraphicsLayoutWidget()
        self.channels_graphics.setBackground("k")
        c = self.channels_graphics.ci
        self.patches_title = c.addLabel("patches (pool1)", row=0, col=0)
        self.patches_box = image_box(c, row=1, col=0)
        self.patches_image = pg.ImageItem(axisOrder="row-major")
        self.patches_image.setColorMap(pg.colormap.get(GREY_CMAP))
        self.patches_box.addItem(self.patches_image)
        self.kernels_title = c.addLabel("kernels", row=0, col=1)
        self.kernels_box = image_box(c, row=1, col=1)
        self.kernels_image = pg.ImageItem(axisOrder="row-major")
        self.kernels_image.setColorMap(pg.colormap.get(DIVERGING_CMAP))
        self.kernels_box.addItem(self.kernels_image)
        self.patches_sel = _outline(QColor(255, 70, 70))
        self.kernels_sel = _outline(QColor(255, 70, 70))
        self.patches_box.addItem(self.patches_sel, ignoreBounds=True)
        self.kernels_box.addItem(self.kernels_sel, ignoreBounds=True)
        self._tile_items = {"patches": [], "kernels": []}
        self._tiles = None
        self.bars_plot = c.addPlot(row=0, col=2, rowspan=2,
                                   title="channel contributions")
        self.bars_plot.setMenuEnabled(False)
        self.bars_plot.setMouseEnabled(x=False, y=False)
        self.bars_plot.hideButtons()
        self.bars_plot.setLabel("bottom", "input channel")
        self.bars_plot.addLine(y=0, pen=pg.mkPen((180, 180, 180), width=1))
        self.bars = pg.BarGraphItem(x=np.arange(1), height=np.zeros(1), width=0.8)
        self.bars_plot.addItem(self.bars)
        for column, stretch in ((0, 3), (1, 3), (2, 5)):
            c.layout.setColumnStretchFactor(column, stretch)
        self.channels_graphics.scene().sigMouseClicked.connect(self._on_channels_click)

        self.formula = QLabel()
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail = QLabel()
        self.detail.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(self.picker)
        layout.addWidget(self.graphics, 3)
        layout.addWidget(self.channels_graphics, 2)
        layout.addWidget(self.formula)
        layout.addWidget(self.detail)
        self._apply_fonts()

    def _apply_fonts(self) -> None:
        """Formula text at 1.4x the widget font, titles at 1.15x (presentation mode enlarges
        that font)."""
        base = self.font().pointSizeF()
        big = QFont(self.font())
        big.setPointSizeF(base * 1.4)
        big.setBold(True)
        self.formula.setFont(big)
        self.detail.setFont(QFont(self.font()))
        self._title_pt = f"{base * 1.15:.1f}pt"
        for title in self._titles.values():
            title.setText(title.text, size=self._title_pt)
        for title in (self.patches_title, self.kernels_title):
            title.setText(title.text, size=self._title_pt)
        self.bars_plot.setTitle(self.bars_plot.titleLabel.text, size=self._title_pt)
        for sign in self.signs.values():
            sign.setText(sign.text, size=f"{base * 2.4:.0f}pt")
        self._arrange_main()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._apply_fonts()
            self._fit_text()
        super().changeEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_text()

    def _fit_text(self) -> None:
        """In a short view (a small dock, or large type) the sentences under the panels would
        take most of the height: hide the explanatory detail (it stays the formula's tooltip)
        and, if still short, write the formula in the normal size."""
        if not hasattr(self, "_title_pt"):
            return
        width, height = max(1, self.width() - 20), self.height()
        one_row = self._picker_rows[0].sizeHint().width() + 12 + (
            self.input_label.sizeHint().width() + self.input_spin.sizeHint().width() + 6
            if self.layer != CONV_LAYERS[0] else 0)
        self.picker.setDirection(QBoxLayout.Direction.LeftToRight if one_row <= width
                                 else QBoxLayout.Direction.TopToBottom)
        big = QFont(self.font())
        big.setPointSizeF(self.font().pointSizeF() * 1.4)
        big.setBold(True)
        plain = QFont(self.font())
        plain.setBold(True)
        for show_detail, font in ((True, big), (False, big), (False, plain)):
            if self.formula.font() != font:
                self.formula.setFont(font)
            text_h = self.formula.heightForWidth(width)
            if show_detail:
                text_h += self.detail.heightForWidth(width)
            if text_h <= 0.3 * height:
                break
        self.detail.setVisible(show_detail)
        self.formula.setToolTip("" if show_detail else self.detail.text())
        self._fit_channel_titles()

    def _fit_channel_titles(self) -> None:
        """conv2's second row: titles no wider than their columns (stretch 3 : 3 : 5)."""
        e = self.explanation
        if e is None or len(e.contributions) < 2:
            return
        share = max(1, self.channels_graphics.width() - 20) / 11
        name = f"{e.layer}[{e.channel}]"
        fit_label(self.patches_title, [f"patches ({e.input_name})", "patches"], 3 * share)
        fit_label(self.kernels_title, [f"kernels {name}", "kernels"], 3 * share)
        fit_label(self.bars_plot.titleLabel, ["channel contributions", "contributions"],
                  5 * share - 50)

    # -- layout -----------------------------------------------------------------------------
    def _arrange_main(self, *_args) -> None:
        """Place input | patch × kernel = products | output for the canvas's size."""
        size = self.canvas.size()
        if not hasattr(self, "_title_pt") or size.width() < 20 or size.height() < 20:
            return
        c, h, w = self._output_shape(self.layer)
        src = self.state.trace[self.state.trace.names[self.state.trace.names.index(self.layer)
                                                       - 1]].output.shape[-1]
        sign_w = max(s.minimumWidth() for s in self.signs.values()) + 4
        options = {"input": [Option(None, 1.0, src)], "output": [Option(None, 1.0, h)],
                   "patch": [Option(None, 1.0, 5)], "kernel": [Option(None, 1.0, 5)],
                   "products": [Option(None, 1.0, 5)],
                   "times": [Option(None, 1e-3, 1, extra_w=sign_w)],
                   "equals": [Option(None, 1e-3, 1, extra_w=sign_w)]}
        title_px = max(t.minimumHeight() for t in self._titles.values()) + 2
        self.placements = arrange(
            size.width(), size.height(), MAIN_TEMPLATES, options, title_px=title_px, spacing=6,
            titled={"input", "output", "patch", "kernel", "products"},
            weights={"times": 0.0, "equals": 0.0, "input": 0.5, "output": 0.5,
                     "products": 1.5})
        for key, place in self.placements.items():
            x, y, pw, ph = place.rect
            if key in self.signs:
                sign = self.signs[key]
                sh = sign.minimumHeight()
                sign.setGeometry(QRectF(x, y + ph - place.content_h / 2 - sh / 2, pw, sh))
                continue
            self._title_widths[key] = pw
            self._fit_title(key)
            self.main_panels[key].setGeometry(QRectF(x, y, pw, ph))
        cell = self.placements["products"].content_h / 5 if self.placements else 0.0
        if abs(cell - self.cell_px) > 0.5:
            old = self.decimals()
            self.cell_px = cell
            if self.explanation is not None and self.decimals() != old and is_exposed(self):
                self._draw(self.explanation)

    def decimals(self) -> int:
        """Decimals of the products' numbers: 3 in big cells, fewer in small ones, so a
        number written across 90% of its cell is at least ``MIN_TEXT_PX`` tall."""
        for places in (3, 2, 1):
            chars = places + 3                              # "-0.123"
            if 0.9 * self.cell_px / (chars * DIGIT_ASPECT) >= MIN_TEXT_PX:
                return places
        return 0

    def _fit_title(self, key: str) -> None:
        texts = self._title_texts.get(key)
        width = self._title_widths.get(key)
        if texts and width:
            fit_label(self._titles[key], texts, width)

    def _set_title(self, key: str, texts: list[str]) -> None:
        self._title_texts[key] = texts
        self._fit_title(key)

    # -- public API --------------------------------------------------------------------------
    def explain(self, layer: str, channel: int, row: int, col: int) -> None:
        """Explain ``layer``'s output at ``(channel, row, col)`` (the feature-map view's click)."""
        if layer not in CONV_LAYERS:
            self.formula.setText(f"Only conv1 and conv2 can be explained here, not {layer!r}.")
            return
        shape = self._output_shape(layer)
        if not (0 <= channel < shape[0] and 0 <= row < shape[1] and 0 <= col < shape[2]):
            self.formula.setText(f"{layer} has no pixel (channel {channel}, row {row}, col {col}); "
                                 f"its output is {shape[0]} x {shape[1]} x {shape[2]}.")
            return
        self.layer, self.channel, self.row, self.col = layer, int(channel), int(row), int(col)
        self._sync_picker()
        self.refresh()

    def select_input_channel(self, index: int) -> None:
        """conv2: write out input channel ``index``'s patch, kernel and products."""
        self.input_channel = int(np.clip(index, 0, max(0, self._input_channels() - 1)))
        self._updating = True
        self.input_spin.setValue(self.input_channel)
        self._updating = False
        self.refresh()

    def refresh(self) -> None:
        """Recompute and redraw now if visible, else on the next show."""
        if not is_exposed(self):             # hidden, closed, or a tab behind another
            self._dirty = True
            self.explanation = self._compute()
            return
        self._dirty = False
        self.explanation = self._compute()
        self._draw(self.explanation)

    # -- state --------------------------------------------------------------------------------
    def _output_shape(self, layer: str) -> tuple[int, int, int]:
        return self.state.trace[layer].output.shape[1:]

    def _input_channels(self) -> int:
        return self.state.net.layer(self.layer).params["weight"].shape[1]

    def _compute(self) -> Explanation:
        return explain_pixel(self.state.net, self.state.trace, self.layer, self.channel,
                             self.row, self.col)

    def _on_trace(self, _trace=None) -> None:
        request_refresh(self, self.refresh)  # while training: in its own event-loop turn

    def _on_model(self) -> None:
        # A different config may have fewer channels: clamp the selection to the new shapes.
        c, h, w = self._output_shape(self.layer)
        self.channel, self.row, self.col = min(self.channel, c - 1), min(self.row, h - 1), \
            min(self.col, w - 1)
        self.input_channel = min(self.input_channel, self._input_channels() - 1)
        self._sync_picker()
        self.refresh()

    def _sync_picker(self) -> None:
        self._updating = True
        c, h, w = self._output_shape(self.layer)
        self.layer_combo.setCurrentText(self.layer)
        for spin, top, value in ((self.channel_spin, c, self.channel), (self.row_spin, h, self.row),
                                 (self.col_spin, w, self.col)):
            spin.setRange(0, top - 1)
            spin.setValue(value)
        many = self._input_channels() > 1
        self._fit_text()        # wrap the picker before showing the input channel: showing
        # it in a row too wide would grow a top-level window at once
        self.input_spin.setRange(0, self._input_channels() - 1)
        self.input_spin.setValue(self.input_channel)
        self.input_spin.setVisible(many)
        self.input_label.setVisible(many)
        self.channels_graphics.setVisible(many)
        self._updating = False

    def _on_picker(self, *_args) -> None:
        if self._updating:
            return
        layer = self.layer_combo.currentText()
        c, h, w = self._output_shape(layer)
        self.explain(layer, min(self.channel_spin.value(), c - 1), min(self.row_spin.value(), h - 1),
                     min(self.col_spin.value(), w - 1))

    def _on_input_channel(self, value: int) -> None:
        if not self._updating:
            self.select_input_channel(value)

    def _on_click(self, event) -> None:
        pos = event.scenePos()
        if not self.output_box.sceneBoundingRect().contains(pos):
            return
        p = self.output_box.mapSceneToView(pos)
        c, h, w = self._output_shape(self.layer)
        row, col = int(np.floor(p.y())), int(np.floor(p.x()))
        if 0 <= row < h and 0 <= col < w:
            self.explain(self.layer, self.channel, row, col)

    def _on_channels_click(self, event) -> None:
        pos = event.scenePos()
        if self.bars_plot.sceneBoundingRect().contains(pos):
            x = self.bars_plot.vb.mapSceneToView(pos).x()
            self.select_input_channel(int(round(x)))
            return
        for box in (self.patches_box, self.kernels_box):
            if box.sceneBoundingRect().contains(pos) and self._tiles is not None:
                p = box.mapSceneToView(pos)
                hit = self._tiles.tile_at(p.y(), p.x())
                if hit is not None:
                    self.select_input_channel(hit[0])
                return

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self.refresh()

    # -- drawing ------------------------------------------------------------------------------
    def _draw(self, e: Explanation) -> None:
        k = e.kernel.shape[-1]
        many = len(e.contributions) > 1
        ci = self.input_channel if many else 0
        name = f"{e.layer}[{e.channel}]"

        # Where the patch comes from: the input digit (conv1) or one pool1 channel (conv2).
        source = self.state.trace[e.input_name].output[0, ci]
        self.input_image.setImage(source, autoLevels=False, levels=range_levels(source))
        self.input_box.setRange(xRange=(0, source.shape[1]), yRange=(0, source.shape[0]),
                                padding=0.02)
        self.patch_rect.setRect(QRectF(e.col, e.row, k, k))
        where = "input digit" if e.input_name == "input" else f"{e.input_name}[{ci}]"
        self._set_title("input", [f"{where}, patch at ({e.row}, {e.col})",
                                  f"{where} ({e.row}, {e.col})", where, "input"])

        patch, kernel, products = e.patch[ci], e.kernel[ci], e.products[ci]
        lo, hi = range_levels(self.state.trace[e.input_name].output[0])
        places = self.decimals()
        small = "{:.%df}" % min(2, places)
        self.patch_grid.set_values(patch, (min(lo, 0.0), hi), fmt=small)
        self.kernel_grid.set_values(kernel, symmetric_levels(e.kernel), fmt=small)
        self.product_grid.set_values(products, symmetric_levels(products),
                                     fmt="{:.%df}" % places)
        for grid in (self.patch_grid, self.kernel_grid, self.product_grid):
            grid.set_visible_numbers(self.cell_px * 0.42 >= MIN_TEXT_PX * 0.8)
        self._set_title("patch", [f"input patch [{ci}]", "patch"] if many
                        else ["input patch", "patch"])
        self._set_title("kernel", [f"kernel {name}" + (f"[{ci}]" if many else ""), "kernel"])
        self._set_title("products", [f"products: Σ = {products.sum():.3f}",
                                     f"Σ = {products.sum():.3f}", "products"])

        # The output map (after the activation) with the pixel and its pool window marked.
        out = self.state.trace[e.activation_name].output[0, e.channel]
        self.output_image.setImage(out, autoLevels=False, levels=range_levels(out))
        self.output_box.setRange(xRange=(0, out.shape[1]), yRange=(0, out.shape[0]), padding=0.02)
        self.pixel_rect.setRect(QRectF(e.col, e.row, 1, 1))
        self.pool_rect.setRect(QRectF(e.pool_cell[1] * 2, e.pool_cell[0] * 2, 2, 2))
        self._set_title("output", [f"{name} after {e.activation_name}", name])
        if not self.placements:
            self._arrange_main()

        if many:
            self._draw_channels(e, ci)
        self.formula.setText(formula_text(e))
        self.detail.setText(
            "Click a pixel of the map on the right to explain it. "
            f"{e.layer} output at channel {e.channel}, row {e.row}, col {e.col} computed by the "
            f"network: {e.engine_output:.5f} (here: {e.pre_activation:.5f}). The white square is "
            f"the 2x2 window of {e.pool_name} cell {e.pool_cell}; only its largest value "
            f"({e.pool_value:.3f}) passes on.")
        self._fit_text()

    def _draw_channels(self, e: Explanation, ci: int) -> None:
        count, k = e.kernel.shape[0], e.kernel.shape[-1]
        layout = mosaic_layout(count, k, k, columns=min(10, count), gap=2)
        if self._tiles != layout:
            self._tiles = layout
            _tile_labels(self.patches_box, layout, self._tile_items["patches"])
            _tile_labels(self.kernels_box, layout, self._tile_items["kernels"])
            h, w = layout.shape
            for box in (self.patches_box, self.kernels_box):
                box.setRange(xRange=(0, w), yRange=(-layout.gap, h), padding=0.02)
        patches = tile(e.patch, layout)
        self.patches_image.setImage(patches, autoLevels=False, levels=range_levels(patches))
        kernels = tile(e.kernel, layout)
        self.kernels_image.setImage(kernels, autoLevels=False, levels=symmetric_levels(kernels))
        y, x = layout.origin(ci)
        for rect in (self.patches_sel, self.kernels_sel):
            rect.setRect(QRectF(x, y, k, k))

        contributions = e.contributions
        brushes = [POSITIVE_BRUSH if v >= 0 else NEGATIVE_BRUSH for v in contributions]
        pens = [pg.mkPen("w", width=3) if i == ci else pg.mkPen(None) for i in range(count)]
        self.bars.setOpts(x=np.arange(count), height=contributions, width=0.8, brushes=brushes,
                          pens=pens)
        m = float(np.abs(contributions).max()) or 1.0
        self.bars_plot.setRange(xRange=(-0.7, count - 0.3), yRange=(-m * 1.1, m * 1.1), padding=0)
        self.bars_plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(0, count, 2)],
                                                   [(i, str(i)) for i in range(1, count, 2)]])
