"""Training in a worker thread: the worker owns the network, the UI gets copies.

``TrainingWorker`` is a QObject moved to a QThread. Its ``run()`` loop trains one mini-batch
at a time and, between batches, honours the requests the UI thread makes by calling
``pause() / resume() / step() / stop() / set_learning_rate() / set_momentum()`` (plain
thread-safe methods: the worker's thread is busy in the loop, so it has no event loop to
receive queued slots). A paused worker sleeps on a ``threading.Event`` without spinning.

At most every ``snapshot_interval`` seconds it emits ``snapshotReady(Snapshot)`` holding copies
of the weights and the batch losses since the previous snapshot. The UI keeps only the newest
snapshot's weights and draws on a timer (``TrainingController``).

Lifecycle rules (a QThread destroyed while it runs aborts the process):

* every started thread is held in ``_LIVE`` until it has ended and been joined, whatever
  happens to the controller that started it (``abandon()``, a closed window);
* a stop request is honoured between batches and between the chunks of the epoch-end
  evaluation (``Trainer.should_stop``), so within about one chunk's time;
* an exception inside training ends the run with ``errored(message)``, never an abort;
* the controller tells runs apart by the worker object bound into each connection (never by
  ``QObject.sender()``, which may point at a deleted worker), so signals still queued from an
  abandoned run are dropped.
"""

from __future__ import annotations

import functools
import math
import sys
import threading
import time
import traceback

import numpy as np
from PyQt6.QtCore import QObject, Qt, QThread, QTimer, pyqtSignal

from ..nn.network import Network
from ..nn.presets import TrainConfig
from ..training import DivergenceError, Trainer, TrainingInterrupted
from ..training.pacing import Pacing
from .timeline import timeline_keys, wants_step
from ..training.snapshot import Snapshot, detailed_step
# one count shared with the explain jobs: no automatic garbage collection while any worker
# thread runs (a collection there would destroy closed widgets off the UI thread)
from .background import _job_ended as _resume_gc, _job_started as _pause_gc
from .state import refresh_queue

RATE_SMOOTHING = 0.05     # weight of the newest batch in the images/s moving average
# While paused, the next step is drawn no sooner than this many times the previous drawing's
# cost after it (drawing a step explained in every view takes 10-150 ms on a loaded 2-core
# machine; at 3 the UI thread spends at most about a third of its time on them).
STEP_SHOW_SPACING = 3.0
FINISHED_JOIN_MS = 5000   # how long "finished" waits for its thread to return (it is at once)


