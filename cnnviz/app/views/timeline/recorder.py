"""What the timeline keeps while training runs: weight snapshots and the probe's curve.

``SnapshotRecorder`` owns the store (``cnnviz.app.timeline.ProbeTimeline``: every conv
layer's weights at a step, and the probe's class probabilities). It is given

* ``record_from_state(step, epoch_progress)`` after each training snapshot the state applies
  (``state.progressed``): recording is throttled, a snapshot at most every
  ``record_interval_s`` of wall time, the newest always kept shortly after training pauses;
* ``add_worker_records(snapshot)`` with every snapshot (``state.lossesArrived``): the
  worker's dense early records (every step at the start of a run, thinning later);
* ``probe_changed()`` after a retrace: the curve starts again for a new probe (its points
  were another digit's); ``reset_for(net)`` for another network.

It emits ``recorded(immediate)`` whenever the view has something new to draw.
"""

from __future__ import annotations

import time

import numpy as np
from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from ...timeline import ProbeTimeline, capacity_for, timeline_keys

RECORD_INTERVAL_S = 0.5     # keep a weight snapshot at most this often (wall time)


class SnapshotRecorder(QObject):
    """The timeline's store, filled from the app state and the training worker."""

    recorded = pyqtSignal(bool)      # something new to draw; True: draw at once

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.timeline = ProbeTimeline()
        self.record_interval_s = RECORD_INTERVAL_S
        self.record_ms: list[float] = []          # cost of each record_from_state (ms)
        self.timer = QTimer(self)                 # a throttled record coming due
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.record_pending)
        self._curve_probe: np.ndarray | None = None
        self._pending: tuple[int, float] | None = None
        self.reset_for(None)

    def reset_for(self, net) -> None:
        """Forget everything: ``net`` (None: none yet) is another network."""
        if net is not None:
            self.timeline.reset_for(timeline_keys(net), capacity_for(net))
        self.timer.stop()
        self._pending = None
        self.last_step: int | None = None          # the step state.net's weights are at
        self._last_epoch = 0.0
        self._worker_step: int | None = None       # newest step the worker recorded
        self._last_record_time = -np.inf

    def _overall(self, step: int, epoch_progress: float) -> tuple[int, float]:
        """A run's ``(step, epoch)`` counted over the model's whole training, as the loss plot
        counts it: every Start makes a new trainer counting from 0, and a second run's step
        20 is the model's step 40 after a first run of 20 (``state.steps_before``)."""
        return (int(step) + int(getattr(self.state, "steps_before", 0)),
                float(epoch_progress) + float(getattr(self.state, "epochs_before", 0.0)))

    def record_from_state(self, step: int, epoch_progress: float) -> None:
        """Note that ``state.net`` now holds the weights after ``step`` mini-batches of the
        current run.

        Keeps a snapshot now if the last one is at least ``record_interval_s`` old, else
        within that time (the newest pending step wins), so a pause still ends on the newest.
        """
        started = time.perf_counter()
        step, epoch_progress = self._overall(step, epoch_progress)
        self.last_step, self._last_epoch = int(step), float(epoch_progress)
        if started - self._last_record_time >= self.record_interval_s:
            self._record(int(step), float(epoch_progress))
        else:
            self._pending = (int(step), float(epoch_progress))
            if not self.timer.isActive():
                wait = self.record_interval_s - (started - self._last_record_time)
                self.timer.start(max(1, int(wait * 1000)))
        self.record_ms.append((time.perf_counter() - started) * 1e3)
        del self.record_ms[:-200]

    def record_pending(self) -> None:
        """Record the throttled step waiting for its turn, if any, now."""
        if self._pending is not None:
            self._record(*self._pending)

    def add_worker_records(self, snapshot) -> None:
        """The steps the training worker recorded (``snapshot.extra["timeline"]``: every step
        at the start of a run, thinning later; see ``timeline.wants_step``), each with its
        conv weights and the probe's probabilities then (dropped if the probe has changed)."""
        records = snapshot.extra.get("timeline") if hasattr(snapshot, "extra") else None
        if not records:
            return
        self.ensure_curve_probe()
        for step, epoch_progress, params, probs, probe in records:
            if any(k not in params for k in self.timeline.keys):
                continue                   # another network's run, still queued
            step, epoch_progress = self._overall(step, epoch_progress)
            same = probs is not None and probe is not None \
                and np.array_equal(probe, self._curve_probe)
            self.timeline.record(step, epoch_progress, params, probs if same else None)
            self._worker_step = step
        self.recorded.emit(False)

    def _record(self, step: int, epoch_progress: float) -> None:
        self.timer.stop()
        self._pending = None
        self._last_record_time = time.perf_counter()
        newest = self.timeline.snapshots[-1].step if len(self.timeline) else None
        if self._worker_step is not None and newest is not None and step < newest \
                and step <= self._worker_step:
            self.recorded.emit(False)     # a late throttled record: the worker's are newer
            return
        self.ensure_curve_probe()
        self.timeline.record(step, epoch_progress, self.state.net.params,
                             self.state.probabilities)
        self.recorded.emit(False)

    def ensure_curve_probe(self) -> bool:
        """Restart the probability curve if the probe is not the one it was drawn for;
        returns whether it did."""
        probe = self.state.probe_image
        if self._curve_probe is not None and np.array_equal(self._curve_probe, probe):
            return False
        self._curve_probe = probe.copy()
        self.timeline.restart_curve()
        return True

    def probe_changed(self) -> None:
        """A retrace: new weights (recorded by ``record_from_state``) or a new probe, whose
        curve starts with where it stands with the current weights."""
        if not self.ensure_curve_probe():
            return
        if self.last_step is not None:
            self.timeline.add_point(self.last_step, self._last_epoch, self.state.probabilities)
        self.recorded.emit(True)
