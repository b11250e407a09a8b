"""The pooling view on every architecture of VIEW_ARCHS: one panel per pool layer."""

from __future__ import annotations

import gc

import numpy as np
import pyqtgraph as pg
import pytest

from cnnviz.app.state import AppState
from cnnviz.app.views.pooling import PoolingView
from cnnviz.nn import build_network
from view_arch_cases import VIEW_ARCHS
from window_support import view_in_window

pg.setConfigOptions(imageAxisOrder="row-major")


@pytest.fixture(autouse=True)
def collect_closed_views():
    gc.collect()
    yield


def make_view(qtbot, arch: str, size=(1100, 750)) -> PoolingView:
    state = AppState(build_network(arch=arch, seed=0))
    rng = np.random.default_rng(2)
    state.set_probe(rng.random((28, 28)).astype(np.float32), label=1)
    return view_in_window(qtbot, PoolingView, state, size)


@pytest.mark.parametrize("name", list(VIEW_ARCHS))
@pytest.mark.parametrize("mode", ["overlay", "mask"])
def test_one_mask_per_maxpool_layer_equal_to_the_engine(qtbot, name, mode):
    view = make_view(qtbot, VIEW_ARCHS[name])
    view.set_mode(mode)
    describe = view.state.net.describe()
    pools = [l for l in describe if l.kind in ("maxpool", "avgpool")]
    assert list(view.panels) == [l.name for l in pools]
    trace = view.state.trace
    for layer in pools:
        panel = view.panels[layer.name]
        pre = trace[layer.input].output[0]
        assert panel.count == pre.shape[0]
        if layer.kind == "maxpool":
            shown = view.displayed_mask(layer.name)
            engine = trace[layer.name].mask[0][panel.page_start:panel.page_stop]
            np.testing.assert_array_equal(shown, engine)
            c, h, w = shown.shape
            windows = shown.reshape(c, h // 2, 2, w // 2, 2).sum(axis=(2, 4))
            assert (windows == 1).all()          # exactly one winner per 2x2 window
        else:
            # average pooling: no winner to mark, the pre-pool maps themselves
            assert view.displayed_mask(layer.name) is None
            assert "no winner" in panel.title.text or "average" in panel.title.text
            assert "no winner" in view.caption.text()
    if not pools:
        assert "no pooling layers" in view.caption.text()
        assert not view.graphics.isVisibleTo(view)


def test_average_pooling_hover_names_the_shared_gradient(qtbot):
    view = make_view(qtbot, VIEW_ARCHS["tanh_avgpool"])
    panel = view.panels["avgpool2"]
    view._on_mouse_moved(panel.tile_pixel_to_scene(3, 5, 7))
    assert "tanh2" in view.status.text() and "channel 3" in view.status.text()
    assert "1/4 of the gradient" in view.status.text()
    rect = panel.panel.outline.path().boundingRect()
    y0, x0 = panel.mosaic.origin(3)
    assert (rect.x() - x0, rect.y() - y0, rect.width()) == (6, 4, 2)


def test_maxpool_hover_says_winner_or_not(qtbot):
    view = make_view(qtbot, VIEW_ARCHS["three_convs"])
    mask = view.state.trace["pool2"].mask[0]
    channel, row, col = map(int, np.argwhere(mask)[5])
    view._on_mouse_moved(view.panels["pool2"].tile_pixel_to_scene(channel, row, col))
    assert "winner" in view.status.text() and "relu3" in view.status.text()
    loser = (row, col ^ 1)
    assert not mask[channel, loser[0], loser[1]]
    view._on_mouse_moved(view.panels["pool2"].tile_pixel_to_scene(channel, *loser))
    assert "gets no gradient" in view.status.text()


def test_many_channels_page_and_the_mask_follows(qtbot):
    view = make_view(qtbot, VIEW_ARCHS["many_channels"])
    panel = view.panels["pool1"]
    assert panel.pages == 2
    panel.next_page()
    np.testing.assert_array_equal(view.displayed_mask("pool1"),
                                  view.state.trace["pool1"].mask[0][32:])
    assert "32–63 of 64" in panel.title.text


def test_a_new_network_rebuilds_the_panels(qtbot):
    view = make_view(qtbot, VIEW_ARCHS["lenet"])
    view.state.set_model(build_network(arch=VIEW_ARCHS["stride2"]), "strided")
    assert view.panels == {} and "no pooling layers" in view.caption.text()
    assert "stride" in view.caption.text()
    view.state.set_model(build_network(arch=VIEW_ARCHS["tiny"]), "tiny")
    assert list(view.panels) == ["pool1"] and view.graphics.isVisibleTo(view)
    np.testing.assert_array_equal(view.displayed_mask("pool1"),
                                  view.state.trace["pool1"].mask[0])
