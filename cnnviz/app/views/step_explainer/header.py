"""The top of the one-step explainer: the batch's digits and the loss before and after.

``StepHeader`` shows the batch's digits with their labels and the predictions before → after
the update (click one to follow it in the gradient and routing tabs), the batch's mean loss
before and after, large, and their difference, and a sentence that sums the step up.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QFont, QFontMetricsF
from PyQt6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QScrollArea,
                             QSizePolicy, QVBoxLayout, QWidget)

from ...digit_widgets import DigitImage
from .common import format_change

MAX_DIGITS = 12                  # batch digits shown in the strip
GOOD, BAD = "#2e9e3e", "#d23a2a"


class DigitCell(QFrame):
    """One batch digit: the image, and "label 3 · 5 → 3" under it; click selects it."""

    clicked = pyqtSignal(int)

    def __init__(self, index: int, parent=None) -> None:
        super().__init__(parent)
        self.index = index
        self.image = DigitImage(minimum=48)
        self.caption = QLabel(" ")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.caption)
        self.setObjectName("digitCell")
        self.set_selected(False)

    def set_selected(self, on: bool) -> None:
        colour = "#ffaa28" if on else "#555555"
        self.setStyleSheet(f"#digitCell {{ border: {3 if on else 1}px solid {colour}; }}")

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.index)
        super().mousePressEvent(event)


class StepHeader(QWidget):
    """Intro sentence, digit strip and the three loss numbers (see module doc)."""

    digitClicked = pyqtSignal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.intro = QLabel("Press Step (S) to train exactly one mini-batch and see what it "
                            "changed.")
        self.intro.setWordWrap(True)
        self.loss_before, self.loss_after, self.loss_change = QLabel("–"), QLabel("–"), \
            QLabel("–")
        losses = QGridLayout()
        for col, (title, label) in enumerate((("loss before", self.loss_before),
                                              ("loss after", self.loss_after),
                                              ("change", self.loss_change))):
            caption = QLabel(title)
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            losses.addWidget(caption, 0, col)
            losses.addWidget(label, 1, col)
        self.loss_captions = [losses.itemAtPosition(0, c).widget() for c in range(3)]
        # the numbers shrink to fit (``fit_loss_font``): never a minimum width for the window
        for label in [self.loss_before, self.loss_after, self.loss_change] + self.loss_captions:
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._losses = losses

        self.cells = [DigitCell(i) for i in range(MAX_DIGITS)]
        strip_widget = QWidget()
        strip = QHBoxLayout(strip_widget)
        strip.setContentsMargins(0, 0, 0, 0)
        strip.setSpacing(3)
        for cell in self.cells:
            cell.clicked.connect(self.digitClicked)
            cell.hide()
            strip.addWidget(cell)
        self.more = QLabel("")
        strip.addWidget(self.more)
        strip.addStretch(1)
        # scrolls sideways when narrow, so a big batch never makes the view (window) wider
        self.strip_area = QScrollArea()
        self.strip_area.setWidget(strip_widget)
        self.strip_area.setWidgetResizable(True)
        self.strip_area.setFrameShape(QFrame.Shape.NoFrame)
        self.strip_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.strip_area.setMinimumHeight(110)
        top = QHBoxLayout()
        top.addWidget(self.strip_area, 1)
        top.addLayout(losses, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.intro)
        layout.addLayout(top)

    def draw(self, d, digit: int) -> None:
        """Show step detail ``d`` with batch digit ``digit`` selected."""
        n = len(d.labels)
        before = None if d.logits_before is None else np.argmax(d.logits_before, axis=1)
        after = None if d.logits_after is None else np.argmax(d.logits_after, axis=1)
        for i, cell in enumerate(self.cells):
            if i >= n:
                cell.hide()
                continue
            cell.show()
            if d.images is not None:
                cell.image.set_image(d.images[i, 0])
            label = int(d.labels[i])
            text = f"<b>{label}</b>"
            if before is not None and after is not None:
                colour = lambda p: GOOD if p == label else BAD      # noqa: E731
                text += (f"<br><span style='color:{colour(before[i])}'>{before[i]}</span> → "
                         f"<span style='color:{colour(after[i])}'>{after[i]}</span>")
            cell.caption.setText(text)
            cell.setToolTip(f"training digit {int(d.indices[i])}: label {label}"
                            + ("" if before is None else
                               f", predicted {before[i]} before and {after[i]} after the step"))
            cell.set_selected(i == digit)
        self.more.setText(f"+{n - MAX_DIGITS} more" if n > MAX_DIGITS else "")
        change = d.loss_after - d.loss_before
        self.loss_before.setText(f"{d.loss_before:.4f}")
        self.loss_after.setText(f"{d.loss_after:.4f}")
        self.loss_change.setText(format_change(change))
        self.fit_loss_font()
        self.loss_change.setStyleSheet(f"color: {GOOD if change < 0 else BAD};")
        right = ("" if before is None else
                 f" Right before: {int((before == d.labels).sum())}/{n}, "
                 f"after: {int((after == d.labels).sum())}/{n}.")
        went = f"{'down' if change < 0 else 'up'} by {format_change(abs(change))[1:]}"
        self._intros = (
            f"Step {d.step}: one mini-batch of {n} training digits (label, then the prediction "
            f"before → after the update). The loss of this batch went {went}.{right} "
            "Click a digit to follow it in the gradient tabs.",
            f"Step {d.step}: {n} digits (label, before → after); loss {went}.{right}")
        self._fit_intro()

    def _fit_intro(self) -> None:
        """The full sentence, or where it would take more than two lines (large type, a
        narrow dock) the short one, the full one as its tooltip: the maps keep the room."""
        intros = getattr(self, "_intros", None)
        if intros is None:
            return
        full, short = intros
        self.intro.setText(full)
        lines = self.intro.heightForWidth(max(1, self.width())) / \
            QFontMetricsF(self.intro.font()).lineSpacing()
        if lines > 2.5:
            self.intro.setText(short)
            self.intro.setToolTip(full)
        else:
            self.intro.setToolTip("")

    def clear(self, trained: bool = False) -> None:
        """No step shown; the intro says whether the model has learned anything yet."""
        self._intros = None
        self.intro.setToolTip("")
        self.show_intro(trained)
        for cell in self.cells:
            cell.hide()
        self.more.setText("")
        for label in (self.loss_before, self.loss_after, self.loss_change):
            label.setText("–")
        self.loss_change.setStyleSheet("")

    def show_intro(self, trained: bool) -> None:
        """The sentence shown before a step: fresh weights, or a model that has trained."""
        if trained:
            self.intro.setText("Press Step (S) to train this model on exactly one more "
                               "mini-batch and see what it changed.")
        else:
            self.intro.setText("New weights: press Step (S) to train exactly one mini-batch "
                               "and see what it changed.")

    # -- fonts --------------------------------------------------------------------------------
    def apply_fonts(self) -> None:
        """Captions a little larger than the widget font; the loss numbers fitted."""
        mid = QFont(self.font())
        mid.setPointSizeF(self.font().pointSizeF() * 1.15)
        for label in self.loss_captions:
            label.setFont(mid)
        # a digit cell: the image and two caption lines (label; before → after)
        line = QFontMetricsF(self.font()).lineSpacing()
        self.strip_area.setMinimumHeight(int(48 + 2 * line + 30))
        self.fit_loss_font()

    def fit_loss_font(self) -> None:
        """The largest bold size (1x to 2.4x the widget font) at which the three loss numbers
        fit the width their column gets."""
        base = self.font().pointSizeF()
        labels = (self.loss_before, self.loss_after, self.loss_change)
        # the losses column gets half the row beside the digit strip (it scrolls)
        width = max(60.0, (self.width() - 16) / 2 - 2 * self._losses.spacing())
        big = QFont(self.font())
        big.setBold(True)
        for factor in (2.4, 2.0, 1.7, 1.4, 1.2, 1.0):
            big.setPointSizeF(base * factor)
            metrics = QFontMetricsF(big)
            need = sum(metrics.horizontalAdvance(label.text()) + 6 for label in labels)
            if need <= width:
                break
        if labels[0].font() != big:
            for label in labels:
                label.setFont(big)
        metrics = QFontMetricsF(self.loss_captions[0].font())
        # the longest captions that fit each third of the column (on a narrow stage "Δ"),
        # measured on the labels once they are laid out
        shown = [c.contentsRect().width() for c in self.loss_captions]
        cell = min(shown) if self.isVisible() and min(shown) > 20 else width / 3
        for captions in (("loss before", "loss after", "change"),
                         ("before", "after", "change"), ("before", "after", "Δ")):
            if max(metrics.horizontalAdvance(t) for t in captions) + 8 <= cell:
                break
        for label, text in zip(self.loss_captions, captions):
            if label.text() != text:
                label.setText(text)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_loss_font()
        self._fit_intro()
