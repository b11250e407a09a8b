"""The channel card: what does one channel detect?

Click a channel in the activations, filters, pooling or inspector views (or pick one here)
and the card shows, computed by ``cnnviz.explain``:

* its filter: the incoming weights (a conv kernel over every input channel, or a dense
  unit's weight row shaped like the maps it reads);
* the 9 training digits that excite it most, each dimmed outside the receptive field of its
  strongest pixel, with that field outlined; click one to make it the probe;
* a synthesised input that excites it more than any digit (gradient ascent, blurred);
* its mean activation per class as bars: for the held-out digits of each class, the mean of
  each digit's strongest response (its maximum over positions, as the top patches rank).

Filter, synthesised image and bars follow training live (throttled); the top patches are
recomputed when the channel or model changes, after each epoch and on "Refresh patches".
Everything heavy runs in a background thread (``BackgroundJob``).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QTimer
from PyQt6.QtGui import QColor, QPainterPath, QPen
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout

from ... import explain
from ..background import BackgroundJob
from ..image_panel import DIVERGING_CMAP, GREY_CMAP, ImagePanel, MosaicPanel
from ..live_view import LiveView
from ..mosaic import symmetric_levels
from ..state import AppState

LIVE_INTERVAL_MS = 2000        # while training: live parts at most every 2 s
MAX_PATCH_IMAGES = 10_000      # top patches over at most this many training digits
SYNTH_STEPS = 120
BAR_COLOR = (90, 120, 170)
DIM = 0.35                     # brightness outside a patch's receptive field


class ChannelCardView(LiveView):
    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(state, parent)
        self.layer: str | None = None
        self.channel = 0
        self.patches: explain.TopPatches | None = None
        self.synth: explain.Synthesised | None = None
        self.class_means: np.ndarray | None = None
        self._generation = 0
        self._patches_stale = True
        self._live_stale = True
        self.patch_job = BackgroundJob(self)
        self.live_job = BackgroundJob(self)
        self.patch_job.finished.connect(self._on_patches)
        self.live_job.finished.connect(self._on_live)
        for job in (self.patch_job, self.live_job):
            job.failed.connect(lambda _tag, message: self.status.setText(message))
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(LIVE_INTERVAL_MS)
        self._live_timer.timeout.connect(self._submit_live)
        self._build()
        state.channelSelected.connect(self.show_channel)
        state.modelChanged.connect(self._on_model)
        state.datasetChanged.connect(self._on_data)
        state.paramsChanged.connect(self._on_params)
        state.evaluated.connect(self._on_evaluated)
        self._fill_layers()

    # -- construction ------------------------------------------------------------------------
    def _build(self) -> None:
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Layer of the channel")
        self.channel_box = QSpinBox()
        self.channel_box.setToolTip("Channel (or unit) of that layer")
        self.refresh_button = QPushButton("Refresh patches")
        self.refresh_button.setToolTip("Search the training digits again with the current weights")
        self.refresh_button.clicked.connect(self.refresh_patches)
        self.layer_box.activated.connect(lambda _i: self.show_channel(
            self.layer_box.currentText(), 0))
        self.channel_box.editingFinished.connect(lambda: self.show_channel(
            self.layer_box.currentText(), self.channel_box.value()))
        top = QHBoxLayout()
        top.addWidget(QLabel("Layer"))
        top.addWidget(self.layer_box)
        top.addWidget(QLabel("channel"))
        top.addWidget(self.channel_box)
        top.addWidget(self.refresh_button)
        top.addStretch(1)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("k")
        g = self.graphics.ci
        self.patch_panel = MosaicPanel("top 9 training digits", GREY_CMAP, columns=3, gap=2,
                                       labels=None)
        self.filter_panel = MosaicPanel("filter", DIVERGING_CMAP, labels=None)
        self.synth_panel = ImagePanel("synthesised", GREY_CMAP)
        self.bar_plot = g.addPlot(row=1, col=1)
        self.bar_plot.setTitle("mean peak per class", size="9pt")
        self.bar_plot.setMenuEnabled(False)
        self.bar_plot.setMouseEnabled(x=False, y=False)
        self.bar_plot.hideButtons()
        self.bar_plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(10)]])
        self.bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.75,
                                    brush=BAR_COLOR)
        self.bar_plot.addItem(self.bars)
        g.addItem(self.patch_panel.layout, row=0, col=0)
        g.addItem(self.filter_panel.layout, row=0, col=1)
        g.addItem(self.synth_panel.layout, row=1, col=0)
        self.boxes = self.patch_panel.outline
        pen = QPen(QColor(255, 170, 40))
        pen.setCosmetic(True)
        pen.setWidthF(1.5)
        self.boxes.setPen(pen)
        self.graphics.scene().sigMouseClicked.connect(self._on_click)
        self.graphics.scene().sigMouseMoved.connect(self._on_hover)

        self.status = QLabel("Click a channel in Activations, Filters, Pooling or the Inspector.")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.status)

    def _fill_layers(self) -> None:
        names = [info.name for info in explain.channel_layers(self.state.net)]
        self.layer_box.clear()
        self.layer_box.addItems(names)
        if self.layer not in names:
            self.layer, self.channel = (names[0] if names else None), 0
        if self.layer is not None:
            self.layer_box.setCurrentText(self.layer)
            self._set_channel_range()

    def _set_channel_range(self) -> None:
        count = explain.find_layer(self.state.net, self.layer).shape[0]
        self.channel_box.blockSignals(True)
        self.channel_box.setRange(0, count - 1)
        self.channel_box.setValue(self.channel)
        self.channel_box.blockSignals(False)

    # -- what to show ------------------------------------------------------------------------
    def show_channel(self, layer: str, channel: int) -> None:
        """Explain ``channel`` of ``layer``: the card starts over for it."""
        try:
            info = explain.find_layer(self.state.net, layer)
        except ValueError as exc:
            self.status.setText(str(exc))
            return
        if not 0 <= channel < info.shape[0]:
            self.status.setText(f"{layer} has {info.shape[0]} channels; {channel} is out of range")
            return
        self.layer, self.channel = layer, int(channel)
        self.layer_box.setCurrentText(layer)
        self._set_channel_range()
        self._generation += 1
        self.patches = self.synth = self.class_means = None
        self._patches_stale = self._live_stale = True
        self.status.setText(f"{layer} channel {channel}: searching the training digits…")
        self.schedule_refresh()

    def refresh_patches(self) -> None:
        """Search the training digits again with the current weights (on demand)."""
        self._patches_stale = True
        self.schedule_refresh()

    def show_evaluation(self, _evaluation) -> None:
        """A new held-out evaluation (after every epoch): the top patches may have changed."""
        self.refresh_patches()

    def _on_evaluated(self, evaluation) -> None:
        if evaluation is not None:        # None: a replayed step before any evaluation
            self.show_evaluation(evaluation)

    def _on_model(self) -> None:
        self._fill_layers()
        self.show_channel(self.layer, min(self.channel, self.channel_box.maximum()))

    def _on_data(self) -> None:
        self.refresh_patches()

    def _on_params(self) -> None:
        self._live_stale = True
        self.schedule_refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # work skipped while the card was hidden or tabbed behind (a click raises it after
        # selecting the channel): start it now that it is on screen
        if self._patches_stale or self._live_stale:
            QTimer.singleShot(0, self.schedule_refresh)

    # -- computing (background) --------------------------------------------------------------
    def refresh(self) -> None:
        """Draw the filter now; start whatever background work is stale."""
        if self.layer is None:
            return
        self._draw_filter()
        if self._patches_stale:
            self._submit_patches()
        if self._live_stale and not self._live_timer.isActive():
            if self.live_job.busy or self.synth is not None:
                self._live_timer.start()     # throttled while training
            else:
                self._submit_live()

    def _submit_patches(self) -> None:
        ds = self.state.dataset
        if ds is None:
            return
        self._patches_stale = False
        net = explain.detached_copy(self.state.net)
        images = ds.train_images[:MAX_PATCH_IMAGES]
        layer, channel = self.layer, self.channel
        self.patch_job.submit((self._generation, layer, channel),
                              lambda: explain.top_patches(net, images, layer, channel, k=9))

    def _submit_live(self) -> None:
        if self.layer is None or not self.exposed:
            return
        self._live_stale = False
        net = explain.detached_copy(self.state.net)
        ds = self.state.dataset
        layer, channel = self.layer, self.channel

        def work():
            synth = explain.maximize_activation(net, layer, channel, steps=SYNTH_STEPS, seed=0)
            means = None
            if ds is not None:
                maps = explain.channel_activation(net, ds.test_images, layer, channel)
                # per digit its strongest response (as the top patches rank them)
                means = explain.class_means(maps.reshape(len(maps), -1).max(axis=1),
                                            ds.test_labels)
            return synth, means
        self.live_job.submit((self._generation, layer, channel), work)

    def _on_patches(self, tag, result: explain.TopPatches) -> None:
        if tag[0] != self._generation:
            return
        self.patches = result
        self._draw_patches()
        self.status.setText(f"{self.layer} channel {self.channel}: best digit reaches "
                            f"{result.values[0]:.3g}. Click a digit to make it the probe.")

    def _on_live(self, tag, result) -> None:
        if tag[0] != self._generation:
            return
        self.synth, self.class_means = result
        self._draw_live()
        if self._live_stale:
            self._live_timer.start()

    # -- drawing -----------------------------------------------------------------------------
    def _draw_filter(self) -> None:
        owner, maps = explain.channel_weights(self.state.net, self.layer, self.channel)
        self.filter_panel.columns = max(1, int(np.ceil(np.sqrt(len(maps)))))
        self.filter_panel.set_maps(np.asarray(maps, np.float32), symmetric_levels(maps))
        what = "kernel" if maps.shape[0] * maps.shape[1] * maps.shape[2] < 2000 and \
            explain.find_layer(self.state.net, owner).kind == "conv" else "weights"
        self.filter_panel.set_title(f"{owner} {what} {self.channel}")
        self.filter_panel.box.setToolTip(f"{owner} {what} of channel {self.channel}: "
                                         f"{' × '.join(str(s) for s in maps.shape)}")

    def _draw_patches(self) -> None:
        p = self.patches
        images = self.state.dataset.train_images[p.indices].astype(np.float32) / 255
        shown = images * DIM
        path = QPainterPath()
        for k, (top, left, bottom, right) in enumerate(p.boxes):
            shown[k, top:bottom + 1, left:right + 1] = images[k, top:bottom + 1, left:right + 1]
        self.patch_panel.set_maps(shown, (0.0, 1.0))
        for k, (top, left, bottom, right) in enumerate(p.boxes):
            y, x = self.patch_panel.mosaic.origin(k)
            path.addRect(x + left, y + top, right - left + 1, bottom - top + 1)
        self.boxes.setPath(path)
        self.patch_panel.set_title(f"top {len(p.indices)} of {len(p.maxima):,} digits")

    def _draw_live(self) -> None:
        if self.synth is not None:
            self.synth_panel.set_image(self.synth.image, (0.0, 1.0))
            self.synth_panel.set_title(f"synthesised ({self.synth.value:.3g})")
        if self.class_means is not None:
            means = self.class_means
            self.bars.setOpts(x=np.arange(len(means)), height=means)
            self.bar_plot.setXRange(-0.6, len(means) - 0.4, padding=0)

    # -- mouse -------------------------------------------------------------------------------
    def patch_at(self, scene_pos) -> int | None:
        """Which of the top patches (0-8) is under a scene position."""
        if self.patches is None:
            return None
        found = self.patch_panel.locate(scene_pos)
        return None if found is None else found[0]

    def choose_patch(self, k: int) -> None:
        """Make the ``k``-th top digit the probe."""
        if self.patches is None or not 0 <= k < len(self.patches.indices):
            return
        ds = self.state.dataset
        i = int(self.patches.indices[k])
        self.state.set_probe(ds.train_images[i] / 255.0, int(ds.train_labels[i]), source="dataset")

    def _on_click(self, event) -> None:
        k = self.patch_at(event.scenePos())
        if k is not None:
            self.choose_patch(k)

    def _on_hover(self, scene_pos) -> None:
        k = self.patch_at(scene_pos)
        if k is None:
            return
        p, ds = self.patches, self.state.dataset
        i = int(p.indices[k])
        self.status.setText(f"training digit #{i} (a {int(ds.train_labels[i])}): maximum "
                            f"{p.values[k]:.3g} at ({p.positions[k][0]}, {p.positions[k][1]}); "
                            "click to make it the probe")
