"""How the drawing pad turns a drawing into the network's 28x28 input, step by step.

Four panels, left to right, as MNIST itself was made (``cnnviz.data.preprocess_stages``):

1. the raw drawing (the pad's 280x280 canvas, shown at half resolution);
2. the ink's bounding box, outlined on the drawing;
3. the box scaled so its longer side is 20 pixels, keeping the aspect ratio (dashed: 20x20);
4. the 20x20 digit placed in 28x28 with its centre of mass (red dot) on the frame centre
   (green cross), or, with centring off, left where it was drawn.

The "Centre by centre of mass" switch really changes what the network gets
(``pad.set_centering``): a digit drawn in a corner stays in the corner, where the network
never saw a digit during training, and is often misread. The prediction for the current
setting is shown large, and the other setting's beside it for comparison.

Updates follow the pad's ``predictionChanged`` (drawing, undo, clear, new weights), coalesced
by a timer and skipped while the view is hidden. The main window connects the pad with
``set_pad(pad)``. Public API: ``set_pad(pad)``, ``stages`` (the last ``PreprocessStages``),
``set_centering(bool)``, ``panel_images()``, ``refresh()``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QRectF, Qt, QTimer
from PyQt6.QtGui import QColor, QFont, QPen
from PyQt6.QtWidgets import (QCheckBox, QGraphicsRectItem, QGridLayout, QHBoxLayout, QLabel,
                             QVBoxLayout)

from ...data import preprocess_digit, preprocess_stages
from ...data.preprocess import BOX, FRAME, FRAME_CENTRE
from ..image_panel import GREY_CMAP, ImagePanel
from ..live_view import LiveView

DISPLAY_FACTOR = 2          # the raw canvas is shown at 1/2 resolution (140x140 for 280x280)
COALESCE_MS = 40
BBOX_COLOUR = (255, 170, 40)
COM_COLOUR = (255, 60, 60)
CENTRE_COLOUR = (60, 220, 90)
FRAME_COLOUR = (150, 150, 150)
BACKGROUND = (50, 50, 50)


def wrapped_height(label: QLabel) -> int:
    """The height ``label``'s words wrap into at its width. ``QLabel.heightForWidth`` never
    answers less than the label's minimum height, so a held title height measured with it
    could only grow: titles wrapped into six lines while the window was still small at
    start-up kept that height in full-screen presentation mode and squeezed the pictures
    to a third of their size."""
    held = label.minimumHeight()
    if held:
        label.setMinimumHeight(0)
    need = label.heightForWidth(max(1, label.width()))
    if held:
        label.setMinimumHeight(held)
    return need


def downscale(image: np.ndarray, factor: int = DISPLAY_FACTOR) -> np.ndarray:
    """``(H, W)`` -> ``(H // factor, W // factor)`` block means (edge rows/cols that do not
    fill a block are dropped)."""
    h, w = image.shape[0] // factor, image.shape[1] // factor
    blocks = image[:h * factor, :w * factor].reshape(h, factor, w, factor)
    return blocks.mean(axis=(1, 3), dtype=np.float32)


class PreprocessPipelineView(LiveView):
    """raw drawing -> bounding box -> scaled into 20x20 -> centred in 28x28, with a switch
    (a ``LiveView``: follows the pad while on screen, a burst of strokes drawn once)."""

    coalesce_ms = COALESCE_MS

    def __init__(self, state, pad=None, parent=None) -> None:
        super().__init__(state, parent)
        self.pad = None
        self._stages = None
        self._images: dict[str, np.ndarray] = {}
        self.predicted: tuple[int, float] | None = None   # (class, probability) shown
        self._raw_shape: tuple[int, int] | None = None
        self._fit_pending = False

        self.centre_box = QCheckBox("Centre by centre of mass")
        self.centre_box.setChecked(True)
        self.centre_box.setToolTip(
            "MNIST's digits all have their centre of mass in the middle of the 28x28 frame. "
            "Switch this off to give the network the digit where you drew it.")
        self.centre_box.toggled.connect(self._on_centre_toggled)
        self.hint = QLabel("Draw a digit in a corner of the pad, then switch centring off.")
        self.hint.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.centre_box)
        top.addWidget(self.hint, 1)

        grid = self._build_panels()

        self.prediction = QLabel("–")
        self.prediction.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prediction.setWordWrap(True)       # large type in a narrow dock: wraps
        self.other = QLabel(" ")
        self.other.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.other.setWordWrap(True)
        # one above the other: beside the large prediction the comparison was squeezed into
        # a narrow column of five lines, taking the pictures' height
        bottom = QVBoxLayout()
        bottom.setSpacing(0)
        bottom.addWidget(self.prediction)
        bottom.addWidget(self.other)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(grid, 1)
        layout.addLayout(bottom)
        self._apply_fonts()
        self.set_pad(pad)

    # -- construction -----------------------------------------------------------------------
    def _build_panels(self) -> QGridLayout:
        """Title / picture / caption for each stage, arrows between; equal-width columns.

        Captions are QLabels (not scene text) so a long caption wraps instead of widening
        its column, and their font follows the widget's (presentation mode).
        """
        titles = {"raw": "1. your drawing", "bbox": "2. bounding box of the ink",
                  "scaled": "3. scaled into 20 x 20", "result": "4. network input 28 x 28"}
        grid = QGridLayout()
        grid.setHorizontalSpacing(4)
        self.panels: dict[str, ImagePanel] = {}
        self.titles: dict[str, QLabel] = {}
        self.captions: dict[str, QLabel] = {}
        self.graphics: dict[str, pg.GraphicsLayoutWidget] = {}
        self.arrows: list[QLabel] = []
        for i, key in enumerate(("raw", "bbox", "scaled", "result")):
            col = 2 * i
            if i:
                arrow = QLabel("→")
                arrow.setAlignment(Qt.AlignmentFlag.AlignCenter)
                grid.addWidget(arrow, 1, col - 1)
                self.arrows.append(arrow)
            title = QLabel(titles[key])
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            title.setWordWrap(True)             # wraps in a narrow dock instead of widening it
            widget = pg.GraphicsLayoutWidget()
            widget.setBackground(BACKGROUND)    # not black: the black frames must show
            widget.setMinimumSize(72, 72)
            panel = ImagePanel("", cmap=GREY_CMAP)
            widget.addItem(panel.layout)
            panel.layout.removeItem(panel.title)      # the QLabel above is the title
            caption = QLabel(" ")
            caption.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            caption.setWordWrap(True)
            caption.setTextFormat(Qt.TextFormat.RichText)
            grid.addWidget(title, 0, col)
            grid.addWidget(widget, 1, col)
            grid.addWidget(caption, 2, col)
            grid.setColumnStretch(col, 1)
            self.panels[key], self.titles[key], self.captions[key] = panel, title, caption
            self.graphics[key] = widget
        grid.setRowStretch(1, 1)

        def outline(panel: ImagePanel, colour, dashed: bool = False, width: float = 3.0
                    ) -> QGraphicsRectItem:
            item = QGraphicsRectItem()
            pen = QPen(QColor(*colour))
            pen.setCosmetic(True)
            pen.setWidthF(width)
            if dashed:
                pen.setStyle(Qt.PenStyle.DashLine)
            item.setPen(pen)
            item.setZValue(10)
            panel.box.addItem(item, ignoreBounds=True)
            return item

        # Grey frames: where each image ends (a digit in a corner must look like it).
        self.frames = {key: outline(panel, FRAME_COLOUR, width=1.0)
                       for key, panel in self.panels.items() if key != "scaled"}
        self.frames["result"].setRect(QRectF(0, 0, FRAME, FRAME))
        self.bbox_rect = outline(self.panels["bbox"], BBOX_COLOUR)
        self.box20 = outline(self.panels["scaled"], (120, 160, 255), dashed=True)
        self.box20.setRect(QRectF(0, 0, BOX, BOX))
        self.panels["scaled"].box.setRange(xRange=(0, BOX), yRange=(0, BOX), padding=0.04)
        result = self.panels["result"].box
        result.setRange(xRange=(0, FRAME), yRange=(0, FRAME), padding=0.02)
        c = FRAME_CENTRE + 0.5         # a pixel index's centre in image coordinates
        self.centre_mark = pg.ScatterPlotItem([c], [c], symbol="+", size=26,
                                              pen=pg.mkPen(CENTRE_COLOUR, width=2),
                                              brush=pg.mkBrush(CENTRE_COLOUR))
        self.com_mark = pg.ScatterPlotItem([], [], symbol="o", size=12,
                                           pen=pg.mkPen((255, 255, 255), width=1),
                                           brush=pg.mkBrush(COM_COLOUR))
        for item in (self.centre_mark, self.com_mark):
            item.setZValue(10)
            result.addItem(item, ignoreBounds=True)
        return grid

    def _apply_fonts(self) -> None:
        base = self.font().pointSizeF()
        big = QFont(self.font())
        big.setPointSizeF(base * 2.2)
        big.setBold(True)
        self.prediction.setFont(big)
        medium = QFont(self.font())
        medium.setPointSizeF(base * 1.3)
        self.other.setFont(medium)
        self.hint.setFont(medium)
        self.centre_box.setFont(medium)
        bold = QFont(self.font())        # (1.3x wrapped into three lines on a projector)
        bold.setBold(True)
        arrow = QFont(self.font())
        arrow.setPointSizeF(base * 3)
        for label in self.titles.values():
            label.setFont(bold)
        QTimer.singleShot(0, self._hold_title_heights)
        for label in self.arrows:
            label.setFont(arrow)
        self._release_caption_heights()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._apply_fonts()       # presentation mode enlarges the widget font
        super().changeEvent(event)

    # -- public API ---------------------------------------------------------------------------
    def set_pad(self, pad) -> None:
        """Follow ``pad`` (a ``DrawingPadView``; None: nothing to show)."""
        if self.pad is not None:
            try:
                self.pad.predictionChanged.disconnect(self.schedule)
            except (TypeError, RuntimeError):
                pass
        self.pad = pad
        self.centre_box.setEnabled(pad is not None)
        if pad is not None:
            pad.predictionChanged.connect(self.schedule)
            self.centre_box.blockSignals(True)
            self.centre_box.setChecked(bool(pad.center))
            self.centre_box.blockSignals(False)
        self.schedule()

    def set_centering(self, center: bool) -> None:
        """Switch centring on or off for the pad (and so for the network), like the checkbox."""
        if self.centre_box.isChecked() != bool(center):
            self.centre_box.setChecked(bool(center))     # -> _on_centre_toggled
        else:
            self._on_centre_toggled(bool(center))

    @property
    def stages(self):
        """The ``PreprocessStages`` shown (brought up to date first); None without a pad."""
        if self.dirty:
            self.refresh()
        return self._stages

    def panel_images(self) -> dict[str, np.ndarray]:
        """The arrays drawn in each panel: raw, bbox (same picture as raw), scaled, result."""
        if self.dirty:
            self.refresh()
        return dict(self._images)

    def schedule(self) -> None:
        """Refresh soon, coalescing a burst of pad updates into one."""
        self.refresh_soon()

    # -- refreshing ---------------------------------------------------------------------------
    def _on_centre_toggled(self, center: bool) -> None:
        if self.pad is not None:
            self.pad.set_centering(bool(center))
        self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)                          # catches up on the pad's changes
        QTimer.singleShot(0, self._hold_title_heights)    # laid out while hidden: re-measure

    def refresh(self) -> None:
        """Recompute the stages from the pad's canvas and redraw every panel."""
        if self.pad is None:
            self._stages = None
            self._set_held_text(self.prediction, "no drawing pad")
            return
        center = bool(self.pad.center)
        canvas = self.pad.canvas_array()
        st = self._stages = preprocess_stages(canvas, center=center)
        raw = downscale(st.raw)
        f = st.raw.shape[0] / raw.shape[0]
        self._images = {"raw": raw, "bbox": raw, "scaled": st.scaled, "result": st.result}
        for key in ("raw", "bbox"):
            self.panels[key].set_image(raw, (0.0, 1.0))
            shape = (raw.shape[0], raw.shape[1])
            if self._raw_shape != shape:
                self.frames[key].setRect(QRectF(0, 0, shape[1], shape[0]))
                self.panels[key].box.setRange(xRange=(0, shape[1]), yRange=(0, shape[0]),
                                              padding=0.02)
        self._raw_shape = shape
        self._set_held_text(self.captions["raw"],
                            f"{st.raw.shape[1]} x {st.raw.shape[0]} pixels")
        self.panels["result"].set_image(st.result, (0.0, 1.0))
        scaled_panel = self.panels["scaled"]
        if st.bbox is None:
            self.bbox_rect.hide()
            scaled_panel.image.clear()
            self.com_mark.setData([], [])
            for key in ("bbox", "scaled", "result"):
                self._set_held_text(self.captions[key], " ")
            self._set_held_text(self.prediction, "Draw a digit on the pad")
            self.predicted = None
            self._set_held_text(self.other, " ")
            return
        top, left, bottom, right = st.bbox
        self.bbox_rect.setRect(QRectF(left / f, top / f, (right - left) / f, (bottom - top) / f))
        self.bbox_rect.show()
        self._set_held_text(self.captions["bbox"],
                            f"{right - left} x {bottom - top} pixels of ink")
        h, w = st.scaled.shape
        scaled_panel.set_image(st.scaled, (0.0, 1.0))
        scaled_panel.image.setRect(QRectF((BOX - w) / 2, (BOX - h) / 2, w, h))
        self._set_held_text(self.captions["scaled"], f"{w} x {h}: longer side 20, same shape")
        com = st.center_of_mass
        self.com_mark.setData([com[1] + 0.5], [com[0] + 0.5])
        if center:
            self._set_held_text(
                self.captions["result"],
                "<span style='color:#e02020'>●</span> centre of mass moved onto "
                "<span style='color:#20a040'><b>+</b></span> the frame centre")
        else:
            self._set_held_text(
                self.captions["result"],
                "centring OFF: <span style='color:#e02020'>●</span> centre of mass stays "
                "where you drew it, <span style='color:#20a040'><b>+</b></span> frame centre")
        self._show_predictions(canvas, center)

    def _set_held_text(self, label: QLabel, text: str) -> None:
        """Set a caption's or the prediction's text; its height only grows (until the view
        is resized or its font changes): a label going from three lines to one and back
        with every stroke re-laid out and repainted all four pictures each time."""
        label.setText(text)
        needed = label.heightForWidth(max(1, label.width()))
        if not label.wordWrap():
            # (a word-wrapped label's size hint is the height of a "nice" shape, half or a
            # quarter of the width: it held the prediction at two lines across a wide view)
            needed = max(needed, label.sizeHint().height())
        if needed > label.minimumHeight():
            label.setMinimumHeight(needed)
        if not self._fit_pending:        # once laid out, the width may differ: check again
            self._fit_pending = True
            QTimer.singleShot(0, self._fit_after_layout)

    def _fit_after_layout(self) -> None:
        self._fit_pending = False
        self._hold_title_heights()

    def _release_caption_heights(self) -> None:
        for label in (*self.captions.values(), self.prediction, self.other):
            label.setMinimumHeight(0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self._release_caption_heights()      # other widths wrap into other heights
            QTimer.singleShot(0, self._hold_title_heights)

    def _hold_title_heights(self) -> None:
        """Each title and caption at least as tall as its words wrap into at its column's
        width: a grid row does not ask its word-wrapped labels (the view's minimum height
        ignored the third line of "2. bounding box of the ink" in a narrow dock and cut
        it). Titles get exactly that; captions keep a larger held height (see
        ``_set_held_text``)."""
        for label in self.titles.values():
            need = wrapped_height(label)
            if need != label.minimumHeight():
                label.setMinimumHeight(max(0, need))
        for label in (*self.captions.values(), self.other):
            need = label.heightForWidth(max(1, label.width()))
            if need > label.minimumHeight():
                label.setMinimumHeight(need)

    def _show_predictions(self, canvas: np.ndarray, center: bool) -> None:
        """The pad's own prediction (what the network gets now) and, for comparison, what the
        other setting would give (one extra forward pass)."""
        top = self.pad.top3()
        if not top:
            return
        k, p = top[0]
        self.predicted = (k, p)
        setting = "centred" if center else "not centred"
        self._set_held_text(self.prediction, f"Network reads: {k} ({p:.0%}, {setting})")
        other = preprocess_digit(canvas, center=not center)
        probs = self.state.predict(other)
        k2 = int(probs.argmax())
        other_setting = "with centring" if not center else "without centring"
        self._set_held_text(self.other, f"{other_setting} it would read {k2} ({probs[k2]:.0%})")
