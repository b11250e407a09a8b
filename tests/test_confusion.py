"""Confusion matrix view: the engine's evaluation, clickable cells, digits become the probe."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QPointF, Qt

from classroom_support import make_state
from cnnviz.app.views.confusion import ConfusionView
from cnnviz.data import images_to_float
from cnnviz.training import evaluate
from window_fit_checks import settle as settle_layout


@pytest.fixture
def view(qtbot):
    view = ConfusionView(make_state(probe_index=0))
    qtbot.addWidget(view)
    view.resize(1200, 900)
    view.show()
    qtbot.waitExposed(view)
    return view


def engine_result(state):
    ds = state.dataset
    return evaluate(state.net, images_to_float(ds.test_images), ds.test_labels)


def test_evaluate_now_matches_the_engine_evaluation(view):
    ds = view.state.dataset
    view.evaluate_button.click()
    m = view.matrix
    assert m.shape == (10, 10)
    assert m.sum() == len(ds.test_labels) == 1000
    result = engine_result(view.state)
    assert np.trace(m) / m.sum() == pytest.approx(result.accuracy, abs=1e-12)
    np.testing.assert_array_equal(m.sum(axis=1), np.bincount(ds.test_labels, minlength=10))
    np.testing.assert_array_equal(view.grid.texts.astype(int), m)     # the counts on screen
    assert f"{100 * result.accuracy:.1f} %" in view.summary.text()


def test_show_evaluation_uses_the_given_result(view):
    state = view.state
    labels = state.dataset.test_labels
    result = engine_result(state)
    view.show_evaluation(result)
    np.testing.assert_array_equal(view.matrix, result.confusion_matrix(labels))
    for t, p in ((3, 5), (7, 7), (0, 9)):
        assert view.matrix[t, p] == np.sum((labels == t) & (result.predictions == p))


def test_clicking_a_cell_lists_exactly_its_digits(view, qtbot):
    view.evaluate_now()
    labels = view.state.dataset.test_labels
    preds = engine_result(view.state).predictions
    off = view.matrix - np.diag(np.diag(view.matrix))
    t, p = (int(i) for i in np.unravel_index(off.argmax(), off.shape))
    assert off[t, p] > 0
    settle_layout(qtbot.wait, view)     # the matrix placed where the click goes
    scene = view.grid.box.mapViewToScene(QPointF(p + 0.5, t + 0.5))      # x = predicted column
    qtbot.mouseClick(view.graphics.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.graphics.mapFromScene(scene))
    assert view.selected == (t, p)
    expected = np.flatnonzero((labels == t) & (preds == p))
    np.testing.assert_array_equal(view.cell_indices, expected)
    assert view.thumbs.count() == len(expected)
    assert [view.thumbs.item(k).text() for k in range(len(expected))] == [f"#{i}" for i in expected]

    view.select_cell(4, 4)
    np.testing.assert_array_equal(view.cell_indices, np.flatnonzero((labels == 4) & (preds == 4)))


def test_choosing_a_digit_makes_it_the_probe(view, qtbot):
    state, ds = view.state, view.state.dataset
    view.evaluate_now()
    off = view.matrix - np.diag(np.diag(view.matrix))
    t, p = np.unravel_index(off.argmax(), off.shape)
    view.select_cell(int(t), int(p))
    with qtbot.waitSignal(state.probeChanged):
        view.choose_example(0)
    i = int(view.cell_indices[0])
    assert state.probe_index == i and state.probe_label == int(t) == int(ds.test_labels[i])
    assert state.probe_source == "dataset"
    np.testing.assert_allclose(state.probe_image, ds.test_images[i] / 255.0, atol=1e-7)
    assert int(state.probabilities.argmax()) == int(p)        # the probe is really misread

    # Clicking the last thumbnail does the same.
    last = view.thumbs.item(view.thumbs.count() - 1)
    view.thumbs.scrollToItem(last)
    qtbot.mouseClick(view.thumbs.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.thumbs.visualItemRect(last).center())
    assert state.probe_index == int(view.cell_indices[-1])


def test_a_mismatched_evaluation_is_refused_with_a_message(view):
    result = engine_result(view.state)
    short = type(result)(result.accuracy, result.loss, 10, result.predictions[:10],
                         result.probabilities[:10])
    view.show_evaluation(short)
    assert view.matrix.sum() == 0
    assert "10 predictions" in view.summary.text()


def test_the_matrix_agrees_with_the_cnnviz_eval_command(view, tmp_path):
    """The accuracy on screen is the number `cnnviz eval --json` prints for the same model."""
    import json
    import subprocess
    import sys

    checkpoint = tmp_path / "shown.npz"
    view.state.net.save(checkpoint)
    view.evaluate_button.click()
    out = subprocess.run([sys.executable, "-m", "cnnviz", "eval", "--json", "--checkpoint",
                          str(checkpoint)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    m = view.matrix
    assert report["n"] == m.sum()
    assert report["accuracy"] == pytest.approx(np.trace(m) / m.sum(), abs=1e-12)


# -- fit: counts sized to the cells, the matrix filling its area, readable row digits ----------

def cell_rect_on_screen(view, true: int, pred: int):
    """Cell ``(true, pred)`` in the graphics view's pixels."""
    from PyQt6.QtCore import QRectF
    box = view.grid.box
    rect = QRectF(box.mapViewToScene(QPointF(pred, true)), box.mapViewToScene(QPointF(pred + 1,
                                                                                    true + 1)))
    return view.graphics.mapFromScene(rect).boundingRect()


