"""The whole window at classroom screen sizes, normal and presentation mode.

At 1280x720, 1366x768 and 1920x1080, in normal and presentation mode, every view is brought to
the front in turn and the whole window is checked (``window_fit_problems``):

* the window fits the screen; the view's dock lies inside the window;
* no view scrolls sideways in its frame (a frame may scroll down: that is its direction);
* every visible child widget of the view, and of the window's tool bars, lies inside the
  visible area (a widget inside an inner scroll area may leave it only in a direction that
  area really scrolls);
* no two visible labels or buttons overlap;
* no label's or button's text is clipped (measured with the widget's font metrics against
  its rectangle; a word-wrapped label needs the height its text wraps into);
* no tab title is elided or cut;
* in presentation mode every text is at least 18 pt.
"""

from __future__ import annotations

import pytest
from PyQt6.QtCore import QEvent, QPoint, QRect, Qt
from PyQt6.QtGui import QFontInfo
from PyQt6.QtWidgets import (QAbstractButton, QApplication, QAbstractScrollArea, QAbstractSpinBox, QCheckBox,
                             QComboBox, QLabel, QPushButton, QRadioButton, QScrollBar, QSlider, QStyle,
                             QTabBar, QToolBar, QToolButton, QWidget)

from cnnviz.app.main_window import WIDE_VIEWS
from cnnviz.app.view_frame import ViewFrame, fit_views_to

import window_support
from window_support import open_window

SIZES = [(1280, 720), (1366, 768), (1920, 1080)]
FRAME = (8, 32)          # a window manager's borders and title bar, px
CONTROLS = (QLabel, QAbstractButton, QAbstractSpinBox, QComboBox, QSlider)
MIN_PRESENTATION_PT = 17.5


@pytest.fixture(scope="module")
def small_dataset():
    return window_support.small_dataset(200, 50)


def rect_in(ref: QWidget, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(ref, QPoint(0, 0)), widget.size())


def shown_in(ref: QWidget, widget: QWidget) -> bool:
    return widget.isVisibleTo(ref) and widget.width() > 0 and widget.height() > 0


def inner_scroll_area(ref: QWidget, widget: QWidget):
    """The innermost scroll area between ``widget`` and ``ref`` (None if there is none)."""
    parent = widget.parentWidget()
    while parent is not None and parent is not ref:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


def scrolls(area: QAbstractScrollArea, orientation: Qt.Orientation) -> bool:
    bar = area.horizontalScrollBar() if orientation == Qt.Orientation.Horizontal \
        else area.verticalScrollBar()
    return bar.maximum() > bar.minimum()


def internal(widget: QWidget) -> bool:
    """A part of a composite widget (a spin box's line edit, a scroll area's bar)."""
    parent = widget.parentWidget()
    return isinstance(widget, QScrollBar) or isinstance(
        parent, (QAbstractSpinBox, QComboBox, QScrollBar, QTabBar)) or (
        isinstance(parent, QAbstractScrollArea) and widget is not parent.viewport()) or (
        parent is not None and isinstance(parent.parentWidget(), QAbstractScrollArea)
        and parent is not parent.parentWidget().viewport())


def plain_text(widget) -> str:
    text = widget.text() if hasattr(widget, "text") else ""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def text_clipped(widget: QWidget) -> str | None:
    """Why ``widget``'s text does not show in full, or None."""
    if isinstance(widget, QLabel):
        text = widget.text()
        if not text.strip() or not widget.pixmap().isNull():
            return None
        room = widget.contentsRect()
        if widget.wordWrap():
            need = widget.heightForWidth(widget.width())
            if need > widget.height() + 2:
                return f"needs {need} px of height, has {widget.height()}"
            return None
        if Qt.mightBeRichText(text) or "\n" in text:
            need = widget.minimumSizeHint().width()
        else:
            need = widget.fontMetrics().horizontalAdvance(text) + 2 * widget.margin()
        if need > room.width() + 2:
            return f"needs {need} px, has {room.width()}"
        if widget.fontMetrics().height() > room.height() + 2:
            return f"needs {widget.fontMetrics().height()} px of height, has {room.height()}"
        return None
    if isinstance(widget, (QCheckBox, QRadioButton)):
        need = widget.minimumSizeHint().width()
        return f"needs {need} px, has {widget.width()}" if need > widget.width() + 1 else None
    if isinstance(widget, QPushButton) or (
            isinstance(widget, QToolButton)
            and widget.toolButtonStyle() != Qt.ToolButtonStyle.ToolButtonIconOnly):
        text = plain_text(widget)
        if not text:
            return None
        need = max(widget.fontMetrics().horizontalAdvance(line) for line in text.split("\n")) + 4
        if isinstance(widget, QToolButton) and not widget.icon().isNull() \
                and widget.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon:
            need += widget.iconSize().width()
        return f"needs {need} px, has {widget.width()}" if need > widget.width() else None
    return None


