"""Activations of the probe digit, layer by layer, with the current weights (live).

One mosaic per layer: the input (1 x 28x28), conv1 after its activation (20 x 24x24), pool1
(20 x 12x12), conv2 after its activation (50 x 8x8), pool2 (50 x 4x4), the hidden layer fc1
after its activation (500 values as a 20 x 25 grid) and the output probabilities (10 bars).
Each group has its own levels (computed in NumPy), so channels within a layer compare.

Hovering a pixel names its layer, channel, (row, col) and value, and outlines where it comes
from: a conv pixel's 5x5 receptive field on the conv's input (conv2: on all 20 pool1 maps),
a pool pixel's 2x2 window on the pre-pool map. Clicking a conv pixel emits
``pixelClicked("conv1" | "conv2", channel, row, col)`` (the convolution explainer listens);
clicking any map or unit also selects its channel (``state.select_channel``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QRectF, Qt, pyqtSignal
from PyQt6.QtWidgets import QGraphicsItem, QLabel, QVBoxLayout, QWidget

from ..fit_layout import Option, arrange
from ..image_panel import GREY_CMAP, FitCanvas, ImagePanel, MosaicPanel
from ..mosaic import range_levels
from ..lazy_refresh import RefreshWhenExposed

BAR_COLOR = (90, 120, 170)
PREDICTED_COLOR = (255, 170, 40)
PROB_ASPECT = 1.4           # width / height of the probability bars' plot
# mosaic column counts to choose from (whichever fits the widget's shape best)
COLUMN_CHOICES = (2, 4, 5, 7, 10, 13, 17, 20, 25)
# rows of panels to choose from: portrait docks stack more rows, wide windows fewer
TEMPLATES = [
    [["input", "conv1", "pool1"], ["conv2", "pool2"], ["fc1", "probs"]],
    [["input", "conv1"], ["pool1", "conv2"], ["pool2", "fc1", "probs"]],
    [["input", "conv1", "pool1"], ["conv2"], ["pool2", "fc1", "probs"]],
    [["input", "conv1"], ["pool1"], ["conv2"], ["pool2", "fc1", "probs"]],
    [["input", "conv1", "pool1", "conv2"], ["pool2", "fc1", "probs"]],
    [["input", "conv1", "pool1", "conv2", "pool2"], ["fc1", "probs"]],
]


@dataclass
class Group:
    """One mosaic of maps: which trace entry it shows and where its pixels come from.

    ``source`` is the group whose pixels feed one of ours: ``"kernel"`` (a conv: a KxK window
    at the same (row, col) on all of the source's channels) or ``"pool"`` (a 2x2 window at
    (2 row, 2 col) on the same channel).
    """

    key: str                 # shown name and pixelClicked name: "conv1", "pool1", ...
    caption: str
    panel: MosaicPanel
    trace_name: str = ""     # filled from the network's layer order
    source: str | None = None
    link: str | None = None  # "kernel" or "pool"


class ActivationsView(RefreshWhenExposed, QWidget):
    """Feature maps of the probe digit for every layer, plus its class probabilities."""

    pixelClicked = pyqtSignal(str, int, int, int)    # conv layer name, channel, row, col

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self._dirty = True
        self._maps: dict[str, np.ndarray] = {}      # key -> (C, H, W) last drawn

        # panels are placed by hand (``arrange``): mosaic columns and row heights follow the
        # widget's shape, so the maps fill the view and every title sits on its maps
        self.graphics = pg.GraphicsView(background="k")
        self.canvas = FitCanvas(self.arrange)
        self.graphics.setCentralItem(self.canvas)
        self.status = QLabel("Hover a pixel to see its value; click a conv pixel to explain it.")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.status)

        self.groups: dict[str, Group] = {}
        self._add(Group("input", "input 28x28", MosaicPanel(cmap=GREY_CMAP, labels=None)))
        self._add(Group("conv1", "conv1 + ReLU", MosaicPanel(columns=5), None, "input", "kernel"))
        self._add(Group("pool1", "pool1", MosaicPanel(columns=5), None, "conv1", "pool"))
        self._add(Group("conv2", "conv2 + ReLU", MosaicPanel(columns=10), None, "pool1", "kernel"))
        self._add(Group("pool2", "pool2", MosaicPanel(columns=10), None, "conv2", "pool"))
        self.fc1 = ImagePanel("fc1")
        self.fc1.layout.setContentsMargins(0, 0, 0, 0)
        self.fc1.layout.setParentItem(self.canvas)
        self.prob_plot = pg.PlotItem(title="probabilities")
        self.prob_plot.setParentItem(self.canvas)
        self._setup_prob_plot()
        self.placements: dict = {}

        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.graphics.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        state.traceChanged.connect(self.schedule_refresh)
        state.modelChanged.connect(self.schedule_refresh)
        self.pixelClicked.connect(state.select_pixel)
        self.schedule_refresh()

    def _add(self, group: Group) -> None:
        group.panel.set_title(group.caption)
        group.panel.layout.setContentsMargins(0, 0, 0, 0)
        group.panel.layout.setParentItem(self.canvas)
        self.groups[group.key] = group

    # -- layout --------------------------------------------------------------------------
    def arrange(self, *_args) -> None:
        """Place every panel for the canvas's current size (see ``fit_layout.arrange``)."""
        size = self.canvas.size()
        if not hasattr(self, "placements") or size.width() < 20 or size.height() < 20:
            return
        trace = self.state.trace
        names = trace.names
        shapes = {"input": trace["input"].output.shape[1:],
                  "conv1": trace[names[names.index("conv1") + 1]].output.shape[1:],
                  "pool1": trace["pool1"].output.shape[1:],
                  "conv2": trace[names[names.index("conv2") + 1]].output.shape[1:],
                  "pool2": trace["pool2"].output.shape[1:]}
        options = {}
        for key, (count, h, w) in shapes.items():
            panel = self.groups[key].panel
            choices = (1,) if count == 1 else COLUMN_CHOICES
            options[key] = []
            for columns in sorted({min(c, count) for c in choices
                                   if -count % c < c / 2}):      # last row at least half full
                ew, eh = panel.extent(count, h, w, columns)
                options[key].append(Option(columns, ew / eh, eh))
        units = trace[names[names.index("fc1") + 1]].output.shape[1]
        rows, cols = _grid_shape(units)
        options["fc1"] = [Option(None, cols / rows, rows)]
        axis_w = self.prob_plot.getAxis("left").width()
        # room for the axis, and for a title wider than the bars (large type)
        extra = max(axis_w, self.prob_plot.minimumWidth() * 0.6)
        options["probs"] = [Option(None, PROB_ASPECT, 1.0, extra_w=extra)]
        title_px = max(g.panel.title.minimumHeight() for g in self.groups.values())
        titled = set(options) - {"probs"}
        self.placements = arrange(size.width(), size.height(), TEMPLATES, options,
                                  title_px=title_px + 2, spacing=8, titled=titled,
                                  weights={"input": 0.3, "fc1": 0.5, "probs": 0.4})
        relayout = False
        for key, place in self.placements.items():
            rect = QRectF(*place.rect)
            if key == "probs":
                # its title may be wider than the bars: keep it inside the view
                over = rect.left() + max(rect.width(), self.prob_plot.minimumWidth()) - size.width()
                rect.translate(-max(0.0, over), 0)
                self.prob_plot.setGeometry(rect)
            elif key == "fc1":
                self.fc1.layout.setGeometry(rect)
            else:
                panel = self.groups[key].panel
                if place.value != panel.columns and shapes[key][0] > 1:
                    panel.columns = place.value
                    relayout = True
                panel.layout.setGeometry(rect)
        if relayout and self._maps:
            self._redraw_maps()

    def _redraw_maps(self) -> None:
        """Re-tile the last drawn maps (after the column counts changed)."""
        for key, maps in self._maps.items():
            if key in self.groups:
                levels = (0.0, 1.0) if key == "input" else range_levels(maps)
                self.groups[key].panel.set_maps(maps, levels)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.arrange()

    def _setup_prob_plot(self) -> None:
        plot = self.prob_plot
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setXRange(-0.6, 9.6, padding=0)
        plot.setYRange(0, 1, padding=0.02)
        plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(10)]])
        plot.getAxis("left").setTicks([[(v, f"{v:g}") for v in (0, 0.5, 1)]])
        for side in ("bottom", "left"):     # fixed axes: repaint as cached pixmaps
            plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.75,
                                    brush=BAR_COLOR)
        plot.addItem(self.bars)
        self._brushes = {False: pg.mkBrush(BAR_COLOR), True: pg.mkBrush(PREDICTED_COLOR)}
        self._prob_title = ""

    # -- refresh -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw every group from ``state.trace`` (cheap: one setImage per group)."""
        self._dirty = False
        trace = self.state.trace
        names = trace.names
        act1 = names[names.index("conv1") + 1]
        act2 = names[names.index("conv2") + 1]
        hidden = names[names.index("fc1") + 1]
        for key, trace_name in (("input", "input"), ("conv1", act1), ("pool1", "pool1"),
                                ("conv2", act2), ("pool2", "pool2")):
            group = self.groups[key]
            group.trace_name = trace_name
            maps = trace[trace_name].output[0]
            levels = (0.0, 1.0) if key == "input" else range_levels(maps)
            group.panel.set_maps(maps, levels)
            self._maps[key] = maps
        self._hidden_name = hidden
        units = trace[hidden].output[0]
        self._maps["fc1"] = units
        rows, cols = _grid_shape(units.size)
        grid = np.full(rows * cols, np.nan, np.float32)
        grid[:units.size] = units
        self.fc1.set_image(grid.reshape(rows, cols), range_levels(units))
        self.fc1.set_title(f"fc1 + {hidden[:-1]} ({units.size})")
        self._set_probabilities(self.state.probabilities)
        if not self.placements:
            self.arrange()

    def _set_probabilities(self, probs: np.ndarray) -> None:
        predicted = int(np.argmax(probs))
        brushes = [self._brushes[i == predicted] for i in range(len(probs))]
        self.bars.setOpts(x=np.arange(len(probs)), height=np.asarray(probs, float), brushes=brushes)
        label = self.state.probe_label
        truth = f", true {label}" if label is not None else ""
        title = f"predicted <b>{predicted}</b> ({probs[predicted]:.0%}){truth}"
        if title != self._prob_title:
            self._prob_title = title
            self.prob_plot.setTitle(title, size="9pt")

    # -- hover and click -------------------------------------------------------------------
    def hit(self, scene_pos) -> tuple[str, int, int, int] | None:
        """``(group key, channel, row, col)`` under a scene position (fc1: channel = unit)."""
        for key, group in self.groups.items():
            found = group.panel.locate(scene_pos)
            if found is not None:
                return (key, *found)
        yx = self.fc1.scene_to_pixel(scene_pos)
        if yx is not None and "fc1" in self._maps:
            rows, cols = _grid_shape(self._maps["fc1"].size)
            r, c = int(np.floor(yx[0])), int(np.floor(yx[1]))
            if 0 <= r < rows and 0 <= c < cols and r * cols + c < self._maps["fc1"].size:
                return ("fc1", r * cols + c, r, c)
        return None

    def _on_mouse_moved(self, scene_pos) -> None:
        found = self.hit(scene_pos)
        for group in self.groups.values():
            group.panel.highlight(None)
        if found is None:
            return
        key, channel, row, col = found
        if key == "fc1":
            value = self._maps["fc1"][channel]
            self.status.setText(f"fc1 unit {channel}: {value:.4g}")
            return
        value = self._maps[key][channel, row, col]
        group = self.groups[key]
        text = f"{group.caption} · channel {channel} · (row {row}, col {col}) = {value:.4g}"
        if group.link == "kernel":
            k = next(i.kernel_size for i in self.state.net.describe() if i.name == key)
            source = self.groups[group.source]
            source.panel.highlight("all", row, col, k)
            text += f" · receptive field: {k}x{k} at ({row}, {col}) of {group.source}"
        elif group.link == "pool":
            self.groups[group.source].panel.highlight([channel], 2 * row, 2 * col, 2)
            text += f" · max of the 2x2 window at ({2 * row}, {2 * col}) of {group.source}"
        group.panel.highlight([channel], row, col, 1)
        self.status.setText(text)

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        found = self.hit(event.scenePos())
        if found is not None and found[0] != "input":     # the channel card follows
            group = self.groups.get(found[0])
            self.state.select_channel(group.trace_name if group else self._hidden_name, found[1])
        if found is not None and self.groups.get(found[0]) and \
                self.groups[found[0]].link == "kernel":
            self.pixelClicked.emit(*found)


def _grid_shape(n: int) -> tuple[int, int]:
    """``(rows, cols)`` for ``n`` units: the most square exact factorisation, else ~sqrt."""
    for rows in range(int(np.sqrt(n)), 0, -1):
        if n % rows == 0 and n // rows <= 2 * rows:
            return rows, n // rows
    cols = int(np.ceil(np.sqrt(n)))
    return int(np.ceil(n / cols)), cols