def drawn_numbers(view):
    """``{(row, col): on-screen rect}`` of the count text items drawn in the matrix."""
    from PyQt6.QtWidgets import QGraphicsSimpleTextItem
    found = {}
    transform = view.graphics.viewportTransform()
    for item in view.grid.box.childGroup.childItems():
        if isinstance(item, QGraphicsSimpleTextItem) and item.isVisible() and item.text():
            rect = item.deviceTransform(transform).mapRect(item.boundingRect())
            centre = view.grid.box.mapSceneToView(item.sceneBoundingRect().center())
            found[(int(np.floor(centre.y())), int(np.floor(centre.x())))] = rect
    return found


def settle(qtbot, view, width, height):
    view.resize(width, height)
    qtbot.waitUntil(lambda: view.graphics.width() > 0 and abs(view.width() - width) < 2)
    settle_layout(qtbot.wait, view)     # the layout's requests sent (pyqtgraph resizes later)


def test_counts_are_as_large_as_their_cells_allow(view, qtbot):
    view.evaluate_now()
    settle(qtbot, view, 1400, 900)
    numbers = drawn_numbers(view)
    assert len(numbers) == 100                        # every count written in its cell
    widest = max(((t, p) for t in range(10) for p in range(10)),
                 key=lambda tp: len(str(view.matrix[tp])))
    cell = cell_rect_on_screen(view, *widest)
    assert cell.height() >= 40                        # big cells: big numbers
    for (t, p), rect in numbers.items():
        assert cell_rect_on_screen(view, t, p).adjusted(-2, -2, 2, 2).contains(rect.toRect()), (t, p)
    text = numbers[widest]
    # as large as fits: the widest count fills most of its cell's width, or the number is
    # more than half as tall as the cell (it was a fixed ~7 px in 40 px cells)
    assert text.width() >= 0.7 * cell.width() or text.height() >= 0.5 * cell.height()
    assert view.numbers.font_px >= 0.4 * min(cell.height(), cell.width() / 2)
    assert view.numbers.items[0].font().bold()


