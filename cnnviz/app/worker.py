"""Training in a worker thread: the worker owns the network, the UI gets copies.

``TrainingWorker`` is a QObject moved to a QThread. Its ``run()`` loop trains one mini-batch
at a time and, between batches, honours the requests the UI thread makes by calling
``pause() / resume() / step() / stop() / set_learning_rate() / set_momentum()`` (plain
thread-safe methods: the worker's thread is busy in the loop, so it has no event loop to
receive queued slots). A paused worker sleeps on a ``threading.Event`` without spinning.

At most every ``snapshot_interval`` seconds it emits ``snapshotReady(Snapshot)`` holding copies
of the weights and the batch losses since the previous snapshot. The UI keeps only the newest
snapshot's weights and draws on a timer (``TrainingController``).
"""

from __future__ import annotations

import math
import threading
import time

import numpy as np
from PyQt6.QtCore import QObject, Qt, QThread, QTimer, pyqtSignal

from ..nn.network import Network
from ..nn.presets import TrainConfig
from ..training import DivergenceError, Trainer
from ..training.pacing import Pacing
from ..training.snapshot import Snapshot, detailed_step
from .state import refresh_queue

RATE_SMOOTHING = 0.05     # weight of the newest batch in the images/s moving average


class TrainingWorker(QObject):
    """Runs a ``Trainer`` in whatever thread executes ``run()``.

    Signals (delivered queued to the UI thread):
      snapshotReady(Snapshot), epochFinished(EpochEvent), diverged(str message),
      stepped(StepDetail) after each single step, stateChanged(str) with "running",
      "paused" or "stopped", finished(bool completed) when ``run()`` returns.
    """

    snapshotReady = pyqtSignal(object)
    epochFinished = pyqtSignal(object)
    diverged = pyqtSignal(str)
    stepped = pyqtSignal(object)
    stateChanged = pyqtSignal(str)
    finished = pyqtSignal(bool)

    def __init__(self, net: Network, train_images: np.ndarray, train_labels: np.ndarray,
                 test_images: np.ndarray, test_labels: np.ndarray, config: TrainConfig,
                 start_paused: bool = False, snapshot_interval: float = 0.1,
                 pacing: Pacing | None = None) -> None:
        super().__init__()
        self.pacing = pacing or Pacing()
        self._batch_started: float | None = None
        self.trainer = Trainer(net, train_images, train_labels, test_images, test_labels, config)
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

    @property
    def paused(self) -> bool:
        with self._lock:
            return self._paused

    # -- the loop (worker thread) -----------------------------------------------------------
    def run(self) -> None:
        self.pacing.add_listener(self._wake.set)    # a new pace applies at once
        try:
            self._run()
        finally:
            self.pacing.remove_listener(self._wake.set)

    def _run(self) -> None:
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
            self._batch_started = time.perf_counter()
            try:
                if single:
                    self._single_step()
                else:
                    self._train_one()
            except DivergenceError as exc:
                with self._lock:
                    self._paused = True
                    self._steps_pending = 0
                self._emit_snapshot()
                self.diverged.emit(str(exc))
                continue
            if self.trainer.finished:
                completed = True
                break
            if self.trainer.batch == 0 and not single and self.pacing.pause_each_epoch:
                with self._lock:                # an epoch just ended: stop there for a talk
                    self._paused = True
            if single or time.perf_counter() - self._last_emit >= self.snapshot_interval:
                self._emit_snapshot()
        self._emit_snapshot()
        for observer in self.trainer.observers:       # e.g. a RunRecorder: write its end
            if hasattr(observer, "close"):
                observer.close(self.trainer, completed=completed)
        self.stateChanged.emit("stopped")
        self.finished.emit(completed)

    def _train_one(self) -> float:
        return self._account(self.trainer.step())

    def _account(self, result) -> float:
        """Book one trained batch: its loss for the next snapshot, its rate, an epoch's end."""
        b = result.batch
        self._buffer.append((b.step, b.epoch_progress, b.loss))
        self._note_rate(b.images_per_second)
        if result.epoch is not None:
            self.epochFinished.emit(result.epoch)
        return b.loss

    def _single_step(self) -> None:
        """One batch, with the before/after detail the classroom views explain."""
        result, detail = detailed_step(self.trainer)
        self._account(result)
        self.stepped.emit(detail)

    def _note_rate(self, images_per_second: float) -> None:
        """Fold one batch's measured rate into the moving average (of seconds per image,
        so a slow batch weighs as much as its time)."""
        if not (images_per_second > 0 and math.isfinite(images_per_second)):
            return
        seconds = 1.0 / images_per_second
        if math.isfinite(self._ips):
            seconds = (1 - RATE_SMOOTHING) / self._ips + RATE_SMOOTHING * seconds
        self._ips = 1.0 / seconds

    def _emit_snapshot(self) -> None:
        now = time.perf_counter()
        t = self.trainer
        remaining = max(0, t.total_steps - t.step_count) * t.config.batch_size
        eta = remaining / self._ips if self._ips and math.isfinite(self._ips) else float("nan")
        steps, progress, losses = (zip(*self._buffer) if self._buffer else ((), (), ()))
        snapshot = Snapshot.create(
            self.net.params, list(steps), list(progress), list(losses),
            step=t.step_count, epoch=t.epoch, batch=t.batch,
            batches_per_epoch=t.batches_per_epoch, total_steps=t.total_steps,
            images_per_second=self._ips, lr=t.current_lr, eta_seconds=eta,
            finished=t.finished)
        self._buffer = []
        self._last_emit = now
        self.snapshotReady.emit(snapshot)


