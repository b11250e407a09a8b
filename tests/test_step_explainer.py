"""The one-step explainer, driven through the real window: Step, then check every number shown."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from cnnviz.app.views.step_explainer import format_change
from cnnviz.data import images_to_float
from cnnviz.nn import build_network

import window_support


@pytest.fixture(scope="module")
def small_dataset():
    return window_support.small_dataset(400, 50)


@pytest.fixture
def window(qtbot, small_dataset):
    win = window_support.open_window(qtbot, small_dataset, restore_layout=False)
    win.controls.batch_spin.setValue(6)
    win.controls.lr_spin.setValue(0.05)
    win.raise_dock("step_explainer")
    yield win
    win.stop_training()


def step_once(qtbot, win, trigger):
    view = win.views["step_explainer"]
    before = win.state.net.copy_params()
    old = view.detail
    trigger()
    qtbot.waitUntil(lambda: view.detail is not old, timeout=10000)
    # the step's snapshot reaches the state too (the window shows the new weights)
    qtbot.waitUntil(lambda: not np.array_equal(win.state.net.params["conv1.weight"],
                                               before["conv1.weight"]), timeout=10000)
    return view, before


def engine_pass(config, params, x, labels):
    net = build_network(config=config)
    net.load_params(params)
    grads: dict = {}
    loss, _ = net.loss_and_grads(x, labels, output_grads=grads)
    return net, loss, grads


def test_step_button_changes_weights_by_exactly_the_shown_delta(qtbot, window, small_dataset):
    view, before = step_once(
        qtbot, window, lambda: qtbot.mouseClick(window.controls.step_button,
                                                Qt.MouseButton.LeftButton))
    d = view.detail
    assert len(d.labels) == 6
    for name in ("conv1.weight", "conv2.weight"):
        np.testing.assert_array_equal(d.params_before[name], before[name])
        shown = view.shown_delta(name)
        assert shown.shape == before[name].shape
        # what the view draws is exactly what the update changed ...
        np.testing.assert_array_equal(shown, d.params_after[name] - d.params_before[name])
        assert np.abs(shown).max() > 0
        # ... and the window's network now holds before + shown delta
        np.testing.assert_allclose(window.state.net.params[name], before[name] + shown,
                                   rtol=0, atol=1e-7)
        # each mosaic has its own scale, symmetric around zero, set by its own largest change
        lo, hi = view.delta_levels(name)
        assert lo == -hi and hi == pytest.approx(float(np.abs(shown).max()))
    assert view.delta_levels("conv1.weight") != view.delta_levels("conv2.weight")


def test_loss_before_and_after_are_the_engines(qtbot, window, small_dataset):
    view, before = step_once(qtbot, window, window.step_training)
    d = view.detail
    x = images_to_float(small_dataset.train_images[d.indices])
    labels = small_dataset.train_labels[d.indices].astype(np.int64)
    np.testing.assert_array_equal(d.labels, labels)
    net, loss_before, _ = engine_pass(window.state.net.config, before, x, labels)
    logits_before = net.last_logits.copy()
    assert d.loss_before == pytest.approx(loss_before, rel=1e-6)
    assert view.loss_before.text() == f"{loss_before:.4f}"
    _, loss_after, _ = engine_pass(window.state.net.config, d.params_after, x, labels)
    assert view.loss_after.text() == f"{loss_after:.4f}"
    assert view.loss_change.text() == format_change(loss_after - loss_before)
    assert format_change(-0.01234) == "-0.0123" and format_change(-2.3e-5) == "-2.3e-05"
    # the strip shows each digit, its label and the predictions before -> after
    for i, cell in enumerate(view.cells[:6]):
        assert cell.isVisible()
        np.testing.assert_allclose(cell.image.image(), x[i, 0])
        text = cell.caption.text()
        assert f"<b>{labels[i]}</b>" in text
        assert f">{int(logits_before[i].argmax())}</span> →" in text
    assert not view.cells[6].isVisible()


def test_feature_map_gradients_and_pool_routing(qtbot, window, small_dataset):
    view, before = step_once(qtbot, window, window.step_training)
    d = view.detail
    x = images_to_float(small_dataset.train_images[d.indices])
    labels = d.labels.astype(np.int64)
    net, _, grads = engine_pass(window.state.net.config, before, x, labels)

    for k in (0, 3):
        qtbot.mouseClick(view.cells[k], Qt.MouseButton.LeftButton)
        assert view.digit == k
        for layer in ("conv1", "relu1", "pool1", "conv2", "relu2", "pool2"):
            np.testing.assert_allclose(view.shown_grad(layer), grads[layer][k],
                                       rtol=1e-5, atol=1e-9)
        trace = net.trace(x[k:k + 1])
        for pool, source in (("pool1", "relu1"), ("pool2", "relu2")):
            r = view.routing(pool)
            c = r["channel"]
            np.testing.assert_array_equal(r["winners"], trace[pool].mask[0, c])
            # the winners are the step's own (its forward pass), not a re-run's
            np.testing.assert_array_equal(r["winners"], d.pool_masks[pool][k, c])
            np.testing.assert_allclose(r["arriving"], grads[pool][k, c], rtol=1e-5, atol=1e-9)
            routed = r["routed"]
            # the gradient reaches only the winner of each 2x2 window ...
            assert np.all(routed[~r["winners"]] == 0)
            assert np.count_nonzero(routed) > 0
            # ... and each winner gets exactly the gradient of its pool cell
            h, w = r["arriving"].shape
            window_sums = routed.reshape(h, 2, w, 2).sum(axis=(1, 3))
            np.testing.assert_allclose(window_sums, r["arriving"], rtol=1e-6, atol=1e-12)
    assert "the gradient reaches only the winner of each 2x2 window" in \
        view.routing_text.text().lower()

    view.select_pool_channel("pool1", 7)
    assert view.routing("pool1")["channel"] == 7
    assert view.routing_tab.spins["pool1"].value() == 7


def test_a_new_step_replaces_the_shown_one(qtbot, window):
    view, _ = step_once(qtbot, window, window.step_training)
    first = view.detail
    view2, before2 = step_once(qtbot, window, window.step_training)
    assert view.detail is not first and view.detail.step == first.step + 1
    np.testing.assert_array_equal(view.detail.params_before["conv1.weight"],
                                  first.params_after["conv1.weight"])
    np.testing.assert_array_equal(view.shown_delta("conv1.weight"),
                                  view.detail.delta("conv1.weight"))


def shown_panel_items(view):
    """The panels' titles and colour bars, and the routing arrows, visible in the 3 tabs."""
    items = []
    for tab in (view.delta_tab, view.grad_tab, view.routing_tab):
        panels = [p for v in tab.panels.values() for p in (v.values() if isinstance(v, dict)
                                                             else [v])]
        items += [p.title for p in panels if p.title.isVisible()]
        items += [p.bar for p in panels if p.bar is not None and p.bar.isVisible()]
    items += [a for a in view.routing_tab.arrows.values() if a.isVisible()]
    return items


