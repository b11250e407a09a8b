"""Activations and pooling page a layer of many maps so its tiles stay readable.

A network of 64 and 128 channels in the views' size inside a 1280x720 window: every page's
tiles are at least the view's floor, the pages together show every channel exactly once
with the engine's values (pooling: its winners), and resizing or a new trace costs a few
layouts at most. LeNet at 1920x1080 keeps every layer on one page, as before paging.
"""

from __future__ import annotations

import gc

import numpy as np
import pyqtgraph as pg
import pytest

from cnnviz.app import fit_layout, paging
from cnnviz.app.state import AppState
from cnnviz.app.views import activations as activations_module
from cnnviz.app.views import pooling as pooling_module
from cnnviz.app.views.activations import OVERVIEW_TILE_PX, ActivationsView
from cnnviz.app.views.pooling import PoolingView
from cnnviz.nn import build_network
from window_support import view_in_window

pg.setConfigOptions(imageAxisOrder="row-major")

WIDE = "conv64x3p1 relu maxpool conv128x3p1 relu maxpool fc10"
# the activations / pooling dock's size in the main window at 1280x720 and at 1920x1080
# (as ``cnnviz export-views`` lays it out)
VIEW_1280 = (481, 339)
VIEW_1920 = (820, 561)
# the activations dock in a real 1280x720 window under openbox (``python -m cnnviz``)
WINDOWED_1280 = (427, 278)


@pytest.fixture(autouse=True)
def collect_closed_views():
    gc.collect()
    yield


def probe() -> np.ndarray:
    rng = np.random.default_rng(3)
    image = np.zeros((28, 28), np.float32)
    image[4:24, 6:22] = rng.random((20, 16))
    return image


def make_view(qtbot, view_class, net, size):
    state = AppState(net)
    state.set_probe(probe(), label=7)
    return view_in_window(qtbot, view_class, state, size, placed=True)


def walk_pages(card):
    """Yield once per page of ``card``, turned to it (first page first)."""
    card.set_page(0)
    for page in range(card.pages):
        card.set_page(page)
        assert card.page == page
        yield page


def test_activations_of_128_channels_page_into_readable_tiles_showing_every_channel_once(qtbot):
    view = make_view(qtbot, ActivationsView, build_network(arch=WIDE, seed=0), VIEW_1280)
    trace = view.state.trace
    paged = [g for g in view.groups.values() if g.info.kind in ("conv", "pool")]
    assert [g.info.shape[0] for g in paged] == [64, 64, 128, 128]
    for group in paged:
        card, values = group.card, trace[group.trace_name].output[0]    # (C, H, W)
        assert 1 < card.pages, (group.key, card.pages)
        seen = []
        for _ in walk_pages(card):
            assert card.tile_px() >= OVERVIEW_TILE_PX, (group.key, card.page, card.tile_px())
            shown = card.shown_maps()
            np.testing.assert_array_equal(shown, values[card.page_start:card.page_stop])
            seen.extend(range(card.page_start, card.page_stop))
            assert f"{card.page_start}–{card.page_stop - 1}" in card.title.text
        assert seen == list(range(values.shape[0])), group.key


def test_pooling_of_128_channels_pages_into_readable_tiles_showing_every_winner_once(qtbot):
    view = make_view(qtbot, PoolingView, build_network(arch=WIDE, seed=0), VIEW_1280)
    trace = view.state.trace
    assert list(view.panels) == ["pool1", "pool2"]
    for key, panel in view.panels.items():
        mask = trace[key].mask[0]                                       # (C, H, W) winners
        assert 1 < panel.pages <= paging.MOST_PAGES, (key, panel.pages)
        seen = []
        for _ in walk_pages(panel):
            assert panel.tile_px() >= paging.MIN_TILE_PX, (key, panel.page, panel.tile_px())
            start, stop = panel.page_start, panel.page_stop
            # decoded from the very image drawn
            np.testing.assert_array_equal(view.displayed_mask(key), mask[start:stop])
            seen.extend(range(start, stop))
        assert seen == list(range(mask.shape[0])), key


def test_lenet_in_the_real_1280x720_window_pages_every_layer_into_readable_named_tiles(qtbot):
    """The activations dock of a 1280x720 window under a window manager (openbox) is
    427x278: LeNet's 50 pool2 maps of 4x4 stopped at 4 pages of 8.7 px tiles (dots). Every
    page of every layer is now at least the overview's floor, the pages show every channel
    once with the engine's values, and every layer's title names it (a paged layer placed
    two tiles wide had no room for its name beside the arrows)."""
    view = make_view(qtbot, ActivationsView, build_network("lenet", seed=0), WINDOWED_1280)
    trace = view.state.trace
    for group in view.groups.values():
        card = group.card
        assert group.key in card.title.text, (group.key, card.title.text)
        if group.info.kind not in ("conv", "pool"):
            continue
        values = trace[group.trace_name].output[0]                      # (C, H, W)
        seen = []
        for _ in walk_pages(card):
            assert card.tile_px() >= OVERVIEW_TILE_PX, (group.key, card.page, card.tile_px())
            assert group.key in card.title.text, (group.key, card.title.text)
            np.testing.assert_array_equal(card.shown_maps(),
                                          values[card.page_start:card.page_stop])
            seen.extend(range(card.page_start, card.page_stop))
        assert seen == list(range(values.shape[0])), group.key
    assert [view.groups[k].card.pages > 1 for k in ("conv2", "pool2")] == [True, True]


@pytest.mark.parametrize("view_class", [ActivationsView, PoolingView])
def test_lenet_at_1920x1080_keeps_every_layer_on_one_page(qtbot, view_class):
    view = make_view(qtbot, view_class, build_network("lenet", seed=0), VIEW_1920)
    cards = ({k: g.card for k, g in view.groups.items()} if view_class is ActivationsView
             else view.panels)
    for key, card in cards.items():
        assert card.pages == 1, key
        assert card.page_stop - card.page_start == card.count, key
        assert not card.prev_label.isVisible(), key


# where each view's layout search is counted, and how many passes a resize may cost: the
# activations view gives every title row its room in each of its readable_layout rounds
@pytest.mark.parametrize("view_class, module, most", [
    (ActivationsView, fit_layout,
     2 * activations_module.LAYOUT_ROUNDS * activations_module.TITLE_ROUNDS),
    (PoolingView, pooling_module, 2 * paging.LAYOUT_ROUNDS)], ids=["activations", "pooling"])
def test_a_resize_costs_a_few_layouts_and_a_new_trace_none(qtbot, monkeypatch, view_class,
                                                           module, most):
    view = make_view(qtbot, view_class, build_network(arch=WIDE, seed=0), VIEW_1920)
    calls = []
    real = module.arrange

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "arrange", counting)
    view.resize(*VIEW_1280)
    qtbot.waitUntil(lambda: view.canvas.size().width() < VIEW_1920[0] - 100, timeout=3000)
    assert 1 <= len(calls) <= most                          # the view and its canvas resize
    calls.clear()
    before = dict(view.placements)
    view.state.set_probe(probe()[::-1].copy(), label=7)      # a new trace (as after a step)
    view.refresh()
    assert calls == []
    assert view.placements == before
