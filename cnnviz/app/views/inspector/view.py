"""The inspector's widget: the schematic of the network, the selected layer's picture (maps
or bars), the hover read-out and the text. Texts and windows come from ``cnnviz.explain``
(``layer_texts``, ``receptive_field``); the layers from ``net.describe()``."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, Qt, pyqtSignal
from PyQt6.QtWidgets import (QButtonGroup, QHBoxLayout, QLabel, QSizePolicy, QSplitter,
                             QStackedWidget, QToolButton, QVBoxLayout, QWidget)

from ....explain.layer_texts import (display_name, explanation_html, formula, layer_params,
                                     shape_text, window_text)
from ....explain.receptive_field import layer_window
from ...image_panel import ACTIVATION_CMAP, DIVERGING_CMAP, GREY_CMAP
from ...live_view import LiveRefresh
from ...mosaic import range_levels, symmetric_levels
from ....nn.arch import POOLS
from .bars_page import BarsPage
from .flow_layout import FlowLayout
from .hover import HoverInfo
from .maps_page import MapsPage
from .text_column import TextColumn

WIDE_RATIO = 1.3        # picture beside the text when the body is this much wider than tall
WIDE_MIN = 500          # ... and at least this wide
SIGNED_KINDS = ("conv", "dense", "tanh")   # outputs that can be negative: a diverging map
SIGN_KEEPING_KINDS = POOLS + ("dropout",)    # as signed as the maps they read


class InspectorView(LiveRefresh, QWidget):
    """A clickable schematic of the network; the selected layer's output, input and maths."""

    layerSelected = pyqtSignal(str)

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.selected_layer: str | None = None
        self.hover_info: HoverInfo | None = None
        self._buttons: dict[str, QToolButton] = {}
        self._infos: dict = {}                       # name -> describe() record
        self._order: list[str] = []
        self._output: np.ndarray | None = None      # (C, H, W) or (n,) of the selected layer
        self._oriented = False
        self._drawn_layer: str | None = None        # the layer the maps page shows

        # schematic: one button per layer (name and shape), wrapping onto more rows
        self.schematic = QWidget()
        self._schematic_layout = FlowLayout(self.schematic)
        self._schematic_layout.setContentsMargins(2, 2, 2, 2)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)

        self.maps = MapsPage(lambda: self._highlight(self.hover_info))
        self.maps_view, self.canvas = self.maps.view, self.maps.canvas
        self.input_panel, self.output_panel = self.maps.input_panel, self.maps.output_panel
        self._map_panels = self.maps.panels
        # kept for scripts and tests: the one graphics view that holds both mosaics
        self.input_widget = self.output_widget = self.maps_view
        for panel in self._map_panels.values():      # a hovered tile on another page
            panel.pageChanged.connect(self._on_page)
        self.maps_view.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.maps_view.scene().sigMouseClicked.connect(self._on_mouse_clicked)

        self.bar_plot = BarsPage()
        self.bars, self.bar_labels = self.bar_plot.bars, self.bar_plot.labels
        self.bar_plot.scene().sigMouseMoved.connect(self._on_bar_mouse_moved)
        self.bar_plot.scene().sigMouseClicked.connect(self._on_bar_clicked)

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

        self.text = TextColumn()
        self.explanation, self.params_label = self.text.explanation, self.text.params_label
        self.params_area, self.params_title = self.text.params_area, self.text.params_title

        # picture beside the text when wide, above it when narrow (``_orient``)
        self.body = QSplitter(Qt.Orientation.Horizontal)
        self.body.setChildrenCollapsible(False)
        self.body.addWidget(picture)
        self.body.addWidget(self.text)
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

    @property
    def placements(self) -> dict:
        return self.maps.placements

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
        records = self.state.net.describe()
        self._infos = {info.name: info for info in records}
        self._order = [info.name for info in records]
        for i, info in enumerate(records):
            # "→ button" as one item, so a wrapped row starts with its arrow
            step = QWidget()
            row = QHBoxLayout(step)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(2)
            if i:
                row.addWidget(QLabel("→"))
            button = QToolButton()
            shape = shape_text(info.output_shape)
            button.setText(f"{display_name(info.name, info.kind)}\n{shape}")
            button.setToolTip(f"{info.name}: output {shape}")
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.clicked.connect(lambda _checked, n=info.name: self.select_layer(n))
            self._group.addButton(button)
            self._buttons[info.name] = button
            row.addWidget(button)
            lay.addWidget(step)
        if self.selected_layer not in self._buttons:
            self.selected_layer = self._default_layer()
        self.select_layer(self.selected_layer)

    def _default_layer(self) -> str:
        """The first conv layer (the first step that learns), else the first dense layer."""
        for kind in ("conv", "dense"):
            for name in self._order:
                if self._infos[name].kind == kind:
                    return name
        return self._order[0]

    # -- layout ----------------------------------------------------------------------------
    def _apply_fonts(self) -> None:
        """Titles in the widget's font size (presentation mode enlarges it)."""
        # two lines always: a longer hover text must not shrink the maps (and re-tile them)
        self.hover_label.setMinimumHeight(
            2 * self.hover_label.fontMetrics().lineSpacing() + 2)
        self.text.apply_font()
        self.maps.set_title_size(f"{self.font().pointSizeF():.1f}pt")
        self._orient()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._apply_fonts()
        super().changeEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._orient()
        self._fit_params()

    def _fit_params(self) -> None:
        self.text.fit(self.body.orientation() == Qt.Orientation.Vertical)

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

    def layer_names(self) -> list[str]:
        return list(self._order)

    def button(self, name: str) -> QToolButton:
        return self._buttons[name]

    # -- selection -------------------------------------------------------------------------
    def select_layer(self, name: str) -> None:
        """Show layer ``name`` (a trace name: "input", a layer's name, ..., "softmax")."""
        if name not in self._buttons:
            raise KeyError(f"no layer named {name!r}; the layers are {', '.join(self._order)}")
        self.selected_layer = name
        self._buttons[name].setChecked(True)
        self.text.set_texts(explanation=explanation_html(self._infos[name]))
        self.hover_info = None
        self.hover_label.setText("Hover the output to read its values.")
        self.output_panel.highlight(None)
        self.input_panel.highlight(None)
        self.refresh()
        self.layerSelected.emit(name)

    def formula(self, name: str | None = None) -> str:
        """The plain-text formula of layer ``name`` (default: the selected one)."""
        return formula(self._infos[name or self.selected_layer])

    def _input_name(self, name: str) -> str | None:
        return self._infos[name].input

    def is_map_layer(self, name: str | None = None) -> bool:
        return len(self._infos[name or self.selected_layer].output_shape) == 3

    # -- drawing ---------------------------------------------------------------------------
    def refresh(self) -> None:
        name = self.selected_layer
        trace = self.state.trace
        if name not in trace:
            return
        info = self._infos[name]
        out = trace[name].output[0]
        self._output = out
        self.text.set_texts(params=layer_params(self.state.net, info))
        self._fit_params()
        if out.ndim != 3:
            self.pages.setCurrentIndex(1)
            self.bar_plot.draw(name, info.kind, out, f"{self.font().pointSizeF():.1f}pt")
        else:
            self.pages.setCurrentIndex(0)
            drawn, titles = {"output": self._map(name, out, "output")}, {}
            shape = shape_text(out.shape)
            colours = " (blue &lt; 0 &lt; red)" if self.is_signed(name) else ""
            titles["output"] = [f"{name} output: {shape}{colours}", f"{name} output: {shape}",
                                f"{name} {shape}", name]
            source = info.input
            linked = False
            if source is not None and source in trace and trace[source].output.ndim == 4:
                x = trace[source].output[0]
                drawn["input"] = self._map(source, x, "input")
                in_shape = shape_text(x.shape)
                titles["input"] = [f"its input ({source}): {in_shape}", f"{source}: {in_shape}",
                                   source]
                # channel c of a ReLU or a pool reads channel c only: one page for both
                linked = info.kind != "conv" and len(x) == len(out)
            self.maps.show(drawn, titles, new_layer=name != self._drawn_layer, linked=linked)
            self._drawn_layer = name
        if self.hover_info is not None and self.hover_info.layer == name:
            self._refresh_hover_value()

    def is_signed(self, name: str) -> bool:
        """Whether ``name``'s outputs can be negative (a conv, a tanh, or a pool or dropout
        of such maps): a diverging colour map, blue < 0 < red, shows their sign."""
        info = self._infos[name]
        if info.kind in SIGNED_KINDS:
            return True
        return info.kind in SIGN_KEEPING_KINDS and info.input is not None \
            and self.is_signed(info.input)

    def _map(self, name: str, maps: np.ndarray, key: str):
        """``(maps, levels)`` for a panel, its colour map set by the layer's kind."""
        kind = self._infos[name].kind
        if kind == "input":
            levels, cmap = (0.0, 1.0), GREY_CMAP
        elif self.is_signed(name):
            levels, cmap = symmetric_levels(maps), DIVERGING_CMAP
        else:
            levels, cmap = range_levels(maps), ACTIVATION_CMAP
        self._map_panels[key].image.setColorMap(pg.colormap.get(cmap))
        return maps, levels

    # -- hover -----------------------------------------------------------------------------
    def receptive_field_for(self, layer: str, row: int, col: int) -> tuple[int, int, int] | None:
        """``(top, left, size)`` on ``layer``'s input of the window output ``(row, col)`` reads
        (a conv's KxK window, at stride x pixel - padding: negative on the zero border; a
        pool's window; an element-wise layer's own pixel). None for layers without maps."""
        window = layer_window(self._infos[layer], row, col)
        return None if window is None else (window.top, window.left, window.size)

    def hover(self, y: float, x: float) -> HoverInfo | None:
        """Hover the output image at mosaic coordinates ``(y, x)`` of the page shown (x only,
        for bars); the channel returned is the global one."""
        name = self.selected_layer
        out = self._output
        if out is None:
            return None
        if out.ndim == 3:
            hit = self.output_panel.mosaic.tile_at(y, x) if self.output_panel.mosaic else None
            if hit is None:
                return self._clear_hover()
            tile, row, col = hit
            channel = self.output_panel.page_start + tile     # the page's first channel on
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
        """Outline the hovered output pixel and the (real part of the) window it reads."""
        if info is None or info.channel is None:
            self.output_panel.highlight(None)
            self.input_panel.highlight(None)
            return
        self.output_panel.highlight([info.channel], info.row, info.col, 1)
        source = self._input_name(info.layer)
        if info.field is not None and source in self._infos \
                and len(self._infos[source].output_shape) == 3:
            _, h, w = self._infos[source].output_shape
            top, left, bottom, right = layer_window(
                self._infos[info.layer], info.row, info.col).clipped(h, w)
            tiles = "all" if self._infos[info.layer].kind == "conv" else [info.channel]
            self.input_panel.highlight(tiles, top, left, bottom - top + 1, right - left + 1)
        else:
            self.input_panel.highlight(None)

    def _hover_text(self, info: HoverInfo) -> str:
        if info.channel is None:
            what = "class" if self._infos[info.layer].kind == "softmax" else "unit"
            text = f"{info.layer} {what} {info.col}: value {info.value:.4g}"
            if self._infos[info.layer].kind == "dense":
                text += " (click: its card)"
            return text
        text = (f"{info.layer} channel {info.channel}, row {info.row}, col {info.col}: "
                f"value {info.value:.4g}")
        source = self._input_name(info.layer)
        if info.field is not None and source in self._infos:
            shape = self._infos[source].output_shape
            window = layer_window(self._infos[info.layer], info.row, info.col)
            text += window_text(self._infos[info.layer], source, shape[0], window, shape[1:])
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

    def _on_page(self, _page: int) -> None:
        self._highlight(self.hover_info)

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
        x = self.bar_plot.unit_at(scene_pos)
        if x is not None:
            self.hover(0.0, x)

    def _on_mouse_clicked(self, event) -> None:
        """A click on an output map selects its channel (the channel card shows it)."""
        self._on_mouse_moved(event.scenePos())
        info = self.hover_info
        if info is not None and info.channel is not None:
            self.state.select_channel(info.layer, info.channel)

    def _on_bar_clicked(self, event) -> None:
        """A click on a dense layer's bar selects that unit (the channel card shows it)."""
        if self.pages.currentIndex() != 1:
            return
        x = self.bar_plot.unit_at(event.scenePos())
        if x is None:
            return
        info = self.hover(0.0, x)
        if info is not None and self._infos[info.layer].kind == "dense":
            self.state.select_channel(info.layer, info.col)
