"""The main window's default dock layout, its minimum size and saving/restoring it."""

import pytest
from PyQt6.QtCore import QByteArray, QRect
from PyQt6.QtWidgets import QTabBar

from cnnviz.app.main_window import LAYOUT_GROUPS, LAYOUT_VERSION
from cnnviz.app.settings import app_settings
from cnnviz.app.state import is_exposed
from cnnviz.app.view_frame import view_of

import window_support
from window_support import open_window
from window_fit_checks import settle as settle_layout

SCREEN_W, SCREEN_H = 1600, 900


@pytest.fixture(scope="module")
def small_dataset():
    return window_support.small_dataset(200, 50)




@pytest.fixture
def window(qtbot, small_dataset):
    win = open_window(qtbot, small_dataset, restore_layout=False)
    yield win
    win.stop_training()
    win.close()


def group_of(window, name):
    dock = window.docks[name]
    return {name} | {n for n, d in window.docks.items()
                     if d in window.tabifiedDockWidgets(dock)}


def groups(window):
    return {frozenset(group_of(window, name)) for name in window.docks}


def assert_fits(window, when):
    hint = window.minimumSizeHint()
    assert hint.width() <= SCREEN_W and hint.height() <= SCREEN_H, (when, hint)


def test_default_layout_is_the_documented_tab_groups(window):
    assert groups(window) == {frozenset(names) for names in LAYOUT_GROUPS.values()}
    left = window.dockWidgetArea(window.docks["controls"])
    assert window.dockWidgetArea(window.docks["drawing_pad"]) == left
    assert window.dockWidgetArea(window.docks["activations"]) != left
    for names in LAYOUT_GROUPS.values():      # the first of each group is the one in front
        assert is_exposed(window.views[names[0]]), names[0]
        for name in names[1:]:
            assert not is_exposed(window.views[name]), name
    # the centre maps and the classroom group are both on screen, one above the other
    maps, classroom = window.docks["activations"], window.docks["preprocess_pipeline"]
    assert maps.geometry().bottom() < classroom.geometry().top()
    assert maps.geometry().left() < window.docks["loss_curves"].geometry().left()


def test_every_tab_title_is_short_and_reads_in_full(window):
    for name, dock in window.docks.items():
        assert len(dock.windowTitle()) <= 17, name
        assert window.view_title(name)
    bars = [b for b in window.findChildren(QTabBar) if b.parent() is window and b.isVisible()]
    assert bars
    for bar in bars:
        for i in range(bar.count()):
            rect, text = bar.tabRect(i), bar.tabText(i)
            assert rect.width() >= bar.fontMetrics().horizontalAdvance(text), text


def test_every_view_is_one_click_away(window, qtbot):
    view_actions = {a.text(): a for a in window.view_menu.actions()}
    for name, dock in window.docks.items():
        assert window.view_title(name) in view_actions, name
        # on screen, or behind a tab of a group whose front view is on screen
        tabbed = window.tabifiedDockWidgets(dock)
        assert is_exposed(view_of(dock)) or any(is_exposed(view_of(d)) for d in tabbed), name
    for name in window.docks:
        window.raise_dock(name)
        qtbot.waitUntil(lambda: is_exposed(window.views[name]), timeout=30000)


def test_minimum_size_fits_the_screen_after_step_and_presentation(window, qtbot):
    assert_fits(window, "built")
    view = window.views["step_explainer"]
    window.raise_dock("step_explainer")
    window.step_training()
    qtbot.waitUntil(lambda: view.detail is not None, timeout=15000)
    settle_layout(qtbot.wait, view)
    assert_fits(window, "after a Step")
    window.set_presentation(True, persist=False)
    settle_layout(qtbot.wait)
    window.set_presentation(False, persist=False)
    settle_layout(qtbot.wait)
    assert_fits(window, "after presentation on and off")
    assert groups(window) == {frozenset(names) for names in LAYOUT_GROUPS.values()}


def test_geometry_round_trip_does_not_drift(qtbot, small_dataset):
    first = open_window(qtbot, small_dataset)
    first.setGeometry(QRect(40, 60, 1400, 860))
    settle_layout(qtbot.wait)
    first.close()
    seen, saved = [], []
    for _launch in range(3):
        win = open_window(qtbot, small_dataset)
        settle_layout(qtbot.wait)
        seen.append((win.geometry(), win.frameGeometry()))
        win.close()
        saved.append(bytes(app_settings().value("window/geometry")))
    # (the offscreen screen is 800 px wide, so the first restore may move the window onto
    # it; from then on every launch opens exactly where the last one closed)
    assert seen[0] == seen[1] == seen[2]
    assert saved[0] == saved[1] == saved[2]
    assert not [k for k in app_settings().allKeys() if "pos" in k.lower()]


def test_a_layout_saved_in_presentation_mode_is_the_normal_one(qtbot, small_dataset):
    first = open_window(qtbot, small_dataset)
    first.tabifyDockWidget(first.docks["loss_curves"], first.docks["filters"])   # user's own
    normal = {frozenset(g) for g in groups(first)}
    first.set_presentation(True, persist=False)
    settle_layout(qtbot.wait)
    assert groups(first) != normal                       # the stage is another arrangement
    first.close()                                        # closed while presenting
    second = open_window(qtbot, small_dataset)
    assert groups(second) == normal
    assert not second.presentation.active
    second.close()


def test_a_layout_saved_by_an_older_version_is_ignored(qtbot, small_dataset):
    first = open_window(qtbot, small_dataset)
    first.tabifyDockWidget(first.docks["loss_curves"], first.docks["filters"])
    first.close()
    settings = app_settings()
    old_state = settings.value("window/state")
    assert isinstance(old_state, QByteArray)
    settings.setValue("window/layout_version", LAYOUT_VERSION - 1)
    settings.sync()
    second = open_window(qtbot, small_dataset)
    assert groups(second) == {frozenset(names) for names in LAYOUT_GROUPS.values()}
    second.close()
    # the same layout with the current version number is restored
    settings = app_settings()
    settings.setValue("window/state", old_state)
    settings.setValue("window/layout_version", LAYOUT_VERSION)
    settings.sync()
    third = open_window(qtbot, small_dataset)
    assert window_has(third, "loss_curves", "filters")
    third.close()


def window_has(window, a, b):
    return window.docks[b] in window.tabifiedDockWidgets(window.docks[a])


def test_shortcuts_dialog_is_a_two_column_table_that_does_not_wrap(qtbot):
    from cnnviz.app.dialogs import SHORTCUTS, ShortcutsDialog
    dialog = ShortcutsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    table = dialog.table
    assert (table.rowCount(), table.columnCount()) == (len(SHORTCUTS), 2)
    metrics = table.fontMetrics()
    for row, (key, text) in enumerate(SHORTCUTS):
        assert table.item(row, 0).text() == key and table.item(row, 1).text() == text
        # every description on one line, right of the key column, nothing cut off
        assert table.columnWidth(1) >= metrics.horizontalAdvance(text)
        assert table.rowHeight(row) < 2.2 * metrics.height()
    assert table.columnWidth(0) < table.columnWidth(1)
    assert table.viewport().width() >= table.columnWidth(0) + table.columnWidth(1) - 2


def test_menus_have_keyboard_accelerators(window):
    titles = [a.text() for a in window.menuBar().actions()]
    for title in ("&File", "&Training", "&View", "&Classroom", "&Help"):
        assert title in titles
