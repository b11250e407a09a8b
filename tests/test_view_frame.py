"""The scroll frame a view sits in: at its own minimum size it never scrolls sideways.

Restoring a layout saved on a 1920x1080 screen onto a 1366x768 one squeezed the
Preprocessing dock to its frame's minimum width; its word-wrapped labels then needed more
height than the dock had, the vertical scroll bar took 14 px of the width, and the view
scrolled sideways too ("4. network input 28 x 28" cut, the prediction under the bar).
"""

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from cnnviz.app.view_frame import ViewFrame


def wrapped_view(min_width: int) -> QWidget:
    """A view of a long word-wrapped label (one line is its minimum height, many lines at
    its minimum width) above a widget that fixes its minimum width."""
    view = QWidget()
    layout = QVBoxLayout(view)
    label = QLabel(" ".join(["a word-wrapped explanation"] * 12))
    label.setWordWrap(True)
    layout.addWidget(label)
    floor = QWidget()
    floor.setMinimumWidth(min_width)
    layout.addWidget(floor)
    return view


def test_a_frame_at_its_minimum_size_scrolls_only_down(qtbot):
    view = wrapped_view(300)
    frame = ViewFrame(view, cap=QSize(480, 90))
    qtbot.addWidget(frame)
    tall = view.layout().minimumHeightForWidth(view.minimumSizeHint().width())
    assert view.minimumSizeHint().height() <= 90 < tall     # the case: wraps past the cap
    frame.resize(frame.minimumSizeHint())
    frame.show()
    qtbot.waitExposed(frame)
    qtbot.waitUntil(lambda: frame.verticalScrollBar().isVisible()
                    and frame.viewport().width() < frame.width())
    assert frame.horizontalScrollBar().maximum() == 0, (
        f"{view.width()} px view in a {frame.viewport().width()} px frame")
    assert view.width() <= frame.viewport().width()
    assert frame.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAsNeeded
