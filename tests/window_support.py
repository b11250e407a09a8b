"""Shared by the tests that drive the real main window: a small dataset and an open window."""

from __future__ import annotations

import functools

import pyqtgraph as pg

from cnnviz.app.main_window import MainWindow
from cnnviz.app.state import AppState
from cnnviz.data import Dataset, load_bundled
from cnnviz.nn import build_network

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)


@functools.lru_cache(maxsize=None)
def small_dataset(n_train: int, n_test: int) -> Dataset:
    """The first ``n_train`` / ``n_test`` digits of the bundled split: quick epochs."""
    ds = load_bundled()
    return Dataset("small", ds.train_images[:n_train], ds.train_labels[:n_train],
                   ds.test_images[:n_test], ds.test_labels[:n_test])


def open_window(qtbot, dataset: Dataset, restore_layout: bool = True, size=None) -> MainWindow:
    """A shown main window on a fresh seed-0 network and ``dataset``."""
    win = MainWindow(AppState(build_network(seed=0), dataset), restore_layout=restore_layout)
    qtbot.addWidget(win)
    if size is not None:
        win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    return win


def show_at(qtbot, widget, size):
    """``widget`` shown at ``size`` (width, height) and exposed; closed after the test."""
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def view_in_window(qtbot, view_class, state: AppState, size, placed: bool = False):
    """A ``view_class(state)`` view in its own window at ``size``, shown and exposed;
    ``placed``: also wait until it has placed its panels (``view.placements``)."""
    view = show_at(qtbot, view_class(state), size)
    if placed:
        qtbot.waitUntil(lambda: bool(view.placements), timeout=30000)
    return view
