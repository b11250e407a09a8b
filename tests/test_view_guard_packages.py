"""ViewGuard finds the view an exception came from when the view is a package
(``views/step_explainer/routing_tab.py``) as well as when it is one module."""

import sys
from pathlib import Path

from PyQt6.QtWidgets import QWidget

import cnnviz.app.view_guard as view_guard
from cnnviz.app.state import AppState
from cnnviz.nn import build_network


def traceback_from(path: Path):
    """The traceback of an exception raised by code compiled as if it were in ``path``."""
    namespace: dict = {}
    exec(compile("def fail():\n    raise ValueError('boom')\n", str(path), "exec"), namespace)
    try:
        namespace["fail"]()
    except ValueError:
        return sys.exc_info()[2]
    raise AssertionError("no exception")


def test_a_failure_in_a_view_package_file_is_that_views(qtbot):
    state = AppState(build_network("tiny"))
    views = {"step_explainer": QWidget(), "filters": QWidget()}
    for view in views.values():
        qtbot.addWidget(view)
    guard = view_guard.ViewGuard(views, state, {"step_explainer": "step_explainer",
                                                "filters": "filters"})
    try:
        views_dir = Path(view_guard.__file__).resolve().parent / "views"
        assert guard._view_of(traceback_from(views_dir / "step_explainer" / "routing_tab.py")) \
            == "step_explainer"
        assert guard._view_of(traceback_from(views_dir / "filters.py")) == "filters"
        assert guard._view_of(traceback_from(views_dir / "other" / "thing.py")) is None
    finally:
        guard.uninstall()
