"""The whole window at classroom screen sizes, normal and presentation mode: it fits the
screen, and every view, brought to the front in turn, keeps its labels and buttons inside
the view, apart from each other and in full (a view smaller than its content scrolls).
"""

from __future__ import annotations

import pytest
from PyQt6.QtCore import QRect
from PyQt6.QtGui import QFontInfo
from PyQt6.QtWidgets import (QAbstractButton, QAbstractScrollArea, QAbstractSpinBox, QComboBox, QLabel, QSlider,
                             QTabBar, QWidget)

from cnnviz.app.main_window import WIDE_VIEWS
from cnnviz.app.view_frame import fit_views_to

import window_support
from window_support import open_window

SIZES = [(1280, 720), (1366, 768), (1920, 1080)]
FRAME = (8, 32)          # a window manager's borders and title bar, px
CONTROLS = (QLabel, QAbstractButton, QAbstractSpinBox, QComboBox, QSlider)


@pytest.fixture(scope="module")
def small_dataset():
    return window_support.small_dataset(200, 50)


def rect_in(view: QWidget, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(view, widget.rect().topLeft()), widget.size())


def controls_of(view: QWidget) -> list[QWidget]:
    """The visible labels, buttons and fields of ``view`` (not those inside another one)."""
    found = [w for w in view.findChildren(QWidget) if isinstance(w, CONTROLS)
             and w.isVisibleTo(view) and w.width() > 0 and w.height() > 0]
    return [w for w in found
            if not any(o is not w and o.isAncestorOf(w) for o in found)
            and not inside_scroll_area(view, w)
            and not isinstance(w.parentWidget(), (QAbstractSpinBox, QComboBox))]


def inside_scroll_area(view, widget) -> bool:
    """Inside a scroll area of the view: clipped and scrolled by design."""
    parent = widget.parentWidget()
    while parent is not None and parent is not view:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def label_text(widget) -> str:
    text = widget.text() if hasattr(widget, "text") else ""
    return text if "<" not in text and "\n" not in text else ""


def check_view(name: str, view: QWidget) -> list[str]:
    problems = []
    frame = view.rect()
    widgets = controls_of(view)
    rects = {id(w): rect_in(view, w) for w in widgets}
    for w in widgets:
        if not frame.adjusted(-1, -1, 1, 1).contains(rects[id(w)]):
            problems.append(f"{name}: {type(w).__name__} {label_text(w)!r} {rects[id(w)]} "
                            f"outside the view {frame}")
        text = label_text(w)
        if isinstance(w, QLabel) and text and not w.wordWrap() and w.pixmap().isNull():
            if w.fontMetrics().horizontalAdvance(text) > w.contentsRect().width() + 2:
                problems.append(f"{name}: label {text!r} cut ({w.width()} px)")
        if isinstance(w, QAbstractButton) and text and not w.icon().isNull() is False:
            if w.fontMetrics().horizontalAdvance(text.replace("&", "")) > w.width() - 4:
                problems.append(f"{name}: button {text!r} cut ({w.width()} px)")
    for i, a in enumerate(widgets):
        for b in widgets[i + 1:]:
            ra, rb = rects[id(a)].adjusted(1, 1, -1, -1), rects[id(b)]
            if ra.intersects(rb):
                problems.append(f"{name}: {type(a).__name__} {label_text(a)!r} overlaps "
                                f"{type(b).__name__} {label_text(b)!r}")
    return problems


def check_tabs(window) -> list[str]:
    problems = []
    for bar in window.findChildren(QTabBar):
        if bar.parent() is window and bar.isVisible():
            for i in range(bar.count()):
                text = bar.tabText(i)
                if bar.tabRect(i).width() < bar.fontMetrics().horizontalAdvance(text):
                    problems.append(f"tab {text!r} cut to {bar.tabRect(i).width()} px")
    return problems


@pytest.mark.parametrize("presentation", [False, True], ids=["normal", "presentation"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_view_fits_the_window_at_classroom_sizes(qtbot, small_dataset, size, presentation):
    win = open_window(qtbot, small_dataset, restore_layout=False)
    try:
        if presentation:
            win.set_presentation(True, persist=False)
            qtbot.wait(50)
        # as on a screen of that size (the test screen is 1920x1080)
        fit_views_to(win, QRect(0, 0, *size), WIDE_VIEWS)
        qtbot.wait(50)
        win.resize(*size)
        qtbot.wait(200)
        hint = win.minimumSizeHint()
        if not presentation:       # opens (maximised, with a frame) inside the screen
            assert hint.width() <= size[0] - FRAME[0] and hint.height() <= size[1] - FRAME[1], \
                hint
        assert win.width() == size[0] and win.height() == size[1]
        problems = []
        for name in win.docks:
            win.raise_dock(name)
            qtbot.wait(30)
            view = win.views[name]
            problems += check_view(name, view)
            if presentation:
                small = [label_text(w) for w in controls_of(view)
                         if isinstance(w, (QLabel, QAbstractButton)) and label_text(w)
                         and QFontInfo(w.font()).pointSizeF() < 17.5]
                if small:
                    problems.append(f"{name}: text under 18 pt: {small[:3]}")
        problems += check_tabs(win)
        assert not problems, "\n".join(problems)
    finally:
        win.close()
