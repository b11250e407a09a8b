"""The training arrays are converted to float off the UI thread, before the first Step."""

import threading

import numpy as np
import pytest

import cnnviz.app.training_data as training_data
import window_support
from cnnviz.app.training_data import TrainingData, float_arrays


@pytest.fixture(scope="module")
def small_dataset():
    return window_support.small_dataset(320, 50)


@pytest.fixture
def conversions(monkeypatch):
    """The thread of every uint8 -> float conversion of a dataset's images."""
    threads = []
    real = training_data.images_to_float

    def recorded(images):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(images)
    monkeypatch.setattr(training_data, "images_to_float", recorded)
    return threads


def test_the_first_step_finds_the_data_converted_in_the_background(qtbot, small_dataset,
                                                                    conversions):
    window = window_support.open_window(qtbot, small_dataset)
    data = window.training_data
    qtbot.waitUntil(lambda: data.ready(small_dataset), timeout=20000)
    assert conversions == [False, False]          # train and test images, not on this thread
    shown = []
    window.controller.stepped.connect(lambda detail: shown.append(detail.step))
    window.step_training()
    qtbot.waitUntil(lambda: shown == [1], timeout=20000)
    assert conversions == [False, False]          # the Step converted nothing
    window.stop_training()


def test_asked_before_the_background_is_done_it_converts_at_once(qtbot, small_dataset):
    data = TrainingData()
    data.prepare(small_dataset)
    arrays = data.arrays(small_dataset)
    expected = float_arrays(small_dataset)
    for got, want in zip(arrays, expected):
        np.testing.assert_array_equal(got, want)
    assert arrays[0].shape == (320, 1, 28, 28) and arrays[0].dtype == np.float32
    qtbot.waitUntil(lambda: not data._job.busy, timeout=20000)
    assert data.arrays(small_dataset) is arrays   # the late background result changes nothing


def test_another_dataset_is_prepared_anew(qtbot, small_dataset):
    other = window_support.small_dataset(64, 10)
    data = TrainingData()
    data.prepare(small_dataset)
    qtbot.waitUntil(lambda: data.ready(small_dataset), timeout=20000)
    data.prepare(other)
    assert not data.ready(small_dataset)
    qtbot.waitUntil(lambda: data.ready(other), timeout=20000)
    assert data.arrays(other)[0].shape == (64, 1, 28, 28)
