"""Watch one digit learn: its class probabilities over training, and a slider to replay the past.

* A plot of the probe digit's probability for each class against the training step
  (``ProbabilityCurve``: one coloured line per class, the true class thick). The curve
  starts again when the probe changes: the points were another digit's.
* A slider over the weight snapshots kept so far (``cnnviz.app.timeline.ProbeTimeline``:
  every conv layer's weights, at most a few hundred, older ones thinned) with "step 1234 ·
  epoch 1.37", and a *Live* button. While live, the slider follows the newest snapshot.
  Dragging it replays, for the CURRENT probe, the feature maps of the first conv layer and of
  a deeper one (``ReplayMaps``) and the first layer's filters as they were at that step:
  ``cnnviz.explain.replay_trace.FeatureReplay`` runs the probe through the network's spatial
  layers with that step's conv weights (the fc layers are not kept or needed), in a
  background thread (a ``ProbeJob``; never on the UI thread): the last maps stay, with a
  "computing…" note, until the replay arrives; one for a probe changed meanwhile is dropped.

Before any snapshot the panels show the probe with the current weights. In a wide view
(a presentation stage) the maps sit beside the curve, else under it.

``record_from_state(step, epoch_progress)`` runs after each training snapshot the state
applies (``state.progressed``), ``add_worker_records(snapshot)`` with every snapshot
(``state.lossesArrived``: the worker's dense early records). Recording is throttled (a snapshot kept at most every
``RECORD_INTERVAL_S``; the newest is always recorded shortly after training pauses) and
cheap; drawing is coalesced by a timer and skipped while the view is hidden.

Public API (tests, scripts): ``timeline`` (the store), ``record_from_state``, ``show_index(i)``,
``live`` / ``set_live(bool)``, ``shown_index``, ``replay_ready``, ``replayed_maps(layer)``,
``replayed_filters()``, ``maps.select_lower(conv)``, ``panels``.
"""

from __future__ import annotations

import time

import numpy as np
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import (QBoxLayout, QHBoxLayout, QLabel, QPushButton, QSlider,
                             QVBoxLayout, QWidget)

from ....explain.replay_trace import FeatureReplay
from ...probe_job import ProbeJob
from ...state import is_exposed
from ...timeline import ProbeTimeline, capacity_for, timeline_keys
from .curve import ProbabilityCurve
from .maps import ReplayMaps

RECORD_INTERVAL_S = 0.5     # keep a weight snapshot at most this often (wall time)
REDRAW_MS = 200             # coalesce redraws after records: at most ~5 per second
SIDE_BY_SIDE = 1.8          # a view this much wider than tall puts the maps beside the curve


