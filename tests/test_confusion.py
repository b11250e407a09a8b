"""Confusion matrix view: the engine's evaluation, clickable cells, digits become the probe."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QPointF, Qt

from classroom_support import make_state
from cnnviz.app.views.confusion import ConfusionView
from cnnviz.data import images_to_float
from cnnviz.training import evaluate


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
    qtbot.wait(50)
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