def area_problems(name: str, ref: QWidget, visible: QRect, big_type: bool) -> list[str]:
    """Problems of the widgets inside ``ref`` (a view or a tool bar) whose visible part, in
    ``ref``'s coordinates, is ``visible``."""
    problems = []
    widgets = [w for w in ref.findChildren(QWidget) if shown_in(ref, w) and not internal(w)]
    rects = {id(w): rect_in(ref, w) for w in widgets}
    for w in widgets:
        r = rects[id(w)]
        area = inner_scroll_area(ref, w)
        bound = QRect(visible)
        if area is not None and w is not area.viewport():
            port = rect_in(ref, area.viewport())
            # inside an inner scroll area: held to its viewport except where it scrolls
            left, right = ((bound.left(), bound.right()) if scrolls(area, Qt.Orientation.Horizontal)
                           else (port.left(), port.right()))
            top, bottom = ((bound.top(), bound.bottom()) if scrolls(area, Qt.Orientation.Vertical)
                           else (port.top(), port.bottom()))
            bound = QRect(QPoint(left, top), QPoint(right, bottom))
            if scrolls(area, Qt.Orientation.Horizontal) or scrolls(area, Qt.Orientation.Vertical):
                continue                       # scrolled content: judged by its area
        if not bound.adjusted(-1, -1, 1, 1).contains(r):
            problems.append(f"{name}: {type(w).__name__} {w.objectName()!r} "
                            f"{plain_text(w)[:30]!r} at {r.getRect()} outside {bound.getRect()}")
    controls = [w for w in widgets if isinstance(w, CONTROLS)
                and inner_scroll_area(ref, w) is None
                and not any(o is not w and o.isAncestorOf(w) for o in widgets
                            if isinstance(o, CONTROLS))]
    for w in controls:
        why = text_clipped(w)
        if why:
            problems.append(f"{name}: {type(w).__name__} {plain_text(w)[:40]!r} cut: {why}")
        if big_type and isinstance(w, (QLabel, QAbstractButton)) and plain_text(w).strip() \
                and QFontInfo(w.font()).pointSizeF() < MIN_PRESENTATION_PT:
            problems.append(f"{name}: {plain_text(w)[:30]!r} in "
                            f"{QFontInfo(w.font()).pointSizeF():.0f} pt, under 18 pt")
    for i, a in enumerate(controls):
        for b in controls[i + 1:]:
            if rects[id(a)].adjusted(1, 1, -1, -1).intersects(rects[id(b)]):
                problems.append(f"{name}: {type(a).__name__} {plain_text(a)[:30]!r} overlaps "
                                f"{type(b).__name__} {plain_text(b)[:30]!r}")
    return problems


def view_problems(window, name: str, big_type: bool) -> list[str]:
    dock = window.docks[name]
    frame = dock.widget()
    view = frame.view() if isinstance(frame, ViewFrame) else frame
    problems = []
    if not window.rect().adjusted(-1, -1, 1, 1).contains(rect_in(window, dock)):
        problems.append(f"{name}: dock at {rect_in(window, dock).getRect()} outside the window")
    if not view.isVisible():
        problems.append(f"{name}: raised but not visible")
    visible = view.rect()
    if isinstance(frame, ViewFrame):
        port = frame.viewport()
        if view.width() > port.width():
            problems.append(f"{name}: scrolls sideways ({view.width()} px view in a "
                            f"{port.width()} px frame)")
        # sideways only what the frame shows; downwards the whole view (the frame scrolls)
        visible = QRect(0, 0, min(view.width(), port.width()), view.height())
    return problems + area_problems(name, view, visible, big_type)


def tab_problems(window) -> list[str]:
    problems = []
    for bar in window.findChildren(QTabBar):
        if not bar.isVisible():
            continue
        for i in range(bar.count()):
            text = bar.tabText(i).replace("&", "")
            # the tab's text area: its rectangle less the style's padding
            need = bar.fontMetrics().horizontalAdvance(text) + bar.style().pixelMetric(
                QStyle.PixelMetric.PM_TabBarTabHSpace, None, bar) - 4
            if bar.tabRect(i).width() < need:
                problems.append(f"tab {text!r} cut to {bar.tabRect(i).width()} px "
                                f"(needs {need})")
    return problems


def toolbar_problems(window, big_type: bool) -> list[str]:
    problems = []
    for bar in window.findChildren(QToolBar):
        if not bar.isVisible():
            continue
        r = rect_in(window, bar)
        if not window.rect().adjusted(-1, -1, 1, 1).contains(r):
            problems.append(f"tool bar {bar.windowTitle()!r} at {r.getRect()} outside the window")
        problems += area_problems(f"tool bar {bar.windowTitle()!r}", bar, bar.rect(), big_type)
    return problems


