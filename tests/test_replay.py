"""The timeline bar: a recording's steps shown by every view through the app state."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QMessageBox

from cnnviz.data import images_to_float
from cnnviz.nn import build_network
from cnnviz.nn.presets import TrainConfig
from cnnviz.training import Trainer
from cnnviz.training.recording import Recording, RunRecorder

import window_support


@pytest.fixture(scope="module")
def dataset():
    return window_support.small_dataset(64, 50)


@pytest.fixture
def errors(monkeypatch):
    seen = []
    monkeypatch.setattr(QMessageBox, "critical",
                        lambda parent, title, text, *a, **k: seen.append((title, text)))
    return seen


@pytest.fixture
def recorded(tmp_path, dataset):
    """A 2-epoch, 8-step run recorded in float32, and the weights it had after each step."""
    config = TrainConfig(epochs=2, batch_size=16, lr=0.05, momentum=0.9, seed=0)
    trainer = Trainer(build_network(seed=0), images_to_float(dataset.train_images),
                      dataset.train_labels, images_to_float(dataset.test_images),
                      dataset.test_labels, config)
    path = tmp_path / "run.cnnrun"
    recorder = RunRecorder(path, trainer, dataset_name=dataset.name, dtype=np.float32)
    trainer.observers.append(recorder)
    weights = {0: trainer.net.copy_params()}
    while not trainer.finished:
        trainer.step()
        weights[trainer.step_count] = trainer.net.copy_params()
    recorder.close(trainer, completed=True)
    return path, weights


def _show(qtbot, window, index):
    with qtbot.waitSignal(window.replay.pointShown, timeout=30000):
        window.replay.bar.set_index(index)


def test_scrubbing_shows_each_step_in_the_views(qtbot, dataset, recorded, errors):
    path, weights = recorded
    window = window_support.open_window(qtbot, dataset)
    assert window.replay.open(path) and not errors
    bar = window.replay.bar
    assert window.replay.toolbar.isVisible() and list(bar.steps) == list(range(9))
    filters = window.views["filters"]
    for index in (5, 2, 8):
        _show(qtbot, window, index)
        for name, value in weights[index].items():          # exactly the run's weights
            np.testing.assert_array_equal(window.state.net.params[name], value)
        filters.refresh()
        np.testing.assert_array_equal(filters._weights["filters"],
                                      weights[index]["conv1.weight"][:, 0])
        history = window.loss_view.history
        assert history.batches_seen == index                 # the curve up to the step
        assert window.loss_view._marker.value() == pytest.approx(index / 4)
    assert f"step 8 of 8" in bar.info.text()
    # the confusion matrix of the nearest evaluation (epoch 2 ended at step 8)
    rec = Recording.open(path)
    ev = rec.evaluation(1)
    np.testing.assert_array_equal(window.views["confusion"].matrix,
                                  ev.confusion_matrix(dataset.test_labels))
    _show(qtbot, window, 3)                                  # before the first evaluation
    assert not window.views["confusion"].matrix.any()
    assert window.controller.worker is None                 # nothing was trained


def test_arrow_keys_on_the_bar_step_between_points_without_training(qtbot, dataset, recorded,
                                                                      errors):
    path, weights = recorded
    window = window_support.open_window(qtbot, dataset)
    window.replay.open(path)
    _show(qtbot, window, 3)
    slider = window.replay.bar.slider
    slider.setFocus()
    qtbot.waitUntil(slider.hasFocus)
    with qtbot.waitSignal(window.replay.pointShown, timeout=30000) as blocker:
        qtbot.keyClick(slider, Qt.Key.Key_Right)
    assert blocker.args == [4]
    with qtbot.waitSignal(window.replay.pointShown, timeout=30000) as blocker:
        qtbot.keyClick(slider, Qt.Key.Key_Left)
        qtbot.keyClick(slider, Qt.Key.Key_Left)
    assert window.replay.step == 2
    assert window.controller.worker is None                 # Right did not Step training


def test_play_runs_to_the_end_then_stops(qtbot, dataset, recorded, errors):
    path, _ = recorded
    window = window_support.open_window(qtbot, dataset)
    window.replay.open(path)
    bar = window.replay.bar
    bar.speed_combo.setCurrentIndex(bar.speed_combo.count() - 1)
    bar.play()
    assert bar.playing and bar.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: window.replay.step == 8 and not bar.playing, timeout=10000)
    assert bar.play_button.text() == "Play"


def test_continue_from_here_branches_a_recorded_run(qtbot, dataset, recorded, errors,
                                                    tmp_path):
    path, weights = recorded
    window = window_support.open_window(qtbot, dataset)
    window.replay.open(path)
    _show(qtbot, window, 4)
    window.controls.epochs_spin.setValue(1)
    window.replay.set_record_path(tmp_path / "branch.cnnrun")
    window.replay.bar.continue_button.click()
    assert not window.replay.toolbar.isVisible() and not errors
    qtbot.waitUntil(lambda: window.controls.run_state == "idle"
                    and window.controller.worker is not None
                    and window.controller.worker.trainer.finished, timeout=30000)
    branch = Recording.open(tmp_path / "branch.cnnrun")
    assert branch.complete
    assert branch.header["branched_from"] == {"recording": "run.cnnrun", "step": 4}
    first = branch.weights(0)                     # float16: within its rounding
    for name, value in weights[4].items():
        np.testing.assert_allclose(first[name], value, rtol=2 ** -11, atol=2 ** -24)
    assert window.controls.batch_spin.value() == 16


def test_a_bad_recording_says_why_and_keeps_the_current_model(qtbot, dataset, errors,
                                                              tmp_path):
    window = window_support.open_window(qtbot, dataset)
    before = window.state.net
    bad = tmp_path / "broken.cnnrun"
    bad.write_bytes(b"PK\x03\x04 not really")
    assert not window.replay.open(bad)
    assert errors and "broken.cnnrun" in errors[0][1]
    assert window.state.net is before and not window.replay.toolbar.isVisible()


def test_export_animation_from_the_app_and_its_cancel(qtbot, dataset, recorded, errors,
                                                      tmp_path):
    from PIL import Image

    from cnnviz.app.export_animation import export_animation

    path, _ = recorded
    window = window_support.open_window(qtbot, dataset)
    window.replay.open(path)
    rec = window.replay.recording
    seen = []
    assert export_animation(window, rec, "activations", tmp_path / "a.gif", size=(240, 180),
                            on_progress=lambda done, dialog: seen.append(done))
    assert seen == list(range(1, 10)) and not errors
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.n_frames == 9 and gif.size == (240, 180)
    cancel = lambda done, dialog: dialog.cancel() if done == 3 else None   # noqa: E731
    assert not export_animation(window, rec, "filters", tmp_path / "b.gif", size=(240, 180),
                                on_progress=cancel)
    assert not (tmp_path / "b.gif").exists() and not list(tmp_path.glob(".b.gif*"))
    assert "cancelled" in window.statusBar().currentMessage()
