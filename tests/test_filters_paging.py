"""The filters view's table of kernels pages in blocks, readable at any channel count.

A network of 64 and 128 channels in the filters view's size inside a 1280x720 and a
1920x1080 window (as ``cnnviz export-views`` lays it out): conv2's 128 x 64 table pages in
blocks of whole kernels, every kernel at least ``KERNEL_TILE_PX`` on screen, the pages
together drawing every kernel exactly once with the network's values (W, or W − W0 in
"change" mode, per-filter scaled when asked); the colour scale is the whole layer's on every
page; the title names the layer and the block; hovering and clicking a kernel on a later
page names and selects the right one. LeNet at 1920x1080 keeps its 50 x 20 table on one
page, as before paging.
"""

from __future__ import annotations

import gc
import re

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import Qt

from cnnviz.app.kernel_blocks import KERNEL_TILE_PX, block_sizes
from cnnviz.app.fit_layout import Option, Placement
from cnnviz.app.paging import RANGE_PADDING, fewest_pages_layout, placed_tile_px
from cnnviz.app.state import AppState
from cnnviz.app.views.filters import FiltersView, nice_levels
from cnnviz.app.views.filters.view import FILTER_TILE_PX
from cnnviz.nn import build_network
from cnnviz.training.filter_change import display_values
from window_support import view_in_window

pg.setConfigOptions(imageAxisOrder="row-major")

WIDE = "conv64x3p1 relu maxpool conv128x3p1 relu maxpool fc10"
LENET = "conv20x5 relu maxpool conv50x5 relu maxpool fc500 relu fc10"
# the filters dock's size in the main window at 1280x720 and 1920x1080 (export-views' PNGs)
VIEW_1280 = (417, 316)
VIEW_1920 = (560, 507)
SIZES = pytest.mark.parametrize("size", [VIEW_1280, VIEW_1920], ids=["1280x720", "1920x1080"])
SIDE = re.compile(r"(out|in) (\d+)–(\d+) of (\d+)")


@pytest.fixture(autouse=True)
def collect_closed_views():
    gc.collect()
    yield


def make_view(qtbot, arch: str, size) -> FiltersView:
    view = view_in_window(qtbot, FiltersView, AppState(build_network(arch=arch, seed=0)), size,
                          placed=True)
    view.per_filter_box.setChecked(False)          # raw weights: comparable with the network
    return view


def block_of(view) -> tuple[slice, slice]:
    """``(outs, ins)`` the table's page shows, read from the block its title names (a side
    not named is whole)."""
    table = view.panels["table"]
    c2, c1 = view.table_layer().params[0][1][:2]
    sides = {"out": slice(0, c2), "in": slice(0, c1)}
    text = table.page_text(False)
    for name, first, last, _ in SIDE.findall(text):
        sides[name] = slice(int(first), int(last) + 1)
    return sides["out"], sides["in"]


def expected_page(view, w: np.ndarray) -> np.ndarray:
    """``(n, K, K)``: the kernels of the page's block of ``w (C_out, C_in, K, K)``, row by row
    as the table's rows run (output or input channels)."""
    outs, ins = block_of(view)
    block = w[outs, ins]
    if view.table_rows == "in":
        block = block.transpose(1, 0, 2, 3)
    return block.reshape(-1, *w.shape[2:])


def check_every_page(view, w: np.ndarray, per_filter: bool = False) -> None:
    """Every page: tiles at least the floor, the block's kernels with the values of ``w``,
    the whole layer's levels; together every kernel exactly once."""
    table = view.panels["table"]
    drawn = np.zeros(w.shape[:2], int)
    for page in range(table.pages):
        table.set_page(page)
        assert table.tile_px() >= KERNEL_TILE_PX, (page, table.tile_px())
        expected = expected_page(view, w)
        if per_filter:
            expected = display_values(expected, per_filter=True)
        np.testing.assert_allclose(table.shown_maps(), expected, rtol=1e-6, atol=1e-7)
        outs, ins = block_of(view)
        drawn[outs, ins] += 1
        levels = (-1.0, 1.0) if per_filter else nice_levels(w)
        assert view.levels("table") == pytest.approx(levels)
        assert tuple(view.bars["table"].levels()) == pytest.approx(levels)
    assert (drawn == 1).all(), f"kernels drawn on {drawn.min()}..{drawn.max()} pages"


@SIZES
def test_a_table_of_128_x_64_kernels_pages_in_readable_blocks_each_kernel_once(qtbot, size):
    view = make_view(qtbot, WIDE, size)
    assert view.table_layer().name == "conv2"
    w = view.state.net.params["conv2.weight"]                 # (128, 64, 3, 3)
    table = view.panels["table"]
    assert table.count == 128 * 64 and table.pages > 1
    check_every_page(view, w)
    # the title names the layer and the block (both sides: the block is not whole rows)
    table.set_page(table.pages - 1)
    outs, ins = block_of(view)
    assert "conv2" in table.title.text
    assert f"out {outs.start}–{outs.stop - 1}" in table.title.text, table.title.text
    assert f"in {ins.start}–{ins.stop - 1}" in table.title.text, table.title.text
    # per-filter scale: every kernel spans the whole colour range, on every page
    view.per_filter_box.setChecked(True)
    check_every_page(view, w, per_filter=True)


