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


def test_a_shown_window_without_its_frame_yet_gets_room_for_a_title_bar(qtbot):
    """Reset layout and settings pressed in presentation mode: the window had just left full
    screen, had no frame yet, and ``move()`` put its client area at the top of the screen,
    the title bar above it (seen at 1280x720 under openbox)."""
    class JustLeftFullScreen(QMainWindow):
        def frameGeometry(self):        # what Qt reports then under a window manager
            return self.geometry()

    window = JustLeftFullScreen()
    qtbot.addWidget(window)
    area = available_area(window)
    tall = QWidget()
    tall.setMinimumHeight(area.height() - ASSUMED_FRAME[1])   # as tall as the screen allows
    window.setCentralWidget(tall)
    window.show()
    qtbot.waitExposed(window)

    default_geometry(window)

    extra_w, extra_h = ASSUMED_FRAME
    top_border = extra_h - extra_w // 2                  # the title bar and top border
    assert window.geometry().top() >= area.top() + top_border
    assert window.geometry().bottom() + extra_w // 2 <= area.bottom() + 1
    assert window.geometry().left() >= area.left() + extra_w // 2
