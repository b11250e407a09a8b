"""The confusion matrix on the held-out set: which digits does the network mix up?

Row = true label, column = prediction, the count written in every cell (``CellNumbers``:
as large as the cell allows; only in truly small cells are the zeros left out). The matrix
fills its area (cells need not be square; the title is left out when the axes need its
height). Each held-out ``EvalResult`` the app state publishes (``state.evaluated``: every
epoch, a replayed step) is shown (its predictions align with ``state.dataset.test_labels``);
"Evaluate now" runs ``cnnviz.training.evaluate`` with the current weights on the UI thread (1,000 digits take ~0.1 s). When an evaluation
arrives, the most frequent mistake (the largest off-diagonal count) is selected and its digits
listed, unless the user picked a cell that still has digits. Click a cell to list its digits
(the mistakes, or for a diagonal cell the ones it got right); click a digit to make it the
probe every other view shows.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QFontMetricsF, QIcon, QImage, QPen, QPixmap
from PyQt6.QtWidgets import (QGraphicsRectItem, QHBoxLayout, QLabel, QListView, QListWidget,
                             QListWidgetItem, QPushButton, QStackedWidget, QVBoxLayout, QWidget)

from ..cell_numbers import CellNumbers
from ..label_fit import fit_label, keep_layout_in_view
from ..number_grid import NumberGrid, text_colour
from ..state import AppState

CLASSES = 10
THUMB = 56          # thumbnail side, pixels (28 x 2); larger in large type
MAX_THUMBS = 200    # a diagonal cell holds ~100 digits of the bundled split
CELL_PROMPT = "Click a cell to see its digits; click a digit to make it the probe."
# the matrix's title, longest first: the one that fits above the matrix is shown (a title
# wider than the matrix widened its layout past the view, and columns 5-9 were cut off)
GRID_TITLES = ["true label × predicted", "true × predicted", "true × pred."]
MAX_CELL_ASPECT = (1.25, 1.8)   # a cell at most this much taller / wider than it is wide / tall
NO_EVALUATION = "No evaluation yet: train an epoch or press Evaluate now."
TITLE_MIN_HEIGHT = 480     # px of matrix area below which the title goes (the axes name it)
NO_MISTAKES = "No mistakes: every held-out digit is classified correctly."
AXIS_SCALE = 1.3    # the digits beside the matrix, in the view's font size times this...
DIGIT_SHARE = 0.8   # ...at most this share of a row high (at 1280x720 12 pt digits overlapped)


def digit_icon(image: np.ndarray) -> QIcon:
    """A ``(28, 28)`` uint8 digit as a ``THUMB`` x ``THUMB`` icon (white on black)."""
    data = np.ascontiguousarray(np.asarray(image, np.uint8))
    qimage = QImage(data.data, data.shape[1], data.shape[0], data.strides[0],
                    QImage.Format.Format_Grayscale8).copy()
    return QIcon(QPixmap.fromImage(qimage).scaled(4 * 28, 4 * 28))     # sharp up to 112 px


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
        self.selected_by_user = False      # a cell the user chose: kept when re-evaluated
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
        self.summary = QLabel(NO_EVALUATION)
        self.summary.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.evaluate_button)
        top.addWidget(self.summary, 1)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("k")
        keep_layout_in_view(self.graphics)     # fitted titles: the layout shrinks back
        g = self.graphics.ci
        self._corner = g.addLabel("", row=0, col=0)      # beside the title, over the axis
        self.grid = NumberGrid(g, 0, 1, (CLASSES, CLASSES), "viridis", GRID_TITLES[0])
        self.grid.set_visible_numbers(False)      # CellNumbers writes them, sized to the cell
        self.grid.box.setAspectLocked(False)      # fill the area (square cells left margins)
        self.numbers = CellNumbers(self.grid.box, (CLASSES, CLASSES))
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
        self.grid.box.sigTransformChanged.connect(self._fit_cells)     # resized or re-ranged

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
        # what the panel says when there are no digits to list (not an empty black box)
        self.panel_note = QLabel(NO_EVALUATION)
        self.panel_note.setWordWrap(True)
        self.panel_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.panel_note.setMargin(12)
        self.panel_note.setStyleSheet("QLabel { border: 1px solid #999; color: #333; }")
        self.digit_stack = QStackedWidget()
        self.digit_stack.addWidget(self.panel_note)
        self.digit_stack.addWidget(self.thumbs)

        side = QVBoxLayout()
        side.addWidget(self.cell_title)
        side.addWidget(self.digit_stack, 1)
        body = QHBoxLayout()
        body.addWidget(self.graphics, 5)      # the matrix gets most of the width: its counts
        body.addLayout(side, 2)               # and the digits of a cell beside it
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)
        self._apply_fonts()
        self._draw()

    def _show_whole_matrix(self, *_args) -> None:
        """All ten columns and rows, filling the area; cells kept within ``MAX_CELL_ASPECT``
        (a very wide or tall area gets a margin rather than slivers of cells)."""
        rect = self.grid.box.rect()
        aspect = rect.width() / max(rect.height(), 1.0)        # cell width / height
        tall, wide = MAX_CELL_ASPECT
        x_span = CLASSES * max(1.0, aspect / wide)
        y_span = CLASSES * max(1.0, 1.0 / (aspect * tall))
        x0, y0 = (CLASSES - x_span) / 2, (CLASSES - y_span) / 2
        self.grid.box.setRange(xRange=(x0, x0 + x_span), yRange=(y0, y0 + y_span), padding=0.01)

    def _fit_cells(self, *_args) -> None:
        """Counts and digit ticks sized to the cells now on screen."""
        self.numbers.fit()
        self._fit_axis_font()

    def _fit_axis_font(self) -> None:
        """The axes' digits no taller than ``DIGIT_SHARE`` of a row of the matrix as drawn
        now (never larger than ``AXIS_SCALE`` times the view's font)."""
        font = QFont(self.font())
        font.setPointSizeF(self.font().pointSizeF() * AXIS_SCALE)
        row = self.numbers.cell_px()[1]                        # rows need not be square
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
        for widget in (self.cell_title, self.thumbs, self.panel_note):
            widget.setFont(mid)
        # digits as tall as a couple of lines of the text around them (presentation mode)
        side = max(THUMB, round(2.2 * QFontMetricsF(mid).height()))
        self.thumbs.setIconSize(QSize(side, side))
        axis_font = QFont(self.font())
        axis_font.setPointSizeF(base * AXIS_SCALE)
        for axis in (self.left_axis, self.bottom_axis):
            axis.label.setFont(axis_font)
        self._fit_cells()

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
        # in a short area the rows need the title's height (the axes say the same)
        wanted = self.graphics.height() >= TITLE_MIN_HEIGHT
        if self.grid.title.isVisible() != wanted:
            for label in (self.grid.title, self._corner):      # the whole row
                label.setVisible(wanted)
                label.setMaximumHeight(1e6 if wanted else 0)

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
        self._select_default()

    def most_frequent_mistake(self) -> tuple[int, int] | None:
        """``(true, predicted)`` of the largest off-diagonal count (None: no mistakes)."""
        off = self.matrix - np.diag(np.diag(self.matrix))
        if off.max(initial=0) <= 0:
            return None
        true, pred = np.unravel_index(int(off.argmax()), off.shape)
        return int(true), int(pred)

    def _select_default(self) -> None:
        """After an evaluation: keep the user's cell if it still has digits, else show the
        most frequent mistake, else say there are none."""
        if self.selected_by_user and self.selected is not None \
                and self.matrix[self.selected] > 0:
            self._show_cell(*self.selected)
            return
        self.selected_by_user = False
        cell = self.most_frequent_mistake()
        if cell is not None:
            self._show_cell(*cell)
            return
        self.selected = None
        self.cell_indices = np.zeros(0, dtype=np.int64)
        self.thumbs.clear()
        self._mark_selection()
        self.cell_title.setText(CELL_PROMPT)
        self._show_note(NO_MISTAKES)

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
        """List the held-out digits with true label ``true`` predicted as ``pred`` (the
        user's choice: kept when the next evaluation still has digits there)."""
        self.selected_by_user = True
        self._show_cell(true, pred)

    def _show_cell(self, true: int, pred: int) -> None:
        self.selected = (int(true), int(pred))
        self.cellSelected.emit(int(true), int(pred))
        self.state.select_cell(true, pred)           # the embedding rings these digits
        labels = self._labels()
        self.thumbs.clear()
        if self.predictions is None or labels is None:
            self.cell_indices = np.zeros(0, dtype=np.int64)
            self.cell_title.setText("No evaluation yet: press Evaluate now first.")
            self._show_note(NO_EVALUATION)
            return
        indices = np.flatnonzero((labels == true) & (self.predictions == pred))
        self.cell_indices = indices[:MAX_THUMBS]
        what = (f"{len(indices)} digits {true} classified correctly" if true == pred else
                f"{len(indices)} digits {true} misread as {pred}")
        if not self.selected_by_user and true != pred:
            what = f"Most frequent mistake: {what}"
        more = f" (first {MAX_THUMBS} shown)" if len(indices) > MAX_THUMBS else ""
        self.cell_title.setText(f"{what}{more}. Click one to make it the probe.")
        if len(indices):
            self.digit_stack.setCurrentWidget(self.thumbs)
        else:
            self._show_note(f"No digit {true} was read as {pred}.")
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
        self.selected_by_user = False
        self.cell_indices = np.zeros(0, dtype=np.int64)
        self.thumbs.clear()
        self.cell_title.setText(CELL_PROMPT)      # no list of the old model's digits
        self._show_note(NO_EVALUATION)
        self._selection.hide()
        self.summary.setText(NO_EVALUATION)
        self._draw()

    def _show_note(self, text: str) -> None:
        self.panel_note.setText(text)
        self.digit_stack.setCurrentWidget(self.panel_note)

    # -- internals ----------------------------------------------------------------------------
    def _labels(self) -> np.ndarray | None:
        ds = self.state.dataset
        return None if ds is None else np.asarray(ds.test_labels, dtype=np.int64)

    def _draw(self) -> None:
        m = self.matrix
        # sqrt spreads the colours so that small off-diagonal counts are still visible
        # next to a diagonal of ~100.
        shade = np.sqrt(m.astype(np.float64))
        top = max(1.0, float(shade.max()))
        texts = np.array([[str(v) for v in row] for row in m], dtype=object)
        self.grid.set_values(shade, (0.0, top), texts=texts)
        colours = np.array([[text_colour(v / top, dark_ends=False) for v in row]
                            for row in shade], dtype=object)
        self.numbers.set_texts(texts, colours)
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
