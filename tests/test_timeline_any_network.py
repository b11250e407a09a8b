"""The timeline for every architecture the views must handle: real Steps through the training
controller, then the replay at a recorded step must reproduce that step's trace."""

import numpy as np
import pytest

from cnnviz.app.state import AppState
from cnnviz.app.views.timeline import TimelineView
from cnnviz.explain.replay_trace import conv_blocks, conv_param_keys
from cnnviz.nn import build_network
from step_support import start_paused, step
from view_arch_cases import VIEW_ARCHS
from window_support import small_dataset


def expected_panels(net, lower=None) -> list[str]:
    """The layers the maps should show: the first conv block's and a deeper one's."""
    blocks = conv_blocks(net.describe())
    if not blocks:
        return []
    chosen = [blocks[0]]
    if len(blocks) > 1:
        chosen.append(next(b for b in blocks if b.name == lower) if lower else blocks[-1])
    return [info.name for b in chosen for info in (b.shown, b.pool) if info is not None]


@pytest.fixture
def shown_view(qtbot):
    views = []

    def make(arch: str):
        ds = small_dataset(200, 20)
        state = AppState(build_network(arch, seed=0), ds)
        state.set_probe(ds.test_images[3] / 255.0, int(ds.test_labels[3]), index=3)
        view = TimelineView(state)
        qtbot.addWidget(view)
        view.resize(1000, 800)
        view.show()
        qtbot.waitExposed(view)
        view.record_interval_s = 0.0
        views.append(view)
        return state, view

    yield make


@pytest.mark.parametrize("name", sorted(VIEW_ARCHS))
def test_replay_at_a_recorded_step_reproduces_that_steps_trace(qtbot, shown_view, name):
    state, view = shown_view(VIEW_ARCHS[name])
    ctl = start_paused(qtbot, state, timeline=view)
    try:
        details = [step(qtbot, ctl) for _ in range(3)]
    finally:
        ctl.abandon(5000)
    view.flush()
    keys = conv_param_keys(state.net.describe())
    assert view.timeline.keys == keys
    assert list(view.timeline.steps) == [1, 2, 3]
    shown_layers = expected_panels(state.net)
    assert view.maps.shown_layers() == shown_layers
    for k in (0, 2):                     # an earlier step and the newest
        d = details[k]
        index = view.timeline.index_of_step(d.step)
        snapshot = view.timeline[index]
        assert snapshot.step == d.step and set(snapshot.params) == set(keys)
        for key in keys:                 # the weights recorded are the step's
            np.testing.assert_array_equal(snapshot.params[key], d.params_after[key])
        view.show_index(index)
        qtbot.waitUntil(lambda: view.replay_ready, timeout=20000)   # replayed off the UI thread
        fresh = build_network(config=state.net.config)
        fresh.load_params(d.params_after)
        trace = fresh.trace(state.probe_image[None, None])
        for layer in shown_layers:
            np.testing.assert_allclose(view.replayed_maps(layer), trace[layer].output[0],
                                       rtol=1e-5, atol=1e-6, err_msg=f"{name} {layer}")
            panel = view.panels[layer]            # what is drawn is what was replayed
            for page in range(panel.pages):        # a layer of many channels pages
                panel.set_page(page)
                np.testing.assert_allclose(
                    panel.untile(panel.image.image),
                    trace[layer].output[0][panel.page_start:panel.page_stop],
                    rtol=1e-5, atol=1e-6, err_msg=f"{name} {layer} drawn, page {page}")
            panel.set_page(0)
        if keys:
            first = d.params_after[keys[0]]
            np.testing.assert_array_equal(view.replayed_filters(),
                                          first.reshape(-1, *first.shape[2:]))
    # the curve has the probe's probabilities for every step, one line per class
    steps, probs = view.timeline.curve()
    assert list(steps) == [1, 2, 3] and probs.shape == (3, state.net.classes)
    assert len(view.lines) == state.net.classes
    if not keys:
        assert view.maps.stack.currentWidget() is view.maps.note
        assert "no convolution layers" in view.maps.note.text()
        assert "step 3" in view.step_label.text()
        with pytest.raises(KeyError, match="no conv layer"):
            view.replayed_maps("relu1")
    else:
        assert view.maps.stack.currentWidget() is view.maps.graphics


def test_a_deeper_layer_is_chosen_for_the_lower_row(qtbot, shown_view):
    state, view = shown_view(VIEW_ARCHS["three_convs"])
    ctl = start_paused(qtbot, state, timeline=view)
    try:
        d = step(qtbot, ctl)
    finally:
        ctl.abandon(5000)
    view.flush()
    qtbot.waitUntil(lambda: view.replay_ready, timeout=20000)       # replayed off the UI thread
    assert view.maps.selector.isVisible()
    assert [view.maps.selector.itemText(i) for i in range(view.maps.selector.count())] == \
        ["conv2", "conv3"]
    assert view.maps.shown_layers() == ["relu1", "relu3", "pool2"]
    view.maps.select_lower("conv2")
    assert view.maps.shown_layers() == expected_panels(state.net, "conv2") == \
        ["relu1", "relu2", "pool1"]
    fresh = build_network(config=state.net.config)
    fresh.load_params(d.params_after)
    trace = fresh.trace(state.probe_image[None, None])
    panel = view.panels["pool1"]
    np.testing.assert_allclose(panel.untile(panel.image.image), trace["pool1"].output[0],
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="conv2, conv3"):
        view.maps.select_lower("conv1")
    # another network rebuilds the panels (and clears the history)
    state.set_model(build_network(VIEW_ARCHS["lenet"]), "lenet")
    assert len(view.timeline) == 0
    assert view.maps.shown_layers() == ["relu1", "pool1", "relu2", "pool2"]
    assert not view.maps.selector.isVisible()