class TrainingWorker(QObject):
    """Runs a ``Trainer`` in whatever thread executes ``run()``.

    Signals (delivered queued to the UI thread):
      snapshotReady(Snapshot), epochFinished(EpochEvent), diverged(str message),
      stepped(StepDetail) after a single step (one for a burst of Steps requested faster
      than they train: the newest), errored(str message) when an unexpected exception ended
      the run, stateChanged(str) with "running", "paused" or "stopped", finished(bool
      completed) when ``run()`` returns (always, also after an error).
    """

    snapshotReady = pyqtSignal(object)
    epochFinished = pyqtSignal(object)
    diverged = pyqtSignal(str)
    stepped = pyqtSignal(object)
    errored = pyqtSignal(str)
    stateChanged = pyqtSignal(str)
    finished = pyqtSignal(bool)

    def __init__(self, net: Network, train_images: np.ndarray, train_labels: np.ndarray,
                 test_images: np.ndarray, test_labels: np.ndarray, config: TrainConfig,
                 start_paused: bool = False, snapshot_interval: float = 0.1,
                 pacing: Pacing | None = None) -> None:
        super().__init__()
        self.pacing = pacing or Pacing()
        self._batch_started: float | None = None
        # timeline records (step, epoch, conv weights, probe probabilities, probe): dense at
        # the start of a run (``wants_step``), sent with the next snapshot
        self._records: list[tuple] = []
        self._probe: np.ndarray | None = None
        self._timeline_keys = timeline_keys(net)        # every conv layer's parameters
        self.trainer = Trainer(net, train_images, train_labels, test_images, test_labels, config)
        self.trainer.should_stop = lambda: self._stop
        self.net = net
        self.snapshot_interval = snapshot_interval
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._paused = start_paused
        self._stop = False
        self._steps_pending = 0
        self._new_lr: float | None = None
        self._new_momentum: float | None = None
        self._buffer: list[tuple[int, float, float]] = []
        self._last_emit = time.perf_counter()
        # images/s from the trainer's own batch times (a moving average), so time spent
        # paused, waiting for a Step or evaluating never counts as training time
        self._ips = float("nan")

    # -- requests from the UI thread (thread-safe) -------------------------------------------
    def pause(self) -> None:
        with self._lock:
            self._paused = True
        self._wake.set()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            self._steps_pending = 0
        self._wake.set()

    def step(self) -> None:
        """Train exactly one more mini-batch, then stay paused."""
        with self._lock:
            self._paused = True
            self._steps_pending += 1
        self._wake.set()

    def stop(self) -> None:
        with self._lock:
            self._stop = True
        self._wake.set()

    def set_learning_rate(self, lr: float) -> None:
        """Applies from the next batch (validated now, so a bad value raises here)."""
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError(f"learning rate must be a positive number, got {lr}")
        with self._lock:
            self._new_lr = lr

    def set_momentum(self, momentum: float) -> None:
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        with self._lock:
            self._new_momentum = momentum

    def set_probe(self, image: np.ndarray | None) -> None:
        """The digit ``(28, 28)`` whose probabilities the timeline records (None: none)."""
        with self._lock:
            self._probe = None if image is None else np.array(image, np.float32)

    @property
    def paused(self) -> bool:
        with self._lock:
            return self._paused

    @property
    def stopping(self) -> bool:
        """A stop was requested (the thread may still be finishing a batch)."""
        with self._lock:
            return self._stop

    # -- the loop (worker thread) -----------------------------------------------------------
    def run(self) -> None:
        """Train until stopped or finished; always ends with "stopped" and ``finished``."""
        completed, error = False, None
        self.pacing.add_listener(self._wake.set)    # a new pace applies at once
        try:
            completed = self._loop()
        except TrainingInterrupted:
            pass                  # a stop arrived during the epoch-end evaluation
        except Exception as exc:  # a bug or a bad value: report it, never abort the app
            traceback.print_exc(file=sys.stderr)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            self.pacing.remove_listener(self._wake.set)
        try:
            if error is None:
                self._emit_snapshot()
            else:                 # the weights may be half-updated: the UI keeps the last
                self.errored.emit(error)    # snapshot it received, taken between batches
            for observer in self.trainer.observers:       # e.g. a RunRecorder: write its end
                if hasattr(observer, "close"):
                    observer.close(self.trainer, completed=completed)
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            self.errored.emit(f"{type(exc).__name__}: {exc}")
        finally:
            self.stateChanged.emit("stopped")
            self.finished.emit(completed)

    def _loop(self) -> bool:
        """The batches; True when every epoch was trained."""
        completed = False
        self.stateChanged.emit("paused" if self._paused else "running")
        was_paused = self._paused
        while True:
            with self._lock:
                if self._stop:
                    break
                single = False
                if self._paused and self._steps_pending:
                    self._steps_pending -= 1
                    single = True
                elif self._paused:
                    self._wake.clear()      # cleared under the lock: no request is lost
                wait = self._paused and not single
                # a slow pace: wait the rest of this batch's time (a request wakes it early)
                pace_wait = 0.0 if wait or single else self.pacing.delay(self._batch_started)
                if pace_wait > 0:
                    self._wake.clear()
                lr, self._new_lr = self._new_lr, None
                momentum, self._new_momentum = self._new_momentum, None
            if lr is not None:
                self.trainer.set_learning_rate(lr)
            if momentum is not None:
                self.trainer.set_momentum(momentum)
            if wait:
                if not was_paused:
                    self._emit_snapshot()
                    self.stateChanged.emit("paused")
                    was_paused = True
                self._wake.wait()
                continue
            if pace_wait > 0:
                if was_paused:
                    self.stateChanged.emit("running")
                    was_paused = False
                self._wake.wait(pace_wait)
                continue
            if was_paused and not single:
                self.stateChanged.emit("running")
                self._last_emit = time.perf_counter()
                was_paused = False
            detail = None
            self._batch_started = time.perf_counter()
            try:
                if single:
                    detail = self._single_step()
                else:
                    self._train_one()
            except DivergenceError as exc:
                if getattr(exc, "result", None) is not None:
                    self._account(exc.result)   # a dead run's last step counted: show it
                with self._lock:
                    self._paused = True
                    self._steps_pending = 0
                self._emit_snapshot()
                self.diverged.emit(str(exc))
                continue
            # a step's detail goes after its snapshot: the views then show the same weights
            if detail is not None \
                    or time.perf_counter() - self._last_emit >= self.snapshot_interval:
                self._emit_snapshot(detail_follows=detail is not None)
            if detail is not None:
                self.stepped.emit(detail)
            if self.trainer.finished:
                completed = True
                break
            if self.trainer.batch == 0 and not single and self.pacing.pause_each_epoch:
                with self._lock:                # an epoch just ended: stop there for a talk
                    self._paused = True
        return completed

    def _more_steps(self) -> bool:
        with self._lock:
            return self._steps_pending > 0

    def _train_one(self) -> float:
        return self._account(self.trainer.step())

    def _account(self, result) -> float:
        """Book one trained batch: its loss for the next snapshot, its rate, an epoch's end."""
        b = result.batch
        self._buffer.append((b.step, b.epoch_progress, b.loss))
        if wants_step(b.step):
            self._record_step(b.step, b.epoch_progress)
        self._note_rate(b.images_per_second)
        if result.epoch is not None:
            self.epochFinished.emit(result.epoch)
        return b.loss

    def _record_step(self, step: int, epoch_progress: float) -> None:
        """Keep the conv weights after ``step`` and, if a probe is set, its probabilities."""
        params = self.net.params
        with self._lock:
            probe = self._probe
        probs = None
        if probe is not None:
            with np.errstate(all="ignore"):
                probs = self.net.predict_proba(probe[None, None].astype(self.net.dtype))[0]
        conv = {k: params[k].copy() for k in self._timeline_keys}
        self._records.append((step, epoch_progress, conv, probs, probe))

    def _single_step(self):
        """One batch, with the before/after detail the classroom views explain. Of a burst of
        Steps requested faster than they train only the last records its detail: the UI
        shows the newest anyway, and each detail holds two copies of every weight."""
        if self._more_steps():
            self._train_one()
            return None
        result, detail = detailed_step(self.trainer)
        self._account(result)
        return detail

    def _note_rate(self, images_per_second: float) -> None:
        """Fold one batch's measured rate into the moving average (of seconds per image,
        so a slow batch weighs as much as its time)."""
        if not (images_per_second > 0 and math.isfinite(images_per_second)):
            return
        seconds = 1.0 / images_per_second
        if math.isfinite(self._ips):
            seconds = (1 - RATE_SMOOTHING) / self._ips + RATE_SMOOTHING * seconds
        self._ips = 1.0 / seconds

    def _emit_snapshot(self, detail_follows: bool = False) -> None:
        now = time.perf_counter()
        t = self.trainer
        compute = t.config.batch_size / self._ips if self._ips and math.isfinite(self._ips) \
            else float("nan")                  # seconds a batch computes; the pace may wait more
        eta = self.pacing.seconds_left(t.total_steps - t.step_count, compute)
        steps, progress, losses = (zip(*self._buffer) if self._buffer else ((), (), ()))
        snapshot = Snapshot.create(
            self.net.params, list(steps), list(progress), list(losses),
            step=t.step_count, epoch=t.epoch, batch=t.batch,
            batches_per_epoch=t.batches_per_epoch, total_steps=t.total_steps,
            images_per_second=self._ips, lr=t.current_lr, eta_seconds=eta,
            finished=t.finished, detail_follows=detail_follows)
        if self._records:
            snapshot.extra["timeline"], self._records = self._records, []
        self._buffer = []
        self._last_emit = now
        self.snapshotReady.emit(snapshot)


