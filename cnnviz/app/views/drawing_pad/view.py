"""The drawing pad: draw a digit with mouse, pen or finger and watch the network read it.

The canvas (``canvas.py``) is a 280x280 grayscale QImage, white ink on black like MNIST;
*Undo* drops the last stroke. While you draw, the canvas is turned into the network's 28x28 input by
``cnnviz.data.preprocess_digit`` (crop to the ink, scale into 20x20, centre by centre of
mass) and made the app's probe (``state.set_probe(..., source="drawing")``), so the
activation, pooling and filter views follow the drawing. Updates are coalesced by a
single-shot timer to at most ~30 per second; ``latencies_ms`` records, for each update,
the time from the first canvas change it covers to the prediction being shown.

Public API (tests, scripts, the classroom views): ``draw_stroke(points, width=None)``,
``clear()``, ``undo()``, ``canvas_array() -> (H, W) float32``, ``preprocessed() -> (28, 28)``,
``top3() -> [(class, probability)]``, ``set_centering(bool)``, signal ``predictionChanged``.
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np
from PyQt6.QtCore import QEvent, QPointF, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QFont, QKeySequence, QShortcut
from PyQt6.QtWidgets import (QBoxLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                             QVBoxLayout)

from ....data import preprocess_digit
from ...digit_widgets import ClassBars, DigitImage
from ...live_view import LiveView
from ...state import refresh_queue
from .canvas import DEFAULT_BRUSH, MIN_INTERVAL_S, DrawingCanvas


class DrawingPadView(LiveView):
    """The canvas, its controls, the network's 28x28 input and the top-3 prediction (a
    ``LiveView``: new weights re-read the drawing when on screen, else when shown)."""

    predictionChanged = pyqtSignal()

    def __init__(self, state, parent=None) -> None:
        super().__init__(state, parent)
        self.center = True
        self.latencies_ms: deque[float] = deque(maxlen=200)
        self._preprocessed = np.zeros((28, 28), np.float32)
        self._probs: np.ndarray | None = None     # (classes,) for the drawing; None if blank
        self._pending_since: float | None = None
        self._last_refresh = -1.0
        # the dataset probe shown before the drawing took over: (image, label, index); the
        # views go back to it when the pad is cleared (a blank pad is no digit to look at)
        self._dataset_probe: tuple[np.ndarray, int | None, int | None] | None = None

        self.canvas = DrawingCanvas()
        self.canvas.changed.connect(self._schedule)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh_now)

        self.brush = QSpinBox()
        self.brush.setRange(4, 60)
        self.brush.setValue(DEFAULT_BRUSH)
        self.brush.setSuffix(" px")
        self.brush.setToolTip("Brush width in canvas pixels (the canvas is 280 x 280)")
        self.brush.valueChanged.connect(self._set_brush)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Clear the canvas (Delete, Backspace or C)")
        self.clear_button.clicked.connect(self.clear)
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Remove the last stroke (Ctrl+Z)")
        self.undo_button.clicked.connect(self.undo)

        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self._shortcuts = []
        for key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace, Qt.Key.Key_C):
            self._shortcuts.append(QShortcut(QKeySequence(key), self, self.clear, context=context))
        self._shortcuts.append(QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), self,
                                         self.undo, context=context))

        self.input_image = DigitImage(minimum=84)
        self.input_image.setToolTip("What the network gets: the drawing cropped, scaled into "
                                    "20x20 and centred by its centre of mass in 28x28")
        self.digit_label = QLabel("–")
        big = QFont(self.font())
        big.setPixelSize(72)
        big.setBold(True)
        self.digit_label.setFont(big)
        self.digit_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel("Draw a digit")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.bars = ClassBars(rows=3)

        # Brush | Undo Clear: one row, or two when the column is too narrow for one.
        brush_row, edit_row = QHBoxLayout(), QHBoxLayout()
        brush_row.addWidget(QLabel("Brush"))
        brush_row.addWidget(self.brush)
        brush_row.addStretch(1)
        edit_row.addStretch(1)
        edit_row.addWidget(self.undo_button)
        edit_row.addWidget(self.clear_button)
        # wrapped until there is room (a wrapped row keeps the pad's minimum width small)
        self.controls = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.controls.addLayout(brush_row)
        self.controls.addLayout(edit_row)
        self._control_rows = (brush_row, edit_row)
        left = QVBoxLayout()
        left.addWidget(self.canvas, 1)
        left.addLayout(self.controls)

        # What the network gets and what it says: a column beside the canvas when the pad is
        # wide, a row under it when narrow (the drawing pad in presentation mode's column).
        input_col = QVBoxLayout()
        self.input_caption = QLabel("Input 28×28")
        self.input_caption.setToolTip("The network's 28 x 28 input")
        input_col.addWidget(self.input_caption)
        input_col.addWidget(self.input_image, 1)
        prediction_col = QVBoxLayout()
        prediction_col.addWidget(QLabel("Prediction"))
        prediction_col.addWidget(self.digit_label)
        prediction_col.addWidget(self.caption)
        prediction_col.addWidget(self.bars, 1)
        prediction_col.addStretch(0)
        self.info = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.info.addLayout(input_col, 2)
        self.info.addLayout(prediction_col, 1)

        self.main_layout = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.main_layout.addLayout(left, 3)
        self.main_layout.addLayout(self.info, 2)

        state.traceChanged.connect(self._on_trace)
        state.paramsChanged.connect(self._on_params)

    # -- layout ------------------------------------------------------------------------------
    def is_stacked(self) -> bool:
        """True when the input and prediction sit under the canvas (a narrow pad)."""
        return self.main_layout.direction() == QBoxLayout.Direction.TopToBottom

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._relayout()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._relayout()

    def _relayout(self) -> None:
        """Stack the input/prediction under the canvas when the pad is narrower than about
        its height, wrap the brush row when it does not fit, and keep the canvas square: the
        space it cannot use (a square fits only one way) goes to the other panels."""
        if not hasattr(self, "main_layout"):
            return
        margins = self.main_layout.contentsMargins()
        width = self.width() - margins.left() - margins.right()
        height = self.height() - margins.top() - margins.bottom()
        stacked = width < 1.1 * height
        Direction = QBoxLayout.Direction
        self.main_layout.setDirection(Direction.TopToBottom if stacked else Direction.LeftToRight)
        self.info.setDirection(Direction.LeftToRight if stacked else Direction.TopToBottom)
        self.main_layout.setStretch(0, 1 if stacked else 3)
        self.main_layout.setStretch(1, 0 if stacked else 2)
        self.info.setStretch(0, 1 if stacked else 2)
        spacing = max(0, self.main_layout.spacing())
        column = width if stacked else width * 3 / 5 - spacing
        one_row = sum(r.sizeHint().width() for r in self._control_rows) + spacing
        self.controls.setDirection(Direction.LeftToRight if one_row <= column
                                   else Direction.TopToBottom)
        controls_h = self.controls.sizeHint().height() + spacing
        big = 16777215
        if stacked:
            # the canvas as wide as the pad, leaving the input/prediction row its room
            info_h = max(self.info.minimumSize().height(), min(260, height // 3))
            side = int(max(140, min(width, height - controls_h - info_h - spacing)))
            self.canvas.setMaximumSize(big, side)
            self.input_image.setMaximumSize(big, big)
        else:
            self.canvas.setMaximumSize(int(max(140, height - controls_h)), big)
            self.input_image.setMaximumSize(big, big)

    # -- public API --------------------------------------------------------------------------
    def draw_stroke(self, points, width: float | None = None) -> None:
        """Draw one stroke through ``points [(x, y)]`` in canvas pixels, then predict."""
        points = [QPointF(float(x), float(y)) for x, y in points]
        if not points:
            return
        self.canvas.begin_stroke(points[0], width)
        for p in points[1:]:
            self.canvas.extend_stroke(p)
        self.refresh_now()

    def clear(self) -> None:
        self.canvas.clear()
        self.refresh_now()

    def undo(self) -> None:
        if self.canvas.undo():
            self.refresh_now()

    def canvas_array(self) -> np.ndarray:
        """The canvas ``(H, W)`` float32 in [0, 1]."""
        return self.canvas.array()

    def preprocessed(self) -> np.ndarray:
        """The ``(28, 28)`` float32 image the network gets for the current drawing."""
        self._flush()
        return self._preprocessed.copy()

    def top3(self) -> list[tuple[int, float]]:
        """``[(class, probability)]`` best first; empty while the canvas is blank."""
        self._flush()
        return self._top3()

    def set_centering(self, center: bool) -> None:
        """Centre the digit by its centre of mass (MNIST's way) or keep where it was drawn."""
        self.center = bool(center)
        if self.canvas.strokes:
            self.refresh_now()

    def set_brush_width(self, width: int) -> None:
        self.brush.setValue(int(width))

    # -- updating -----------------------------------------------------------------------------
    def _set_brush(self, width: int) -> None:
        self.canvas.brush = float(width)

    def _schedule(self) -> None:
        """Coalesce canvas changes: at most one prediction per MIN_INTERVAL_S."""
        now = time.perf_counter()
        if self._pending_since is None:
            self._pending_since = now
        if not self._timer.isActive():
            wait = max(0.0, MIN_INTERVAL_S - (now - self._last_refresh))
            self._timer.start(int(wait * 1000))

    def _flush(self) -> None:
        if self._pending_since is not None:
            self.refresh_now()

    def refresh_now(self) -> None:
        """Preprocess the canvas, make it the probe and show the prediction."""
        self._timer.stop()
        started = self._pending_since or time.perf_counter()
        self._pending_since = None
        has_ink = bool(self.canvas.strokes)
        self._preprocessed = preprocess_digit(self.canvas.array(), center=self.center)
        state = self.state
        if has_ink and state.probe_source != "drawing":
            self._dataset_probe = (state.probe_image.copy(), state.probe_label,
                                   state.probe_index)
        if has_ink or state.probe_source == "drawing":
            # set_probe retraces and emits traceChanged, which lands in _on_trace; the other
            # views follow in their own event-loop turns, after the prediction is shown.
            with refresh_queue().spread():
                if not has_ink and self._dataset_probe is not None:
                    image, label, index = self._dataset_probe
                    state.set_probe(image, label=label, source="dataset", index=index)
                else:
                    state.set_probe(self._preprocessed, label=None, source="drawing")
        self._probs = self._own_probabilities() if has_ink else None
        self._show()
        self._last_refresh = time.perf_counter()
        self.latencies_ms.append((self._last_refresh - started) * 1000)

    def _own_probabilities(self) -> np.ndarray:
        if self.state.probe_source == "drawing":
            return np.array(self.state.probabilities, dtype=np.float64)
        return self.state.predict(self._preprocessed).astype(np.float64)

    def _on_trace(self, trace) -> None:
        # Weights changed (training, a loaded model) while the drawing is the probe.
        if self.state.probe_source == "drawing" and self.canvas.strokes:
            self._probs = np.array(trace.probabilities[0], dtype=np.float64)
            self.refresh_if_exposed()

    def _on_params(self) -> None:
        if self.state.probe_source != "drawing" and self.canvas.strokes:
            self.refresh_if_exposed()

    def refresh(self) -> None:
        """The drawing's prediction with the current weights (``refresh_now`` re-reads the
        canvas itself)."""
        if self.canvas.strokes:
            self._probs = self._own_probabilities()
            self._show()

    def _show(self) -> None:
        self.input_image.set_image(self._preprocessed)
        top = self._top3()
        if top:
            self.digit_label.setText(str(top[0][0]))
            self.caption.setText(f"{100 * top[0][1]:.0f}% sure")
        else:
            self.digit_label.setText("–")
            self.caption.setText("Draw a digit")
        self.bars.set_entries(top)
        self.predictionChanged.emit()

    def _top3(self) -> list[tuple[int, float]]:
        if self._probs is None:
            return []
        order = np.argsort(self._probs)[::-1][:3]
        return [(int(k), float(self._probs[k])) for k in order]
