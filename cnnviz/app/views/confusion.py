"""The confusion matrix on the held-out set: which digits does the network mix up?

Row = true label, column = prediction, the count written in every cell. Each held-out
``EvalResult`` the app state publishes (``state.evaluated``: every epoch, a replayed step) is
shown (its predictions align with ``state.dataset.test_labels``); "Evaluate now" runs ``cnnviz.training.evaluate``
with the current weights on the UI thread (1,000 digits take ~0.1 s). Click a cell to list
its digits (the mistakes, or for a diagonal cell the ones it got right); click a digit to
make it the probe every other view shows.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QSize, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QFontMetricsF, QIcon, QImage, QPen, QPixmap
from PyQt6.QtWidgets import (QGraphicsRectItem, QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem,
                             QPushButton, QVBoxLayout, QWidget)

from ..label_fit import fit_label, keep_layout_in_view
from ..number_grid import NumberGrid
from ..state import AppState

CLASSES = 10
THUMB = 56          # thumbnail side, pixels (28 x 2)
MAX_THUMBS = 200    # a diagonal cell holds ~100 digits of the bundled split
CELL_PROMPT = "Click a cell to see its digits; click a digit to make it the probe."
# the matrix's title, longest first: the one that fits above the matrix is shown (a title
# wider than the matrix widened its layout past the view, and columns 5-9 were cut off)
GRID_TITLES = ["true label × predicted", "true × predicted", "true × pred."]
AXIS_SCALE = 1.3    # the digits beside the matrix, in the view's font size times this...
DIGIT_SHARE = 0.8   # ...at most this share of a row high (at 1280x720 12 pt digits overlapped)


def digit_icon(image: np.ndarray) -> QIcon:
    """A ``(28, 28)`` uint8 digit as a ``THUMB`` x ``THUMB`` icon (white on black)."""
    data = np.ascontiguousarray(np.asarray(image, np.uint8))
    qimage = QImage(data.data, data.shape[1], data.shape[0], data.strides[0],
                    QImage.Format.Format_Grayscale8).copy()
    return QIcon(QPixmap.fromImage(qimage).scaled(THUMB, THUMB))


class ConfusionView(QWidget):
    """A 10x10 confusion-matrix heat map with counts; cells and digits are clickable."""

    cellSelected = pyqtSignal(int, int)       # (true label, predicted label)

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("confusionView")
        self.state = state
        self.matrix = np.zeros((CLASSES, CLASSES), dtype=np.int64)
        self.predictions: np.ndarray | None = None
        self.accuracy: float | None = None
        self.selected: tuple[int, int] | None = None
        self.cell_indices = np.zeros(0, dtype=np.int64)
        self._build()
        state.datasetChanged.connect(self.clear)
        state.modelChanged.connect(self.clear)
        state.evaluated.connect(self._on_evaluated)

    # -- construction --------------------------------------------------------------------------
    def _build(self) -> None:
        self.evaluate_button = QPushButton("Evaluate now")
        self.evaluate_button.setToolTip("Classify every held-out digit with the current weights")
        self.evaluate_button.clicked.connect(self.evaluate_now)
        self.summary = QLabel("No evaluation yet: train an epoch or press Evaluate now.")
        self.summary.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.evaluate_button)
        top.addWidget(self.summary, 1)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("k")
        keep_layout_in_view(self.graphics)     # fitted titles: the layout shrinks back
        g = self.graphics.ci
        g.addLabel("", row=0, col=0)
        self.grid = NumberGrid(g, 0, 1, (CLASSES, CLASSES), "viridis", GRID_TITLES[0])
        self.graphics.installEventFilter(self)      # its resizes: fit the title
        # Axes with the digits, sharing the grid's ViewBox coordinates.
        self.left_axis = pg.AxisItem("left", linkView=self.grid.box)
        self.bottom_axis = pg.AxisItem("bottom", linkView=self.grid.box)
        ticks = [[(i + 0.5, str(i)) for i in range(CLASSES)]]
        for axis, text in ((self.left_axis, "true label"), (self.bottom_axis, "predicted")):
            axis.setTicks(ticks)
            axis.setLabel(text)
        g.addItem(self.left_axis, row=1, col=0)
        g.addItem(self.bottom_axis, row=2, col=1)
        self.graphics.scene().sigMouseClicked.connect(self._on_click)
        self._selection = QGraphicsRectItem()
        pen = QPen(QColor(255, 60, 60))
        pen.setCosmetic(True)
        pen.setWidthF(4.0)
        self._selection.setPen(pen)
        self._selection.setZValue(20)
        self.grid.box.addItem(self._selection, ignoreBounds=True)
        # the whole matrix in view at every size (the side panel covered columns 5-9)
        self.grid.box.sigResized.connect(self._show_whole_matrix)

        self.cell_title = QLabel(CELL_PROMPT)
        self.cell_title.setWordWrap(True)
        self.thumbs = QListWidget()
        self.thumbs.setViewMode(QListView.ViewMode.IconMode)
        self.thumbs.setIconSize(QSize(THUMB, THUMB))
        self.thumbs.setResizeMode(QListView.ResizeMode.Adjust)
        self.thumbs.setMovement(QListView.Movement.Static)
        self.thumbs.setUniformItemSizes(True)
        self.thumbs.setStyleSheet("QListWidget { background: black; color: white; }")
        self.thumbs.itemClicked.connect(lambda item: self.choose_example(self.thumbs.row(item)))

        side = QVBoxLayout()
        side.addWidget(self.cell_title)
        side.addWidget(self.thumbs, 1)
        body = QHBoxLayout()
        body.addWidget(self.graphics, 3)      # the matrix is square: the digits go beside it
        body.addLayout(side, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)
        self._apply_fonts()
        self._draw()

    def _show_whole_matrix(self, *_args) -> None:
        self.grid.box.setRange(xRange=(0, CLASSES), yRange=(0, CLASSES), padding=0.02)
        self._fit_axis_font()

    def _fit_axis_font(self) -> None:
        """The axes' digits no taller than ``DIGIT_SHARE`` of a row of the matrix as drawn
        now (never larger than ``AXIS_SCALE`` times the view's font)."""
        font = QFont(self.font())
        font.setPointSizeF(self.font().pointSizeF() * AXIS_SCALE)
        row = self.grid.box.height() / (CLASSES * 1.04)        # the range's 2% padding
        ink = QFontMetricsF(font).tightBoundingRect("0").height()
        if row > 0 and ink > DIGIT_SHARE * row:
            font.setPointSizeF(max(5.0, font.pointSizeF() * DIGIT_SHARE * row / ink))
        current = self.left_axis.style.get("tickFont")
        if current is not None and abs(current.pointSizeF() - font.pointSizeF()) < 0.25:
            return                        # (a resize of a pixel or two: no new layout)
        for axis in (self.left_axis, self.bottom_axis):
            axis.setStyle(tickFont=font)

    def _apply_fonts(self) -> None:
        base = self.font().pointSizeF()
        big = QFont(self.font())
        big.setPointSizeF(base * 1.5)
        big.setBold(True)
        self.summary.setFont(big)
        mid = QFont(self.font())
        mid.setPointSizeF(base * 1.2)
        self.cell_title.setFont(mid)
        self.thumbs.setFont(mid)
        axis_font = QFont(self.font())
        axis_font.setPointSizeF(base * AXIS_SCALE)
        for axis in (self.left_axis, self.bottom_axis):
            axis.label.setFont(axis_font)
        self._fit_axis_font()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._apply_fonts()
            self._fit_title()
        super().changeEvent(event)

    def eventFilter(self, watched, event) -> bool:     # noqa: N802 (Qt's name)
        if watched is self.graphics and event.type() == QEvent.Type.Resize:
            self._fit_title()
        return super().eventFilter(watched, event)

    def _fit_title(self) -> None:
        """The longest title that fits above the matrix (right of the true-label axis)."""
        grid = self.graphics.ci.layout
        left, _top, right, _bottom = grid.getContentsMargins()
        room = self.graphics.width() - self.left_axis.width() - left - right \
            - 2 * grid.horizontalSpacing() - 4
        fit_label(self.grid.title, GRID_TITLES, room)

    # -- public API ---------------------------------------------------------------------------
    def show_evaluation(self, result) -> None:
        """Show an ``EvalResult`` whose predictions align with the dataset's held-out labels."""
        labels = self._labels()
        if labels is None:
            self.summary.setText("No dataset loaded: nothing to compare the predictions with.")
            return
        predictions = np.asarray(result.predictions, dtype=np.int64)
        if predictions.shape != labels.shape:
            self.summary.setText(f"This evaluation has {len(predictions)} predictions but the "
                                 f"held-out set has {len(labels)} digits; press Evaluate now.")
            return
        self.predictions = predictions
        self.matrix = result.confusion_matrix(labels, CLASSES)
        self.accuracy = float(result.accuracy)
        self._draw()
        if self.selected is not None:
            self.select_cell(*self.selected)

    def _on_evaluated(self, result) -> None:
        if result is None:          # a replayed step before the first evaluation
            self.clear()
        else:
            self.show_evaluation(result)

    def evaluate_now(self) -> None:
        """Evaluate the current weights on the held-out set (UI thread, ~0.1 s)."""
        from ...data import images_to_float
        from ...training import evaluate

        ds = self.state.dataset
        if ds is None or len(ds.test_labels) == 0:
            self.summary.setText("No held-out digits loaded: open a dataset first.")
            return
        result = evaluate(self.state.net, images_to_float(ds.test_images), ds.test_labels)
        self.state.publish_evaluation(result)        # every view that shows one follows

    def select_cell(self, true: int, pred: int) -> None:
        """List the held-out digits with true label ``true`` predicted as ``pred``."""
        self.selected = (int(true), int(pred))
        self.cellSelected.emit(int(true), int(pred))
        self.state.select_cell(true, pred)           # the embedding rings these digits
        labels = self._labels()
        self.thumbs.clear()
        if self.predictions is None or labels is None:
            self.cell_indices = np.zeros(0, dtype=np.int64)
            self.cell_title.setText("No evaluation yet: press Evaluate now first.")
            return
        indices = np.flatnonzero((labels == true) & (self.predictions == pred))
        self.cell_indices = indices[:MAX_THUMBS]
        what = (f"{len(indices)} digits {true} classified correctly" if true == pred else
                f"{len(indices)} digits {true} misread as {pred}")
        more = f" (first {MAX_THUMBS} shown)" if len(indices) > MAX_THUMBS else ""
        self.cell_title.setText(f"{what}{more}. Click one to make it the probe.")
        images = self.state.dataset.test_images
        for i in self.cell_indices:
            item = QListWidgetItem(digit_icon(images[i]), f"#{i}")
            item.setToolTip(f"held-out digit #{i}: true {true}, predicted {pred}")
            self.thumbs.addItem(item)
        self._mark_selection()

    def choose_example(self, k: int) -> None:
        """Make the ``k``-th listed digit the probe."""
        if not 0 <= k < len(self.cell_indices):
            return
        i = int(self.cell_indices[k])
        ds = self.state.dataset
        self.state.set_probe(ds.test_images[i] / 255.0, int(ds.test_labels[i]),
                             source="dataset", index=i)

    def clear(self) -> None:
        """Forget the matrix (another dataset or model: the old predictions no longer apply)."""
        self.matrix = np.zeros((CLASSES, CLASSES), dtype=np.int64)
        self.predictions, self.accuracy, self.selected = None, None, None
        self.cell_indices = np.zeros(0, dtype=np.int64)
        self.thumbs.clear()
        self.cell_title.setText(CELL_PROMPT)      # no list of the old model's digits
        self._selection.hide()
        self.summary.setText("No evaluation yet: train an epoch or press Evaluate now.")
        self._draw()

    # -- internals ----------------------------------------------------------------------------
    def _labels(self) -> np.ndarray | None:
        ds = self.state.dataset
        return None if ds is None else np.asarray(ds.test_labels, dtype=np.int64)

    def _draw(self) -> None:
        m = self.matrix
        # sqrt spreads the colours so that small off-diagonal counts are still visible
        # next to a diagonal of ~100.
        shade = np.sqrt(m.astype(np.float64))
        self.grid.set_values(shade, (0.0, max(1.0, float(shade.max()))),
                             texts=np.array([[str(v) for v in row] for row in m], dtype=object))
        if self.accuracy is not None:
            total = int(m.sum())
            right = int(np.trace(m))
            self.summary.setText(f"Held-out accuracy {100 * self.accuracy:.1f} % "
                                 f"({right} / {total} right, {total - right} mistakes)")
        self._mark_selection()

    def _mark_selection(self) -> None:
        if self.selected is None:
            self._selection.setVisible(False)
            return
        true, pred = self.selected
        self._selection.setRect(pred, true, 1, 1)
        self._selection.setVisible(True)

    def _on_click(self, event) -> None:
        pos = event.scenePos()
        if not self.grid.box.sceneBoundingRect().contains(pos):
            return
        p = self.grid.box.mapSceneToView(pos)
        true, pred = int(np.floor(p.y())), int(np.floor(p.x()))
        if 0 <= true < CLASSES and 0 <= pred < CLASSES:
            self.select_cell(true, pred)