def test_tiny_cells_drop_only_zeros_and_what_cannot_be_read(view, qtbot):
    from cnnviz.app.cell_numbers import MIN_NUMBER_PX
    view.evaluate_now()
    settle(qtbot, view, 420, 320)             # the confusion dock at 1280x720: ~17 x 12 px cells
    shown = view.numbers.shown
    assert view.numbers.font_px >= MIN_NUMBER_PX or not shown.any()
    m = view.matrix
    assert not shown[m == 0].any() or shown.all()       # zeros go first
    assert shown[(m > 0) & (m < 10)].all()               # the mistakes (one digit) stay


def test_the_matrix_fills_a_wide_area(view, qtbot):
    from cnnviz.app.views.confusion import MAX_CELL_ASPECT
    view.evaluate_now()
    settle(qtbot, view, 1500, 560)           # a presentation stage's shape
    box = view.graphics.mapFromScene(view.grid.box.sceneBoundingRect()).boundingRect()
    whole = cell_rect_on_screen(view, 0, 0).united(cell_rect_on_screen(view, 9, 9))
    assert whole.height() >= 0.9 * box.height()
    # as wide as the area, or as the widest cells allowed: not a square in the middle
    assert whole.width() >= 0.95 * min(box.width(), whole.height() * MAX_CELL_ASPECT[1]), \
        (whole, box)


def test_row_digits_fit_their_rows_in_a_small_view(view, qtbot):
    from PyQt6.QtGui import QFontMetricsF
    view.evaluate_now()
    settle(qtbot, view, 420, 320)             # the confusion dock at 1280x720
    row = cell_rect_on_screen(view, 0, 0).height()
    font = view.left_axis.style["tickFont"]
    ink = QFontMetricsF(font).tightBoundingRect("0").height()
    assert ink <= row                        # digits 0-9 down the side do not pile up
    assert ink >= 6


# -- the digit panel: the most frequent mistake by default -------------------------------------

def test_an_evaluation_selects_the_most_frequent_mistake(view, qtbot):
    state = view.state
    labels = state.dataset.test_labels
    assert view.digit_stack.currentWidget() is view.panel_note      # says why it is empty
    assert "No evaluation yet" in view.panel_note.text()
    result = engine_result(state)
    counts = result.confusion_matrix(labels)
    off = counts - np.diag(np.diag(counts))
    expected = tuple(int(i) for i in np.unravel_index(off.argmax(), off.shape))
    assert off[expected] > 0
    with qtbot.waitSignal(state.cellSelected) as blocker:
        state.publish_evaluation(result)
    assert view.selected == expected and tuple(blocker.args) == expected
    assert view.thumbs.count() == off[expected]
    assert view.digit_stack.currentWidget() is view.thumbs
    assert "Most frequent mistake" in view.cell_title.text()
    assert view._selection.isVisible()
    rect = view._selection.rect()
    assert (rect.x(), rect.y()) == (expected[1], expected[0])     # x = predicted column

    # the user's choice is kept by the next evaluation while it still has digits
    other = tuple(int(i) for i in np.argwhere((off > 0) & (off < off[expected]))[0])
    view.select_cell(*other)
    state.publish_evaluation(result)
    assert view.selected == other and view.thumbs.count() == off[other]
    view.select_cell(4, 4)
    state.publish_evaluation(result)
    assert view.selected == (4, 4)
    # ... but an empty cell gives way to the most frequent mistake again
    empty = tuple(int(i) for i in np.argwhere(counts == 0)[0])
    view.select_cell(*empty)
    state.publish_evaluation(result)
    assert view.selected == expected


def test_no_mistakes_says_so(view):
    state = view.state
    result = engine_result(state)
    labels = np.asarray(state.dataset.test_labels)
    perfect = type(result)(1.0, result.loss, len(labels), labels.copy(), result.probabilities)
    state.publish_evaluation(perfect)
    assert view.selected is None and not view._selection.isVisible()
    assert view.digit_stack.currentWidget() is view.panel_note
    assert "No mistakes" in view.panel_note.text()
    assert view.thumbs.count() == 0