class TrainingController(QObject):
    """UI-thread owner of the worker thread, and the coalescing render timer.

    Every snapshot's batch losses are forwarded at once (``lossesArrived``, cheap), but the
    weights are applied only for the NEWEST snapshot, at most ``render_hz`` times a second
    (``renderSnapshot``), so a slow redraw never queues up stale work. While training, the
    views' redraws are spread one per event-loop turn (``refresh_queue``), a new snapshot is
    applied only once the previous one is drawn, and the interval grows while the UI thread
    is busier than ``ui_share`` of the time (many views visible, a slow machine).
    """

    lossesArrived = pyqtSignal(object)        # Snapshot (for its losses)
    renderSnapshot = pyqtSignal(object)       # the newest Snapshot, at <= render_hz
    epochFinished = pyqtSignal(object)
    diverged = pyqtSignal(str)
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
        self._pending: Snapshot | None = None
        self.state = "idle"
        self._mark = (time.perf_counter(), time.thread_time())
        self.pacing = Pacing()                # shared by every run: the speed control's
        self._orphans: list[tuple] = []       # abandoned (worker, thread) still finishing
        self._timer = QTimer(self)
        self._timer.setInterval(self.base_interval_ms)
        self._timer.timeout.connect(self._on_tick)

    @property
    def active(self) -> bool:
        """A worker exists (running or paused)."""
        return self.thread is not None and self.thread.isRunning()

    def start(self, net: Network, data: tuple, config: TrainConfig,
              start_paused: bool = False, on_trainer=None) -> TrainingWorker:
        """Start training ``net`` (the worker's own copy) on ``data = (xtr, ytr, xte, yte)``.
        ``on_trainer(trainer)`` runs before the thread starts (e.g. to attach a recorder)."""
        if self.active:
            raise RuntimeError("a training run is already active")
        self._cleanup()
        worker = TrainingWorker(net, *data, config, start_paused=start_paused,
                                pacing=self.pacing)
        if on_trainer is not None:
            on_trainer(worker.trainer)
        thread = QThread()
        thread.setObjectName("cnnviz-training")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # Direct: quit the thread's event loop from the worker thread itself, so the thread
        # ends even if the UI thread is blocked waiting for it.
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        # Every signal goes through a slot that drops it unless its worker is still the
        # current one: a run abandoned by ``abandon()`` (a reset, a loaded model) may still
        # have snapshots queued, which must not bring its weights back.
        worker.snapshotReady.connect(self._on_snapshot)
        worker.epochFinished.connect(self._on_epoch)
        worker.diverged.connect(self._on_diverged)
        worker.stepped.connect(self._on_stepped)
        worker.stateChanged.connect(self._on_state)
        worker.finished.connect(self._on_finished)
        self.worker, self.thread = worker, thread
        self._timer.setInterval(self.base_interval_ms)
        self._mark = (time.perf_counter(), time.thread_time())
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

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop the worker and wait for its thread (closing the window). True if it ended."""
        if self.thread is None:
            return True
        self.worker.stop()
        self.thread.quit()
        ended = self.thread.wait(timeout_ms)
        self._timer.stop()
        return bool(ended)

    def abandon(self, timeout_ms: int = 2000) -> bool:
        """Stop the run, wait for its thread and forget it: whatever it still has queued for
        the UI (a last snapshot, "stopped", "finished") is dropped. True if the thread ended.
        """
        if self.thread is None:
            return True
        ended = self.shutdown(timeout_ms)
        self._pending = None
        if ended:
            self._cleanup()
        else:                       # still busy with a batch: it ends by itself, unheard
            # ...but its QThread must outlive it (a QThread destroyed while running aborts)
            self._orphans = [o for o in self._orphans if not o[1].isFinished()]
            self._orphans.append((self.worker, self.thread))
            self.worker = self.thread = None
        self.state = "idle"
        return ended

    # -- from the worker (queued to this thread) ------------------------------------------------
    def _from_current(self) -> bool:
        """True if the signal being handled comes from the current run's worker."""
        return self.worker is not None and self.sender() is self.worker

    def _on_epoch(self, event) -> None:
        if self._from_current():
            self.epochFinished.emit(event)

    def _on_diverged(self, message: str) -> None:
        if self._from_current():
            self.diverged.emit(message)

    def _on_stepped(self, detail) -> None:
        if self._from_current():
            self.stepped.emit(detail)

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        if not self._from_current():
            return
        self._pending = snapshot
        self.lossesArrived.emit(snapshot)
        if self.state == "paused":      # a single step or a pause: show it at once
            self._render()

    def _on_tick(self) -> None:
        """Render timer: apply the newest snapshot, then adapt the interval to the UI's load."""
        queue = refresh_queue()
        if not queue.pending:                 # else the last snapshot is still being drawn
            with queue.spread():              # each view redraws in its own event-loop turn
                self._render()
        self._adapt_interval()

    def _adapt_interval(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
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
        """Render the newest snapshot now (after a step, a pause, or at the end)."""
        self._render()

    def _on_state(self, state: str) -> None:
        if not self._from_current():
            return
        self.state = state
        if state in ("paused", "stopped"):
            self.flush()
        self.stateChanged.emit(state)

    def _on_finished(self, completed: bool) -> None:
        if not self._from_current():
            return
        self.flush()
        self._timer.stop()
        self.finished.emit(completed)

    def _cleanup(self) -> None:
        if self.thread is not None:
            self.thread.wait(2000)
            self.thread.deleteLater()
            self.worker.deleteLater()
        self.thread = self.worker = None
