"""Preprocessing pipeline view: its panels are the pad's real preprocessing, and the
centring switch changes what the network gets (pytest-qt, offscreen, bundled model)."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtTest import QTest

from cnnviz.app.state import AppState
from cnnviz.app.views.drawing_pad import DrawingPadView
from cnnviz.app.views.preprocess_pipeline import PreprocessPipelineView, downscale
from cnnviz.data import load_bundled, preprocess_digit, preprocess_stages
from cnnviz.nn import load_checkpoint
from cnnviz.resources import resource_path

# A small 7 in the top-left corner of the 280x280 pad.
SEVEN = [(20, 25), (115, 25), (95, 70), (70, 125)]


@pytest.fixture(scope="module")
def bundled():
    return load_checkpoint(resource_path("model", "lenet.npz")), load_bundled()


@pytest.fixture
def views(qtbot, bundled):
    net, ds = bundled
    state = AppState(net, ds)
    pad = DrawingPadView(state)
    view = PreprocessPipelineView(state, pad)
    for widget in (pad, view):
        qtbot.addWidget(widget)
        widget.resize(900, 420)
        widget.show()
        qtbot.waitExposed(widget)
    return pad, view


def centre_of_mass(image):
    total = image.sum()
    return ((image.sum(axis=1) * np.arange(image.shape[0])).sum() / total,
            (image.sum(axis=0) * np.arange(image.shape[1])).sum() / total)


def shown(view, key):
    """The array the panel's ImageItem really holds."""
    return view.panels[key].image.image


def assert_panels_follow(view, canvas, center):
    expected = preprocess_stages(canvas, center=center)
    st = view.stages
    np.testing.assert_array_equal(st.raw, expected.raw)
    assert st.bbox == expected.bbox
    np.testing.assert_array_equal(st.scaled, expected.scaled)
    np.testing.assert_array_equal(st.result, expected.result)
    np.testing.assert_array_equal(shown(view, "raw"), downscale(expected.raw))
    np.testing.assert_array_equal(shown(view, "bbox"), downscale(expected.raw))
    np.testing.assert_array_equal(shown(view, "scaled"), expected.scaled)
    np.testing.assert_array_equal(shown(view, "result"), expected.result)
    # The orange rectangle is the ink's bounding box (the raw panel is at half resolution).
    top, left, bottom, right = expected.bbox
    rect = view.bbox_rect.rect()
    f = expected.raw.shape[0] / shown(view, "raw").shape[0]
    assert (rect.left(), rect.top(), rect.right(), rect.bottom()) == pytest.approx(
        (left / f, top / f, right / f, bottom / f))
    # The red dot sits on the centre of mass of the network's input.
    xs, ys = view.com_mark.getData()
    com = expected.center_of_mass
    assert (ys[0], xs[0]) == pytest.approx((com[0] + 0.5, com[1] + 0.5))


def test_panels_are_the_pads_preprocessing_of_a_corner_digit(qtbot, views):
    pad, view = views
    pad.draw_stroke(SEVEN)
    # The view follows the pad's predictionChanged signal (no explicit refresh here).
    expected = preprocess_stages(pad.canvas_array(), center=True)
    qtbot.waitUntil(lambda: np.array_equal(shown(view, "result"), expected.result), timeout=30000)
    assert_panels_follow(view, pad.canvas_array(), center=True)
    # The scaled panel keeps the aspect: longer side 20.
    assert max(view.stages.scaled.shape) == 20
    # Centred: the centre of mass is on MNIST's (14, 14).
    r, c = centre_of_mass(view.stages.result)
    assert abs(r - 14) <= 0.5 and abs(c - 14) <= 0.5


