"""A status bar whose long messages end in "…" with the whole text as the tool tip.

``QStatusBar`` draws its message clipped at its right end: in presentation mode at 1280 px
"Model: lenet.npz. Data: bundled (9,000 + 1,000 digits). Draw a digit on the pad, or press
Start (Space)." was cut in the middle of a letter. ``ElidingStatusBar`` draws a message
that does not fit elided at the end of a word's letter, and shows the whole message as the
bar's tool tip (hover the bar to read it). Messages from Qt itself (status tips of menus)
go through the same ``paintEvent``, so they elide too.
"""

from __future__ import annotations

from PyQt6.QtCore import QRect, Qt
from PyQt6.QtGui import QPainter
from PyQt6.QtWidgets import QStatusBar, QStyle, QStyleOption, QWidget

LEFT, RIGHT = 6, 12        # px QStatusBar leaves around its message


class ElidingStatusBar(QStatusBar):
    """``QStatusBar`` that elides a message too long for it (see the module docstring)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.messageChanged.connect(lambda _text: self._update_tip())

    def message_rect(self) -> QRect:
        """Where the message is drawn: QStatusBar's own rectangle for it (up to the first
        visible permanent widget on the right)."""
        right = self.width() - RIGHT
        for child in self.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if child.isVisible() and child.x() > self.width() // 2:
                right = min(right, child.x() - 2)
        return QRect(LEFT, 0, max(0, right - LEFT), self.height())

    def shown_message(self) -> str:
        """The message as drawn: whole if it fits, else elided with "…"."""
        return self.fontMetrics().elidedText(self.currentMessage(), Qt.TextElideMode.ElideRight,
                                             self.message_rect().width())

    def _update_tip(self) -> None:
        message = self.currentMessage()
        self.setToolTip(message if message and self.shown_message() != message else "")

    def resizeEvent(self, event) -> None:     # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._update_tip()

    def changeEvent(self, event) -> None:     # noqa: N802 (a new font: another width)
        super().changeEvent(event)
        self._update_tip()

    def paintEvent(self, event) -> None:      # noqa: N802
        message = self.currentMessage()
        if not message or self.shown_message() == message:
            super().paintEvent(event)
            return
        painter = QPainter(self)
        option = QStyleOption()
        option.initFrom(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelStatusBar, option, painter,
                                   self)
        painter.setPen(self.palette().windowText().color())
        painter.drawText(self.message_rect(), int(Qt.AlignmentFlag.AlignLeading
                                                  | Qt.AlignmentFlag.AlignVCenter
                                                  | Qt.TextFlag.TextSingleLine),
                         self.shown_message())
        painter.end()
