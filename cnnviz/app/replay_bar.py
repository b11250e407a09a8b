"""The timeline bar under the views: scrub, play and branch a recorded run.

A slider over the recording's points (the steps that kept full weights), Play / Pause at a
chosen speed, the step's numbers, "Continue training from here" and Close. Left / Right step
between points while the bar has focus (elsewhere Right is Training > Step); Alt+Left /
Alt+Right work anywhere in the window.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QEvent, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider,
                             QToolButton, QVBoxLayout, QWidget)

SPEEDS = (("1 point/s", 1), ("2 points/s", 2), ("5 points/s", 5), ("10 points/s", 10),
          ("25 points/s", 25))
SLIDER_SHARE = 0.35     # the slider gets a row of its own when it would be narrower than this
_BAR_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End,
             Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)


class _PointSlider(QSlider):
    """A slider that keeps the arrow keys for itself while focused (the window uses Right
    for Training > Step)."""

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and event.key() in _BAR_KEYS \
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            event.accept()
            return True
        return super().event(event)


class ReplayBar(QWidget):
    """Signals: ``pointRequested(int index)`` (coalesced: the newest wins, once per event-loop
    turn), ``continueRequested()``, ``closeRequested()``."""

    pointRequested = pyqtSignal(int)
    continueRequested = pyqtSignal()
    closeRequested = pyqtSignal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("replayBar")
        self.steps = np.zeros(0, np.int64)
        self.title = QLabel()
        self.title.setObjectName("replayTitle")
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play the recording from this point (Pause stops)")
        self.play_button.clicked.connect(self.toggle_play)
        self.speed_combo = QComboBox()
        for text, value in SPEEDS:
            self.speed_combo.addItem(text, value)
        self.speed_combo.setCurrentIndex(3)
        self.speed_combo.setToolTip("Recording points shown per second while playing")
        self.speed_combo.currentIndexChanged.connect(self._apply_speed)
        self.slider = _PointSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("replaySlider")
        self.slider.setToolTip("Drag to any recorded step; Left / Right step between points")
        self.slider.setPageStep(10)
        self.slider.valueChanged.connect(self._on_value)
        self.info = QLabel()
        self.info.setObjectName("replayInfo")
        self.info.setMinimumWidth(260)
        self.continue_button = QPushButton("Continue training from here")
        self.continue_button.setToolTip("Start a new run from this step's weights")
        self.continue_button.clicked.connect(self.continueRequested)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Close the recording")
        close.clicked.connect(self.closeRequested)
        self._close = close
        self._row = QHBoxLayout()          # the buttons and numbers (and the slider, if wide)
        self._row.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(2)
        layout.addLayout(self._row)
        self._two_rows = None
        self._arrange(two_rows=False)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._advance)
        self._apply_speed()
        self._emit_timer = QTimer(self)          # scrubbing: newest position, once per turn
        self._emit_timer.setSingleShot(True)
        self._emit_timer.setInterval(0)
        self._emit_timer.timeout.connect(lambda: self.pointRequested.emit(self.slider.value()))

    # -- layout -------------------------------------------------------------------------------
    def _arrange(self, two_rows: bool) -> None:
        """One row, or (when the slider would be small: large type, a projector) the slider
        on a full-width row of its own above the buttons."""
        if two_rows == self._two_rows:
            return
        self._two_rows = two_rows
        outer = self.layout()
        outer.removeWidget(self.slider)
        for w in (self.title, self.play_button, self.speed_combo, self.info,
                  self.continue_button, self._close):
            self._row.removeWidget(w)
        if two_rows:
            outer.insertWidget(0, self.slider)
        order = [(self.title, 0), (self.play_button, 0), (self.speed_combo, 0)]
        order += [] if two_rows else [(self.slider, 1)]
        order += [(self.info, 1 if two_rows else 0), (self.continue_button, 0), (self._close, 0)]
        for w, stretch in order:
            self._row.addWidget(w, stretch)

    def _row_width(self) -> int:
        """The width the buttons, combo and labels of one row need, without the slider."""
        widgets = (self.title, self.play_button, self.speed_combo, self.info,
                   self.continue_button, self._close)
        return (sum(max(w.sizeHint().width(), w.minimumWidth()) for w in widgets)
                + self._row.spacing() * len(widgets) + 12)

    def resizeEvent(self, event) -> None:      # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        width = event.size().width()
        self._arrange(two_rows=width - self._row_width() < SLIDER_SHARE * width)

    def changeEvent(self, event) -> None:      # noqa: N802
        if event.type() == QEvent.Type.FontChange and self._two_rows is not None:
            self._arrange(two_rows=self.width() - self._row_width()
                          < SLIDER_SHARE * self.width())
        super().changeEvent(event)

    # -- content ------------------------------------------------------------------------------
    def set_points(self, steps: np.ndarray, title: str) -> None:
        """The recording's points (steps with weights, increasing)."""
        self.pause()
        self.steps = np.asarray(steps, np.int64)
        self.title.setText(title)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(self.steps) - 1))
        self.slider.setValue(0)
        self.slider.blockSignals(False)

    def set_info(self, text: str) -> None:
        self.info.setText(text)

    @property
    def index(self) -> int:
        return self.slider.value()

    def set_index(self, index: int) -> None:
        """Move to point ``index`` (emits ``pointRequested`` once the event loop turns)."""
        self.slider.setValue(int(np.clip(index, 0, max(0, len(self.steps) - 1))))

    def step_by(self, delta: int) -> None:
        self.set_index(self.index + delta)

    # -- playing -------------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def play(self) -> None:
        if len(self.steps) < 2:
            return
        if self.index >= len(self.steps) - 1:
            self.set_index(0)
        self._timer.start()
        self.play_button.setText("Pause")

    def pause(self) -> None:
        self._timer.stop()
        self.play_button.setText("Play")

    def _apply_speed(self, *_args) -> None:
        self._timer.setInterval(int(1000 / self.speed_combo.currentData()))

    def _advance(self) -> None:
        if self.index >= len(self.steps) - 1:
            self.pause()
        else:
            self.step_by(1)

    def _on_value(self, _value: int) -> None:
        if not self._emit_timer.isActive():
            self._emit_timer.start()
