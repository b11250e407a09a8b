"""Watch one digit learn: its class probabilities over training, and a slider to replay the past.

* A plot of the probe digit's probability for each class against the training step
  (``ProbabilityCurve``: one coloured line per class, the true class thick). The curve
  starts again when the probe changes: the points were another digit's.
* A slider over the weight snapshots kept so far (``SnapshotRecorder`` fills a
  ``cnnviz.app.timeline.ProbeTimeline``: every conv layer's weights, at most a few hundred,
  older ones thinned) with "step 1234 · epoch 1.37", and a *Live* button
  (``ReplayControls``). While live, the slider follows the newest snapshot. Dragging it
  replays, for the CURRENT probe, the feature maps of the first conv layer and of a deeper
  one (``ReplayMaps``, paged when a layer has many channels) and the first layer's filters
  as they were at that step: ``cnnviz.explain.replay_trace.FeatureReplay`` runs the probe
  through the network's spatial layers with that step's conv weights (the fc layers are not
  kept or needed), in a background thread (a ``ProbeJob``; never on the UI thread): the last
  maps stay, with a "computing…" note, until the replay arrives; one for a probe changed
  meanwhile is dropped.

Before any snapshot the panels show the probe with the current weights. In a wide view
(a presentation stage) the maps sit beside the curve, else under it. A ``LiveView``: redraws
after records are coalesced (``REDRAW_MS``), skipped while the view is hidden and caught up
when it is shown.

Public API (tests, scripts): ``timeline`` (the store), ``record_from_state``,
``add_worker_records``, ``flush``, ``show_index(i)``, ``live`` / ``set_live(bool)``,
``shown_index``, ``replay_ready``, ``replayed_maps(layer)``, ``replayed_filters()``,
``maps.select_lower(conv)``, ``panels``.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtWidgets import QBoxLayout, QVBoxLayout

from ....explain.replay_trace import FeatureReplay
from ...probe_job import ProbeJob
from ...live_view import LiveView
from .controls import ReplayControls
from .curve import ProbabilityCurve
from .maps import ReplayMaps
from .recorder import SnapshotRecorder

REDRAW_MS = 200             # coalesce redraws after records: at most ~5 per second
SIDE_BY_SIDE = 1.8          # a view this much wider than tall puts the maps beside the curve


class TimelineView(LiveView):
    """The probe's probability curve, a snapshot slider with Live, and replayed maps."""

    coalesce_ms = REDRAW_MS

    def __init__(self, state, parent=None) -> None:
        super().__init__(state, parent)
        self.recorder = SnapshotRecorder(state, self)
        self.recorder.recorded.connect(self.schedule_refresh)
        self._live = True
        self._shown: int | None = None
        self._replayed: dict[str, np.ndarray] = {}
        self._replay_key: tuple | None = None     # (snapshot, probe image) of _replayed
        self._replayer: FeatureReplay | None = None
        self._asked: tuple | None = None          # (snapshot, probe_version) being replayed
        self.job = ProbeJob(state, self)           # the replays, off the UI thread
        self.job.ready.connect(self._on_replayed)

        self.curve = ProbabilityCurve()
        self.controls = ReplayControls(self.job.note, self)
        self.controls.liveToggled.connect(self.set_live)
        self.controls.picked.connect(self._on_slider)
        self.maps = ReplayMaps()
        self.maps.lowerChanged.connect(lambda _name: self._draw_replay())
        # the curve and its slider, and the maps: one above the other, or side by side in a
        # wide view (a presentation stage at 1280x720 left the maps' rows 10 px high)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.curve, 1)
        left.addLayout(self.controls.row)
        self._body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self._body.addLayout(left, 2)
        self._body.addWidget(self.maps, 3)      # the maps need the room for their titles
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._body, 1)

        # traceChanged, not probeChanged: the new probe's probabilities exist only after the
        # state has retraced it (probeChanged is emitted before).
        state.traceChanged.connect(self.recorder.probe_changed)
        state.modelChanged.connect(self._on_model)
        state.progressed.connect(self._on_progressed)
        state.lossesArrived.connect(self.recorder.add_worker_records)
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

    # the parts, as the view's own (tests, scripts, presentation mode)
    plot = property(lambda self: self.curve.plot)
    plot_widget = property(lambda self: self.curve.plot_widget)
    lines = property(lambda self: self.curve.lines)
    legend_labels = property(lambda self: self.curve.legend_labels)
    cursor = property(lambda self: self.curve.cursor)
    panels = property(lambda self: self.maps.panels)
    live_button = property(lambda self: self.controls.live_button)
    slider = property(lambda self: self.controls.slider)
    step_label = property(lambda self: self.controls.step_label)
    timeline = property(lambda self: self.recorder.timeline)
    record_ms = property(lambda self: self.recorder.record_ms)
    record_interval_s = property(
        lambda self: self.recorder.record_interval_s,
        lambda self, seconds: setattr(self.recorder, "record_interval_s", seconds),
        doc="Keep a snapshot at most this often (seconds of wall time; 0: every one).")

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
        self._live = bool(live)
        self.controls.set_live(self._live)
        if self._live and len(self.timeline):
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

    def record_from_state(self, step: int, epoch_progress: float) -> None:
        """Note that ``state.net`` now holds the weights after ``step`` mini-batches
        (``SnapshotRecorder.record_from_state``: throttled)."""
        self.recorder.record_from_state(step, epoch_progress)

    def add_worker_records(self, snapshot) -> None:
        """The steps the training worker recorded (``SnapshotRecorder.add_worker_records``)."""
        self.recorder.add_worker_records(snapshot)

    def flush(self) -> None:
        """Record a pending snapshot and redraw now (tests, screenshots)."""
        self.recorder.record_pending()
        self.refresh()

    def _on_progressed(self, snapshot) -> None:
        self.record_from_state(snapshot.step, snapshot.position)

    def _on_model(self) -> None:
        """Another network (loaded, reset): its history is not this one's."""
        net = self.state.net
        self._replayer = FeatureReplay(net)
        self.recorder.reset_for(net)
        self._shown = None
        self._replay_key = None
        self._asked = None
        self._replayed = {}
        self.curve.set_classes(net.classes)
        self.maps.set_network(net.describe(), net.arch)
        self.refresh_if_exposed()

    # -- showing ------------------------------------------------------------------------------
    def _select(self, index: int) -> None:
        self._shown = index
        self.controls.set_range(len(self.timeline), index)
        self._draw_replay()

    def _on_slider(self, value: int) -> None:
        if not len(self.timeline):
            return
        self.set_live(False)
        self._select(int(value))

    def refresh(self) -> None:
        """Bring the slider, the curve and the replayed maps up to date."""
        n = len(self.timeline)
        if n == 0:
            self._shown = None
        elif self._live or self._shown is None or self._shown >= n:
            self._shown = n - 1
        self.controls.set_range(n, self._shown)
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
        has_maps = bool(self.maps.blocks)
        if self._shown is None:
            # nothing recorded yet: the current weights' maps (what step 0 of a run will
            # show), so the panels are never empty titles
            maps, filters = self.maps.current(self.state.trace, self.state.net.params)
            self.maps.draw(maps, filters, self.state.probe_image, label)
            self.controls.show_step(None, has_maps=has_maps)
            self.curve.set_cursor(None)
            return
        snapshot = self.timeline[self._shown]
        if self._replay_current(snapshot):
            filters = self.replayed_filters() if has_maps else None
            self.maps.draw(self._replayed, filters, self.state.probe_image, label)
        else:
            self._replay(snapshot)            # drawn when it arrives; the last maps stay
        self.controls.show_step(snapshot.step, snapshot.epoch_progress, self._shown,
                                len(self.timeline), self.timeline.memory_bytes / 1e6, has_maps)
        self.curve.set_cursor(snapshot.step)
