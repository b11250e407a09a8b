"""The first window on a small screen opens at its own minimum size, centred for that size.

At 1280x720 (openbox) a window whose minimum was 6 px wider than the default size opened
with its title bar above the screen: ``default_geometry`` resized it to 1220 px and moved
it, then Qt enlarged it to its 1226 px minimum when showing it, and on X11 that second
geometry placed the client area where the frame was meant to go.
"""

from PyQt6.QtWidgets import QMainWindow, QWidget

from cnnviz.app.window_settings import ASSUMED_FRAME, available_area, default_geometry


def test_default_geometry_gives_a_wide_window_its_minimum_size_centred(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    area = available_area(window)
    wide = QWidget()
    wide.setMinimumWidth(int(area.width() * 0.96))     # wider than the default size
    window.setCentralWidget(wide)
    need = window.minimumSizeHint().width()
    assert need > min(1600, int(area.width() * 0.96) - ASSUMED_FRAME[0])

    default_geometry(window)

    assert window.width() == need          # not enlarged again (and moved) when shown
    assert window.x() == area.x() + (area.width() - need - ASSUMED_FRAME[0]) // 2
    assert window.x() >= area.x() and window.x() + need + ASSUMED_FRAME[0] <= area.right() + 1
