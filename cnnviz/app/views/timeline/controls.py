"""The timeline's replay controls: *Live*, the snapshot slider, and what is shown.

``ReplayControls`` is one row under the probability curve: the *Live* button (follow the
newest snapshot while training), the slider over the snapshots kept, and "step 1234 · epoch
1.37" (and "(12/80)" when not the newest; shorter where the row is narrow), with how many
snapshots are kept, in how much memory, in its tool tip (a status line of its own cost the
maps a row at 1280x720). The slider keeps ``MIN_SLIDER_PX`` (at 1280x720 the step text took
the row and left it 15 px).
"""

from __future__ import annotations

from PyQt6.QtCore import QObject, QSize, Qt, pyqtSignal
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider

MIN_SLIDER_PX = 120          # a slider a hand can drag, whatever the texts beside it
SLIDER_TIP = ("Drag to replay the probe's feature maps and the filters at an earlier "
              "training step; Live follows training")


class StepLabel(QLabel):
    """One line: the longest of its texts (``set_texts``, longest first) that fits its width;
    at least as wide as the shortest. (A word-wrapped label was cut at its bottom beside the
    slider in large type.)"""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self._texts = [text]
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def set_texts(self, texts: list[str]) -> None:
        if texts != self._texts:
            self._texts = list(texts)
            self.updateGeometry()
            self._fit()

    def texts(self) -> list[str]:
        return list(self._texts)

    def _width_of(self, text: str) -> int:
        return self.fontMetrics().horizontalAdvance(text) + 2 * self.margin() + 4

    def sizeHint(self) -> QSize:      # noqa: N802 (Qt's name)
        return QSize(self._width_of(self._texts[0]), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:      # noqa: N802
        return QSize(self._width_of(self._texts[-1]), super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self.updateGeometry()
            self._fit()

    def _fit(self) -> None:
        text = next((t for t in self._texts if self._width_of(t) <= self.width()),
                    self._texts[-1])
        if text != self.text():
            self.setText(text)


class ReplayControls(QObject):
    """The row's widgets (``live_button``, ``slider``, ``step_label``, in ``row``);
    ``liveToggled(bool)`` and ``picked(index)`` (a user's slider move)."""

    liveToggled = pyqtSignal(bool)
    picked = pyqtSignal(int)

    def __init__(self, note=None, parent=None) -> None:
        super().__init__(parent)
        self.live_button = QPushButton("Live")
        self.live_button.setCheckable(True)
        self.live_button.setChecked(True)
        self.live_button.setToolTip("Follow the newest snapshot while training")
        self.live_button.setStyleSheet(
            "QPushButton:checked { background: #2e7d32; color: white; font-weight: bold; }")
        self.live_button.toggled.connect(self.liveToggled)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setEnabled(False)
        self.slider.setMinimumWidth(MIN_SLIDER_PX)
        self.slider.setToolTip(SLIDER_TIP)
        self.slider.valueChanged.connect(self._on_slider)
        self.step_label = StepLabel("current weights")
        self.row = QHBoxLayout()
        self.row.addWidget(self.live_button)
        self.row.addWidget(self.slider, 1)
        self.row.addWidget(self.step_label)
        if note is not None:
            self.row.addWidget(note)
        self._syncing = False             # the slider is being moved by code, not the user

    def set_live(self, live: bool) -> None:
        """Show ``live`` on the button (no ``liveToggled``)."""
        if self.live_button.isChecked() != live:
            self.live_button.blockSignals(True)
            self.live_button.setChecked(live)
            self.live_button.blockSignals(False)

    def set_range(self, count: int, index: int | None) -> None:
        """``count`` snapshots, ``index`` (None: none) shown; no ``picked``."""
        self._syncing = True
        self.slider.setEnabled(count > 0)
        self.slider.setMaximum(max(0, count - 1, index or 0))
        if index is not None and self.slider.value() != index:
            self.slider.setValue(index)
        self._syncing = False

    def _on_slider(self, value: int) -> None:
        if not self._syncing:
            self.picked.emit(int(value))

    def show_step(self, step: int | None, epoch_progress: float = 0.0, index: int = 0,
                  count: int = 0, megabytes: float = 0.0, has_maps: bool = True) -> None:
        """The text for snapshot ``index`` of ``count`` at ``step`` (None: nothing kept yet:
        the current weights are shown); how many are kept, and how, in its tool tip."""
        if step is None:
            self.step_label.set_texts(["current weights", "now"])
            self.step_label.setToolTip("No snapshots yet: training records snapshots to "
                                       "replay." if has_maps else "No snapshots yet.")
            return
        where = "" if index == count - 1 else f" ({index + 1}/{count})"
        self.step_label.set_texts([f"step {step} · epoch {epoch_progress:.2f}{where}",
                                   f"step {step}{where}", f"step {step}"])
        what = ("Drag the slider to replay; Live follows training." if has_maps else
                "Drag the slider to see the step; Live follows training.")
        where = "the newest" if index == count - 1 else f"snapshot {index + 1}"
        self.step_label.setToolTip(f"Showing {where} of {count} kept ({megabytes:.1f} MB; "
                                   f"older ones thinned). {what}")
