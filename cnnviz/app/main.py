"""Start the desktop app: ``run_app()`` (what ``cnnviz`` with no arguments runs)."""

from __future__ import annotations

import gc
import os
import sys
import time

# How often CPython offers the GIL to a waiting thread (its default is 5 ms). The UI thread
# waits that long for the training worker after every timer or input event; see
# ``cnnviz bench --gui`` (``CNNVIZ_SWITCH_INTERVAL_MS`` overrides it, for measuring).
SWITCH_INTERVAL_S = 0.005


def tune_interpreter() -> None:
    """Set the GIL switch interval the app runs with."""
    value = os.environ.get("CNNVIZ_SWITCH_INTERVAL_MS")
    sys.setswitchinterval(float(value) / 1000 if value else SWITCH_INTERVAL_S)


def load_startup_state():
    """The bundled data and model as an ``AppState`` plus a note for the status bar."""
    from ..data import load_bundled
    from ..nn import build_network, load_checkpoint
    from ..resources import resource_path
    from .state import AppState, checkpoint_training

    note = ""
    dataset = load_bundled()
    model_path = resource_path("model", "lenet.npz")
    try:
        net, name = load_checkpoint(model_path), model_path.name
    except Exception as exc:      # missing or unreadable: train from scratch instead
        net, name = build_network("lenet"), "new lenet (seed 0)"
        note = (f"No bundled model ({exc}); starting from random weights: press Start to train."
                if model_path.exists() else
                "No bundled model found; starting from random weights: press Start to train.")
    state = AppState(net, dataset)
    state.model_name = name
    if not note:
        state.pretrained, state.model_accuracy = checkpoint_training(model_path)
    return state, note


def open_main_window(restore_layout: bool = True, size: tuple[int, int] | None = None):
    """The main window on the bundled data and model, shown (a QApplication must exist).

    Also what ``cnnviz bench --gui`` measures, so it is the window users get.
    """
    import pyqtgraph as pg
    from PyQt6.QtWidgets import QApplication
    from pyqtgraph.util.garbage_collector import GarbageCollector

    from .background import set_automatic_gc
    from .main_window import MainWindow

    pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)
    tune_interpreter()
    state, note = load_startup_state()
    window = MainWindow(state, restore_layout=restore_layout)
    if note:
        window.statusBar().showMessage(note)
    if size is not None:
        window.resize(*size)
    window.show()
    watch_window_gone(window)
    QApplication.processEvents()
    # Everything built so far lives as long as the app: stop the collector scanning it, which
    # otherwise stalls the UI for ~40 ms at a time while the worker allocates.
    gc.freeze()
    # Collect cycles only on the UI thread, from a timer: a collection triggered in the
    # training thread would destroy widgets there (their timers then fire into freed memory),
    # and one triggered inside Qt's code could delete what that code works on (background.py).
    window.gc_guard = GarbageCollector(interval=1.0)
    set_automatic_gc(False)     # the jobs the window started must not turn it back on
    return window


def watch_window_gone(window) -> None:
    """Exit (saving) when the X server destroys the window without a close request."""
    from PyQt6.QtWidgets import QApplication

    from .lifecycle import WindowGoneWatcher

    window.gone_watcher = WindowGoneWatcher(window, window.window_gone)
    QApplication.instance().installNativeEventFilter(window.gone_watcher)


def run_app(argv: list[str] | None = None, recording=None) -> int:
    """Open the main window with the bundled data and model (and the ``recording`` file, if
    given, on its timeline bar); return the exit code."""
    started = time.perf_counter()
    from .display import display_problem
    problem = display_problem()
    if problem is not None:             # Qt would abort the process, blaming a library
        print(f"cnnviz: error: {problem}", file=sys.stderr)
        return 1
    from PyQt6.QtGui import QIcon
    from PyQt6.QtWidgets import QApplication

    from ..resources import resource_path
    from .blas import limit_blas_threads_for_app

    limit_blas_threads_for_app(1)     # measured faster and smoother here (cnnviz bench --gui)

    argv = list(sys.argv if argv is None else argv)
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("cnnviz")
    app.setOrganizationName("cnnviz")
    app.setApplicationDisplayName("cnnviz")
    icon_path = resource_path("icons", "cnnviz.svg")
    if icon_path.exists():
        app.setWindowIcon(QIcon(str(icon_path)))

    from .worker import join_training_threads

    window = open_main_window()
    window.startup_seconds = time.perf_counter() - started
    if recording is not None:
        window.replay.open(recording)
    code = app.exec()
    join_training_threads()       # a QThread destroyed while it runs would abort the exit
    delete_window(window)
    return code


def delete_window(window) -> None:
    """Destroy the closed window and all its views now, while Qt and PyQt are intact.

    Left to the interpreter's exit, PyQt's teardown walked wrappers of objects that were
    already gone and crashed (exit code 139) in 2 of 3 quits once the window held the
    explain views too; deleted here, 6 of 6 quits exited with 0.
    """
    from PyQt6 import sip
    if not sip.isdeleted(window):
        sip.delete(window)


if __name__ == "__main__":
    sys.exit(run_app())