def test_switching_centring_off_gives_the_network_the_digit_in_its_corner(qtbot, views):
    pad, view = views
    state = pad.state
    pad.draw_stroke(SEVEN)
    canvas = pad.canvas_array()
    centred = pad.preprocessed().copy()
    assert view.centre_box.isChecked()

    # A real click on the checkbox.
    QTest.mouseClick(view.centre_box, Qt.MouseButton.LeftButton)
    assert not view.centre_box.isChecked()
    assert pad.center is False
    uncentred = pad.preprocessed()
    assert not np.array_equal(uncentred, centred)
    np.testing.assert_array_equal(uncentred, preprocess_digit(canvas, center=False))
    np.testing.assert_array_equal(state.probe_image, uncentred)     # what the network gets
    r, c = centre_of_mass(uncentred)
    assert r < 11 and c < 12, "the digit stays up and to the left"
    ink = uncentred > 0.1
    assert ink[0].any() and ink[:, 0].any(), "it touches the top-left corner of the frame"
    assert_panels_follow(view, canvas, center=False)
    # The prediction shown is the network's for the uncentred input.
    probs = state.net.predict_proba(uncentred[None, None])[0]
    assert view.predicted[0] == int(probs.argmax()) == pad.top3()[0][0]
    assert view.predicted[1] == pytest.approx(float(probs.max()), abs=1e-6)
    assert f"{int(probs.argmax())} (" in view.prediction.text()

    view.set_centering(True)
    assert pad.center is True and view.centre_box.isChecked()
    np.testing.assert_array_equal(pad.preprocessed(), centred)
    np.testing.assert_array_equal(state.probe_image, centred)
    r, c = centre_of_mass(state.probe_image)
    assert abs(r - 14) <= 0.5 and abs(c - 14) <= 0.5
    assert_panels_follow(view, canvas, center=True)
    probs = state.net.predict_proba(centred[None, None])[0]
    assert view.predicted[0] == int(probs.argmax())


def test_a_corner_seven_is_misread_without_centring(qtbot, views):
    """The lesson itself, with the bundled model: centred it is a 7, uncentred it is not."""
    pad, view = views
    pad.draw_stroke(SEVEN)
    view.set_centering(True)
    assert view.predicted[0] == 7
    view.set_centering(False)
    assert view.predicted[0] != 7
    assert "7" in view.other.text()      # "with centring it would read 7 (...)"


def test_hidden_view_skips_work_and_catches_up_when_shown(qtbot, views):
    pad, view = views
    qtbot.waitUntil(lambda: shown(view, "result") is not None, timeout=30000)   # blank drawn
    view.hide()
    pad.draw_stroke(SEVEN)
    qtbot.wait(100)
    assert not shown(view, "result").any(), "a hidden view must not redraw"
    view.show()
    expected = preprocess_digit(pad.canvas_array())
    qtbot.waitUntil(lambda: np.array_equal(shown(view, "result"), expected), timeout=30000)


def test_set_pad_follows_a_new_pad_and_clear_empties_the_panels(qtbot, views, bundled):
    pad, view = views
    other = DrawingPadView(pad.state)
    qtbot.addWidget(other)
    view.set_pad(other)
    pad.draw_stroke(SEVEN)            # the old pad no longer drives the view
    other.draw_stroke([(140, 60), (140, 220)])
    np.testing.assert_array_equal(view.stages.raw, other.canvas_array())
    other.clear()
    assert view.stages.bbox is None
    assert view.predicted is None
    assert not shown(view, "result").any()


def test_titles_give_their_height_back_when_the_view_widens(qtbot, views):
    """A title wrapped into many lines in a narrow view is one or two lines again once the
    view is wide: relaunched in presentation mode, the titles kept the six-line height of
    the window's first small layout and squeezed the four pictures to a third of their
    size (``QLabel.heightForWidth`` never answers less than the held minimum height)."""
    from PyQt6.QtCore import QRect

    pad, view = views
    title = view.titles["bbox"]                       # "2. bounding box of the ink"

    def natural(label):
        return label.fontMetrics().boundingRect(
            QRect(0, 0, max(1, label.width()), 100000),
            int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignCenter),
            label.text()).height()

    view.resize(330, 420)
    qtbot.waitUntil(lambda: title.minimumHeight() >= 3 * title.fontMetrics().height() - 4,
                    timeout=10000)
    view.resize(1400, 520)
    qtbot.waitUntil(lambda: title.width() > 300
                    and abs(title.minimumHeight() - natural(title)) <= 2, timeout=10000)
    assert title.minimumHeight() < 2 * title.fontMetrics().height()
    for key, label in view.titles.items():
        assert abs(label.minimumHeight() - natural(label)) <= 2, key
    # the prediction under the pictures: as tall as its words wrap into, not two lines
    pad.draw_stroke(SEVEN)
    qtbot.waitUntil(lambda: view.prediction.text().startswith("Network reads"), timeout=30000)
    qtbot.waitUntil(lambda: not view._fit_pending, timeout=10000)
    assert abs(view.prediction.minimumHeight() - natural(view.prediction)) <= 2
    assert view.prediction.minimumHeight() < 2 * view.prediction.fontMetrics().height()
