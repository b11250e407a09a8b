"""The drawing pad's canvas: strokes of white ink on a black 280x280 ``QImage``, like MNIST.

Every stroke is kept (a list of points and a width), so Undo drops the last one and repaints
the rest. ``DrawingPadView`` (``view.py``) turns the canvas into the network's input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PyQt6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

CANVAS_SIZE = 280            # logical canvas pixels (10 per network input pixel)
DEFAULT_BRUSH = 20           # stroke width in canvas pixels: ~2 px after scaling, like MNIST
MIN_INTERVAL_S = 1 / 30      # at most ~30 prediction updates per second while drawing


@dataclass
class Stroke:
    """One pen-down ... pen-up path in canvas coordinates."""

    width: float
    points: list[QPointF] = field(default_factory=list)


def _paint_segment(painter: QPainter, stroke: Stroke, start: int) -> None:
    """Paint ``stroke`` from point ``start`` on: a dot at point 0, then line segments.

    Drawing incrementally (start = the new point) and repainting (start = 0) issue the
    same operations in the same order, so Undo reproduces the canvas pixel for pixel.
    """
    pen = QPen(QColor(255, 255, 255), stroke.width, Qt.PenStyle.SolidLine,
               Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    pts = stroke.points
    if start == 0:
        painter.drawPoint(pts[0])
    for i in range(max(start, 1), len(pts)):
        painter.drawLine(pts[i - 1], pts[i])


class DrawingCanvas(QWidget):
    """A square grayscale canvas drawn with mouse, tablet pen or touch.

    Emits ``changed`` whenever its pixels change.
    """

    changed = pyqtSignal()

    def __init__(self, size: int = CANVAS_SIZE, parent=None) -> None:
        super().__init__(parent)
        self.image = QImage(size, size, QImage.Format.Format_Grayscale8)
        self.image.fill(0)
        self.strokes: list[Stroke] = []
        self.brush = float(DEFAULT_BRUSH)
        self._drawing = False
        self.setMinimumSize(140, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit (white on black, like MNIST)")

    def sizeHint(self) -> QSize:
        return QSize(CANVAS_SIZE, CANVAS_SIZE)

    # -- geometry ---------------------------------------------------------------------------
    def canvas_rect(self) -> QRectF:
        """The square, centred rectangle of the widget the canvas is shown in."""
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def to_canvas(self, pos: QPointF) -> QPointF:
        """Widget position -> canvas pixel coordinates."""
        rect = self.canvas_rect()
        scale = self.image.width() / max(rect.width(), 1.0)
        return QPointF((pos.x() - rect.left()) * scale, (pos.y() - rect.top()) * scale)

    def from_canvas(self, x: float, y: float) -> QPointF:
        """Canvas pixel coordinates -> widget position (for tests driving real mouse events)."""
        rect = self.canvas_rect()
        scale = rect.width() / self.image.width()
        return QPointF(rect.left() + x * scale, rect.top() + y * scale)

    # -- strokes ------------------------------------------------------------------------------
    def begin_stroke(self, point: QPointF, width: float | None = None) -> None:
        self.strokes.append(Stroke(float(width or self.brush), [QPointF(point)]))
        self._paint_last(0)

    def extend_stroke(self, point: QPointF) -> None:
        if not self.strokes:
            return self.begin_stroke(point)
        stroke = self.strokes[-1]
        if stroke.points and stroke.points[-1] == point:
            return
        stroke.points.append(QPointF(point))
        self._paint_last(len(stroke.points) - 1)

    def clear(self) -> None:
        self.strokes.clear()
        self.image.fill(0)
        self.update()
        self.changed.emit()

    def undo(self) -> bool:
        """Remove the last stroke; False if there was none."""
        if not self.strokes:
            return False
        self.strokes.pop()
        self.image.fill(0)
        painter = self._painter()
        for stroke in self.strokes:
            _paint_segment(painter, stroke, 0)
        painter.end()
        self.update()
        self.changed.emit()
        return True

    def _painter(self) -> QPainter:
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        return painter

    def _paint_last(self, start: int) -> None:
        painter = self._painter()
        _paint_segment(painter, self.strokes[-1], start)
        painter.end()
        self.update()
        self.changed.emit()

    def array(self) -> np.ndarray:
        """The canvas as ``(H, W)`` float32 in [0, 1] (a copy)."""
        img = self.image
        ptr = img.constBits()
        ptr.setsize(img.sizeInBytes())
        rows = np.frombuffer(ptr, np.uint8).reshape(img.height(), img.bytesPerLine())
        return rows[:, : img.width()].astype(np.float32) / np.float32(255.0)

    # -- input events ---------------------------------------------------------------------
    def _press(self, pos: QPointF) -> None:
        self._drawing = True
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.begin_stroke(self.to_canvas(pos))

    def _move(self, pos: QPointF) -> None:
        if self._drawing:
            self.extend_stroke(self.to_canvas(pos))

    def _release(self, pos: QPointF) -> None:
        if self._drawing:
            self.extend_stroke(self.to_canvas(pos))
        self._drawing = False

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press(event.position())
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        self._move(event.position())
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._release(event.position())
        event.accept()

    def tabletEvent(self, event) -> None:
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self._press(event.position())
        elif kind == QEvent.Type.TabletMove:
            self._move(event.position())
        elif kind == QEvent.Type.TabletRelease:
            self._release(event.position())
        event.accept()     # no synthesized mouse events on top of the pen's

    def event(self, event) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd):
            points = event.points()
            if points:
                # From the global position: synthesized events may leave position() unset.
                pos = self.mapFromGlobal(points[0].globalPosition())
                if kind == QEvent.Type.TouchBegin:
                    self._press(pos)
                elif kind == QEvent.Type.TouchUpdate:
                    self._move(pos)
                else:
                    self._release(pos)
            event.accept()
            return True
        if kind == QEvent.Type.TouchCancel:
            self._drawing = False
            event.accept()
            return True
        return super().event(event)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(self.backgroundRole()))
        rect = self.canvas_rect()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(rect, self.image)
        painter.setPen(QPen(QColor(120, 120, 120), 1))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))
        if not self.strokes:
            painter.setPen(QColor(150, 150, 150))
            font = QFont(self.font())
            font.setPixelSize(max(12, int(rect.height() / 16)))
            painter.setFont(font)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "Draw a digit here")
        painter.end()