def test_no_panel_is_drawn_before_a_step_or_after_a_reset(qtbot, window):
    """Under Xvfb (presentation mode, before any Step): the titles "ΔW conv1" ... "ΔW fc2"
    lay on top of each other in the corner with their colour bars, unplaced. Panels show
    once a step placed them, and go again when the network is reset."""
    view = window.views["step_explainer"]
    for tab in (view.delta_tab, view.grad_tab, view.routing_tab):
        view.tabs.setCurrentWidget(tab)
        qtbot.wait(20)
        assert shown_panel_items(view) == []
    view.tabs.setCurrentWidget(view.delta_tab)
    step_once(qtbot, window, window.step_training)
    qtbot.waitUntil(lambda: len(shown_panel_items(view)) > 0)
    window.state.set_model(build_network(seed=3), "fresh")
    qtbot.waitUntil(lambda: view.detail is None)
    assert shown_panel_items(view) == []


def test_the_intro_says_new_weights_only_while_the_model_has_not_trained(qtbot, window):
    """Seen under Xvfb: after a run had trained, One step still said "New weights: press
    Step". The sentence before a step follows the model: new, or trained by a run."""
    view = window.views["step_explainer"]
    window.state.set_model(build_network(seed=3), "fresh")
    qtbot.waitUntil(lambda: view.detail is None)
    assert view.intro.text().startswith("New weights")
    window.controls.batch_spin.setValue(8)
    window.controls.epochs_spin.setValue(1)
    window.start_training()
    qtbot.waitUntil(lambda: window.state.modified, timeout=30000)
    qtbot.waitUntil(lambda: not window.controller.active, timeout=30000)
    assert view.detail is None
    assert "New weights" not in view.intro.text()
    assert "one more mini-batch" in view.intro.text()
    window.state.set_model(build_network(seed=4), "fresh again")
    assert view.intro.text().startswith("New weights")
