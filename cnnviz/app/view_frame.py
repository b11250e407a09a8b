"""The frame a view sits in inside its dock: a scroll area, so no view ever forces the window
to be larger than a small screen and no control is ever squeezed on top of another.

A view keeps its own minimum size; a dock smaller than that shows scroll bars instead of
overlapping the view's widgets (Brush and Undo on the canvas) or growing the window past the
screen (1600 x 1000 on a 1280 x 720 projector). ``view_of(dock)`` is the view inside a dock,
wrapped or not.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QRect, QSize, Qt
from PyQt6.QtWidgets import QDockWidget, QFrame, QScrollArea, QWidget

MIN_FRAME = QSize(120, 80)     # px: the least a dock can be squeezed to
MAX_CAP = QSize(480, 380)      # px: no view demands more, even on a large screen
# the default layout has three columns of docks and two rows; around them: the window's
# frame, menu bar and status bar (px), and each dock's title and tab bar
LAYOUT_COLUMNS, LAYOUT_ROWS = 3, 2
WIDE_COLUMN = 360              # px: the left column (training controls, drawing pad)
WINDOW_CHROME = QSize(40, 110)
DOCK_CHROME = QSize(10, 55)


class ViewFrame(QScrollArea):
    """A borderless scroll area holding one view, resized to fill it when there is room."""

    def __init__(self, view: QWidget, cap: QSize | None = None, squeeze_width: bool = False,
                 parent=None) -> None:
        super().__init__(parent)
        self.cap = QSize(cap) if cap is not None else QSize(16777215, 16777215)
        # a picture view (plots, mosaics) scales: narrower than its minimum it is squeezed
        # down to ``cap`` rather than scrolled sideways; a view of controls always scrolls
        self.squeeze_width = squeeze_width
        self.setObjectName(f"{view.objectName() or type(view).__name__}Frame")
        self.setFrameShape(QFrame.Shape.NoFrame)
        # sized by hand (``_fit_view``): Qt's widgetResizable grows a view to its size hint
        # or height-for-width (a word-wrapped label), scrolling views that could shrink
        self.setWidgetResizable(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setWidget(view)

    def _view_minimum(self) -> QSize:
        view = self.widget()
        explicit, hint = view.minimumSize(), view.minimumSizeHint()
        width = explicit.width() or max(0, hint.width())
        if self.squeeze_width:
            width = min(width, self.cap.width())
        return QSize(width, explicit.height() or max(0, hint.height()))

    def _fit_view(self) -> None:
        """The view fills the frame, or keeps its minimum size and scrolls."""
        view = self.widget()
        if view is None:
            return
        minimum = self._view_minimum()
        # the room with no scroll bars; a bar on one side takes room from the other
        room = self.maximumViewportSize()
        bar_w = self.verticalScrollBar().sizeHint().width()
        bar_h = self.horizontalScrollBar().sizeHint().height()
        width, height = room.width(), room.height()
        if self._min_height(minimum, width) > height:
            width -= bar_w
        if minimum.width() > width:
            height -= bar_h
            if self._min_height(minimum, width) > height \
                    and room.height() >= self._min_height(minimum, width):
                width -= bar_w
        width = max(width, minimum.width())
        view.resize(width, max(height, self._min_height(minimum, width)))
        self.setWidgetResizable(False)     # (re-evaluates the scroll bars, even if same size)

    def _min_height(self, minimum: QSize, width: int) -> int:
        """The least height of the view at ``width``: a layout of word-wrapped labels needs
        more than its minimum size says when narrow (the preprocessing view's captions ran
        into its prediction at 1280x720: its minimum assumed one line each)."""
        layout = self.widget().layout()
        if layout is None or not layout.hasHeightForWidth() or self.widget().minimumHeight():
            return minimum.height()
        return max(minimum.height(), layout.minimumHeightForWidth(width))

    def resizeEvent(self, event) -> None:      # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_view()

    def viewportEvent(self, event) -> bool:  # noqa: N802 (Qt's name)
        # the view's minimum size changed (its updateGeometry posts a LayoutRequest to its
        # parent, the viewport). A virtual, not a Python event filter: a filter is still
        # called while Qt destroys the frame and its view, and crashed the app there
        if event.type() == QEvent.Type.LayoutRequest:
            self._fit_view()
        return super().viewportEvent(event)

    def view(self) -> QWidget:
        return self.widget()

    def minimumSizeHint(self) -> QSize:       # noqa: N802 (Qt's name)
        """The view's own minimum (its explicit minimum size, else its hint), but at most
        ``cap``: beyond that the view scrolls instead of making the window larger."""
        if self.widget() is None:
            return MIN_FRAME
        minimum = self._view_minimum()
        hint = minimum.boundedTo(self.cap).expandedTo(MIN_FRAME)
        # at its minimum width a view of word-wrapped labels needs more height than its
        # minimum size says (``_min_height``)
        tall = self._min_height(minimum, minimum.width()) > self.cap.height()
        if tall and minimum.width() <= self.cap.width():
            # it may scroll down: room for the vertical bar, so it never scrolls sideways too
            hint.setWidth(hint.width() + self.verticalScrollBar().sizeHint().width())
        return hint

    def sizeHint(self) -> QSize:              # noqa: N802
        view = self.widget()
        return view.sizeHint() if view is not None else MIN_FRAME


def view_min_cap(area: QRect, wide: bool = False) -> QSize:
    """The largest minimum size a view may demand so that the default layout still fits the
    ``area`` (a screen's available area). ``wide``: a view of the left column (the training
    controls), which gets up to ``WIDE_COLUMN`` px; the other two columns share the rest
    (480 x 380 px on a large screen, about 425 x 250 on a 1280 x 720 projector)."""
    rest = area.width() - WINDOW_CHROME.width() - WIDE_COLUMN - DOCK_CHROME.width()
    width = WIDE_COLUMN if wide else rest // (LAYOUT_COLUMNS - 1) - DOCK_CHROME.width()
    height = (area.height() - WINDOW_CHROME.height()) // LAYOUT_ROWS - DOCK_CHROME.height()
    return QSize(width, height).boundedTo(QSize(WIDE_COLUMN, MAX_CAP.height()) if wide
                                          else MAX_CAP).expandedTo(MIN_FRAME)


def fit_views_to(window, area: QRect, wide_views=()) -> None:
    """Cap every view frame of ``window`` so its default layout fits ``area`` (see
    ``view_min_cap``); views named in ``wide_views`` are in the wide left column."""
    for name, dock in window.docks.items():
        frame = dock.widget()
        if isinstance(frame, ViewFrame):
            frame.cap = view_min_cap(area, name in wide_views)
            frame.updateGeometry()


def view_of(dock: QDockWidget) -> QWidget | None:
    """The view shown by ``dock`` (inside its ``ViewFrame`` if it has one)."""
    widget = dock.widget()
    return widget.view() if isinstance(widget, ViewFrame) else widget
