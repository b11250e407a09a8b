"""A comparison of architectures (``cnnviz.training.compare``) trained in its own QThread.

The training loop is ``Comparison.step()`` (each model's own ``Trainer``, one mini-batch each
in turn); ``CompareWorker`` only runs it in a thread and reports. One thread for all models,
not one per model: they then take turns on the same cores, so their images/s compare fairly,
and there is one thread to stop and join.

Thread rules as for the training worker (``worker.py``): the thread is held in ``_LIVE``
(``keep_until_joined``) until it has ended and been joined, so closing the window or the view
mid-run never destroys it running; a stop is honoured between mini-batches and between the
chunks of an evaluation; an exception ends the run with a message, never an abort. The main
model is never touched: every model in a comparison has its own fresh network.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback

from PyQt6.QtCore import QObject, Qt, QThread, pyqtSignal

from ..training import TrainingInterrupted
from ..training.compare import Comparison
from .worker import keep_until_joined


class CompareWorker(QObject):
    """Runs ``comparison`` in whatever thread executes ``run()``.

    Signals (queued to the UI thread): ``progressed((run_id, [ModelRun copies]))`` at most
    every ``interval`` seconds and once at the end; ``finished((run_id, outcome))`` always
    last, ``outcome`` one of "completed", "stopped" or "error: <message>".
    """

    progressed = pyqtSignal(object)
    finished = pyqtSignal(object)

    def __init__(self, comparison: Comparison, run_id: int, interval: float = 0.25) -> None:
        super().__init__()
        self.comparison = comparison
        self.run_id = run_id
        self.interval = interval
        self._stop = threading.Event()
        comparison.should_stop = self._stop.is_set

    def stop(self) -> None:
        """Thread-safe: end after the current mini-batch (or evaluation chunk)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        outcome = "stopped"
        try:
            self.comparison.start()
            self._report()
            last = time.perf_counter()
            while not self.comparison.finished and not self._stop.is_set():
                self.comparison.step()
                if time.perf_counter() - last >= self.interval:
                    self._report()
                    last = time.perf_counter()
            if self.comparison.finished:
                outcome = "completed"
        except TrainingInterrupted:
            pass                            # stopped during an evaluation
        except Exception as exc:            # a bug or a bad value: report it, never abort
            traceback.print_exc(file=sys.stderr)
            outcome = f"error: {type(exc).__name__}: {exc}"
        finally:
            try:
                self._report()
            finally:
                self.finished.emit((self.run_id, outcome))

    def _report(self) -> None:
        self.progressed.emit((self.run_id, [run.copy() for run in self.comparison.runs]))


def start_comparison(comparison: Comparison, run_id: int, on_progress, on_finished,
                     interval: float = 0.25) -> tuple[QThread, CompareWorker]:
    """Start ``comparison`` in a new thread; ``on_progress`` / ``on_finished`` (bound methods
    of a QObject living in the UI thread, so a deleted receiver is disconnected by Qt) get the
    worker's signals. The thread is kept until joined."""
    worker = CompareWorker(comparison, run_id, interval)
    thread = QThread()
    thread.setObjectName("cnnviz-compare")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    # quit from the worker thread itself: the thread ends even while the UI thread waits
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    worker.progressed.connect(on_progress)
    worker.finished.connect(on_finished)
    keep_until_joined(thread, worker)
    thread.start()
    return thread, worker
