"""Watch one digit learn: its class probabilities over training, and a slider to replay the past.

* A plot of the probe digit's probability for each of the 10 classes against the training
  step (one coloured line per class, a legend row under the plot; the true class drawn thick). The curve starts
  again when the probe changes: the points were another digit's.
* A slider over the weight snapshots kept so far (``cnnviz.app.timeline.ProbeTimeline``:
  the conv weights only, at most a few hundred, older ones thinned) with "step 1234 · epoch
  1.37", and a *Live* button. While live, the slider follows the newest snapshot. Dragging it
  replays, for the CURRENT probe, the conv1 / pool1 / conv2 / pool2 feature maps and the
  conv1 filters as they were at that step: a scratch network gets that step's conv weights
  and runs conv1 -> act -> pool -> conv2 -> act -> pool (the fc layers are not kept or used).

The main window calls ``record_from_state(step, epoch_progress)`` after each training snapshot
it applies to the state. It is throttled (a snapshot kept at most every
``RECORD_INTERVAL_S``; the newest is always recorded shortly after training pauses) and cheap;
drawing is coalesced by a timer and skipped while the view is hidden.

Public API (tests, scripts): ``timeline`` (the store), ``record_from_state``, ``show_index(i)``,
``live`` / ``set_live(bool)``, ``shown_index``, ``replayed_maps(layer)``, ``replayed_filters()``.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QFont, QFontMetricsF
from PyQt6.QtWidgets import (QGraphicsItem, QHBoxLayout, QLabel, QPushButton, QSlider,
                             QVBoxLayout, QWidget)

from ...nn import build_network
from ..image_panel import DIVERGING_CMAP, GREY_CMAP, ImagePanel, MosaicPanel
from ..mosaic import range_levels, symmetric_levels
from ..state import is_exposed
from ..timeline import ProbeTimeline

RECORD_INTERVAL_S = 0.5     # keep a weight snapshot at most this often (wall time)
REDRAW_MS = 200             # coalesce redraws after records: at most ~5 per second
# Ten distinguishable line colours (the common "category 10" palette), class 0..9.
CLASS_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
                 (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
                 (188, 189, 34), (23, 190, 207)]
THIN, THICK = 2.0, 5.0


def conv_forward(net, image: np.ndarray) -> dict[str, np.ndarray]:
    """Run ``image (28, 28)`` through ``net``'s layers up to the second pool.

    Returns ``{layer name: (C, H, W) copy}`` for conv1, its activation, pool1, conv2, its
    activation and pool2 (names as in ``net.layers``, e.g. "relu1").
    """
    out = np.asarray(image, dtype=net.dtype)[None, None]
    outputs: dict[str, np.ndarray] = {}
    pools = 0
    for name, layer in net.layers:
        out = layer.forward(out)
        outputs[name] = out[0].copy()
        if name.startswith("pool"):
            pools += 1
            if pools == 2:
                break
    return outputs


class IntegerAxis(pg.AxisItem):
    """An axis whose ticks are whole numbers (training steps: no "0.5" with one snapshot)."""

    def tickSpacing(self, minVal, maxVal, size):
        levels = [(spacing, offset) for spacing, offset in super().tickSpacing(minVal, maxVal,
                                                                                 size)
                  if spacing >= 1]
        return levels or [(1.0, 0.0)]


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
        self._curve_probe: np.ndarray | None = None
        self._last_step: int | None = None         # the step state.net's weights are at
        self._worker_step: int | None = None       # newest step the worker recorded
        self._last_epoch = 0.0
        self._last_record_time = -np.inf
        self._pending: tuple[int, float] | None = None
        self._scratch = None
        self.record_ms: list[float] = []          # cost of each record_from_state (ms)
        self.record_interval_s = RECORD_INTERVAL_S

        self._record_timer = QTimer(self)
        self._record_timer.setSingleShot(True)
        self._record_timer.timeout.connect(self._record_pending)
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.timeout.connect(self._redraw_if_visible)

        self._build_plot()
        self._build_controls()
        self._build_maps()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.plot_widget, 2)
        layout.addLayout(self.legend_row)
        layout.addLayout(self._controls)
        layout.addWidget(self.graphics, 3)
        layout.addWidget(self.status)

        # traceChanged, not probeChanged: the new probe's probabilities exist only after the
        # state has retraced it (probeChanged is emitted before).
        state.traceChanged.connect(self._on_trace)
        state.modelChanged.connect(self._on_model)
        state.progressed.connect(self._on_progressed)
        state.lossesArrived.connect(self.add_worker_records)
        self._on_model()

    # -- construction -----------------------------------------------------------------------
    def _build_plot(self) -> None:
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": IntegerAxis("bottom")})
        plot = self.plot = self.plot_widget.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(x=False, y=False)
        plot.setYRange(-0.02, 1.02, padding=0.0)
        plot.getAxis("left").setTicks([[(v, f"{v:g}") for v in (0, 0.25, 0.5, 0.75, 1)]])
        plot.setLabel("left", "probability")
        plot.setLabel("bottom", "training step")
        plot.showGrid(x=True, y=True, alpha=0.2)
        for side in ("bottom", "left"):   # axes + grid repaint with every curve update: cache
            plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        # the legend is a row of coloured labels under the plot, never over the curves
        self.legend_row = QHBoxLayout()
        self.legend_row.addWidget(QLabel("class:"))
        self.legend_labels = []
        self.lines = []
        for k in range(10):
            line = plot.plot([], [], pen=pg.mkPen(CLASS_COLOURS[k], width=THIN))
            self.lines.append(line)
            r, g, b = CLASS_COLOURS[k]
            label = QLabel(f"<span style='color: rgb({r},{g},{b})'>━━</span> {k}")
            self.legend_labels.append(label)
            self.legend_row.addWidget(label)
        self.legend_row.addStretch(1)
        self._thick: int | None = None
        self.cursor = pg.InfiniteLine(angle=90, movable=False,
                                      pen=pg.mkPen((200, 200, 200), width=1,
                                                   style=Qt.PenStyle.DashLine))
        plot.addItem(self.cursor, ignoreBounds=True)
        self.cursor.hide()
        self._plot_title = ""

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
        self._controls = QHBoxLayout()
        self._controls.addWidget(self.live_button)
        self._controls.addWidget(self.slider, 1)
        self._controls.addWidget(self.step_label)
        self.status = QLabel(" ")

    def _build_maps(self) -> None:
        self.graphics = pg.GraphicsLayoutWidget()
        top = self.graphics.ci.addLayout(row=0, col=0)
        bottom = self.graphics.ci.addLayout(row=1, col=0)
        self.probe_panel = ImagePanel("probe", cmap=GREY_CMAP)
        self.panels = {
            "filters": MosaicPanel("conv1 filters", DIVERGING_CMAP, columns=5, gap=1,
                                   labels="tiles"),
            "conv1": MosaicPanel("conv1 + ReLU", columns=5),
            "pool1": MosaicPanel("pool1", columns=5),
            "conv2": MosaicPanel("conv2 + ReLU", columns=10),
            "pool2": MosaicPanel("pool2", columns=10),
        }
        top.addItem(self.probe_panel.layout, row=0, col=0)
        for col, key in enumerate(("filters", "conv1", "pool1"), start=1):
            top.addItem(self.panels[key].layout, row=0, col=col)
        for col, key in enumerate(("conv2", "pool2")):
            bottom.addItem(self.panels[key].layout, row=0, col=col)
        for col, stretch in enumerate((2, 3, 5, 4)):
            top.layout.setColumnStretchFactor(col, stretch)
        for col, stretch in enumerate((5, 4)):
            bottom.layout.setColumnStretchFactor(col, stretch)

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

    def replayed_maps(self, layer: str) -> np.ndarray:
        """``(C, H, W)`` output of ``layer`` ("conv1", "relu1", "pool1", "conv2", "relu2",
        "pool2") for the current probe with the conv weights of the shown snapshot."""
        self._replay()
        if layer not in self._replayed:
            raise KeyError(f"no replayed layer {layer!r}; have {', '.join(self._replayed)}")
        return self._replayed[layer]

    def replayed_filters(self) -> np.ndarray:
        """``(C1, K, K)`` conv1 filters of the shown snapshot."""
        if self._shown is None:
            raise IndexError("the timeline is empty")
        return np.asarray(self.timeline[self._shown].params["conv1.weight"][:, 0])

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
        self._scratch = build_network(config=net.config, dtype=net.dtype)
        self.timeline.clear()
        self._record_timer.stop()
        self._pending = None
        self._last_step = None
        self._worker_step = None
        self._last_record_time = -np.inf
        self._shown = None
        self._replay_key = None
        self._replayed = {}
        act1 = net.layers[1][0]
        act2 = next(name for name, _ in net.layers[4:] if name.endswith("2"))
        self.panels["conv1"].set_title(f"conv1 + {_act_caption(act1)}")
        self.panels["conv2"].set_title(f"conv2 + {_act_caption(act2)}")
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

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if hasattr(self, "plot_widget"):
            self._fit_plot_title()

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
        label = self.state.probe_label
        for k, line in enumerate(self.lines):
            if len(steps):
                line.setData(steps, probs[:, k])
            else:
                line.setData([], [])
        if label != self._thick:
            if self._thick is not None:
                self.lines[self._thick].setPen(pg.mkPen(CLASS_COLOURS[self._thick], width=THIN))
            if label is not None:
                self.lines[label].setPen(pg.mkPen(CLASS_COLOURS[label], width=THICK))
            for k, legend in enumerate(self.legend_labels):
                font = legend.font()
                font.setBold(k == label)
                legend.setFont(font)
            self._thick = label
        who = "the drawing" if self.state.probe_source == "drawing" else (
            f"held-out digit #{self.state.probe_index}" if self.state.probe_index is not None
            else "the probe")
        truth = f" (true class {label}, thick line)" if label is not None else ""
        self._title_parts = (who, truth)
        self._fit_plot_title()

    def _fit_plot_title(self) -> None:
        """The longest wording of the plot's title that fits the plot's width (it was cut
        at the right in a 1920x1080 window)."""
        who, truth = getattr(self, "_title_parts", ("the probe", ""))
        size = self.plot.titleLabel.opts.get("size") or "11pt"
        font = QFont(self.font())
        font.setPointSizeF(float(size[:-2]) if size.endswith("pt") else 11.0)
        room = self.plot_widget.width() - 16
        short_truth = truth.replace(", thick line", "")
        for title in (f"How sure the network is about {who}{truth}, step by step",
                      f"How sure the network is about {who}{short_truth}",
                      f"Probabilities for {who}{short_truth}", f"{who}: probabilities"):
            if QFontMetricsF(font).horizontalAdvance(title) <= room:
                break
        if title != self._plot_title:
            self._plot_title = title
            self.plot.setTitle(title, size=size)

    def _replay(self) -> None:
        """Compute the shown snapshot's maps for the current probe (cached)."""
        if self._shown is None or self._scratch is None:
            self._replayed = {}
            return
        snapshot = self.timeline[self._shown]
        probe = self.state.probe_image
        cached_snapshot, cached_probe = self._replay_key or (None, None)
        if snapshot is cached_snapshot and np.array_equal(probe, cached_probe):
            return
        for name, array in snapshot.params.items():
            layer, param = name.split(".")
            self._scratch.layer(layer).params[param][...] = array
        self._replayed = conv_forward(self._scratch, probe)
        self._replay_key = (snapshot, probe.copy())

    def _draw_replay(self) -> None:
        self.probe_panel.set_image(self.state.probe_image, (0.0, 1.0))
        label = self.state.probe_label
        self.probe_panel.set_title("probe" + (f" (true {label})" if label is not None else ""))
        if self._shown is None:
            self.step_label.setText("no snapshots yet: start training")
            self.cursor.hide()
            return
        self._replay()
        snapshot = self.timeline[self._shown]
        names = list(self._replayed)
        act1, act2 = names[1], names[4]
        for key, source in (("conv1", act1), ("pool1", "pool1"), ("conv2", act2),
                            ("pool2", "pool2")):
            maps = self._replayed[source]
            self.panels[key].set_maps(maps, range_levels(maps))
        filters = np.asarray(snapshot.params["conv1.weight"][:, 0])
        levels = symmetric_levels(filters)
        self.panels["filters"].set_maps(filters, levels)
        self.panels["filters"].set_title(f"conv1 filters (±{levels[1]:.2g})")
        n = len(self.timeline)
        where = "newest" if self._shown == n - 1 else f"{self._shown + 1} of {n}"
        self.step_label.setText(f"step {snapshot.step} · epoch {snapshot.epoch_progress:.2f}"
                                f"  ({where})")
        self.cursor.setValue(snapshot.step)
        self.cursor.show()
        self.status.setText(f"{n} snapshots kept ({self.timeline.memory_bytes / 1e6:.1f} MB; "
                            "older ones thinned). Drag the slider to replay; Live follows "
                            "training.")


def _act_caption(name: str) -> str:
    """"relu1" -> "ReLU", "sigmoid2" -> "sigmoid"."""
    base = name.rstrip("0123456789")
    return "ReLU" if base == "relu" else base