# Every started run, ``id(thread) -> (thread, worker)``, until its thread has ended and been
# joined: a QThread whose last reference goes while it runs aborts the process.
_LIVE: dict[int, tuple[QThread, TrainingWorker]] = {}


def live_training_threads() -> list[QThread]:
    """The threads of every run not yet joined (current or abandoned)."""
    return [thread for thread, _ in _LIVE.values()]


def join_training_threads(timeout_ms: int = 30000) -> bool:
    """Ask every run to stop and wait for its thread (app exit, test teardown). True if all
    ended within ``timeout_ms`` (a stop is honoured within one batch or evaluation chunk)."""
    for _, worker in list(_LIVE.values()):
        worker.stop()
    deadline = time.perf_counter() + timeout_ms / 1000
    for key, (thread, _) in list(_LIVE.items()):
        left = max(0, int((deadline - time.perf_counter()) * 1000))
        if thread.wait(left):
            _forget_run(key)
    return not _LIVE


def keep_until_joined(thread: QThread, worker) -> None:
    """Hold ``thread`` in ``_LIVE`` from before it starts until it has ended and been joined
    (automatic garbage collection pauses meanwhile); ``worker.stop()`` (thread-safe) is how
    ``join_training_threads`` asks it to end. Any QThread that trains uses this."""
    key = id(thread)
    _LIVE[key] = (thread, worker)
    _pause_gc()
    thread.finished.connect(functools.partial(_reap, key))


