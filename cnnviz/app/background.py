"""Heavy explain computations off the UI thread, one at a time, newest request wins.

``BackgroundJob.submit(tag, fn)`` runs ``fn()`` in a worker thread and emits
``finished(tag, result)`` (or ``failed(tag, message)``) on the UI thread. While one runs, a
new request waits; a newer one replaces it (a view asking again with fresher weights does
not queue stale work). ``fn`` must not touch Qt or the UI's network: give it a
``detached_copy`` of the network and copies of the arrays it needs.
"""

from __future__ import annotations

import threading

from PyQt6.QtCore import QObject, Qt, pyqtSignal


class BackgroundJob(QObject):
    finished = pyqtSignal(object, object)      # (tag, result)
    failed = pyqtSignal(object, str)           # (tag, one-line message)
    _done = pyqtSignal(object, object, str)    # worker thread -> UI thread

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._running = False
        self._pending = None
        self._done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        """True while a computation runs or waits."""
        return self._running or self._pending is not None

    def submit(self, tag, fn) -> None:
        if self._running:
            self._pending = (tag, fn)
            return
        self._start(tag, fn)

    def _start(self, tag, fn) -> None:
        self._running = True
        threading.Thread(target=self._run, args=(tag, fn), daemon=True,
                         name="cnnviz-explain").start()

    def _run(self, tag, fn) -> None:
        try:
            result, error = fn(), ""
        except Exception as exc:            # reported as a message, never a crash
            result, error = None, f"{type(exc).__name__}: {exc}"
        try:
            self._done.emit(tag, result, error)
        except RuntimeError:                # the view was closed meanwhile
            pass

    def _on_done(self, tag, result, error: str) -> None:
        self._running = False
        if error:
            self.failed.emit(tag, error)
        else:
            self.finished.emit(tag, result)
        if self._pending is not None and not self._running:
            tag, fn = self._pending
            self._pending = None
            self._start(tag, fn)
