"""One registry row adds a view: its dock, View menu entry, layout group, Classroom entry and
presentation mode's stage all follow from the row."""

import pytest
from PyQt6.QtWidgets import QDockWidget

from cnnviz.app.main_window import MainWindow
from cnnviz.app.state import AppState
from cnnviz.app.view_registry import (CLASSROOM_KEYS, GROUPS, VIEWS, ViewSpec, layout_groups,
                                      view_spec)
from cnnviz.nn import build_network

import window_support

HELLO = '''
from PyQt6.QtWidgets import QLabel


class HelloView(QLabel):
    """A view of the probe's predicted class, in one line."""

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        state.traceChanged.connect(self.refresh)
        self.refresh()

    def refresh(self, *_):
        self.setText(f"predicts {int(self.state.probabilities.argmax())}")
'''


@pytest.fixture
def hello_row(tmp_path, monkeypatch):
    package = tmp_path / "extra_views"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "hello.py").write_text(HELLO)
    monkeypatch.syspath_prepend(str(tmp_path))
    return ViewSpec("hello", "Hello, network", "Hello", "extra_views.hello", "HelloView",
                    group="results", classroom="explain")


def _texts(menu) -> list[str]:
    return [a.text() for a in menu.actions()]


def _tab_group(window, name) -> set[str]:
    dock = window.docks[name]
    names = {n for n, d in window.docks.items() if d in window.tabifiedDockWidgets(dock)}
    return names | {name}


def test_every_row_loads_its_view_class():
    for spec in VIEWS:
        cls = spec.load()
        assert cls.__name__ == spec.cls
    names = [s.name for s in VIEWS]
    assert len(set(names)) == len(names)
    keys = [s.key for s in VIEWS if s.key is not None]
    assert sorted(keys) == list(range(1, len(keys) + 1))        # 1..n, none twice
    assert [view_spec(n).key for n in CLASSROOM_KEYS] == list(range(1, len(CLASSROOM_KEYS) + 1))


def test_a_row_that_names_no_known_group_or_a_key_without_a_role_is_refused():
    with pytest.raises(ValueError, match="group 'sidebar'"):
        ViewSpec("x", "X", "X", "x", "X", group="sidebar")
    with pytest.raises(ValueError, match="key 3"):
        ViewSpec("x", "X", "X", "x", "X", group="results", key=3)
    assert set(layout_groups()) == set(GROUPS)


def test_one_row_adds_a_dock_a_menu_entry_a_layout_place_and_a_stage_tab(qtbot, hello_row):
    ds = window_support.small_dataset(100, 20)
    window = MainWindow(AppState(build_network(seed=0), ds), restore_layout=False,
                        views=[*VIEWS, hello_row])
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    qtbot.waitExposed(window)
    view = window.views["hello"]
    assert type(view).__name__ == "HelloView"
    assert view.text() == f"predicts {int(window.state.probabilities.argmax())}"
    dock = window.docks["hello"]
    assert isinstance(dock, QDockWidget) and dock.objectName() == "helloDock"
    assert dock.windowTitle() == "Hello"
    assert "Hello, network" in _texts(window.view_menu)
    classroom = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Classroom")
    assert "Hello, network" in _texts(classroom)
    # the default layout: a tab of the results group
    assert _tab_group(window, "hello") == set(layout_groups([*VIEWS, hello_row])["results"])
    # presentation mode: a tab of the one stage, as every view is, and a place in its order
    window.set_presentation(True, persist=False)
    try:
        stage = _tab_group(window, "activations")
        assert "hello" in stage and stage == set(window.docks)
        window.raise_dock("hello")
        qtbot.waitUntil(lambda: not view.visibleRegion().isEmpty(), timeout=30000)
    finally:
        window.set_presentation(False, persist=False)
    window.close()
