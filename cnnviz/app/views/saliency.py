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

Both recompute as the probe changes (drawing, browsing, a training snapshot), coalesced by a
single-shot timer and skipped while the view is hidden; meanwhile the last maps stay, with a
"computing…" note.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, QTimer
from PyQt6.QtGui import QFont, QFontMetricsF
from PyQt6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..fit_layout import Option, Placement, arrange
from ..image_panel import FitCanvas
from ..label_fit import fit_label
from ..mosaic import symmetric_levels
from ...explain.attribution import gradient_saliency
from ...explain.occlusion import (OCCLUSION_STRIDE, PATCH, occluded_batch, occlusion_drop,
                                  occlusion_positions)
from ..probe_job import ProbeJob
from ..state import AppState
from ..state import is_exposed
from ..number_grid import DIVERGING_CMAP, GREY_CMAP, image_box

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


class SaliencyView(QWidget):
    """The probe, its input gradient for the predicted class, and its occlusion map."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("saliencyView")
        self.state = state
        self.predicted_class: int | None = None
        self.probability = 0.0
        self.last_compute_ms = 0.0
        self._saliency = np.zeros(self._image_shape(), np.float32)
        self._occlusion = np.zeros((1, 1), np.float32)
        self._dirty = True
        self.job = ProbeJob(state, self)
        self.job.ready.connect(self._on_result)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COALESCE_MS)
        self._timer.timeout.connect(self._on_timer)
        self._build()
        state.probeChanged.connect(self.schedule)
        state.modelChanged.connect(self.schedule)
        state.traceChanged.connect(lambda _trace: self.schedule(WEIGHTS_COALESCE_MS))

    # -- construction ---------------------------------------------------------------------
    def _build(self) -> None:
        # three panels placed by hand (``arrange``): a row when wide, two rows when narrow
        self.graphics = pg.GraphicsView(background="k")
        self.canvas = FitCanvas(self._arrange)
        self.graphics.setCentralItem(self.canvas)
        self.panels: dict[str, pg.GraphicsLayout] = {}
        self.bars: dict[str, pg.ColorBarItem] = {}
        self.placements: dict = {}
        self._title_texts: dict[str, list[str]] = {}
        self._title_widths: dict[str, float] = {}

        def panel(key: str):
            layout = pg.GraphicsLayout()
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setSpacing(0)
            layout.setParentItem(self.canvas)
            self.panels[key] = layout
            return layout.addLabel("", row=0, col=0), image_box(layout, row=1, col=0)

        self.input_title, self.input_box = panel("input")
        self.input_image = pg.ImageItem(axisOrder="row-major")
        self.input_image.setColorMap(pg.colormap.get(GREY_CMAP))
        self.input_box.addItem(self.input_image)

        self.grad_title, self.grad_box = panel("grad")
        self.grad_image = pg.ImageItem(axisOrder="row-major")
        self.grad_box.addItem(self.grad_image)
        self.grad_bar = pg.ColorBarItem(colorMap=pg.colormap.get(DIVERGING_CMAP),
                                        interactive=False, width=14, colorMapMenu=False)
        self.grad_bar.setImageItem(self.grad_image)

        self.occ_title, self.occ_box = panel("occ")
        self.occ_image = pg.ImageItem(axisOrder="row-major")
        self.occ_box.addItem(self.occ_image)
        # The digit's ink, faint white on top, shows where the important patches are.
        self.occ_digit = pg.ImageItem(axisOrder="row-major")
        self.occ_digit.setZValue(2)
        self.occ_box.addItem(self.occ_digit)
        self.occ_bar = pg.ColorBarItem(colorMap=pg.colormap.get(DIVERGING_CMAP),
                                       interactive=False, width=14, colorMapMenu=False)
        self.occ_bar.setImageItem(self.occ_image)
        self.bars = {"grad": self.grad_bar, "occ": self.occ_bar}
        for bar in self.bars.values():
            bar.setParentItem(self.canvas)
        self._titles = {"input": self.input_title, "grad": self.grad_title,
                        "occ": self.occ_title}
        h, w = self._image_shape()
        for box in (self.input_box, self.grad_box, self.occ_box):
            box.setRange(xRange=(0, w), yRange=(0, h), padding=0.02)

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

    def _apply_fonts(self) -> None:
        big = QFont(self.font())
        big.setPointSizeF(self.font().pointSizeF() * 1.25)
        self.caption.setFont(big)
        size = f"{self.font().pointSizeF() * 1.15:.1f}pt"
        for title in self._titles.values():
            title.setText(title.text, size=size)
        self._arrange()

    # -- layout ----------------------------------------------------------------------------
    def _tick_width(self) -> float:
        """Room for the colour bars' tick labels in the font they are drawn in (presentation
        mode gives the axes a larger tick font than the widget's)."""
        fonts = [self.font()] + [bar.axis.style.get("tickFont") for bar in self.bars.values()]
        return max(QFontMetricsF(f).horizontalAdvance("-0.25") for f in fonts if f) + 14

    def _arrange(self, *_args) -> None:
        """Place the three panels (and two colour bars) for the canvas's current size.

        The probe may come out smaller than the two maps (``INPUT_SCALES``): three equal
        squares in a row use only half the height of a wide view, while a smaller probe
        leaves the width to the maps that need it. The block is centred vertically.
        """
        size = self.canvas.size()
        if not hasattr(self, "_titles") or size.width() < 20 or size.height() < 20:
            return
        bar_w = 4 + 14 + self._tick_width()
        # the probe at a fraction k of the maps' height: content k*h wide, drawn k*h tall
        side = self._image_shape()[0]
        options = {"input": [Option(k, k, side / k) for k in INPUT_SCALES],
                   "grad": [Option(1.0, 1.0, side, extra_w=bar_w)],
                   "occ": [Option(1.0, 1.0, side, extra_w=bar_w)]}
        title_px = max(t.minimumHeight() for t in self._titles.values()) + 2
        placements = arrange(size.width(), size.height(), TEMPLATES, options,
                             title_px=title_px, spacing=8, weights={"input": 0.6})
        if not placements:
            return
        used = max(p.rect[1] + p.rect[3] for p in placements.values())
        dy = max(0.0, (size.height() - used) / 2)
        self.placements = {}
        for key, place in placements.items():
            x, y, w, h = place.rect
            y += dy
            content = place.content_h
            if key == "input" and place.value < 1.0:     # top-aligned, square
                content = place.content_h * place.value
                h = h - place.content_h + content
            self.placements[key] = Placement(place.value, (x, y, w, h), content)
        pad = QFontMetricsF(self.font()).height() / 2
        for key, place in self.placements.items():
            x, y, w, h = place.rect
            extra = bar_w if key in self.bars else 0.0
            self._title_widths[key] = w - extra
            self._fit_title(key)
            self.panels[key].setGeometry(QRectF(x, y, w - extra, h))
            if key in self.bars:
                bar = self.bars[key]
                bar.axis.setWidth(self._tick_width())   # pyqtgraph's fixed 45 px cut "-0.25"
                p = min(pad, place.content_h / 4)
                bar.setGeometry(QRectF(x + w - extra + 4, y + h - place.content_h + p,
                                       extra - 4, place.content_h - 2 * p))

    def _fit_title(self, key: str) -> None:
        texts, width = self._title_texts.get(key), self._title_widths.get(key)
        if texts and width:
            fit_label(self._titles[key], texts, width)

    def _set_title(self, key: str, texts: list[str]) -> None:
        self._title_texts[key] = texts
        self._fit_title(key)

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

    def schedule(self, delay_ms: int = COALESCE_MS) -> None:
        """Recompute within ``delay_ms``, coalescing a burst of changes into one recompute."""
        self._dirty = True
        if not is_exposed(self):
            return                      # hidden or a tab behind another: showEvent catches up
        if not self._timer.isActive() or self._timer.remainingTime() > delay_ms:
            self._timer.start(delay_ms)

    def recompute(self) -> None:
        """Compute both maps for ``state.probe_image`` with ``state.net`` in the background
        (``ProbeJob``: a detached copy of the network); ``_on_result`` draws them."""
        self._dirty = False
        self.job.submit(_saliency_and_occlusion)

    # -- internals ------------------------------------------------------------------------------
    def _on_timer(self) -> None:
        if is_exposed(self) and self._dirty:
            self.recompute()

    def _on_result(self, result) -> None:
        saliency, occlusion, ms = result
        self._saliency, self._occlusion = saliency.gradient, occlusion
        self.predicted_class, self.probability = saliency.class_index, saliency.probability
        self.last_compute_ms = ms
        self._draw()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self.schedule()

    def _draw(self, *_args) -> None:
        if self.predicted_class is None:
            return
        cls, image = self.predicted_class, self.state.probe_image
        self.input_image.setImage(image, autoLevels=False, levels=(0.0, 1.0))
        label = "" if self.state.probe_label is None else f", true {self.state.probe_label}"
        self._set_title("input", [f"predicted {cls} (p = {self.probability:.2f}){label}",
                                  f"predicted {cls} ({self.probability:.0%})", f"→ {cls}"])

        grad = self._saliency
        if self.absolute.isChecked():
            grad = np.abs(grad)
            levels = (0.0, float(grad.max()) or 1.0)
            cmap = pg.colormap.get("viridis")
            titles = [f"|gradient of score {cls}|", "|gradient|"]
        else:
            levels = symmetric_levels(grad)
            cmap = pg.colormap.get(DIVERGING_CMAP)
            titles = [f"gradient of score {cls}", "gradient"]
        self.grad_bar.setColorMap(cmap)
        self.grad_image.setImage(grad, autoLevels=False, levels=levels)
        self.grad_bar.setLevels(levels)
        self._set_title("grad", titles)

        occ = self._occlusion
        n = occ.shape[0]
        self.occ_image.setImage(occ, autoLevels=False)
        # Cell (i, j) is centred on its patch: offset i*stride + PATCH/2, spacing = stride.
        half = OCCLUSION_STRIDE / 2
        start = PATCH / 2 - half
        self.occ_image.setRect(QRectF(start, start, n * OCCLUSION_STRIDE, n * OCCLUSION_STRIDE))
        ink = np.zeros(image.shape + (4,), np.uint8)
        ink[..., :3] = 255
        ink[..., 3] = (np.clip(image, 0, 1) * 120).astype(np.uint8)
        self.occ_digit.setImage(ink, autoLevels=False, levels=(0, 255))
        # A floor on the scale: a 0.001 drop of a confident digit must not look bright red.
        occ_levels = symmetric_levels(np.append(occ, OCCLUSION_MIN_SCALE))
        self.occ_image.setLevels(occ_levels)
        self.occ_bar.setLevels(occ_levels)
        self._set_title("occ", [f"occlusion: drop in P({cls})", f"drop in P({cls})", "occlusion"])
        if not self.placements:
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
