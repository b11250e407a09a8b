"""The probe browser, driven by its real buttons and spin box (pytest-qt, offscreen)."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtTest import QTest

from cnnviz.app.state import AppState
from cnnviz.app.views.probe_browser import ProbeBrowser
from cnnviz.data import load_bundled
from cnnviz.nn import build_network


@pytest.fixture(scope="module")
def dataset():
    return load_bundled()


@pytest.fixture
def browser(qtbot, dataset):
    state = AppState(build_network(seed=0))
    view = ProbeBrowser(state, seed=3)
    qtbot.addWidget(view)
    view.resize(360, 420)
    view.show()
    qtbot.waitExposed(view)
    state.set_dataset(dataset)
    return view


def assert_probe_is(state, dataset, index):
    assert state.probe_source == "dataset"
    assert state.probe_index == index
    assert state.probe_label == int(dataset.test_labels[index])
    np.testing.assert_allclose(state.probe_image, dataset.test_images[index] / 255.0, atol=1e-6)


def click(button):
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_new_dataset_selects_its_first_held_out_digit(browser, dataset):
    assert browser.index == 0
    assert_probe_is(browser.state, dataset, 0)
    assert f"True label: <b>{dataset.test_labels[0]}</b>" in browser.label_text.text()
    np.testing.assert_allclose(browser.image.image(), dataset.test_images[0] / 255.0, atol=1e-6)
    assert browser.spin.maximum() == len(dataset.test_images) - 1


def test_next_previous_and_wraparound(browser, dataset):
    state = browser.state
    click(browser.next_button)
    click(browser.next_button)
    assert_probe_is(state, dataset, 2)
    assert browser.spin.value() == 2
    click(browser.prev_button)
    assert_probe_is(state, dataset, 1)
    click(browser.prev_button)
    click(browser.prev_button)
    assert_probe_is(state, dataset, len(dataset.test_images) - 1)


def test_random_and_the_index_box(browser, dataset):
    seen = set()
    for _ in range(5):
        click(browser.random_button)
        seen.add(browser.index)
        assert_probe_is(browser.state, dataset, browser.index)
        assert browser.spin.value() == browser.index
    assert len(seen) > 1
    browser.spin.setValue(42)
    assert_probe_is(browser.state, dataset, 42)


def test_prediction_is_shown_and_follows_the_weights(browser, dataset):
    state = browser.state
    browser.spin.setValue(7)
    guess = int(np.argmax(state.probabilities))
    label = int(dataset.test_labels[7])
    text = browser.prediction_text.text()
    assert f"Network says: <b>{guess}</b>" in text
    assert ("right" in text) == (guess == label) and ("wrong" in text) == (guess != label)
    for seed in range(1, 30):   # find weights that change this digit's prediction
        other = build_network(seed=seed)
        new_guess = int(np.argmax(other.predict_proba(state.probe_image[None, None])[0]))
        if new_guess != guess:
            break
    state.set_params(other.copy_params())
    assert f"Network says: <b>{new_guess}</b>" in browser.prediction_text.text()


def test_without_a_dataset_the_buttons_are_disabled(qtbot):
    state = AppState(build_network(seed=0))
    view = ProbeBrowser(state)
    qtbot.addWidget(view)
    assert not view.next_button.isEnabled() and not view.random_button.isEnabled()
    assert "No dataset" in view.label_text.text()
    view.show_random()
    view.show_index(3)          # no crash, no probe change
    assert state.probe_index is None