class TimelineView(QWidget):
    """The probe's probability curve, a snapshot slider with Live, and replayed maps."""

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.timeline = ProbeTimeline()
        self._live = True
        self._syncing = False          # the slider is being moved by code, not the user
        self._dirty = True             # something changed while hidden / not yet drawn
        self._shown: int | None = None
        self._replayed: dict[str, np.ndarray] = {}
        self._replay_key: tuple | None = None     # (snapshot, probe image) of _replayed
        self._replayer: FeatureReplay | None = None
        self._asked: tuple | None = None          # (snapshot, probe_version) being replayed
        self.job = ProbeJob(state, self)           # the replays, off the UI thread
        self.job.ready.connect(self._on_replayed)
        self._curve_probe: np.ndarray | None = None
        self._last_step: int | None = None         # the step state.net's weights are at
        self._worker_step: int | None = None       # newest step the worker recorded
        self._last_epoch = 0.0
        self._last_record_time = -np.inf
        self._pending: tuple[int, float] | None = None
        self.record_ms: list[float] = []          # cost of each record_from_state (ms)
        self.record_interval_s = RECORD_INTERVAL_S

        self._record_timer = QTimer(self)
        self._record_timer.setSingleShot(True)
        self._record_timer.timeout.connect(self._record_pending)
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.timeout.connect(self._redraw_if_visible)

        self.curve = ProbabilityCurve()
        self._build_controls()
        self.maps = ReplayMaps()
        self.maps.lowerChanged.connect(lambda _name: self._draw_replay())
        # the curve and its slider, and the maps: one above the other, or side by side in a
        # wide view (a presentation stage at 1280x720 left the maps' rows 10 px high)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.curve, 1)
        left.addLayout(self._controls)
        self._body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self._body.addLayout(left, 2)
        self._body.addWidget(self.maps, 3)      # the maps need the room for their titles
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._body, 1)
        layout.addWidget(self.status)

        # traceChanged, not probeChanged: the new probe's probabilities exist only after the
        # state has retraced it (probeChanged is emitted before).
        state.traceChanged.connect(self._on_trace)
        state.modelChanged.connect(self._on_model)
        state.progressed.connect(self._on_progressed)
        state.lossesArrived.connect(self.add_worker_records)
        self._on_model()

    @property
    def side_by_side(self) -> bool:
        """The maps are beside the curve (a wide view), not under it."""
        return self._body.direction() == QBoxLayout.Direction.LeftToRight

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        wide = self.width() >= SIDE_BY_SIDE * self.height()
        if wide != self.side_by_side:
            self._body.setDirection(QBoxLayout.Direction.LeftToRight if wide
                                    else QBoxLayout.Direction.TopToBottom)
            # one row of ten class labels would make the curve's column as wide as them
            self.curve.max_legend_columns = 5 if wide else None
            self.curve.reflow_legend()

    # the curve's parts, as the view's own (tests, presentation mode)
    plot = property(lambda self: self.curve.plot)
    plot_widget = property(lambda self: self.curve.plot_widget)
    lines = property(lambda self: self.curve.lines)
    legend_labels = property(lambda self: self.curve.legend_labels)
    cursor = property(lambda self: self.curve.cursor)
    panels = property(lambda self: self.maps.panels)

    def _build_controls(self) -> None:
        self.live_button = QPushButton("Live")
        self.live_button.setCheckable(True)
        self.live_button.setChecked(True)
        self.live_button.setToolTip("Follow the newest snapshot while training")
        self.live_button.setStyleSheet(
            "QPushButton:checked { background: #2e7d32; color: white; font-weight: bold; }")
        self.live_button.toggled.connect(self.set_live)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setEnabled(False)
        self.slider.setToolTip("Drag to replay the probe's feature maps and the filters at an "
                               "earlier training step")
        self.slider.valueChanged.connect(self._on_slider)
        self.step_label = QLabel("no snapshots yet: start training")
        self.step_label.setMinimumWidth(200)
        self.step_label.setWordWrap(True)     # beside the maps the column is narrow
        self._controls = QHBoxLayout()
        self._controls.addWidget(self.live_button)
        self._controls.addWidget(self.slider, 1)
        self._controls.addWidget(self.step_label)
        self._controls.addWidget(self.job.note)
        self.status = QLabel(" ")
        self.status.setWordWrap(True)     # one long line made the view wider than its dock

    # -- public API ---------------------------------------------------------------------------
    @property
    def live(self) -> bool:
        return self._live

    @property
    def shown_index(self) -> int | None:
        """Index into ``timeline`` of the snapshot being shown (None when empty)."""
        return self._shown

    def set_live(self, live: bool) -> None:
        """Follow the newest snapshot (True) or stay on the one the slider picked."""
        live = bool(live)
        self._live = live
        if self.live_button.isChecked() != live:
            self.live_button.blockSignals(True)
            self.live_button.setChecked(live)
            self.live_button.blockSignals(False)
        if live and len(self.timeline):
            self._select(len(self.timeline) - 1)

    def show_index(self, index: int) -> None:
        """Replay snapshot ``index`` (negative counts from the newest); leaves live mode."""
        n = len(self.timeline)
        if n == 0:
            raise IndexError("the timeline is empty: train for a moment first")
        index = int(index) % n if -n <= int(index) < n else None
        if index is None:
            raise IndexError(f"snapshot index out of range (0..{n - 1})")
        self.set_live(False)
        self._select(index)

    @property
    def replay_ready(self) -> bool:
        """The maps drawn are the shown snapshot's for the current probe (a replay runs in
        the background: wait for this, or for ``job.ready``)."""
        return self._shown is None or self._replay_current(self.timeline[self._shown])

    def replayed_maps(self, layer: str) -> np.ndarray:
        """``(C, H, W)`` output of spatial layer ``layer`` (any conv, activation or pool
        before the flatten) for the current probe with the shown snapshot's conv weights,
        once ``replay_ready`` (before: the previous replay's, still drawn)."""
        if self._shown is None:
            self._replayed = {}
        if layer not in self._replayed:
            raise KeyError(f"no replayed layer {layer!r}; have "
                           f"{', '.join(self._replayed) or 'none (no snapshot or no conv layer)'}")
        return self._replayed[layer]

    def replayed_filters(self) -> np.ndarray:
        """``(F, K, K)`` filters of the first conv layer in the shown snapshot."""
        if self._shown is None:
            raise IndexError("the timeline is empty")
        if not self.maps.blocks:
            raise ValueError("this network has no conv layer, so no filters")
        weight = np.asarray(self.timeline[self._shown].params[f"{self.maps.blocks[0].name}"
                                                              ".weight"])
        return weight.reshape(-1, *weight.shape[2:])

    def _on_progressed(self, snapshot) -> None:
        self.record_from_state(snapshot.step, snapshot.position)

    def record_from_state(self, step: int, epoch_progress: float) -> None:
        """Note that ``state.net`` now holds the weights after ``step`` mini-batches.

        Keeps a snapshot now if the last one is at least ``record_interval_s`` old, else
        within that time (the newest pending step wins), so a pause still ends on the newest.
        """
        started = time.perf_counter()
        self._last_step, self._last_epoch = int(step), float(epoch_progress)
        if started - self._last_record_time >= self.record_interval_s:
            self._record(int(step), float(epoch_progress))
        else:
            self._pending = (int(step), float(epoch_progress))
            if not self._record_timer.isActive():
                wait = self.record_interval_s - (started - self._last_record_time)
                self._record_timer.start(max(1, int(wait * 1000)))
        self.record_ms.append((time.perf_counter() - started) * 1e3)
        del self.record_ms[:-200]

    def flush(self) -> None:
        """Record a pending snapshot and redraw now (tests, screenshots)."""
        self._record_pending()
        self.redraw()

    # -- recording ----------------------------------------------------------------------------
    def add_worker_records(self, snapshot) -> None:
        """The steps the training worker recorded (``snapshot.extra["timeline"]``: every step
        at the start of a run, thinning later; see ``timeline.wants_step``), each with its
        conv weights and the probe's probabilities then (dropped if the probe has changed)."""
        records = snapshot.extra.get("timeline") if hasattr(snapshot, "extra") else None
        if not records:
            return
        self._ensure_curve_probe()
        for step, epoch_progress, params, probs, probe in records:
            if any(k not in params for k in self.timeline.keys):
                continue                   # another network's run, still queued
            same = probs is not None and probe is not None \
                and np.array_equal(probe, self._curve_probe)
            self.timeline.record(step, epoch_progress, params, probs if same else None)
            self._worker_step = step
        self._schedule_redraw()

    def _record(self, step: int, epoch_progress: float) -> None:
        self._record_timer.stop()
        self._pending = None
        self._last_record_time = time.perf_counter()
        newest = self.timeline.snapshots[-1].step if len(self.timeline) else None
        if self._worker_step is not None and newest is not None and step < newest \
                and step <= self._worker_step:
            self._schedule_redraw()     # a late throttled record: the worker's are newer
            return
        self._ensure_curve_probe()
        self.timeline.record(step, epoch_progress, self.state.net.params,
                             self.state.probabilities)
        self._schedule_redraw()

    def _record_pending(self) -> None:
        if self._pending is not None:
            self._record(*self._pending)

    def _ensure_curve_probe(self) -> bool:
        """Restart the probability curve if the probe is not the one it was drawn for."""
        probe = self.state.probe_image
        if self._curve_probe is not None and np.array_equal(self._curve_probe, probe):
            return False
        self._curve_probe = probe.copy()
        self.timeline.restart_curve()
        return True

    def _on_trace(self, *_args) -> None:
        """A retrace: new weights (recorded by ``record_from_state``) or a new probe."""
        if not self._ensure_curve_probe():
            return
        if self._last_step is not None:
            # Where the new probe stands with the current weights: the curve's first point.
            self.timeline.add_point(self._last_step, self._last_epoch, self.state.probabilities)
        self._schedule_redraw(immediate=True)

    def _on_model(self) -> None:
        """Another network (loaded, reset): its history is not this one's."""
        net = self.state.net
        self._replayer = FeatureReplay(net)
        self.timeline.reset_for(timeline_keys(net), capacity_for(net))
        self._record_timer.stop()
        self._pending = None
        self._last_step = None
        self._worker_step = None
        self._last_record_time = -np.inf
        self._shown = None
        self._replay_key = None
        self._asked = None
        self._replayed = {}
        self.curve.set_classes(net.classes)
        self.maps.set_network(net.describe(), net.arch)
        self._schedule_redraw(immediate=True)

    # -- showing ------------------------------------------------------------------------------
    def _select(self, index: int) -> None:
        self._shown = index
        if self.slider.value() != index or self.slider.maximum() < index:
            self._syncing = True
            self.slider.setMaximum(max(index, len(self.timeline) - 1))
            self.slider.setValue(index)
            self._syncing = False
        self._draw_replay()

    def _on_slider(self, value: int) -> None:
        if self._syncing or not len(self.timeline):
            return
        self.set_live(False)
        self._select(int(value))

    def _schedule_redraw(self, immediate: bool = False) -> None:
        self._dirty = True
        if not is_exposed(self):
            return                       # hidden or a tab behind another: showEvent redraws
        if immediate:
            self._redraw_timer.start(0)
        elif not self._redraw_timer.isActive():
            self._redraw_timer.start(REDRAW_MS)

    def _redraw_if_visible(self) -> None:
        if is_exposed(self) and self._dirty:
            self.redraw()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self._schedule_redraw(immediate=True)

    def redraw(self) -> None:
        """Bring the slider, the curve and the replayed maps up to date."""
        self._dirty = False
        n = len(self.timeline)
        self._syncing = True
        self.slider.setEnabled(n > 0)
        self.slider.setMaximum(max(0, n - 1))
        self._syncing = False
        if n == 0:
            self._shown = None
        elif self._live or self._shown is None or self._shown >= n:
            self._shown = n - 1
        if self._shown is not None and self.slider.value() != self._shown:
            self._syncing = True
            self.slider.setValue(self._shown)
            self._syncing = False
        self._draw_curve()
        self._draw_replay()

    def _draw_curve(self) -> None:
        steps, probs = self.timeline.curve()
        who = "the drawing" if self.state.probe_source == "drawing" else (
            f"held-out digit #{self.state.probe_index}" if self.state.probe_index is not None
            else "the probe")
        self.curve.draw(steps, probs, self.state.probe_label, who)

    def _replay_current(self, snapshot) -> bool:
        cached_snapshot, cached_probe = self._replay_key or (None, None)
        return snapshot is cached_snapshot and np.array_equal(self.state.probe_image,
                                                              cached_probe)

    def _replay(self, snapshot) -> None:
        """Ask for ``snapshot``'s maps of the current probe (a background job; once)."""
        asked = (snapshot, self.state.probe_version)
        if self._asked is not None and self._asked[0] is asked[0] and \
                self._asked[1] == asked[1] and self.job.busy:
            return                                   # already on its way
        self._asked = asked
        replayer = self._replayer     # one replay at a time: only this job ever uses it

        def work(_net, probe):
            return snapshot, probe, replayer.replay(snapshot.params, probe)
        self.job.submit(work, settings=id(snapshot))

    def _on_replayed(self, result) -> None:
        snapshot, probe, maps = result
        self._replayed, self._replay_key = maps, (snapshot, probe)
        if self._shown is not None and self.timeline[self._shown] is snapshot:
            self._draw_replay()

    def _draw_replay(self) -> None:
        label = self.state.probe_label
        if self._shown is None:
            # nothing recorded yet: the current weights' maps (what step 0 of a run will
            # show), so the panels are never empty titles
            maps, filters = self.maps.current(self.state.trace, self.state.net.params)
            self.maps.draw(maps, filters, self.state.probe_image, label)
            self.step_label.setText("no snapshots yet: start training")
            self.curve.set_cursor(None)
            self.status.setText("The current weights; training records snapshots to replay."
                                if self.maps.blocks else " ")
            return
        snapshot = self.timeline[self._shown]
        if self._replay_current(snapshot):
            filters = self.replayed_filters() if self.maps.blocks else None
            self.maps.draw(self._replayed, filters, self.state.probe_image, label)
        else:
            self._replay(snapshot)            # drawn when it arrives; the last maps stay
        n = len(self.timeline)
        where = "newest" if self._shown == n - 1 else f"{self._shown + 1} of {n}"
        self.step_label.setText(f"step {snapshot.step} · epoch {snapshot.epoch_progress:.2f}"
                                f"  ({where})")
        self.curve.set_cursor(snapshot.step)
        what = ("Drag the slider to replay; Live follows training." if self.maps.blocks else
                "Drag the slider to see the step; Live follows training.")
        self.status.setText(f"{n} snapshots kept ({self.timeline.memory_bytes / 1e6:.1f} MB; "
                            f"older ones thinned). {what}")
