"""The filters' promise: per-filter colour scaling, change since reset (W - W0), and the
classroom preset whose conv1 filters visibly change in the first epoch."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.app.state import AppState
from cnnviz.app.views.filters import FiltersView
from cnnviz.nn import build_network, get_preset
from cnnviz.training import Trainer
from cnnviz.training.filter_change import display_values, visible_change
from helpers import bundled_float


def test_display_values_scale_each_filter_to_the_whole_range():
    w = np.zeros((3, 2, 2))
    w[0] = [[0.5, -0.25], [0, 0]]
    w[1] = [[0.01, 0.02], [-0.04, 0]]
    shown = display_values(w, per_filter=True)
    np.testing.assert_allclose(shown[0], [[1, -0.5], [0, 0]])
    np.testing.assert_allclose(shown[1], [[0.25, 0.5], [-1, 0]])
    assert not shown[2].any()                            # an all-zero filter stays 0
    np.testing.assert_allclose(display_values(w, per_filter=False)[1], w[1] / 0.5)


def test_visible_change_counts_pixels_moving_more_than_a_tenth_of_the_range():
    before = np.array([[[1.0, 0.5, 0.0, -1.0]]])
    after = np.array([[[1.0, 0.75, 0.1, -1.0]]])       # +0.25 and +0.1 of a range of 2
    assert visible_change(before, after) == pytest.approx(0.25)
    assert visible_change(before, 3 * before) == 0.0    # per filter: a rescale shows nothing


def test_classroom_filters_visibly_form_in_the_first_epoch():
    """From Reset with the classroom preset, one epoch of 3,000 digits changes most conv1
    pixels visibly on screen; the lenet preset changes few (its filters look the same)."""
    train_x, train_y, test_x, test_y = bundled_float(seed=0)
    shares = {}
    for name in ("classroom", "lenet"):
        net = build_network(name, seed=0)
        before = net.params["conv1.weight"][:, 0].copy()
        trainer = Trainer(net, train_x[:3000], train_y[:3000], test_x[:300], test_y[:300],
                          get_preset(name).training.with_overrides(epochs=1))
        while not trainer.finished:
            trainer.step()
        shares[name] = visible_change(before, net.params["conv1.weight"][:, 0])
        if name == "classroom":
            assert trainer.history[-1].test_accuracy > 0.85        # and it still learns
    assert shares["classroom"] > 0.5 and shares["lenet"] < 0.2, shares


def test_the_classroom_preset_starts_with_small_conv1_filters():
    lenet, classroom = build_network("lenet", seed=3), build_network("classroom", seed=3)
    np.testing.assert_allclose(classroom.params["conv1.weight"],
                               0.1 * lenet.params["conv1.weight"], rtol=1e-6)
    np.testing.assert_array_equal(classroom.params["conv2.weight"], lenet.params["conv2.weight"])


def test_filters_view_shows_change_since_reset_and_restarts_on_a_new_model(qtbot):
    state = AppState(build_network(seed=0))
    view = FiltersView(state)
    qtbot.addWidget(view)
    view.resize(1100, 850)
    view.show()
    qtbot.waitExposed(view)
    w0 = state.net.params["conv1.weight"][:, 0].copy()
    params = state.net.copy_params()
    params["conv1.weight"][2, 0] += 0.5
    params["conv1.weight"][7, 0, 1, 1] -= 0.25
    state.set_params(params)
    view.set_show_change(True)
    view.refresh()
    panel = view.panels["filters"]
    shown = panel.untile(panel.image.image)
    assert view.per_filter and view.levels("filters") == (-1.0, 1.0)
    np.testing.assert_allclose(shown[2], 1.0, atol=1e-6)          # +0.5 everywhere, own scale
    assert shown[7][1, 1] == pytest.approx(-1.0) and not np.delete(shown, [2, 7], 0).any()
    assert "change" in panel.title.item.toPlainText() or "Δ" in panel.title.item.toPlainText()
    view.per_filter_box.setChecked(False)
    shown = panel.untile(panel.image.image)
    np.testing.assert_allclose(shown[7][1, 1], -0.25, atol=1e-6)   # raw W - W0, shared scale
    # a new model (Reset): its weights are the new W0, so nothing has changed yet
    state.set_model(build_network(seed=5), "fresh")
    view.refresh()
    assert not panel.untile(panel.image.image).any()
    view.set_show_change(False)
    view.refresh()
    np.testing.assert_allclose(panel.untile(panel.image.image),
                               state.net.params["conv1.weight"][:, 0], atol=1e-6)
    assert not np.allclose(w0, state.net.params["conv1.weight"][:, 0])
