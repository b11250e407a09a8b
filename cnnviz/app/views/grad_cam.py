"""Grad-CAM and guided backpropagation of the probe digit, for any class (beside Saliency).

* Grad-CAM: which places of a conv layer's maps speak for the class (the maps weighted by
  the mean gradient of the class's score, ReLU), upsampled to the digit and laid over it.
* Guided backpropagation: the input gradient where every ReLU also lets only positive
  gradients through: sharp strokes that raise the score.
* Guided Grad-CAM: the two multiplied, the strokes inside the places.

Computed by ``cnnviz.explain`` in a background thread on a copy of the network (a
``ProbeJob``: about a millisecond at lenet, never on the UI thread), redone when the probe,
the weights, the class or the layer change, while the view is on screen. Meanwhile the view
keeps its last picture and says "computing…".
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout

from ... import explain
from ..image_panel import DIVERGING_CMAP, GREY_CMAP, ImagePanel, colormap
from ..label_fit import fit_label, keep_layout_in_view
from ..live_view import LiveView
from ..mosaic import symmetric_levels
from ..probe_job import ProbeJob
from ..state import AppState

HEAT_CMAP = "inferno"
PREDICTED = "predicted class"
CAPTION = ("Grad-CAM: where the layer's maps speak for the class (bright = more). Guided "
           "backprop: the strokes that raise its score (red) or lower it (blue).")
NO_MAPS = ("This network has no layer with feature maps, so Grad-CAM (which weighs a conv "
           "layer's maps) has nothing to show. Guided backprop: the strokes that raise the "
           "score (red) or lower it (blue).")


def overlay(digit: np.ndarray, heat: np.ndarray, alpha: float = 0.6) -> np.ndarray:
    """``(H, W, 3)`` float RGB in [0, 1]: ``heat (H, W)`` in [0, 1] (coloured) over the grey
    ``digit``. Float, not uint8: pyqtgraph then renders it into a buffer of its own."""
    lut = colormap(HEAT_CMAP).getLookupTable(0.0, 1.0, 256, alpha=False).astype(np.float32) / 255
    colour = lut[np.clip((heat * 255).astype(int), 0, 255)]
    grey = np.repeat(np.clip(digit, 0, 1)[..., None], 3, axis=2)
    weight = alpha * np.clip(heat, 0, 1)[..., None]
    return np.clip((1 - weight) * grey + weight * colour, 0, 1).astype(np.float32)


class GradCamView(LiveView):
    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(state, parent)
        self.cam: explain.GradCam | None = None
        self.guided: np.ndarray | None = None
        self.class_index = 0
        self.job = ProbeJob(state, self)
        self.job.ready.connect(self._draw)

        self.class_box = QComboBox()
        self.class_box.setToolTip("Which class to explain")
        self.class_box.currentIndexChanged.connect(lambda _i: self.schedule_refresh())
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("The conv layer whose maps Grad-CAM weighs")
        self.layer_box.currentIndexChanged.connect(lambda _i: self.schedule_refresh())
        top = QHBoxLayout()
        top.addWidget(QLabel("Explain"))
        top.addWidget(self.class_box)
        top.addWidget(QLabel("at layer"))
        top.addWidget(self.layer_box)
        top.addStretch(1)
        top.addWidget(self.job.note)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("k")
        keep_layout_in_view(self.graphics)     # fitted titles: the layout shrinks back
        self.panels = {
            "input": ImagePanel("probe digit", GREY_CMAP),
            "cam": ImagePanel("Grad-CAM", None),
            "guided": ImagePanel("guided backprop", DIVERGING_CMAP),
            "guided_cam": ImagePanel("guided Grad-CAM", DIVERGING_CMAP),
        }
        # each panel's title, longest wording first: the one that fits a quarter of the view
        # is shown (four long titles widened the row past the view; the last was cut)
        self._titles = {key: [panel.title.text] for key, panel in self.panels.items()}
        self._titles["guided_cam"] = ["guided Grad-CAM", "guided CAM"]
        for col, panel in enumerate(self.panels.values()):
            self.graphics.ci.addItem(panel.layout, row=0, col=col)
            self.graphics.ci.layout.setColumnStretchFactor(col, 1)
        self.caption = QLabel(CAPTION)
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.caption)

        state.traceChanged.connect(self.schedule_refresh)
        state.modelChanged.connect(self._fill_boxes)
        self._fill_boxes()

    def _fill_boxes(self) -> None:
        net = self.state.net
        classes = net.output_shapes()[-1][1][0]
        layers = [info.name for info in explain.spatial_layers(net)]
        # an MLP has no maps: the box stays empty and only guided backprop is drawn
        default = (explain.last_conv_activation(net).name
                   if any(info.kind == "conv" for info in net.describe())
                   else layers[-1] if layers else "")
        for box, items, keep in ((self.class_box, [PREDICTED] + [str(c) for c in range(classes)],
                                  self.class_box.currentText() or PREDICTED),
                                 (self.layer_box, layers, self.layer_box.currentText() or default)):
            box.blockSignals(True)
            box.clear()
            box.addItems(items)
            box.setCurrentText(keep if keep in items else items[0] if items else "")
            box.blockSignals(False)
        if layers and self.layer_box.currentText() not in layers:
            self.layer_box.setCurrentText(default)
        self.layer_box.setEnabled(bool(layers))
        self.caption.setText(CAPTION if layers else NO_MAPS)
        self.schedule_refresh()

    def set_class(self, class_index: int | None) -> None:
        """Explain ``class_index`` (None: whatever the network predicts)."""
        self.class_box.setCurrentText(PREDICTED if class_index is None else str(class_index))

    def refresh(self) -> None:
        """Explain the chosen class at the chosen layer for the probe (in the background)."""
        choice = self.class_box.currentText()
        predicted = int(np.argmax(self.state.probabilities))
        class_index = predicted if choice in ("", PREDICTED) else int(choice)
        layer = self.layer_box.currentText() or None

        def work(net, digit):
            return (explain.grad_cam(net, digit, class_index, layer) if layer else None,
                    explain.guided_backprop(net, digit, class_index), digit, predicted,
                    class_index)
        self.job.submit(work, settings=(class_index, layer))

    def _draw(self, result) -> None:
        self.cam, self.guided, digit, predicted, self.class_index = result
        top = float(self.cam.map.max()) if self.cam is not None else 0.0
        heat = self.cam.map / top if top > 0 else np.zeros_like(digit)
        self.panels["input"].set_image(digit, (0.0, 1.0))
        self.panels["cam"].set_image(overlay(digit, heat), (0.0, 1.0))
        self.panels["guided"].set_image(self.guided, symmetric_levels(self.guided))
        both = self.guided * heat
        self.panels["guided_cam"].set_image(both, symmetric_levels(both))
        reads, c = predicted, self.class_index
        nothing = "" if top > 0 else " (nothing for it)"
        cam_titles = ([f"Grad-CAM for {c} at {self.cam.layer}{nothing}",
                       f"Grad-CAM for {c}{nothing}", f"Grad-CAM for {c}", "Grad-CAM"]
                      if self.cam is not None else ["Grad-CAM: no feature maps", "no maps"])
        self._titles.update({
            "input": [f"probe: reads {reads}", f"reads {reads}"],
            "cam": cam_titles,
            "guided_cam": (["guided Grad-CAM", "guided CAM"] if self.cam is not None
                           else ["guided Grad-CAM: none", "none"]),
            "guided": [f"guided backprop for {c}", "guided backprop", "guided"]})
        self._fit_titles()

    def _fit_titles(self) -> None:
        """Each panel's title (longest first) no wider than a quarter of the view."""
        for key, texts in self._titles.items():
            fit_label(self.panels[key].title, texts, self.width() / len(self.panels) - 4)

    def resizeEvent(self, event) -> None:      # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_titles()
