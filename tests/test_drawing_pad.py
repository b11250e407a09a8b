"""The drawing pad, driven by real mouse, key and touch events (pytest-qt, offscreen)."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QEvent, QPointF, Qt
from PyQt6.QtGui import QEventPoint, QInputDevice, QPointingDevice, QTouchEvent
from PyQt6.QtWidgets import QApplication
from PyQt6.QtTest import QTest

from cnnviz.app.state import AppState
from cnnviz.app.views.drawing_pad import DrawingPadView
from cnnviz.nn import build_network, load_checkpoint
from cnnviz.resources import resource_path


@pytest.fixture(scope="session")
def trained_net():
    """The bundled trained model (what the app loads at start)."""
    return load_checkpoint(resource_path("model", "lenet.npz"))


@pytest.fixture
def pad(qtbot):
    state = AppState(build_network(seed=1))
    view = DrawingPadView(state)
    qtbot.addWidget(view)
    view.resize(700, 420)
    view.show()
    qtbot.waitExposed(view)
    return view


def mouse_stroke(qtbot, pad, points):
    """Press, move through ``points`` (canvas pixels) and release, with real mouse events."""
    canvas = pad.canvas
    widget_points = [canvas.from_canvas(x, y).toPoint() for x, y in points]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     widget_points[0])
    for p in widget_points[1:]:
        QTest.mouseMove(canvas, p)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       widget_points[-1])


ONE = [(140 + 0.1 * (230 - y), y) for y in range(40, 241, 10)]   # a slightly slanted "1"


def ink_bbox(image, threshold=0.1):
    rows = np.flatnonzero((image > threshold).any(axis=1))
    cols = np.flatnonzero((image > threshold).any(axis=0))
    return rows[0], cols[0], rows[-1] + 1, cols[-1] + 1


def centre_of_mass(image):
    total = image.sum()
    r = (image.sum(axis=1) * np.arange(image.shape[0])).sum() / total
    c = (image.sum(axis=0) * np.arange(image.shape[1])).sum() / total
    return r, c


def test_drawing_a_one_with_the_mouse_gives_a_centred_digit_the_model_reads_as_1(qtbot, pad,
                                                                                 trained_net):
    pad.state.set_model(trained_net, "trained")
    with qtbot.waitSignal(pad.predictionChanged, timeout=30000):
        mouse_stroke(qtbot, pad, ONE)
    assert pad.canvas_array().max() == pytest.approx(1.0)
    image = pad.preprocessed()
    assert image.shape == (28, 28)
    r, c = centre_of_mass(image)
    assert abs(r - 13.75) < 1.5 and abs(c - 13.75) < 1.5
    top, left, bottom, right = ink_bbox(image)
    assert 19 <= max(bottom - top, right - left) <= 21
    top3 = pad.top3()
    assert len(top3) == 3 and top3[0][0] == 1
    assert [p for _, p in top3] == sorted((p for _, p in top3), reverse=True)
    assert pad.digit_label.text() == "1"
    assert [k for k, _ in pad.bars.entries()] == [k for k, _ in top3]
    # the drawing is the app's probe, so every activation view follows it
    assert pad.state.probe_source == "drawing" and pad.state.probe_label is None
    np.testing.assert_array_equal(pad.state.probe_image, image)
    np.testing.assert_allclose(pad.state.probabilities[1], top3[0][1], rtol=1e-6)


def test_prediction_updates_while_the_button_is_still_down(qtbot, pad):
    canvas = pad.canvas
    points = [canvas.from_canvas(100, y).toPoint() for y in range(60, 200, 20)]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
    with qtbot.waitSignal(pad.predictionChanged, timeout=30000):
        for p in points[1:]:
            QTest.mouseMove(canvas, p)
    assert pad.state.probe_source == "drawing"
    assert pad.state.probe_image.max() > 0.5
    assert pad.latencies_ms and pad.latencies_ms[-1] >= 0
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       points[-1])


def test_clear_button_and_keys_empty_the_canvas(qtbot, pad):
    for clear in (lambda: QTest.mouseClick(pad.clear_button, Qt.MouseButton.LeftButton),
                  lambda: QTest.keyClick(pad.canvas, Qt.Key.Key_Delete),
                  lambda: QTest.keyClick(pad.canvas, Qt.Key.Key_Backspace),
                  lambda: QTest.keyClick(pad.canvas, Qt.Key.Key_C)):
        pad.draw_stroke(ONE)
        assert pad.canvas_array().max() > 0.5 and pad.top3()
        pad.canvas.setFocus()
        clear()
        assert pad.canvas_array().max() == 0
        assert not pad.preprocessed().any()
        assert pad.top3() == [] and pad.digit_label.text() == "–"
        assert not pad.state.probe_image.any()


def test_undo_removes_exactly_the_last_stroke(qtbot, pad):
    mouse_stroke(qtbot, pad, [(60, 60), (120, 80), (200, 60)])
    first = pad.canvas_array()
    mouse_stroke(qtbot, pad, [(140, 100), (140, 160), (150, 240)])
    both = pad.canvas_array()
    assert (both != first).any()
    pad.canvas.setFocus()
    QTest.keyClick(pad.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(pad.canvas_array(), first)
    np.testing.assert_array_equal(pad.state.probe_image, pad.preprocessed())
    QTest.mouseClick(pad.undo_button, Qt.MouseButton.LeftButton)
    assert pad.canvas_array().max() == 0
    QTest.mouseClick(pad.undo_button, Qt.MouseButton.LeftButton)   # nothing left: no error
    assert pad.canvas.strokes == []


def test_brush_size_controls_the_stroke_width(qtbot, pad):
    pad.brush.setValue(8)
    pad.draw_stroke([(140, 40), (140, 240)])
    thin = (pad.canvas_array() > 0.5).sum(axis=1)[140]
    pad.clear()
    pad.brush.setValue(40)
    pad.draw_stroke([(140, 40), (140, 240)])
    thick = (pad.canvas_array() > 0.5).sum(axis=1)[140]
    assert 6 <= thin <= 10 and 38 <= thick <= 42


def test_centering_switch_keeps_a_corner_digit_in_its_corner(qtbot, pad):
    pad.draw_stroke([(40, 20), (40, 100)])
    r, c = centre_of_mass(pad.preprocessed())
    assert abs(r - 13.75) < 1.5 and abs(c - 13.75) < 1.5
    pad.set_centering(False)
    r, c = centre_of_mass(pad.preprocessed())
    assert r < 10 and c < 10
    np.testing.assert_array_equal(pad.state.probe_image, pad.preprocessed())


def test_new_weights_update_the_drawing_prediction(qtbot, pad):
    pad.draw_stroke(ONE)
    before = pad.top3()
    other = build_network(seed=7)
    pad.state.set_params(other.copy_params())
    after = pad.top3()
    expected = other.predict_proba(pad.preprocessed()[None, None])[0]
    assert after != before
    assert after[0][0] == int(np.argmax(expected))
    assert after[0][1] == pytest.approx(float(expected.max()), rel=1e-5)


def test_touch_draws_on_the_canvas(qtbot, pad):
    device = QPointingDevice("test touch screen", 1, QInputDevice.DeviceType.TouchScreen,
                             QPointingDevice.PointerType.Finger,
                             QInputDevice.Capability.Position, 1, 0)
    canvas = pad.canvas

    def touch(kind, state, x, y):
        pos = canvas.from_canvas(x, y)
        point = QEventPoint(0, state, pos, QPointF(canvas.mapToGlobal(pos)))
        QApplication.sendEvent(canvas, QTouchEvent(kind, device, Qt.KeyboardModifier.NoModifier,
                                                   [point]))

    touch(QEvent.Type.TouchBegin, QEventPoint.State.Pressed, 200, 50)
    for y in range(80, 230, 30):
        touch(QEvent.Type.TouchUpdate, QEventPoint.State.Updated, 200, y)
    touch(QEvent.Type.TouchEnd, QEventPoint.State.Released, 200, 200)
    ink = pad.canvas_array() > 0.5
    assert ink[60:200, 195:205].any(axis=1).all()
    assert not ink[:, :150].any()
    assert len(canvas.strokes) == 1


def test_clearing_or_undoing_to_blank_brings_back_the_dataset_probe(qtbot, pad):
    from cnnviz.data import load_bundled
    ds = load_bundled()
    digit = ds.test_images[3].astype(np.float32) / 255.0
    pad.state.set_probe(digit, label=int(ds.test_labels[3]), source="dataset", index=3)
    for blank in (lambda: QTest.mouseClick(pad.clear_button, Qt.MouseButton.LeftButton),
                  lambda: QTest.mouseClick(pad.undo_button, Qt.MouseButton.LeftButton)):
        mouse_stroke(qtbot, pad, ONE)
        pad.top3()
        assert pad.state.probe_source == "drawing"
        blank()
        s = pad.state
        assert s.probe_source == "dataset" and s.probe_index == 3
        assert s.probe_label == int(ds.test_labels[3])
        np.testing.assert_array_equal(s.probe_image, digit)
        # the views show the real digit's trace again, not the blank pad's
        np.testing.assert_array_equal(s.trace["input"].output[0, 0], digit)
        assert pad.top3() == [] and pad.digit_label.text() == "–"
