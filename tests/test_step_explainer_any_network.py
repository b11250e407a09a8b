"""The one-step explainer for every architecture the views must handle: a real Step through
the training controller, then one ΔW panel per weighted layer showing exactly the weight
change, the gradient of every feature map, and the routing of every max-pool layer."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from cnnviz.app.state import AppState
from cnnviz.app.views.step_explainer import StepExplainerView
from cnnviz.data import images_to_float
from cnnviz.nn import build_network
from step_support import start_paused, step
from view_arch_cases import VIEW_ARCHS
from window_support import small_dataset


@pytest.fixture
def stepped(qtbot):
    """``make(arch)`` -> (state, view, detail): one real Step shown by a visible view."""
    def make(arch: str):
        ds = small_dataset(200, 20)
        state = AppState(build_network(arch, seed=0), ds)
        view = StepExplainerView(state)
        qtbot.addWidget(view)
        view.resize(1200, 900)
        view.show()
        qtbot.waitExposed(view)
        before = state.net.copy_params()
        ctl = start_paused(qtbot, state, step_view=view, batch_size=6)
        try:
            detail = step(qtbot, ctl)
        finally:
            ctl.abandon(5000)
        assert view.detail is detail
        for key, value in before.items():
            np.testing.assert_array_equal(detail.params_before[key], value)
        for index in range(view.tabs.count()):          # every tab laid out, no error
            view.tabs.setCurrentIndex(index)
            qtbot.wait(10)
        return state, view, detail
    return make


@pytest.mark.parametrize("name", sorted(VIEW_ARCHS))
def test_every_weighted_layer_shows_exactly_its_weight_change(stepped, name):
    state, view, d = stepped(VIEW_ARCHS[name])
    weighted = [info for info in state.net.describe() if info.params]
    weights = [f"{info.name}.weight" for info in weighted]
    assert list(view.delta_tab.panels) == weights            # one panel per weighted layer
    for key in weights:
        shown = view.shown_delta(key)
        assert shown.shape == state.net.params[key].shape, key
        np.testing.assert_array_equal(shown, d.params_after[key] - d.params_before[key])
        assert np.abs(shown).max() > 0, key
        # the window's network holds before + the shown change (the step's snapshot)
        np.testing.assert_allclose(state.net.params[key], d.params_before[key] + shown,
                                   rtol=0, atol=1e-6)
        lo, hi = view.delta_levels(key)
        assert lo == -hi and hi == pytest.approx(float(np.abs(shown).max()))
    for key in weights:                        # every panel placed, with its own title
        assert key in view.delta_tab.placements
        assert view.delta_tab.panels[key].title.text.startswith(f"ΔW {key.split('.')[0]}")
    text = view.delta_tab.text.text()
    assert all(key in text for key in d.params_after)     # biases' largest change too


@pytest.mark.parametrize("name", sorted(VIEW_ARCHS))
def test_feature_map_gradients_and_routing_of_every_layer(stepped, name):
    state, view, d = stepped(VIEW_ARCHS[name])
    layers = state.net.describe()
    spatial = [i.name for i in layers[1:] if len(i.output_shape) == 3]
    pools = {i.name: i.input for i in layers if i.kind == "maxpool"}
    assert view.grad_tab.layers == spatial
    assert list(view.routing_tab.pools) == list(pools)
    # an independent pass of the engine with the weights before the step
    net = build_network(config=state.net.config)
    net.load_params(d.params_before)
    x = images_to_float(state.dataset.train_images[d.indices])
    engine: dict = {}
    net.loss_and_grads(x, d.labels.astype(np.int64), output_grads=engine)
    has_dropout = any(i.kind == "dropout" for i in layers)
    for k in (0, 4):
        view.select_digit(k)
        for layer in spatial:
            np.testing.assert_allclose(view.shown_grad(layer), d.output_grads[layer][k],
                                       rtol=1e-6, atol=1e-12, err_msg=layer)
            if not has_dropout:          # the worker's dropout masks are its own
                np.testing.assert_allclose(view.shown_grad(layer), engine[layer][k],
                                           rtol=1e-4, atol=1e-7, err_msg=layer)
        trace = net.trace(x[k:k + 1])
        for pool, source in pools.items():
            r = view.routing(pool)
            c = r["channel"]
            np.testing.assert_array_equal(r["winners"], trace[pool].mask[0, c])
            np.testing.assert_array_equal(r["routed"], d.output_grads[source][k, c])
            assert np.all(r["routed"][~r["winners"]] == 0)
            h, w = r["arriving"].shape
            np.testing.assert_allclose(r["routed"].reshape(h, 2, w, 2).sum(axis=(1, 3)),
                                       r["arriving"], rtol=1e-5, atol=1e-10)
    for tab in (view.grad_tab, view.routing_tab):      # read under the tab titles, not
        if tab.note.isVisibleTo(tab):                    # centred out of a small dock's sight
            assert tab.note.alignment() & Qt.AlignmentFlag.AlignTop
            assert tab.note.mapTo(tab, tab.note.rect().topLeft()).y() < 40
    if not spatial:
        assert view.grad_tab.note.isVisibleTo(view.grad_tab)
        assert "no convolution" in view.grad_tab.note.text()
        with pytest.raises(KeyError, match="none"):
            view.shown_grad("relu1")
    if not pools:
        assert view.routing_tab.note.isVisibleTo(view.routing_tab)
        assert "no max-pool layers" in view.routing_tab.note.text()
        with pytest.raises(ValueError, match="no max-pool layer"):
            view.select_pool_channel("pool1", 0)
    else:
        first = next(iter(pools))
        view.select_pool_channel(first, 2)
        assert view.routing(first)["channel"] == 2
        assert view.routing_tab.spins[first].value() == 2


def test_a_new_network_rebuilds_the_panels_and_drops_the_old_step(stepped):
    state, view, _ = stepped(VIEW_ARCHS["three_convs"])
    assert list(view.routing_tab.pools) == ["pool1", "pool2"]
    state.set_model(build_network(VIEW_ARCHS["stride2"]), "stride2")
    assert view.detail is None
    assert list(view.delta_tab.panels) == ["conv1.weight", "conv2.weight", "fc1.weight"]
    assert view.routing_tab.pools == {} and view.routing_tab.spins == {}
    with pytest.raises(RuntimeError, match="press Step"):
        view.shown_delta("conv1.weight")