@SIZES
def test_change_since_reset_pages_the_change_of_every_kernel(qtbot, size):
    view = make_view(qtbot, WIDE, size)
    params = view.state.net.copy_params()
    moved = np.random.default_rng(0).normal(0, 0.01, params["conv2.weight"].shape)
    params["conv2.weight"] = params["conv2.weight"] + moved.astype(np.float32)
    view.state.set_params(params)
    view.set_show_change(True)
    view.refresh()
    w_now = view.state.net.params["conv2.weight"]
    change = w_now - view._baseline["conv2.weight"]
    assert np.abs(change).max() > 0
    check_every_page(view, change)


def test_hover_and_click_on_a_later_page_name_and_select_its_kernel(qtbot):
    view = make_view(qtbot, WIDE, VIEW_1280)
    w = view.state.net.params["conv2.weight"]
    table = view.panels["table"]
    table.set_page(table.pages - 2)
    outs, ins = block_of(view)
    block_cols = (ins if view.table_rows == "out" else outs).stop - \
        (ins if view.table_rows == "out" else outs).start
    place = block_cols + 3                       # the second row of the block, fourth column
    row, col = divmod(place, block_cols)
    out, inp = ((outs.start + row, ins.start + col) if view.table_rows == "out"
                else (outs.start + col, ins.start + row))
    index = table.page_start + place
    view._on_mouse_moved(table.tile_pixel_to_scene(index, 2, 1))
    assert f"conv2 kernel out {out} <- in {inp}" in view.status.text(), view.status.text()
    assert f"{w[out, inp, 2, 1]:+.4g}" in view.status.text()
    assert view.table_index(out, inp) == index
    graphics = view.graphics
    pos = graphics.mapFromScene(table.tile_pixel_to_scene(index, 1, 1))
    with qtbot.waitSignal(view.state.channelSelected, timeout=5000) as signal:
        qtbot.mouseClick(graphics.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert signal.args == ["conv2", out]


def test_lenet_at_1920x1080_keeps_its_table_on_one_page(qtbot):
    view = make_view(qtbot, "lenet", VIEW_1920)
    w = view.state.net.params["conv2.weight"]                 # (50, 20, 5, 5)
    table = view.panels["table"]
    assert table.pages == 1 and "·" not in table.title.text
    assert not table.next_label.isVisible()
    assert table.tile_px() >= KERNEL_TILE_PX
    rows = w if view.table_rows == "out" else w.transpose(1, 0, 2, 3)
    np.testing.assert_array_equal(table.shown_maps(), rows.reshape(-1, 5, 5))


def floors_met(layout, k: int, k1: int) -> bool:
    """The table's and the chosen channel's ``k x k`` kernels at least ``KERNEL_TILE_PX``
    and the first layer's ``k1 x k1`` filters at least ``FILTER_TILE_PX`` in ``layout``."""
    return (placed_tile_px(layout, "table", k, k) >= KERNEL_TILE_PX
            and placed_tile_px(layout, "channel", k, k) >= KERNEL_TILE_PX
            and placed_tile_px(layout, "filters", k1, k1) >= FILTER_TILE_PX)


@SIZES
@pytest.mark.parametrize("arch", [LENET, WIDE], ids=["lenet", "wide"])
def test_the_table_takes_the_fewest_pages_that_keep_every_panel_readable(qtbot, arch, size):
    """LeNet's 50 x 20 table in the 1280x720 window's dock (417x316) took 8 pages of 9.9 px
    kernels where 5 pages kept its kernels at least KERNEL_TILE_PX, the chosen channel's too
    and the first layer's filters at FILTER_TILE_PX (readable_layout's jump went from one
    page straight to 4 and then 8). Now no page size of fewer pages keeps them all there,
    and every page of the one chosen does."""
    view = make_view(qtbot, arch, size)
    table = view.panels["table"]
    c2, c1, k, _ = view.table_layer().params[0][1]
    k1 = view.convs[0].params[0][1][2]
    chosen = table.page_size or c2 * c1
    assert floors_met(view.table_layout(chosen), k, k1)
    for n in block_sizes(c2, c1):
        if n <= chosen:
            break
        assert not floors_met(view.table_layout(n), k, k1), f"{n} a page fit, {chosen} chosen"
    check_every_page(view, view.state.net.params["conv2.weight"])
    assert view.panels["filters"].tile_px() >= FILTER_TILE_PX
    assert view.panels["channel"].tile_px() >= KERNEL_TILE_PX


def test_fewest_pages_layout_finds_the_largest_readable_page_size_in_a_few_layouts():
    """A bisection over the page sizes: tiles of ``sqrt(1000 / n)`` px readable from 7 px
    (20 a page and fewer), found in at most ``log2(len(sizes)) + 2`` layouts; where no size
    is readable, the smallest."""
    sizes = [1000, 500, 250, 200, 125, 100, 50, 40, 25, 20, 10, 8, 5, 4]
    tried = []

    def layout_for(per_page):
        n = per_page["table"]
        tried.append(n)
        side = float(np.sqrt(1000 / n)) * RANGE_PADDING      # one 1x1 tile, padded
        return ({"table": [Option(n, 1.0, 1.0)]},
                {"table": Placement(n, (0, 0, side, side), side)})

    layout, n = fewest_pages_layout("table", sizes, layout_for, (1, 1), floor=7)
    assert n == 20 and layout[1]["table"].value == 20
    assert len(tried) <= int(np.log2(len(sizes))) + 2, tried
    tried.clear()
    assert fewest_pages_layout("table", sizes, layout_for, (1, 1), floor=100)[1] == 4
    assert fewest_pages_layout("table", sizes, layout_for, (1, 1), floor=1)[1] == 1000
