"""Restoring the main window from saved settings without ever crashing on them.

``restore_window(window, default_state, version)`` puts back the last session's dock layout
and geometry and returns a list of notes for the status bar: every saved value that cannot be
used (a garbage or truncated byte string, a wrong type, a window that would not fit any
screen) is dropped and named in a note, and the window keeps its default instead.

The order matters. Qt keeps a dock layout restored into a *hidden, maximised or full-screen*
window pending until the window reaches its final size (``QMainWindowLayout::restoredState``);
rearranging the docks meanwhile (presentation mode's stage, built at start-up) leaves that
pending layout with dangling pointers, and the next layout pass crashed the app with a
segmentation fault on every launch after "maximise, F11, Ctrl+Q". So the dock layout is
restored first, while the window is still in its normal state, and the geometry (which may
maximise it) after.

``fit_into_screen(window)`` keeps a window inside the available area of its screen.

Qt 6 refuses (``restoreGeometry`` returns False) a geometry saved on a screen of another
width: settings saved at 1920x1080 and opened on a 1280x720 projector. The data is sound, so
``restore_window`` then puts back what it can itself: the normal size and place, made to fit
this screen, and the maximised state.

Floating docks of the saved layout are restored (and shown) while the main window is still
hidden: their native windows are made before the main window's, so they get no transient
parent, and a window manager stacks them as ordinary windows (a tester saw them behind the
main window, or off a smaller screen). ``restore_window`` therefore schedules
``bring_floating_docks_forward``: once the main window is shown, every floating dock is
made a transient of it, moved inside the available screen area, and raised.
"""

from __future__ import annotations

from dataclasses import dataclass

from PyQt6.QtCore import QByteArray, QDataStream, QRect, QSettings, Qt, QTimer
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import QDockWidget

from .settings import app_settings

GEOMETRY_KEY, STATE_KEY, VERSION_KEY = "window/geometry", "window/state", "window/layout_version"
DEFAULT_SIZE = (1600, 1000)        # px, on a screen large enough for it
SCREEN_SHARE = 0.96                # of the available area, on a smaller one
ASSUMED_FRAME = (8, 32)            # px a window manager's frame adds, before it is known

_BIG_STATES = Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen


