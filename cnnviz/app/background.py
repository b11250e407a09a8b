"""Heavy explain computations off the UI thread, one at a time, newest request wins.

``BackgroundJob.submit(tag, fn)`` runs ``fn()`` in a worker thread and emits
``finished(tag, result)`` (or ``failed(tag, message)``) on the UI thread. While one runs, a
new request waits; a newer one replaces it (a view asking again with fresher weights does
not queue stale work). ``fn`` must not touch Qt or the UI's network: give it a
``detached_copy`` of the network and copies of the arrays it needs.

Worker threads never signal a job directly: the job (and its view) may have been closed
and deleted by the time the work ends. They signal one app-wide relay that lives as long
as the process, and the relay hands the result to the job only if it still exists.

Python's cyclic garbage collector runs in whichever thread happens to allocate. Run in a
worker, it could destroy a closed view's Qt graphics items while the UI thread paints (a
crash seen in the tests). So while any job runs, automatic collection is paused; it resumes
on the UI thread when the last job reports back, unless automatic collection is off for
the whole process (``set_automatic_gc(False)``: the app collects from a timer instead).

Automatic collection is unsafe on the UI thread too: started by any allocation, it can
run inside Qt's own C++ code working on a closed window's objects (a graphics scene's
index updating its items' bounding rects calls pyqtgraph's Python ``boundingRect``) and
delete that window, scene included, under Qt's feet; Qt then delivered the scene index's
next timer event to freed memory (the segfault in ``QTimerInfoList::activateTimers`` of
tests/test_settings_restore.py). Before ``set_automatic_gc`` existed, jobs started while
the window was built (before the app turned collection off) turned it back on when they
ended.

At exit, before PyQt tears its wrappers down, the jobs still running are waited for (a few
seconds at most) and told not to report: a worker signalling during that teardown crashed
the interpreter on its way out.
"""

from __future__ import annotations

import atexit
import gc
import itertools
import threading
import weakref

from PyQt6 import sip
from PyQt6.QtCore import QEventLoop, QObject, Qt, QTimer, pyqtSignal


class _Relay(QObject):
    done = pyqtSignal(int, object, object, str)     # (job key, tag, result, error)


_RELAY: _Relay | None = None
_JOBS: "weakref.WeakValueDictionary[int, BackgroundJob]" = weakref.WeakValueDictionary()
_KEYS = itertools.count()
_RUNNING = 0                  # jobs started and not yet reported back (UI thread only)
_GC_WAS_ENABLED = True
_AUTOMATIC_GC = True          # the process's choice: False once the app collects on a timer
_THREADS: set[threading.Thread] = set()
_EXITING = threading.Event()
EXIT_WAIT_SECONDS = 5.0


@atexit.register      # registered after PyQt's own exit hook, so it runs before it
def _wait_for_workers() -> None:
    _EXITING.set()
    for thread in list(_THREADS):
        thread.join(EXIT_WAIT_SECONDS)


def finish_jobs(timeout_s: float = 30.0) -> bool:
    """Wait for every running job and deliver its result, and those of the jobs that the
    deliveries start (UI thread): True when none is left. Results of jobs whose owner is
    gone are dropped as usual."""
    import time

    from PyQt6.QtCore import QCoreApplication
    deadline = time.monotonic() + timeout_s
    while True:
        for thread in list(_THREADS):
            thread.join(max(0.0, deadline - time.monotonic()))
        QCoreApplication.sendPostedEvents()          # the relay's queued results
        if not _THREADS:
            return True
        if time.monotonic() >= deadline:
            return False


def _relay() -> _Relay:
    """The relay, created on first use (always from the UI thread: ``submit`` is)."""
    global _RELAY
    if _RELAY is None:
        _RELAY = _Relay()
        _RELAY.done.connect(_deliver, Qt.ConnectionType.QueuedConnection)
    return _RELAY


def set_automatic_gc(enabled: bool) -> None:
    """Turn Python's automatic garbage collection on or off for the process (UI thread
    only). Off, nothing turns it back on: the pause for running jobs and training threads
    ends with it still off. On, it stays paused while any of them runs."""
    global _AUTOMATIC_GC, _GC_WAS_ENABLED
    _AUTOMATIC_GC = bool(enabled)
    if _RUNNING:
        _GC_WAS_ENABLED = _AUTOMATIC_GC      # applied when the last one ends
    elif _AUTOMATIC_GC:
        gc.enable()
    else:
        gc.disable()


def automatic_gc() -> bool:
    """The process's choice of automatic garbage collection (``set_automatic_gc``)."""
    return _AUTOMATIC_GC


def collection_paused() -> bool:
    """A job or a training thread runs, so automatic collection is paused."""
    return _RUNNING > 0


def _job_started() -> None:
    global _RUNNING, _GC_WAS_ENABLED
    if _RUNNING == 0:
        _GC_WAS_ENABLED = gc.isenabled()
        gc.disable()
    _RUNNING += 1


def _job_ended() -> None:
    global _RUNNING
    _RUNNING -= 1
    if _RUNNING == 0 and _GC_WAS_ENABLED and _AUTOMATIC_GC:
        gc.enable()


def _deliver(key: int, tag, result, error: str) -> None:
    _job_ended()
    job = _JOBS.get(key)
    if job is not None and not sip.isdeleted(job):
        job._on_done(tag, result, error)


class BackgroundJob(QObject):
    finished = pyqtSignal(object, object)      # (tag, result)
    failed = pyqtSignal(object, str)           # (tag, one-line message)
    settled = pyqtSignal()                     # reported back with nothing left to run

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._running = False
        self._pending = None
        self._key = next(_KEYS)
        _JOBS[self._key] = self

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
        relay = _relay()
        _job_started()
        thread = threading.Thread(target=_run, args=(relay, self._key, tag, fn), daemon=True,
                                  name="cnnviz-explain")
        _THREADS.add(thread)
        thread.start()

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
        if not self.busy:
            self.settled.emit()


def wait_until_settled(jobs, timeout_s: float) -> list[BackgroundJob]:
    """Run the event loop until none of ``jobs`` is busy (woken by their ``settled``
    signals) or ``timeout_s`` has passed; return the jobs still busy then (empty: all done).
    Results are delivered meanwhile, so the views have drawn them when this returns."""
    import time
    deadline = time.monotonic() + timeout_s
    while True:
        busy = [job for job in jobs if not sip.isdeleted(job) and job.busy]
        left_ms = int((deadline - time.monotonic()) * 1000)
        if not busy or left_ms <= 0:
            return busy
        loop = QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        for job in busy:
            job.settled.connect(loop.quit)
        timer.start(left_ms)
        loop.exec()
        timer.stop()
        for job in busy:
            if not sip.isdeleted(job):
                job.settled.disconnect(loop.quit)


def _run(relay: _Relay, key: int, tag, fn) -> None:
    """The worker thread: compute, then report through the relay (which outlives views)."""
    try:
        result, error = fn(), ""
    except Exception as exc:            # reported as a message, never a crash
        result, error = None, f"{type(exc).__name__}: {exc}"
    try:
        if not _EXITING.is_set():
            relay.done.emit(key, tag, result, error)
    finally:
        _THREADS.discard(threading.current_thread())