def _forget_run(key: int) -> None:
    if _LIVE.pop(key, None) is not None:
        _resume_gc()


def _reap(key: int) -> None:
    """A run's thread has finished (queued to the UI thread after all of its worker's
    signals): join it and let it go."""
    entry = _LIVE.get(key)
    if entry is not None and entry[0].wait(5000):
        _forget_run(key)


class TrainingController(QObject):
    """UI-thread owner of the worker thread, and the coalescing render timer.

    Every snapshot's batch losses are forwarded at once (``lossesArrived``, cheap), but the
    weights are applied only for the NEWEST snapshot, at most ``render_hz`` times a second
    (``renderSnapshot``), so a slow redraw never queues up stale work. While training, the
    views' redraws are spread one per event-loop turn (``refresh_queue``), a new snapshot is
    applied only once the previous one is drawn, and the interval grows while the UI thread
    is busier than ``ui_share`` of the time (many views visible, a slow machine). While
    paused (single steps) the newest snapshot and step detail are shown once, however many
    arrived meanwhile, and no sooner after the previous show than one render interval or
    ``STEP_SHOW_SPACING`` times what that show cost (its painting comes on top): with Step
    held down (key auto-repeat) or pressed faster than the views draw a step, the UI thread
    keeps most of its time for input and painting.
    """

    lossesArrived = pyqtSignal(object)        # Snapshot (for its losses)
    renderSnapshot = pyqtSignal(object)       # the newest Snapshot, at <= render_hz
    epochFinished = pyqtSignal(object)
    diverged = pyqtSignal(str)
    errored = pyqtSignal(str)                 # an unexpected exception ended the run
    stepped = pyqtSignal(object)
    stateChanged = pyqtSignal(str)            # "running" | "paused" | "stopped" | "idle"
    finished = pyqtSignal(bool)

    def __init__(self, parent=None, render_hz: float = 10.0, ui_share: float = 0.1,
                 max_interval_ms: int = 2000) -> None:
        super().__init__(parent)
        self.base_interval_ms = int(1000 / render_hz)
        self.max_interval_ms = max_interval_ms
        # The UI thread shares the GIL with the worker: every millisecond it computes or
        # paints is one the worker may wait for. The render interval adapts so the UI thread
        # uses at most this share of wall time (measured as its CPU time) while training.
        self.ui_share = ui_share
        self.ui_load = 0.0                    # measured UI-thread CPU share, last interval
        self.last_render_ms = 0.0
        self.renders = 0
        self.worker: TrainingWorker | None = None
        self.thread: QThread | None = None
        self._run_over = False                # the current run's worker said "finished"
        self._pending: Snapshot | None = None
        self._pending_step = None             # the newest StepDetail not yet shown
        self.state = "idle"
        # the clocks the render interval adapts by: wall time and this thread's CPU time
        # (a test drives them to see the adaptation the same on an idle or a loaded machine)
        self.wall_clock, self.cpu_clock = time.perf_counter, time.thread_time
        self._mark = (self.wall_clock(), self.cpu_clock())
        self.pacing = Pacing()                # shared by every run: the speed control's
        self._probe: np.ndarray | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(self.base_interval_ms)
        self._timer.timeout.connect(self._on_tick)
        self._soon = QTimer(self)             # "show it soon": one show for many arrivals
        self._soon.setSingleShot(True)
        self._soon.timeout.connect(self._show_now)
        self._next_show = 0.0                 # perf_counter time before which none starts
        self.step_shows = 0                   # shows while paused (snapshot and/or detail)

    @property
    def active(self) -> bool:
        """A worker exists (running or paused) and has not said it finished: a run that
        finished is over even while its thread is still returning (it is never resumed)."""
        return self.thread is not None and self.thread.isRunning() and not self._run_over

    @property
    def stopping(self) -> bool:
        """A stop was requested and the current run's thread has not ended yet."""
        return self.active and self.worker.stopping

    def start(self, net: Network, data: tuple, config: TrainConfig,
              start_paused: bool = False, on_trainer=None) -> TrainingWorker:
        """Start training ``net`` (the worker's own copy) on ``data = (xtr, ytr, xte, yte)``.
        ``on_trainer(trainer)`` runs before the thread starts (e.g. to attach a recorder)."""
        if self.active:
            raise RuntimeError("a training run is already active")
        self._forget()
        self._run_over = False
        worker = TrainingWorker(net, *data, config, start_paused=start_paused,
                                pacing=self.pacing)
        if on_trainer is not None:
            on_trainer(worker.trainer)
        worker.set_probe(self._probe)
        thread = QThread()
        thread.setObjectName("cnnviz-training")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # Direct: quit the thread's event loop from the worker thread itself, so the thread
        # ends even if the UI thread is blocked waiting for it.
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        # Each slot gets the worker it came from: signals still queued from a run that is no
        # longer the current one (a reset, a loaded model) are dropped.
        for signal, slot in ((worker.snapshotReady, self._on_snapshot),
                             (worker.epochFinished, self._on_epoch),
                             (worker.diverged, self._on_diverged),
                             (worker.errored, self._on_errored),
                             (worker.stepped, self._on_stepped),
                             (worker.stateChanged, self._on_state),
                             (worker.finished, self._on_finished)):
            signal.connect(functools.partial(slot, worker))
        keep_until_joined(thread, worker)
        self.worker, self.thread = worker, thread
        self._timer.setInterval(self.base_interval_ms)
        self._mark = (self.wall_clock(), self.cpu_clock())
        self._timer.start()
        thread.start()
        return worker

    # -- requests ---------------------------------------------------------------------------
    def pause(self) -> None:
        if self.worker:
            self.worker.pause()

    def resume(self) -> None:
        if self.worker:
            self.worker.resume()

    def step(self) -> None:
        if self.worker:
            self.worker.step()

    def stop(self) -> None:
        if self.worker:
            self.worker.stop()

    def set_learning_rate(self, lr: float) -> None:
        if self.worker:
            self.worker.set_learning_rate(lr)

    def set_momentum(self, momentum: float) -> None:
        if self.worker:
            self.worker.set_momentum(momentum)

    def set_probe(self, image) -> None:
        """The probe digit ``(28, 28)`` the worker records the timeline's probabilities for."""
        self._probe = None if image is None else np.array(image, np.float32)
        if self.worker:
            self.worker.set_probe(self._probe)

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop the worker and wait for its thread (closing the window). True if it ended;
        if not, the thread stays referenced (``_LIVE``) and ends by itself shortly."""
        if self.thread is None:
            return True
        self.worker.stop()
        ended = self.thread.wait(timeout_ms)
        self._timer.stop()
        return bool(ended)

    def abandon(self, timeout_ms: int = 2000) -> bool:
        """Stop the run and forget it: whatever it still has queued for the UI (a last
        snapshot, "stopped", "finished") is dropped. True if the thread ended within
        ``timeout_ms``; if not, it finishes its batch unheard (never destroyed running)."""
        if self.thread is None:
            return True
        ended = self.shutdown(timeout_ms)
        self._forget()
        self.state = "idle"
        return ended

    # -- from the worker (queued to this thread) ------------------------------------------------
    def _from_current(self, worker) -> bool:
        """True if a signal from ``worker`` belongs to the current run."""
        return worker is not None and worker is self.worker

    def _on_epoch(self, worker, event) -> None:
        if self._from_current(worker):
            self.epochFinished.emit(event)

    def _on_diverged(self, worker, message: str) -> None:
        if self._from_current(worker):
            self.diverged.emit(message)

    def _on_errored(self, worker, message: str) -> None:
        if self._from_current(worker):
            self.errored.emit(message)

    def _on_stepped(self, worker, detail) -> None:
        if self._from_current(worker):
            self._pending_step = detail
            self._show_soon()

    def _on_snapshot(self, worker, snapshot: Snapshot) -> None:
        if not self._from_current(worker):
            return
        self._pending = snapshot
        self.lossesArrived.emit(snapshot)
        # a single step or a pause: show it soon, once; during a burst of Steps the render
        # timer paces the views as while running. A Step's snapshot waits for its detail,
        # which the worker sends next: shown alone, it would start the spacing and hold the
        # detail back a whole interval (a worker descheduled between the two, under load)
        if self.state == "paused" and not worker._more_steps() and not snapshot.detail_follows:
            self._show_soon()

    def _show_soon(self) -> None:
        """Show the newest snapshot and detail once, as soon as the spacing allows (a show
        already scheduled will pick up whatever arrived after it was scheduled)."""
        if not self._soon.isActive():
            wait = max(0.0, self._next_show - time.perf_counter())
            self._soon.start(int(math.ceil(wait * 1000)))

    def _show_now(self) -> None:
        """The newest snapshot and step detail that arrived while paused, drawn once."""
        if self._pending is None and self._pending_step is None:
            return
        start = time.perf_counter()
        self._render()
        detail, self._pending_step = self._pending_step, None
        if detail is not None:
            self.stepped.emit(detail)
        end = time.perf_counter()
        self._next_show = end + max(self.base_interval_ms / 1000,
                                    STEP_SHOW_SPACING * (end - start))
        self.step_shows += 1

    def _on_tick(self) -> None:
        """Render timer: apply the newest snapshot, then adapt the interval to the UI's load."""
        queue = refresh_queue()
        if not queue.pending:                 # else the last snapshot is still being drawn
            with queue.spread():              # each view redraws in its own event-loop turn
                self._render()
        self._adapt_interval()

    def _adapt_interval(self) -> None:
        now, cpu = self.wall_clock(), self.cpu_clock()
        wall = now - self._mark[0]
        if wall <= 0:
            return
        self.ui_load = (cpu - self._mark[1]) / wall
        self._mark = (now, cpu)
        wanted = self._timer.interval() * self.ui_load / self.ui_share
        # move half-way: one slow frame (a resize, a first paint) must not stall the views
        interval = 0.5 * (self._timer.interval() + wanted)
        interval = int(min(self.max_interval_ms, max(self.base_interval_ms, interval)))
        if interval != self._timer.interval():
            self._timer.setInterval(interval)

    def _render(self) -> None:
        snapshot, self._pending = self._pending, None
        if snapshot is None:
            return
        start = time.perf_counter()
        self.renderSnapshot.emit(snapshot)
        self.renders += 1
        self.last_render_ms = (time.perf_counter() - start) * 1000

    def flush(self) -> None:
        """Render the newest snapshot (and step detail) now (a pause, the end of a run)."""
        self._soon.stop()
        self._show_now()

    def _on_state(self, worker, state: str) -> None:
        if not self._from_current(worker):
            return
        self.state = state
        if state in ("paused", "stopped"):
            self.flush()
        self.stateChanged.emit(state)

    def _on_finished(self, worker, completed: bool) -> None:
        if not self._from_current(worker):
            return
        # "finished" is the worker's last act and it has quit the thread's event loop: the
        # thread ends at once. Wait for that, so a listener starting the next run (Space
        # pressed while a stop was pending) finds no run active: on a loaded machine this
        # queued signal came while the thread was still returning, and the new run was
        # taken for a resume of the old one and never started
        if self.thread is not None and self.worker is worker:
            self.thread.wait(FINISHED_JOIN_MS)
        self._run_over = True             # if the thread still runs (a very busy machine)
        self.flush()
        self._timer.stop()
        self.finished.emit(completed)

    def _forget(self) -> None:
        """Drop the current run (its thread stays in ``_LIVE`` until it has ended)."""
        self._pending = self._pending_step = None
        self._soon.stop()
        self.thread = self.worker = None
