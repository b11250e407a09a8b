"""The classroom views are wired into the real window: clicks, the pad, training, the menu."""

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtWidgets import QMessageBox

from cnnviz.app.main_window import CLASSROOM_VIEWS
from cnnviz.data import preprocess_stages

import window_support

# a "7" drawn in the top-left corner of the 280 x 280 canvas
CORNER_SEVEN = [(20, 25), (110, 25), (60, 130)]


@pytest.fixture(autouse=True)
def quiet_warnings(monkeypatch):
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: None)


@pytest.fixture(scope="module")
def small_dataset():
    return window_support.small_dataset(320, 60)


@pytest.fixture
def window(qtbot, small_dataset):
    win = window_support.open_window(qtbot, small_dataset, restore_layout=False,
                                     size=(1600, 1000))
    yield win
    win.stop_training()


def test_clicking_a_conv_pixel_explains_it(qtbot, window):
    window.docks["activations"].raise_()
    acts, explainer = window.views["activations"], window.views["conv_explainer"]
    window.docks["filters"].raise_()           # the explainer starts behind another tab
    qtbot.waitUntil(lambda: acts.groups["conv2"].panel.mosaic is not None)
    for layer, (channel, row, col) in (("conv1", (7, 3, 17)), ("conv2", (12, 5, 2))):
        panel = acts.groups[layer].panel
        scene = panel.tile_pixel_to_scene(channel, row, col)
        point = acts.graphics.mapFromScene(scene)
        qtbot.mouseClick(acts.graphics.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(point.x(), point.y()))
        # the pixel actually under the (integer) click position
        hit = acts.hit(acts.graphics.mapToScene(point))
        assert hit[0] == layer and hit[1] == channel
        assert abs(hit[2] - row) <= 1 and abs(hit[3] - col) <= 1
        qtbot.waitUntil(lambda: explainer.layer == layer)
        assert (explainer.layer, explainer.channel, explainer.row, explainer.col) == hit
        e = explainer.explanation
        assert (e.layer, e.channel, e.row, e.col) == hit
        channel, row, col = hit[1:]
        assert e.engine_output == pytest.approx(
            float(window.state.trace[layer].output[0, channel, row, col]))
        assert window.docks["conv_explainer"].isVisible()     # raised to the front


def test_pipeline_view_tracks_the_drawing_pad(qtbot, window):
    pad, pipeline = window.views["drawing_pad"], window.views["preprocess_pipeline"]
    assert pipeline.pad is pad
    window.raise_dock("preprocess_pipeline")
    pad.draw_stroke(CORNER_SEVEN, 20)
    expected = preprocess_stages(pad.canvas_array(), center=True)
    qtbot.waitUntil(lambda: pipeline.stages is not None
                    and np.array_equal(pipeline.stages.result, expected.result))
    np.testing.assert_allclose(pipeline.stages.result, pad.preprocessed(), atol=1e-6)
    # the switch in the pipeline changes what the pad (and so the network) gets
    pipeline.centre_box.setChecked(False)
    assert pad.center is False
    uncentred = preprocess_stages(pad.canvas_array(), center=False).result
    np.testing.assert_allclose(pad.preprocessed(), uncentred, atol=1e-6)
    assert not np.allclose(uncentred, expected.result)
    pad.clear()
    qtbot.waitUntil(lambda: not pipeline.panel_images()["raw"].any())


def test_timeline_records_while_training_and_after_a_step(qtbot, window):
    timeline = window.views["timeline"]
    timeline.record_interval_s = 0.0          # keep every applied snapshot in this test
    window.raise_dock("timeline")
    assert len(timeline.timeline) == 0
    window.controls.batch_spin.setValue(8)
    window.controls.epochs_spin.setValue(1000)     # long enough to still run when paused
    window.start_training()
    qtbot.waitUntil(lambda: len(timeline.timeline) >= 3, timeout=30000)
    assert window.controller.active
    window.controller.pause()
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=10000)
    steps = timeline.timeline.steps
    assert np.all(np.diff(steps) > 0) and steps[-1] >= 3
    # the newest kept snapshot holds the weights the window shows
    timeline.flush()
    np.testing.assert_array_equal(timeline.timeline[-1].params["conv1.weight"],
                                  window.state.net.params["conv1.weight"])
    step_view = window.views["step_explainer"]
    window.step_training()
    qtbot.waitUntil(lambda: step_view.detail is not None, timeout=10000)
    qtbot.waitUntil(lambda: timeline.timeline.steps[-1] == step_view.detail.step, timeout=10000)
    np.testing.assert_array_equal(timeline.timeline[-1].params["conv1.weight"],
                                  step_view.detail.params_after["conv1.weight"])
    epochs = timeline.timeline[-1].epoch_progress
    assert epochs == pytest.approx(step_view.detail.step / 40)   # 320 digits, 8 a batch


def test_confusion_matrix_follows_each_epoch(qtbot, window, small_dataset):
    confusion = window.views["confusion"]
    assert confusion.accuracy is None
    window.controls.batch_spin.setValue(64)
    window.controls.epochs_spin.setValue(2)
    window.start_training()
    qtbot.waitUntil(lambda: confusion.accuracy is not None, timeout=30000)
    assert confusion.matrix.sum() == len(small_dataset.test_labels)
    qtbot.waitUntil(lambda: not window.controller.active, timeout=30000)
    last = window.loss_view.history.epoch_arrays()["test_accuracy"][-1]
    assert confusion.accuracy == pytest.approx(last)
    assert np.trace(confusion.matrix) == round(last * len(small_dataset.test_labels))


def test_classroom_menu_raises_every_explainer(qtbot, window):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Classroom")
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert "Presentation mode" in actions
    for name in CLASSROOM_VIEWS:
        dock = window.docks[name]
        window.docks["filters"].raise_()
        qtbot.wait(10)
        actions[window.view_title(name)].trigger()
        qtbot.waitUntil(lambda: dock.isVisible() and not dock.visibleRegion().isEmpty())
        assert window.views[name].isVisible()
