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


def start_again_while_stopping(qtbot, window) -> object:
    """Stop the running run (Esc) and press Start (Space) before the UI heard of the stop;
    return once a new run is running. Returns the stopped run's worker."""
    first = window.controller.worker
    window.controller.stop()                        # Esc...
    window.controls.start_button.click()            # ...and Space before the UI heard of it
    qtbot.waitUntil(lambda: window.controller.worker is not None
                    and window.controller.worker is not first, timeout=20000)
    qtbot.waitUntil(lambda: window.controller.state == "running", timeout=20000)
    return first
