"""Pick the probe digit from the held-out split: previous / next / random, or type an index.

The chosen digit is shown large and upright with its true label and the network's
prediction (right or wrong), and becomes the app's probe
(``state.set_probe(image, label, source="dataset", index=i)``), so the activation, pooling
and filter views show it. The prediction follows the weights live (training, a loaded model)
at the cost of reading ``state.probabilities``: no extra forward pass while the digit is the
probe.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QEvent, Qt
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout

from ..digit_widgets import DigitImage
from ..live_view import LiveView

RIGHT_COLOR = "#2e9e44"
WRONG_COLOR = "#d33c2c"


class ProbeBrowser(LiveView):
    """Browse the held-out digits of ``state.dataset`` and make one the probe."""

    def __init__(self, state, parent=None, seed: int | None = None) -> None:
        super().__init__(state, parent)
        self.index = 0
        self._rng = np.random.default_rng(seed)

        self.image = DigitImage(minimum=112)
        self.label_text = QLabel()
        self.prediction_text = QLabel()
        self._apply_fonts()
        for label in (self.label_text, self.prediction_text):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setWordWrap(True)       # "Network says: ... wrong" in a narrow column
        self.prev_button = QPushButton("◀ Previous")
        self.next_button = QPushButton("Next ▶")
        self.random_button = QPushButton("Random")
        self.prev_button.setToolTip("The previous held-out digit")
        self.next_button.setToolTip("The next held-out digit")
        self.random_button.setToolTip("A random held-out digit")
        self.spin = QSpinBox()
        self.spin.setPrefix("#")
        self.spin.setToolTip("Index of the digit in the held-out set")
        self.spin.setKeyboardTracking(False)
        self.count_text = QLabel()

        self.prev_button.clicked.connect(lambda: self.show_index(self.index - 1))
        self.next_button.clicked.connect(lambda: self.show_index(self.index + 1))
        self.random_button.clicked.connect(self.show_random)
        self.spin.valueChanged.connect(self.show_index)

        buttons = QHBoxLayout()
        buttons.addWidget(self.prev_button)
        buttons.addWidget(self.next_button)
        buttons.addWidget(self.random_button)
        index_row = QHBoxLayout()
        index_row.addStretch(1)
        index_row.addWidget(QLabel("Digit"))
        index_row.addWidget(self.spin)
        index_row.addWidget(self.count_text)
        index_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.label_text)
        layout.addWidget(self.prediction_text)
        layout.addLayout(buttons)
        layout.addLayout(index_row)

        state.datasetChanged.connect(self._on_dataset)
        state.traceChanged.connect(self.schedule_refresh)
        state.probeChanged.connect(self._on_probe)
        self._on_dataset(select=False)

    # -- data ---------------------------------------------------------------------------------

    def _apply_fonts(self) -> None:
        """The label and prediction 1.3x the widget's font (which presentation mode enlarges)."""
        for label in (self.label_text, self.prediction_text):
            font = QFont(self.font())
            font.setPointSizeF(self.font().pointSizeF() * 1.3)
            label.setFont(font)

    def changeEvent(self, event) -> None:      # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.FontChange and hasattr(self, "prediction_text"):
            self._apply_fonts()
        super().changeEvent(event)
    def _images(self) -> np.ndarray | None:
        ds = self.state.dataset
        return None if ds is None else ds.test_images

    def count(self) -> int:
        images = self._images()
        return 0 if images is None else len(images)

    def digit(self, index: int) -> tuple[np.ndarray, int]:
        """Held-out digit ``index`` as ``((28, 28) float32 in [0, 1], label)``."""
        ds = self.state.dataset
        return ds.test_images[index].astype(np.float32) / np.float32(255.0), int(ds.test_labels[index])

    # -- choosing ----------------------------------------------------------------------------
    def show_index(self, index: int) -> None:
        """Make held-out digit ``index`` (wrapping around) the probe."""
        n = self.count()
        if n == 0:
            return
        self.index = int(index) % n
        if self.spin.value() != self.index:
            self.spin.blockSignals(True)
            self.spin.setValue(self.index)
            self.spin.blockSignals(False)
        image, label = self.digit(self.index)
        self.state.set_probe(image, label, source="dataset", index=self.index)

    def next(self) -> None:
        self.show_index(self.index + 1)

    def previous(self) -> None:
        self.show_index(self.index - 1)

    def show_random(self) -> None:
        n = self.count()
        if n:
            self.show_index(int(self._rng.integers(n)))

    # -- reacting to the state ---------------------------------------------------------------
    def _on_dataset(self, select: bool = True) -> None:
        n = self.count()
        for w in (self.prev_button, self.next_button, self.random_button, self.spin):
            w.setEnabled(n > 0)
        self.spin.blockSignals(True)
        self.spin.setRange(0, max(0, n - 1))
        self.spin.setValue(0)
        self.spin.blockSignals(False)
        self.count_text.setText(f"of {n} held-out" if n else "")
        self.index = 0
        if n == 0:
            self.image.set_image(np.zeros((28, 28), np.float32))
            self.label_text.setText("No dataset loaded")
            self.prediction_text.setText("Open a dataset from the File menu")
        elif select:
            self.show_index(0)
        else:
            self._on_probe()
            self.refresh()

    def _is_probe(self) -> bool:
        return self.state.probe_source == "dataset" and self.state.probe_index == self.index

    def _on_probe(self) -> None:
        # Another view (the confusion matrix, say) picked a held-out digit: follow it.
        s = self.state
        if (s.probe_source == "dataset" and s.probe_index is not None
                and 0 <= s.probe_index < self.count() and s.probe_index != self.index):
            self.index = s.probe_index
            self.spin.blockSignals(True)
            self.spin.setValue(self.index)
            self.spin.blockSignals(False)

    def refresh(self) -> None:
        """Show digit ``self.index``, its label and the network's prediction for it."""
        if self.count() == 0:
            return
        image, label = self.digit(self.index)
        self.image.set_image(image)
        self.label_text.setText(f"True label: <b>{label}</b>")
        if self._is_probe():
            probs = self.state.probabilities
        else:   # the probe is the drawing: one small forward pass for this digit
            probs = self.state.predict(image)
        guess = int(np.argmax(probs))
        verdict = (f'<span style="color:{RIGHT_COLOR}">✓ right</span>' if guess == label
                   else f'<span style="color:{WRONG_COLOR}">✗ wrong</span>')
        note = "" if self._is_probe() else " <i>(not the probe now)</i>"
        self.prediction_text.setText(
            f"Network says: <b>{guess}</b> ({100 * float(probs[guess]):.0f}%) {verdict}{note}")

    def predicted(self) -> int | None:
        """The class the network gives the digit shown (None without a dataset)."""
        if self.count() == 0:
            return None
        image, _ = self.digit(self.index)
        return int(np.argmax(self.state.predict(image)))
