"""The held-out digits as points: where the network puts them in its own feature space.

Each held-out digit is one point, coloured by its true class, placed by a 2-D map of a
layer's activations (the penultimate layer by default): PCA, recomputed live while the
network trains and rotated onto the previous map each time (``explain.align``) so points
drift instead of flipping; or t-SNE, computed on demand. Hover a point to see the digit,
click it to make it the probe. The confusion matrix's selected cell highlights its digits
(``highlight_cell``). Computation runs in a background thread.
"""

from __future__ import annotations


import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QTimer
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from ... import explain
from ..background import BackgroundJob
from ..class_colours import CLASS_COLOURS
from ..class_key import ClassKey
from ..image_panel import GREY_CMAP, ImagePanel
from ..live_view import LiveView
from ..state import AppState

LIVE_INTERVAL_MS = 1500
HOVER_RADIUS_PX = 8


class EmbeddingView(LiveView):
    """The held-out digits mapped by a layer's activations (a ``LiveView``: the PCA map
    follows the weights at most every ``LIVE_INTERVAL_MS``, in the background)."""

    coalesce_ms = LIVE_INTERVAL_MS

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(state, parent)
        self.points: np.ndarray | None = None          # (N, 2)
        self.predictions: np.ndarray | None = None     # (N,)
        self.highlighted = np.zeros(0, dtype=np.int64)
        self.method = "pca"
        self.hovered: int | None = None
        self._generation = 0
        self.job = BackgroundJob(self)
        self.job.finished.connect(self._on_result)
        self.job.failed.connect(lambda _tag, message: self.status.setText(message))
        self._build()
        state.paramsChanged.connect(self._on_params)
        state.modelChanged.connect(self._on_model)
        state.datasetChanged.connect(self._on_model)
        state.cellSelected.connect(self.highlight_cell)
        self._fill_layers()

    def resizeEvent(self, event) -> None:      # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._status_fit.start()          # the status line re-measured at its new width

    def changeEvent(self, event) -> None:      # noqa: N802
        if event.type() == QEvent.Type.FontChange and hasattr(self, "_status_fit"):
            self._status_fit.start()
            self._size_points()
        super().changeEvent(event)

    def _build(self) -> None:
        self.method_box = QComboBox()
        self.method_box.addItems(["PCA (live)", "t-SNE (on demand)"])
        self.method_box.setToolTip("PCA follows training live; t-SNE separates the classes "
                                   "better but takes a few seconds, so it runs when asked")
        self.method_box.activated.connect(self._on_method)
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Whose activations are mapped")
        self.layer_box.activated.connect(lambda _i: self._restart())
        self.compute_button = QPushButton("Compute")
        self.compute_button.setToolTip("Recompute the map with the current weights")
        self.compute_button.clicked.connect(self.recompute)
        top = QHBoxLayout()
        top.addWidget(self.method_box)
        top.addWidget(QLabel("of"))
        top.addWidget(self.layer_box)
        top.addWidget(self.compute_button)
        top.addStretch(1)

        self.plot = pg.PlotWidget(background="k")
        self.plot.setMenuEnabled(False)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setAspectLocked(True)
        self.scatter = pg.ScatterPlotItem(size=6, pen=None)
        self.plot.addItem(self.scatter)
        self.marks = pg.ScatterPlotItem(size=11, brush=None, pen=pg.mkPen((255, 255, 255), width=2))
        self.plot.addItem(self.marks)
        self._size_points()
        # the class key is a row under the plot, not a legend over it: drawn over the cloud,
        # a label vanished among points of its own colour and hid the points behind it
        self.class_key = ClassKey("\u25cf", tooltip="digits whose true class is {k}")
        self.class_key.set_classes(len(CLASS_COLOURS))
        # the hovered digit, drawn in the top-right corner of the plot
        self.preview = pg.GraphicsLayoutWidget()
        self.preview.setFixedSize(84, 100)
        # the view's own colour until a point is hovered: an empty black box beside the plot
        # looked like a picture that failed to draw
        self.preview.setBackground(self.palette().window().color())
        self.preview_panel = ImagePanel("", GREY_CMAP)
        self.preview.ci.addItem(self.preview_panel.layout)
        self.plot.scene().sigMouseMoved.connect(self._on_hover)
        self.plot.scene().sigMouseClicked.connect(self._on_click)

        self.status = QLabel("Hover a point to see its digit; click it to make it the probe.")
        self.status.setWordWrap(True)
        # as tall as its words wrap into (its layout row did not ask: two lines were cut)
        self._status_fit = QTimer(self)
        self._status_fit.setSingleShot(True)
        self._status_fit.setInterval(0)
        self._status_fit.timeout.connect(lambda: self.status.setMinimumHeight(
            self.status.heightForWidth(max(1, self.status.width()))))
        middle = QHBoxLayout()
        middle.addWidget(self.plot, 1)
        middle.addWidget(self.preview)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(middle, 1)
        layout.addWidget(self.class_key)
        layout.addWidget(self.status)

    def _size_points(self) -> None:
        """Dots that grow with the type: presentation mode's 18 pt text sat beside 6 px dots
        that the back row could not tell apart."""
        dot = max(6, round(0.4 * self.fontMetrics().height()))
        self.scatter.setSize(dot)
        self.marks.setSize(dot + 5)

    def _fill_layers(self) -> None:
        net = self.state.net
        names = [i.name for i in explain.layer_infos(net)]
        keep = self.layer_box.currentText() or explain.penultimate_layer(net).name
        self.layer_box.clear()
        self.layer_box.addItems(names)
        self.layer_box.setCurrentText(keep if keep in names else explain.penultimate_layer(net).name)

    # -- when to compute -----------------------------------------------------------------------
    def _on_params(self) -> None:
        if self.method == "pca":        # t-SNE is computed on demand (Compute)
            self.schedule_refresh()

    def _on_model(self) -> None:
        self._fill_layers()
        self._restart()

    def _on_method(self, index: int) -> None:
        self.method = "pca" if index == 0 else "tsne"
        self._restart()

    def _restart(self) -> None:
        """Forget the map (another layer, method, model or data) and compute afresh."""
        self.points = None
        self._generation += 1
        self.refresh_if_exposed()        # at once, or when shown

    def recompute(self) -> None:
        """Map the held-out digits with the current weights now (Compute, tests)."""
        self.refresh()

    def refresh(self) -> None:
        """Map the held-out digits with the current weights (in the background)."""
        ds = self.state.dataset
        if ds is None:
            self.status.setText("No dataset loaded.")
            return
        net = explain.detached_copy(self.state.net)
        images, layer, method = ds.test_images, self.layer_box.currentText() or None, self.method
        previous = self.points

        def work():
            features, predictions = explain.features_and_predictions(net, images, layer)
            points = explain.pca_2d(features) if method == "pca" else explain.tsne_2d(features)
            return explain.align(points, previous), predictions
        if method == "tsne":
            self.status.setText("Computing t-SNE of the held-out digits (a few seconds)…")
        self.job.submit((self._generation, method), work)

    # -- drawing ---------------------------------------------------------------------------------
    def _on_result(self, tag, result) -> None:
        if tag[0] != self._generation:
            return
        self.points, self.predictions = result
        labels = np.asarray(self.state.dataset.test_labels, dtype=np.int64)
        brushes = [pg.mkBrush(*CLASS_COLOURS[c % 10], 200) for c in range(10)]
        self.scatter.setData(pos=self.points, brush=[brushes[c % 10] for c in labels],
                             data=np.arange(len(labels)))
        self._draw_marks()
        accuracy = float((self.predictions == labels).mean())
        what = "PCA" if tag[1] == "pca" else "t-SNE"
        self._status_fit.start()
        self.status.setText(f"{what} of {len(labels):,} held-out digits "
                            f"({self.layer_box.currentText()}); the network reads "
                            f"{accuracy:.1%} of them right. Hover a point to see its digit.")

    def highlight_cell(self, true: int, predicted: int) -> None:
        """Ring the held-out digits of class ``true`` that the network reads as ``predicted``."""
        if self.predictions is None:
            self.highlighted = np.zeros(0, dtype=np.int64)
            return
        labels = np.asarray(self.state.dataset.test_labels, dtype=np.int64)
        self.highlighted = np.flatnonzero((labels == true) & (self.predictions == predicted))
        self._draw_marks()
        self.status.setText(f"{len(self.highlighted)} digits {true} read as {predicted} ringed.")

    def _draw_marks(self) -> None:
        if self.points is None or not len(self.highlighted):
            self.marks.setData(pos=np.zeros((0, 2)))
            return
        self.marks.setData(pos=self.points[self.highlighted])

    # -- mouse -----------------------------------------------------------------------------------
    def point_at(self, scene_pos) -> int | None:
        """The held-out index of the point nearest a scene position (within a few pixels)."""
        if self.points is None:
            return None
        vb = self.plot.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = vb.mapSceneToView(scene_pos)
        # distance in screen pixels: scale data units by pixels per unit
        px, py = vb.viewPixelSize()
        d = ((self.points[:, 0] - p.x()) / px) ** 2 + ((self.points[:, 1] - p.y()) / py) ** 2
        i = int(np.argmin(d))
        return i if d[i] <= HOVER_RADIUS_PX ** 2 else None

    def _on_hover(self, scene_pos) -> None:
        i = self.point_at(scene_pos)
        if i is None or i == self.hovered:
            return
        self.hovered = i
        ds = self.state.dataset
        self.preview.setBackground("k")
        self.preview_panel.set_image(ds.test_images[i].astype(np.float32) / 255, (0.0, 1.0))
        self.preview_panel.set_title(f"#{i}")
        self.status.setText(f"held-out digit #{i}: a {int(ds.test_labels[i])}, the network "
                            f"reads {int(self.predictions[i])}. Click to make it the probe.")

    def _on_click(self, event) -> None:
        i = self.point_at(event.scenePos())
        if i is not None:
            self.choose(i)

    def choose(self, i: int) -> None:
        """Make held-out digit ``i`` the probe."""
        ds = self.state.dataset
        self.state.set_probe(ds.test_images[i] / 255.0, int(ds.test_labels[i]),
                             source="dataset", index=int(i))
