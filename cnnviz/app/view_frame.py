"""The frame a view sits in inside its dock: a scroll area, so no view ever forces the window
to be larger than a small screen and no control is ever squeezed on top of another.

A view keeps its own minimum size; a dock smaller than that shows scroll bars instead of
overlapping the view's widgets (Brush and Undo on the canvas) or growing the window past the
screen (1600 x 1000 on a 1280 x 720 projector). ``view_of(dock)`` is the view inside a dock,
wrapped or not.
"""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtWidgets import QDockWidget, QFrame, QScrollArea, QWidget

MIN_FRAME = QSize(120, 80)     # px: the least a dock can be squeezed to
MAX_CAP = QSize(480, 380)      # px: no view demands more, even on a large screen
# the default layout has three columns of docks and two rows; around them: the window's
# frame, menu bar and status bar (px), and each dock's title and tab bar
LAYOUT_COLUMNS, LAYOUT_ROWS = 3, 2
WINDOW_CHROME = QSize(40, 110)
DOCK_CHROME = QSize(10, 55)


class ViewFrame(QScrollArea):
    """A borderless scroll area holding one view, resized to fill it when there is room."""

    def __init__(self, view: QWidget, cap: QSize | None = None, parent=None) -> None:
        super().__init__(parent)
        self.cap = QSize(cap) if cap is not None else QSize(16777215, 16777215)
        self.setObjectName(f"{view.objectName() or type(view).__name__}Frame")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setWidget(view)

    def view(self) -> QWidget:
        return self.widget()

    def minimumSizeHint(self) -> QSize:       # noqa: N802 (Qt's name)
        """The view's own minimum (its explicit minimum size, else its hint), but at most
        ``cap``: beyond that the view scrolls instead of making the window larger."""
        view = self.widget()
        if view is None:
            return MIN_FRAME
        explicit, hint = view.minimumSize(), view.minimumSizeHint()
        wanted = QSize(explicit.width() or hint.width(), explicit.height() or hint.height())
        return wanted.boundedTo(self.cap).expandedTo(MIN_FRAME)

    def sizeHint(self) -> QSize:              # noqa: N802
        view = self.widget()
        return view.sizeHint() if view is not None else MIN_FRAME


def view_min_cap(window) -> QSize:
    """The largest minimum size a view may demand so that the default layout still fits the
    available area of ``window``'s screen (480 x 380 px on a large screen, about 400 x 250 on
    a 1280 x 720 projector)."""
    from .window_settings import available_area
    area = available_area(window)
    width = (area.width() - WINDOW_CHROME.width()) // LAYOUT_COLUMNS - DOCK_CHROME.width()
    height = (area.height() - WINDOW_CHROME.height()) // LAYOUT_ROWS - DOCK_CHROME.height()
    return QSize(width, height).boundedTo(MAX_CAP).expandedTo(MIN_FRAME)


def view_of(dock: QDockWidget) -> QWidget | None:
    """The view shown by ``dock`` (inside its ``ViewFrame`` if it has one)."""
    widget = dock.widget()
    return widget.view() if isinstance(widget, ViewFrame) else widget