def window_fit_problems(window, qtbot, presentation: bool) -> list[str]:
    """Every problem of the window, each view brought to the front in turn."""
    problems = []
    for name in window.docks:
        window.raise_dock(name)
        qtbot.wait(100)          # the raised view's deferred refresh and layout
        for _ in range(3):       # and every layout that refresh asked for, done now
            QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            qtbot.wait(20)
        problems += view_problems(window, name, presentation)
        problems += tab_problems(window)
    problems += toolbar_problems(window, presentation)
    return list(dict.fromkeys(problems))          # a tab problem once, not once per view


def open_at(qtbot, dataset, size, presentation: bool, monkeypatch=None):
    """The window as on a screen of ``size`` (the test screen is 1920x1080): built for that
    screen's area (its default size and dock proportions), then at that size."""
    area = QRect(0, 0, *size)
    if monkeypatch is not None:
        import cnnviz.app.window.docks as docks
        import cnnviz.app.window_settings as window_settings
        for module in (docks, window_settings):
            monkeypatch.setattr(module, "available_area", lambda _window: QRect(area))
    win = open_window(qtbot, dataset, restore_layout=False)
    # a digit on the pad: the preprocessing view's captions and predictions filled in
    win.views["drawing_pad"].draw_stroke([(60, 50), (180, 50), (165, 90), (115, 210)], 22)
    if presentation:
        win.set_presentation(True, persist=False)
        qtbot.wait(50)
        win.presentation.fit_to(area)
    else:
        fit_views_to(win, area, WIDE_VIEWS)
    qtbot.wait(50)
    win.resize(*size)
    qtbot.wait(200)
    return win


@pytest.mark.parametrize("presentation", [False, True], ids=["normal", "presentation"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_view_fits_the_window_at_classroom_sizes(qtbot, small_dataset, size, presentation,
                                                       monkeypatch):
    # presentation mode as built on a screen of that size; normal mode resized to it
    win = open_at(qtbot, small_dataset, size, presentation,
                  monkeypatch if presentation else None)
    try:
        hint = win.minimumSizeHint()
        if not presentation:       # opens (maximised, with a frame) inside the screen
            assert hint.width() <= size[0] - FRAME[0] and hint.height() <= size[1] - FRAME[1], \
                hint
        assert win.width() == size[0] and win.height() == size[1]
        problems = window_fit_problems(win, qtbot, presentation)
        assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
    finally:
        win.close()


@pytest.mark.parametrize("presentation", [False, True], ids=["normal", "presentation"])
def test_the_recording_bar_fits_with_a_usable_slider_at_1280x720(qtbot, small_dataset, recording,
                                                                  presentation, monkeypatch):
    """The timeline bar of an open recording: nothing overlapped or cut, and a slider a
    teacher can drag (it had 60 px left beside the buttons in large type)."""
    win = open_at(qtbot, small_dataset, (1280, 720), presentation, monkeypatch)
    try:
        assert win.replay.open(recording)
        bar = win.replay.bar
        qtbot.waitUntil(lambda: bar.isVisible() and bar.slider.width() > 0)
        qtbot.wait(100)
        problems = toolbar_problems(win, presentation)
        assert not problems, "\n".join(problems)
        assert bar.slider.width() >= 0.3 * bar.width(), (bar.slider.width(), bar.width())
    finally:
        win.replay.close()
        win.close()


def test_the_training_controls_do_not_scroll_sideways_while_training(qtbot, small_dataset):
    """Under Xvfb at 1280x720 the Training dock grew a horizontal scroll bar once training
    ran (Pause and Reset cut at its right edge): the rate in use, "now 0.0157596" beside
    the learning rate, widened its row. The controls fit while training as they do idle."""
    win = open_at(qtbot, small_dataset, (1280, 720), False)
    try:
        controls = win.controls
        frame = win.docks["controls"].widget()
        assert isinstance(frame, ViewFrame) and not scrolls(frame, Qt.Orientation.Horizontal)
        controls.epochs_spin.setValue(50)
        win.start_training()
        qtbot.waitUntil(lambda: controls.status_label.text().startswith("Training: step"),
                        timeout=30000)
        # a rate of the cosine schedule between two round numbers (as after a few batches)
        qtbot.waitUntil(lambda: len(controls.lr_now_label.text()) > len("now 0.02"),
                        timeout=30000)
        qtbot.wait(100)
        assert not scrolls(frame, Qt.Orientation.Horizontal), (
            controls.lr_now_label.text(), controls.minimumSizeHint(), frame.viewport().width())
    finally:
        win.stop_training()
        qtbot.waitUntil(lambda: not win.controller.active, timeout=30000)
        win.close()
