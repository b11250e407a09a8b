"""The convolution explainer's widget: the picker, the two rows of pictures and the text.

All arithmetic comes from ``cnnviz.explain.conv_arithmetic`` (tested without Qt); this file
only chooses the pixel, lays out and draws.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QEvent, Qt
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QBoxLayout, QComboBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout

from ....explain.conv_arithmetic import (ConvPixel, check_pixel, conv_layers, detail_text,
                                         explain_pixel, formula_text)
from ...live_view import LiveView
from ...state import AppState
from ...tile_labels import LARGE_TYPE_PT
from .channels_row import ChannelsRow
from .main_row import MainRow

LARGE_TYPE_COLOUR = "#f5f5f5"
SIGN_MAX_PT = 32.0      # × and = at 2.4x the text, at most this (still read from afar)
NO_CONV = ("This network has no convolution layer: there is no convolution to explain. "
           "Add a conv layer (for example conv8x3p1) in the architecture editor.")


class ConvExplainerView(LiveView):
    """Explains one output pixel of any conv layer with the numbers (see the package doc;
    a ``LiveView``: follows new weights and probes while on screen, catches up when shown)."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(state, parent)
        self.setObjectName("convExplainerView")
        self.layer: str | None = None
        self.channel, self.row, self.col = 0, 12, 12
        self.input_channel = 0          # which input channel's grids are written out
        self._explanation: ConvPixel | None = None
        self._updating = False
        self._build()
        state.traceChanged.connect(self._on_trace)
        state.modelChanged.connect(self._on_model)
        state.pixelSelected.connect(self.explain)
        self._on_model()

    # -- construction ----------------------------------------------------------------------
    def _build(self) -> None:
        # layer channel row col | input channel: one row, or two when narrow (large type)
        picker, second = QHBoxLayout(), QHBoxLayout()
        self.layer_combo = QComboBox()
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

        self.main = MainRow()
        self.main.graphics.scene().sigMouseClicked.connect(self._on_click)
        self.channels = ChannelsRow(self.select_input_channel)
        # the names tests and scripts read
        self.graphics, self.canvas = self.main.graphics, self.main.canvas
        self.main_panels, self.signs, self._titles = \
            self.main.panels, self.main.signs, self.main.titles
        for name in ("patch_grid", "kernel_grid", "product_grid", "input_image", "input_box",
                     "patch_rect", "output_box", "output_image", "pixel_rect", "pool_rect"):
            setattr(self, name, getattr(self.main, name))
        self.channels_graphics = self.channels.graphics
        for name in ("patches_title", "kernels_title", "bars_title", "bars_plot", "bars",
                     "patches_box",
                     "kernels_box"):
            setattr(self, name, getattr(self.channels, name))

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

    @property
    def placements(self) -> dict:
        return self.main.placements

    def decimals(self) -> int:
        return self.main.decimals()

    def _apply_fonts(self) -> None:
        """Formula text at 1.4x the widget font, titles at 1.15x (presentation mode enlarges
        that font)."""
        base = self.font().pointSizeF()
        big = QFont(self.font())
        big.setPointSizeF(base * 1.4)
        big.setBold(True)
        self.formula.setFont(big)
        self.detail.setFont(QFont(self.font()))
        title_pt = f"{base * 1.15:.1f}pt"
        # sized here from the font on every change (23 pt titles in presentation mode):
        # presentation's own 1.5x restyling would take the width the grids' numbers need
        for label in (*self.main.titles.values(), *self.main.signs.values(),
                      self.patches_title, self.kernels_title, self.bars_title,
                      self.channels.prev_label, self.channels.next_label):
            label.sized_by_view = True
        # white on the black scenes in large type, as presentation mode styles titles
        colour = LARGE_TYPE_COLOUR if base >= LARGE_TYPE_PT else None
        self.channels.set_fonts(self.font(), title_pt, colour)
        # × and = large, but in large type not so large they take the grids' width
        self.main.set_fonts(title_pt, f"{min(base * 2.4, SIGN_MAX_PT):.0f}pt", self.font(),
                            colour)

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
        width, height = max(1, self.width() - 20), self.height()
        one_row = self._picker_rows[0].sizeHint().width() + 12 + (
            self.input_label.sizeHint().width() + self.input_spin.sizeHint().width() + 6
            if self._input_channels() > 1 else 0)
        self.picker.setDirection(QBoxLayout.Direction.LeftToRight if one_row <= width
                                 else QBoxLayout.Direction.TopToBottom)
        big = QFont(self.font())
        big.setPointSizeF(self.font().pointSizeF() * 1.4)
        big.setBold(True)
        plain = QFont(self.font())
        plain.setBold(True)
        # with the per-channel row there is less room: the text gives way sooner
        share = 0.2 if self._input_channels() > 1 else 0.3
        for show_detail, font in ((True, big), (False, big), (False, plain)):
            if self.formula.font() != font:
                self.formula.setFont(font)
            text_h = self.formula.heightForWidth(width)
            if show_detail:
                text_h += self.detail.heightForWidth(width)
            if text_h <= share * height:
                break
        self.detail.setVisible(show_detail and self.layer is not None)
        self.formula.setToolTip("" if show_detail else self.detail.text())
        e = self.explanation
        if e is not None and len(e.contributions) > 1:
            self.channels.fit_titles(e)

    # -- public API --------------------------------------------------------------------------
    def layer_names(self) -> list[str]:
        """The conv layers the picker offers (every conv layer of the network)."""
        return [info.name for info in conv_layers(self.state.net)]

    def explain(self, layer: str, channel: int, row: int, col: int) -> None:
        """Explain ``layer``'s output at ``(channel, row, col)`` (the feature-map view's click)."""
        problem = check_pixel(self.state.net, layer, int(channel), int(row), int(col))
        if problem:
            self.formula.setText(problem)
            return
        if layer != self.layer:
            self.input_channel = 0
        self.layer, self.channel, self.row, self.col = layer, int(channel), int(row), int(col)
        self._sync_picker()
        self.refresh_if_exposed()             # else drawn when shown

    def select_input_channel(self, index: int) -> None:
        """Write out input channel ``index``'s patch, kernel and products."""
        self.input_channel = int(np.clip(index, 0, max(0, self._input_channels() - 1)))
        self._updating = True
        self.input_spin.setValue(self.input_channel)
        self._updating = False
        self.refresh_if_exposed()

    @property
    def explanation(self) -> ConvPixel | None:
        """The chosen pixel's ``ConvPixel`` with the current weights and probe (computed
        here if a change is not drawn yet: the view is hidden, or its redraw waits)."""
        if self.dirty:
            self._explanation = self._compute()
        return self._explanation

    def refresh(self) -> None:
        """Recompute and redraw now."""
        self._explanation = self._compute()
        if self._explanation is not None:
            self._draw(self._explanation)

    # -- state --------------------------------------------------------------------------------
    def _output_shape(self, layer: str) -> tuple[int, int, int]:
        return next(i.output_shape for i in conv_layers(self.state.net) if i.name == layer)

    def _input_channels(self) -> int:
        if self.layer is None:
            return 1
        info = next(i for i in conv_layers(self.state.net) if i.name == self.layer)
        return info.input_shape[0]

    def _compute(self) -> ConvPixel | None:
        if self.layer is None:
            return None
        return explain_pixel(self.state.net, self.state.trace, self.layer, self.channel,
                             self.row, self.col)

    def _on_trace(self, _trace=None) -> None:
        self.schedule_refresh()              # while training: in its own event-loop turn

    def _on_model(self) -> None:
        """A new network: offer its conv layers; keep the selection where it still fits."""
        names = self.layer_names()
        self._updating = True
        self.layer_combo.clear()
        self.layer_combo.addItems(names)
        self._updating = False
        if not names:
            self.layer, self._explanation = None, None
            self.formula.setText(NO_CONV)
            self.detail.setText("")
            for widget in (self.graphics, self.channels_graphics, self.input_label,
                           self.input_spin):
                widget.setVisible(False)
            for spin in (self.channel_spin, self.row_spin, self.col_spin):
                spin.setEnabled(False)
            self.layer_combo.setEnabled(False)
            return
        self.graphics.setVisible(True)
        self.layer_combo.setEnabled(True)
        for spin in (self.channel_spin, self.row_spin, self.col_spin):
            spin.setEnabled(True)
        if self.layer not in names:
            self.layer = names[0]
        c, h, w = self._output_shape(self.layer)
        self.channel, self.row, self.col = min(self.channel, c - 1), min(self.row, h - 1), \
            min(self.col, w - 1)
        self.input_channel = min(self.input_channel, self._input_channels() - 1)
        self._sync_picker()
        self.refresh_if_exposed()             # else drawn when shown

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
        if self.channels_graphics.isVisibleTo(self) != many:
            self.channels_graphics.setVisible(many)
            self.layout().activate()        # the first row's new height, laid out now
        self._updating = False

    def _on_picker(self, *_args) -> None:
        if self._updating or not self.layer_combo.currentText():
            return
        layer = self.layer_combo.currentText()
        c, h, w = self._output_shape(layer)
        self.explain(layer, min(self.channel_spin.value(), c - 1),
                     min(self.row_spin.value(), h - 1), min(self.col_spin.value(), w - 1))

    def _on_input_channel(self, value: int) -> None:
        if not self._updating:
            self.select_input_channel(value)

    def _on_click(self, event) -> None:
        if self.layer is None:
            return
        hit = self.main.pixel_at(event.scenePos(), self._output_shape(self.layer)[1:])
        if hit is not None:
            self.explain(self.layer, self.channel, *hit)

    # -- drawing ------------------------------------------------------------------------------
    def _draw(self, e: ConvPixel) -> None:
        many = len(e.contributions) > 1
        ci = min(self.input_channel, len(e.contributions) - 1) if many else 0
        trace = self.state.trace
        source = trace[e.input_name].output[0, ci]
        out = trace[e.shown_name].output[0, e.channel]
        self.main.draw(e, source, out, ci)
        if many:
            self.channels.draw(e, ci)
        self.formula.setText(formula_text(e))
        # (the map sits on the right, or under the input on the presentation stage)
        self.detail.setText(f"Click a pixel of the {e.layer}[{e.channel}] map to explain it. "
                            + detail_text(e))
        self._fit_text()