def available_area(window) -> QRect:
    """The available area (without panels and docks of the desktop) of the window's screen."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, *DEFAULT_SIZE)


def frame_extra(window) -> tuple[int, int]:
    """(width, height) the window manager's frame adds around ``window``: measured once the
    window is shown, else a typical frame (borders and a title bar)."""
    frame, inner = window.frameGeometry(), window.geometry()
    extra = (frame.width() - inner.width(), frame.height() - inner.height())
    return extra if window.isVisible() and extra != (0, 0) else ASSUMED_FRAME


def default_geometry(window) -> None:
    """``DEFAULT_SIZE``, or most of a smaller screen, centred on the available area."""
    area = available_area(window)
    extra_w, extra_h = frame_extra(window)
    width = min(DEFAULT_SIZE[0], int(area.width() * SCREEN_SHARE) - extra_w)
    height = min(DEFAULT_SIZE[1], int(area.height() * SCREEN_SHARE) - extra_h)
    # never under the window's minimum (while the screen has room): Qt enlarges a window
    # to it when it is shown, and on X11 that second geometry puts the *client* area where
    # the frame was meant to go, the title bar above the screen (1226 px at 1280x720)
    hint = window.minimumSizeHint()
    width = max(width, min(hint.width(), area.width() - extra_w))
    height = max(height, min(hint.height(), area.height() - extra_h))
    window.resize(width, height)
    window.move(area.x() + (area.width() - width - extra_w) // 2,
                area.y() + (area.height() - height - extra_h) // 2)


def fit_into_screen(window) -> bool:
    """Shrink and move a normal (not maximised) window, frame included, into its screen's
    available area. Returns True if it had to be changed."""
    if window.windowState() & _BIG_STATES:
        return False
    area = available_area(window)
    if not window.isVisible() and _fits_hidden(window, area):
        return False
    extra_w, extra_h = frame_extra(window)
    width = min(window.width(), area.width() - extra_w)
    height = min(window.height(), area.height() - extra_h)
    changed = (width, height) != (window.width(), window.height())
    if changed:
        window.resize(width, height)
    frame = window.frameGeometry()
    x = min(max(frame.x(), area.x()), area.right() + 1 - width - extra_w)
    y = min(max(frame.y(), area.y()), area.bottom() + 1 - height - extra_h)
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)
        changed = True
    return changed


def _fits_hidden(window, area: QRect) -> bool:
    """Whether a window not shown yet fits ``area`` as it is. Its ``geometry()`` (as restored)
    is where its client area will be, and its frame is not known (none without a window
    manager): it fits while it has room for ``ASSUMED_FRAME`` and its client area, with a
    border's width on the left, right and bottom, lies inside ``area``. Checking the client
    rectangle as if it were the frame moved every restored window at 1280x720 (its client
    top at 34 px, under the title bar, read as a frame's top too low) and noted at each
    launch that "the saved window size did not fit this screen"."""
    g = window.geometry()
    extra_w, extra_h = ASSUMED_FRAME
    side = extra_w // 2
    return (g.width() <= area.width() - extra_w and g.height() <= area.height() - extra_h
            and area.contains(g.adjusted(-side, 0, side, side)))


def restore_window(window, default_state: QByteArray, version: int) -> list[str]:
    """Put back the saved dock layout and geometry of ``window`` (hidden, not yet shown).

    A layout saved with another ``version`` number is ignored silently (the arrangement
    changed); anything else that cannot be restored is dropped with a note. Returns the notes.
    """
    notes: list[str] = []
    settings = app_settings()
    if settings.status() != QSettings.Status.NoError:
        notes.append(f"The settings file {settings.fileName()} could not be read; "
                     "using the default layout.")
        return notes
    if not window.isVisible() and window.windowState() & _BIG_STATES:
        # see the module docstring: never restore docks into a hidden maximised window
        window.setWindowState(Qt.WindowState.WindowNoState)

    layout, saved_version = settings.value(STATE_KEY), settings.value(VERSION_KEY)
    if layout is not None and str(saved_version) == str(version):
        if not isinstance(layout, QByteArray) or not _restore_state(window, layout, version):
            window.restoreState(default_state)
            settings.remove(STATE_KEY)
            notes.append("The saved window layout could not be restored; "
                         "using the default layout.")

    if any(d.isFloating() for d in window.findChildren(QDockWidget)):
        when_shown(window, bring_floating_docks_forward)

    geometry = settings.value(GEOMETRY_KEY)
    if geometry is not None:
        saved = read_geometry(geometry) if isinstance(geometry, QByteArray) else None
        if saved is not None and not _restore_geometry(window, geometry):
            restore_on_another_screen(window, saved)
            notes.append("The window was last used on a screen of another size; it was made "
                         "to fit this one.")
        elif saved is None:
            default_geometry(window)
            settings.remove(GEOMETRY_KEY)
            notes.append("The saved window size and position could not be restored; "
                         "using the default size.")
        elif fit_into_screen(window):
            notes.append("The saved window size did not fit this screen; the window was "
                         "made to fit.")
    return notes


def bring_floating_docks_forward(window) -> list:
    """Every visible floating dock of ``window``: a transient of the (shown) main window,
    inside the available area of its screen, raised above the main window. Returns them."""
    docks = [d for d in window.findChildren(QDockWidget)
             if d.isFloating() and d.isVisible() and d.parentWidget() is window]
    parent = window.windowHandle()
    for dock in docks:
        handle = dock.windowHandle()
        if handle is not None and parent is not None and handle.transientParent() is not parent:
            handle.setTransientParent(parent)
        screen = QGuiApplication.screenAt(dock.frameGeometry().center()) or window.screen()
        if screen is not None:
            _fit_rect(dock, screen.availableGeometry())
        dock.raise_()
    return docks


def _fit_rect(widget, area: QRect) -> None:
    """Shrink and move the top-level ``widget`` (frame included) into ``area``."""
    extra_w, extra_h = frame_extra(widget)
    width = min(widget.width(), area.width() - extra_w)
    height = min(widget.height(), area.height() - extra_h)
    if (width, height) != (widget.width(), widget.height()):
        widget.resize(width, height)
    frame = widget.frameGeometry()
    x = min(max(frame.x(), area.x()), area.right() + 1 - width - extra_w)
    y = min(max(frame.y(), area.y()), area.bottom() + 1 - height - extra_h)
    if (x, y) != (frame.x(), frame.y()):
        widget.move(x, y)


def when_shown(window, action, tries: int = 40) -> None:
    """Call ``action(window)`` once ``window`` is shown (checked every 50 ms, a few times)."""
    def check(left=tries):
        try:
            visible = window.isVisible()
        except RuntimeError:            # the window was deleted first
            return
        if visible:
            action(window)
        elif left > 0:
            QTimer.singleShot(50, lambda: check(left - 1))
    QTimer.singleShot(0, check)


def _restore_state(window, layout: QByteArray, version: int) -> bool:
    try:
        return bool(window.restoreState(layout, version))
    except Exception:           # a wrong type deep inside; Qt itself returns False
        return False


@dataclass(frozen=True)
class SavedGeometry:
    """What ``QWidget.saveGeometry()`` stored: the normal (not maximised) rectangle, the
    window's state and the width of the screen it was on."""
    normal: QRect
    maximised: bool
    full_screen: bool
    screen_width: int


def read_geometry(geometry: QByteArray) -> SavedGeometry | None:
    """``geometry`` read as ``QWidget.saveGeometry()`` data, or None unless it reads whole with
    positive sizes (Qt's own restoreGeometry accepts some truncated data and restores a 0 x 0
    window)."""
    stream = QDataStream(geometry)
    stream.setByteOrder(QDataStream.ByteOrder.BigEndian)
    magic, major = stream.readUInt32(), stream.readUInt16()
    stream.readUInt16()
    frame, normal = QRect(), QRect()
    stream >> frame
    stream >> normal
    stream.readInt32()                      # screen number
    maximised, full_screen = stream.readUInt8(), stream.readUInt8()
    screen_width = stream.readInt32()
    rects = [frame, normal]
    if major >= 3:                          # Qt 6: the geometry itself
        rects.append(QRect())
        stream >> rects[-1]
    sound = (stream.status() == QDataStream.Status.Ok and magic == 0x1D9D0CB and major >= 1
             and all(r.width() > 0 and r.height() > 0 for r in rects))
    return SavedGeometry(normal, bool(maximised), bool(full_screen), screen_width) \
        if sound else None


def geometry_is_sound(geometry: QByteArray) -> bool:
    """Whether ``geometry`` reads whole as ``QWidget.saveGeometry()`` data (``read_geometry``)."""
    return read_geometry(geometry) is not None


def restore_on_another_screen(window, saved: SavedGeometry) -> None:
    """The saved normal size and place, fitted into this screen's available area, then
    maximised if it was (full screen is presentation mode's to restore, not the geometry's)."""
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(saved.normal.size())
    window.move(saved.normal.topLeft())
    fit_into_screen(window)
    if saved.maximised:
        window.setWindowState(Qt.WindowState.WindowMaximized)


def _restore_geometry(window, geometry: QByteArray) -> bool:
    try:
        ok = bool(window.restoreGeometry(geometry))
    except Exception:
        return False
    size = window.size()
    return ok and size.width() > 0 and size.height() > 0


def reset_settings() -> str:
    """Delete every stored setting (layout, geometry, presentation mode). Returns the file."""
    settings = app_settings()
    settings.clear()
    settings.sync()
    return settings.fileName()
