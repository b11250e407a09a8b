"""Which pixels of the probe digit does the network look at? Two answers side by side.

* Gradient saliency: ``d logit[c] / d pixel`` for the predicted class ``c``, one backward
  pass of the UI-side network (``cnnviz.explain.attribution.gradient_saliency``; any
  architecture, with or without conv layers). Red: more ink here would raise the class's
  score; blue: it would lower it. Colour scale symmetric around zero.
* Occlusion: cover the digit with a grey 4x4 patch (value 0.5) at every position on a grid
  with stride ``OCCLUSION_STRIDE`` and measure how much the predicted class's probability
  drops (``cnnviz.explain.occlusion``); the occluded copies go through a few chunked
  forward passes ``(K, 1, H, W)``.

Both run in a background thread on a detached copy of the network (a ``ProbeJob``; ~40 ms at
lenet, never on the UI thread); a result for a probe or network changed meanwhile is dropped.

The view only draws: every number comes from ``cnnviz.explain``.

Both recompute as the probe changes (drawing, browsing, a training snapshot): a ``LiveView``
whose ``refresh`` starts the job, coalescing a burst of changes (``COALESCE_MS``), at most
every ``WEIGHTS_COALESCE_MS`` while training, and skipped while the view is hidden (a show
catches up); meanwhile the last maps stay, with a "computing…" note.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout

from ..fit_layout import Option, Placement, arrange
from ..image_panel import FitCanvas
from ..mosaic import symmetric_levels
from ..mosaic_panel import MosaicBarPanel
from ...explain.attribution import gradient_saliency
from ...explain.occlusion import (OCCLUSION_STRIDE, PATCH, occluded_batch, occlusion_drop,
                                  occlusion_positions)
from ..probe_job import ProbeJob
from ..live_view import LiveView
from ..state import AppState
from ..number_grid import DIVERGING_CMAP, GREY_CMAP

# the computations live in cnnviz.explain; these names stay importable from the view
__all__ = ["OCCLUSION_STRIDE", "PATCH", "SaliencyView", "occluded_batch", "occlusion_drop",
           "occlusion_positions"]

OCCLUSION_MIN_SCALE = 0.05
# rows of panels: one row when wide, two rows when narrow or tall
TEMPLATES = [
    [["input", "grad", "occ"]],
    [["input", "grad"], ["occ"]],
    [["grad", "occ"], ["input"]],
    [["input"], ["grad"], ["occ"]],
]
# the probe's size as a fraction of the maps' (the maps matter more; see _arrange)
INPUT_SCALES = (1.0, 0.75, 0.5)
COALESCE_MS = 40          # after a probe change (drawing): feel live
WEIGHTS_COALESCE_MS = 300  # after a weight update only (training): at most ~3 Hz, to leave
                           # the cores to training while it streams snapshots at 10 Hz


def _saliency_and_occlusion(net, image):
    """``(Saliency, occlusion (H', W') float32, ms)`` of ``image (H, W)``: run in a worker
    thread on a detached copy of the network."""
    started = time.perf_counter()
    saliency = gradient_saliency(net, image)
    occlusion = occlusion_drop(net, image, saliency.class_index).astype(np.float32)
    return saliency, occlusion, (time.perf_counter() - started) * 1e3


class SaliencyView(LiveView):
    """The probe, its input gradient for the predicted class, and its occlusion map."""

    coalesce_ms = COALESCE_MS              # a drawn stroke's burst of probes: one job
    min_interval_ms = WEIGHTS_COALESCE_MS  # while training

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(state, parent)
        self.setObjectName("saliencyView")
        self.predicted_class: int | None = None
        self.probability = 0.0
        self.last_compute_ms = 0.0
        self._saliency = np.zeros(self._image_shape(), np.float32)
        self._occlusion = np.zeros((1, 1), np.float32)
        self.job = ProbeJob(state, self)
        self.job.ready.connect(self._on_result)
        self._build()
        state.probeChanged.connect(self.refresh_soon)
        state.modelChanged.connect(self.refresh_soon)
        state.traceChanged.connect(self.schedule_refresh)     # new weights: throttled

    # -- construction ---------------------------------------------------------------------
    def _build(self) -> None:
        # three "title + map (+ colour bar)" panels placed by hand (``arrange``): a row when
        # wide, two rows when narrow
        self.graphics = pg.GraphicsView(background="k")
        self.canvas = FitCanvas(self._arrange)
        self.graphics.setCentralItem(self.canvas)
        self.panels = {
            "input": MosaicBarPanel(GREY_CMAP, labels=None, colour_bar=False),
            "grad": MosaicBarPanel(DIVERGING_CMAP, labels=None, tick_sample="-0.025"),
            "occ": MosaicBarPanel(DIVERGING_CMAP, labels=None, tick_sample="-0.25"),
        }
        for key, panel in self.panels.items():
            panel.set_parent(self.canvas)
            panel.set_titles([key])         # a text from the start: the title row's height
        self.placements: dict = {}
        # The digit's ink, faint white over the occlusion map, shows where the important
        # patches are; drawn in the map's cell coordinates (see _draw)
        self.occ_digit = pg.ImageItem(axisOrder="row-major")
        self.occ_digit.setZValue(2)
        self.panels["occ"].box.addItem(self.occ_digit, ignoreBounds=True)

        self.absolute = QCheckBox("show |gradient| (how much, not which way)")
        self.absolute.toggled.connect(self._draw)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        controls = QHBoxLayout()
        controls.addWidget(self.absolute)
        controls.addStretch(1)
        controls.addWidget(self.job.note)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.caption)
        self._apply_fonts()

    # the panels' items, for tests and scripts
    input_image = property(lambda self: self.panels["input"].image)
    grad_image = property(lambda self: self.panels["grad"].image)
    occ_image = property(lambda self: self.panels["occ"].image)
    bars = property(lambda self: {k: self.panels[k].bar for k in ("grad", "occ")})
    _titles = property(lambda self: {k: p.title for k, p in self.panels.items()})

    def _apply_fonts(self) -> None:
        big = QFont(self.font())
        big.setPointSizeF(self.font().pointSizeF() * 1.25)
        self.caption.setFont(big)
        for panel in self.panels.values():
            panel.set_title_size(f"{self.font().pointSizeF() * 1.15:.1f}pt")
        self._arrange()

    # -- layout ----------------------------------------------------------------------------
    def _arrange(self, *_args) -> None:
        """Place the three panels (two with colour bars) for the canvas's current size.

        The probe may come out smaller than the two maps (``INPUT_SCALES``): three equal
        squares in a row use only half the height of a wide view, while a smaller probe
        leaves the width to the maps that need it. The block is centred vertically.
        """
        size = self.canvas.size()
        if not hasattr(self, "panels") or size.width() < 20 or size.height() < 20:
            return
        font = self.font()
        # the probe at a fraction k of the maps' height: content k*h wide, drawn k*h tall
        h, w = self._image_shape()
        options = {"input": [Option(k, k * w / h, h / k) for k in INPUT_SCALES]}
        for key in ("grad", "occ"):
            options[key] = [Option(None, w / h, h, extra_w=self.panels[key].bar_width(font))]
        title_px = max(panel.title_px() for panel in self.panels.values())
        placements = arrange(size.width(), size.height(), TEMPLATES, options,
                             title_px=title_px, spacing=8, weights={"input": 0.6})
        if not placements:
            return
        used = max(p.rect[1] + p.rect[3] for p in placements.values())
        dy = max(0.0, (size.height() - used) / 2)
        self.placements = {}
        for key, place in placements.items():
            x, y, pw, ph = place.rect
            content = place.content_h
            if key == "input" and place.value < 1.0:     # top-aligned, square
                content = place.content_h * place.value
                ph = ph - place.content_h + content
            self.placements[key] = Placement(place.value, (x, y + dy, pw, ph), content)
            self.panels[key].place(self.placements[key], font)

    def changeEvent(self, event) -> None:
        from PyQt6.QtCore import QEvent
        if event.type() == QEvent.Type.FontChange:
            self._apply_fonts()
        super().changeEvent(event)

    # -- public API ----------------------------------------------------------------------------
    def _image_shape(self) -> tuple[int, int]:
        """The probe's ``(H, W)``, from the network's description."""
        return tuple(self.state.net.describe()[0].output_shape[1:])

    def saliency_map(self) -> np.ndarray:
        """``(H, W)`` d logit[predicted class] / d pixel, the newest computed (in the
        background: ``job.ready`` says when a probe's maps have arrived)."""
        return self._saliency

    def occlusion_map(self) -> np.ndarray:
        """``(H', W')`` drop in P(predicted class); cell ``(i, j)`` is the patch at ``(i, j) * stride``."""
        return self._occlusion

    def refresh(self) -> None:
        """Compute both maps for ``state.probe_image`` with ``state.net`` in the background
        (``ProbeJob``: a detached copy of the network); ``_on_result`` draws them."""
        self.job.submit(_saliency_and_occlusion)

    def recompute(self) -> None:
        """Compute both maps now, whether or not anything changed (tests, scripts)."""
        self.refresh()

    # -- internals ------------------------------------------------------------------------------
    def _on_result(self, result) -> None:
        saliency, occlusion, ms = result
        self._saliency, self._occlusion = saliency.gradient, occlusion
        self.predicted_class, self.probability = saliency.class_index, saliency.probability
        self.last_compute_ms = ms
        self._draw()

    def _draw(self, *_args) -> None:
        if self.predicted_class is None:
            return
        cls, image = self.predicted_class, self.state.probe_image
        self.panels["input"].set_maps(np.asarray(image, np.float32)[None], (0.0, 1.0))
        label = "" if self.state.probe_label is None else f", true {self.state.probe_label}"
        self.panels["input"].set_titles([
            f"predicted {cls} (p = {self.probability:.2f}){label}",
            f"predicted {cls} ({self.probability:.0%})", f"→ {cls}"])

        grad, panel = self._saliency, self.panels["grad"]
        if self.absolute.isChecked():
            grad = np.abs(grad)
            levels = (0.0, float(grad.max()) or 1.0)
            panel.set_colormap("viridis")
            titles = [f"|gradient of score {cls}|", "|gradient|"]
        else:
            levels = symmetric_levels(grad)
            panel.set_colormap(DIVERGING_CMAP)
            titles = [f"gradient of score {cls}", "gradient"]
        panel.set_maps(np.asarray(grad, np.float32)[None], levels)
        panel.set_titles(titles)

        occ = self._occlusion
        # A floor on the scale: a 0.001 drop of a confident digit must not look bright red.
        occ_levels = symmetric_levels(np.append(occ, OCCLUSION_MIN_SCALE))
        self.panels["occ"].set_maps(np.asarray(occ, np.float32)[None], occ_levels)
        self.panels["occ"].set_titles([f"occlusion: drop in P({cls})", f"drop in P({cls})",
                                       "occlusion"])
        # Cell (i, j) is centred on its patch: pixel p of the digit sits at cell coordinate
        # (p - start) / stride, start = PATCH/2 - stride/2 (the left edge of cell 0)
        ink = np.zeros(image.shape + (4,), np.uint8)
        ink[..., :3] = 255
        ink[..., 3] = (np.clip(image, 0, 1) * 120).astype(np.uint8)
        self.occ_digit.setImage(ink, autoLevels=False, levels=(0, 255))
        start = PATCH / 2 - OCCLUSION_STRIDE / 2         # (after setImage: it sizes the rect)
        h, w = image.shape
        digit = QRectF(-start / OCCLUSION_STRIDE, -start / OCCLUSION_STRIDE,
                       w / OCCLUSION_STRIDE, h / OCCLUSION_STRIDE)
        self.occ_digit.setRect(digit)
        box = self.panels["occ"].box
        if box.viewRect() != digit:    # the whole digit: its edge rows spill past the cells
            box.setRange(digit, padding=0)
            box.updateViewRange()
            box.updateMatrix()
        if not self.placements or any(p.title_outgrew() for p in self.panels.values()):
            self._arrange()
        red = "red raises the score, blue lowers it" if not self.absolute.isChecked() else \
            "bright: the score is sensitive there"
        self._captions = (
            f"Gradient: {red}. Occlusion: how much P({cls}) drops when a grey "
            f"{PATCH}x{PATCH} patch covers each place. "
            f"Predicted {cls} with probability {self.probability:.3f}. Biggest drop "
            f"{float(occ.max()):.3f} (red: covering there hurts the prediction most). "
            f"Recomputed in {self.last_compute_ms:.0f} ms.",
            f"Predicted {cls} (p = {self.probability:.3f}); biggest drop {float(occ.max()):.3f}.")
        self._fit_caption()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_caption()

    def _fit_caption(self) -> None:
        """The full explanation unless it would take over a third of a short view (a small
        dock, large type): then one short line, the full text as its tooltip."""
        captions = getattr(self, "_captions", None)
        if not captions:
            return
        full, short = captions
        self.caption.setText(full)
        if self.caption.heightForWidth(max(1, self.width() - 20)) > self.height() / 3:
            self.caption.setText(short)
            self.caption.setToolTip(full)
        else:
            self.caption.setToolTip("")
