"""Two small painted widgets shared by the drawing pad and the probe browser.

* ``DigitImage``: an ``(H, W)`` array in [0, 1] drawn upright (row 0 at the top) in grey,
  scaled up with square pixels and no smoothing, so each of the network's 28x28 inputs is
  visible as a block.
* ``ClassBars``: horizontal bars ``class | bar | percent``, one row per class, the first row
  (the predicted class) highlighted.

Plain QPainter, no pyqtgraph: these are pictures, not plots, and a repaint costs well under
a millisecond.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QEvent, QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QFont, QFontInfo, QFontMetricsF, QImage, QPainter, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

BAR_COLOR = QColor(90, 120, 170)
TOP_COLOR = QColor(255, 170, 40)


def gray_qimage(image: np.ndarray) -> QImage:
    """``(H, W)`` float in [0, 1] -> an 8-bit grayscale QImage owning a copy of the pixels."""
    pixels = np.ascontiguousarray(np.clip(np.nan_to_num(image), 0.0, 1.0) * 255 + 0.5,
                                  dtype=np.float32).astype(np.uint8)
    h, w = pixels.shape
    return QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


class DigitImage(QWidget):
    """A grayscale ``(H, W)`` image, upright, as large as the widget allows with square pixels."""

    def __init__(self, minimum: int = 84, parent=None) -> None:
        super().__init__(parent)
        self._image = np.zeros((28, 28), np.float32)
        self._qimage = gray_qimage(self._image)
        self._minimum = minimum
        self.setMinimumSize(minimum, minimum)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(self._minimum * 2, self._minimum * 2)

    def set_image(self, image: np.ndarray) -> None:
        """Show ``image (H, W)`` in [0, 1]."""
        self._image = np.asarray(image, dtype=np.float32)
        self._qimage = gray_qimage(self._image)
        self.update()

    def image(self) -> np.ndarray:
        """The ``(H, W)`` array shown."""
        return self._image

    def target_rect(self) -> QRectF:
        """Where the image is drawn: a centred rectangle with a whole number of pixels per cell."""
        h, w = self._image.shape
        scale = max(1, int(min(self.width() / w, self.height() / h)))
        return QRectF((self.width() - w * scale) / 2, (self.height() - h * scale) / 2,
                      w * scale, h * scale)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        target = self.target_rect()
        painter.drawImage(target, self._qimage)
        painter.setPen(QPen(QColor(110, 110, 110), 1))
        painter.drawRect(target.adjusted(-1, -1, 0, 0))
        painter.end()


class ClassBars(QWidget):
    """Rows of ``class  [bar]  percent`` for a few ``(class, probability)`` pairs."""

    def __init__(self, rows: int = 3, parent=None) -> None:
        super().__init__(parent)
        self._rows = rows
        self._entries: list[tuple[int, float]] = []
        self.setMinimumSize(160, rows * 22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:
        return QSize(220, self._rows * 30)

    def set_entries(self, entries: list[tuple[int, float]]) -> None:
        """``[(class, probability)]``, best first; an empty list shows empty rows."""
        self._entries = [(int(k), float(p)) for k, p in entries[: self._rows]]
        self.update()

    def entries(self) -> list[tuple[int, float]]:
        return list(self._entries)

    def changeEvent(self, event) -> None:     # noqa: N802 (presentation mode's large type)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.setMinimumHeight(max(self._rows * 22, self._rows * int(
                QFontMetricsF(self._widget_font()).height() * 1.5)))

    def _widget_font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        return font

    def text_font(self) -> QFont:
        """The font the rows are written in: half a row's height, at least the widget's
        font (presentation mode's 20 pt: the rows were written at 9 pt on a projector),
        smaller only where "100.0%" and a bar would not fit the width."""
        font = self._widget_font()
        row_h = self.height() / self._rows
        font.setPixelSize(max(11, int(row_h * 0.55), QFontInfo(self._widget_font()).pixelSize()))
        metrics = QFontMetricsF(font)
        while font.pixelSize() > 9 and \
                metrics.horizontalAdvance("0100.0%") + 18 > 0.7 * self.width():
            font.setPixelSize(font.pixelSize() - 1)
            metrics = QFontMetricsF(font)
        return font

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        row_h = self.height() / self._rows
        painter.setFont(self.text_font())
        metrics = painter.fontMetrics()
        label_w = metrics.horizontalAdvance("0") + 10
        percent_w = metrics.horizontalAdvance("100.0%") + 8
        bar_w = max(10.0, self.width() - label_w - percent_w)
        text = self.palette().color(self.foregroundRole())
        for i in range(self._rows):
            top = i * row_h
            bar_rect = QRectF(label_w, top + row_h * 0.18, bar_w, row_h * 0.64)
            painter.setPen(QPen(QColor(120, 120, 120), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(bar_rect)
            if i >= len(self._entries):
                continue
            k, p = self._entries[i]
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(TOP_COLOR if i == 0 else BAR_COLOR)
            painter.drawRect(QRectF(bar_rect.left(), bar_rect.top(),
                                    bar_rect.width() * min(max(p, 0.0), 1.0), bar_rect.height()))
            painter.setPen(text)
            painter.drawText(QRectF(0, top, label_w - 6, row_h),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(k))
            painter.drawText(QRectF(label_w + bar_w + 4, top, percent_w, row_h),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             f"{100 * p:.1f}%")
        painter.end()
