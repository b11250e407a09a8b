"""One step, before/after: ΔW and the feature-map gradients page layers of many channels.

A network of 64 and 128 channels in the step explainer's size inside a 1280x720 and a
1920x1080 window: every page's tiles are at least the tab's floor (``MAP_TILE_PX`` for maps
and filters, ``KERNEL_TILE_PX`` for a table of kernels), the pages together draw every
kernel and every channel exactly once with the engine's values (ΔW = after − before, the
step's own gradients), each panel's colour scale is its whole layer's on every page, the
pages turn by mouse and by keyboard, and turning them costs no layout search. LeNet at
1920x1080 keeps every panel on one page, as before paging.
"""

from __future__ import annotations

import gc

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import Qt

from cnnviz.app.state import AppState
from cnnviz.app.views.step_explainer import StepExplainerView
from cnnviz.app.views.step_explainer.common import MAP_TILE_PX
from cnnviz.app.kernel_blocks import KERNEL_TILE_PX, KernelBlocks, block_sizes
from cnnviz.data import images_to_float
from cnnviz.nn import build_network, get_preset
from cnnviz.training import Trainer
from cnnviz.training.snapshot import detailed_step
from window_support import small_dataset

pg.setConfigOptions(imageAxisOrder="row-major")

WIDE = "conv64x3p1 relu maxpool conv128x3p1 relu maxpool fc10"
# the step explainer dock's size in the main window at 1280x720 and 1920x1080 (as
# ``cnnviz export-views`` lays it out)
VIEW_1280 = (467, 759)
VIEW_1920 = (806, 745)


@pytest.fixture(autouse=True)
def collect_closed_views():
    gc.collect()
    yield


def stepped_view(qtbot, arch: str, size):
    """``(view, trainer, detail)``: the view at ``size`` showing one real SGD step."""
    ds = small_dataset(120, 20)
    state = AppState(build_network(arch, seed=0), ds)
    view = StepExplainerView(state)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    net = build_network(config=state.net.config)
    net.load_params(state.net.copy_params())
    config = get_preset("lenet").training.with_overrides(batch_size=8, lr=0.05)
    trainer = Trainer(net, images_to_float(ds.train_images), ds.train_labels,
                      images_to_float(ds.test_images), ds.test_labels, config)
    _, detail = detailed_step(trainer)
    view.show_step(detail)
    qtbot.waitUntil(lambda: len(view.delta_tab.placements) == len(view.delta_tab.panels),
                    timeout=30000)
    return view, trainer, detail


def show_grads(qtbot, view) -> None:
    view.tabs.setCurrentIndex(1)
    grads = view.grad_tab
    qtbot.waitUntil(lambda: grads.isVisible() and len(grads.placements) == len(grads.panels),
                    timeout=30000)


def floor_of(view, name: str) -> float:
    return KERNEL_TILE_PX if view.delta_tab._shapes[name][0] == "table" else MAP_TILE_PX


# -- the blocks of a kernel table (no Qt) ----------------------------------------------------
def test_kernel_blocks_split_a_table_evenly_and_reach_every_kernel_once():
    blocks = KernelBlocks(rows=64, cols=128, block_rows=16, block_cols=32)
    order = blocks.order()
    assert sorted(order) == list(range(64 * 128))
    assert blocks.pages == 16 and blocks.page_size == 512
    for page in range(blocks.pages):
        cells = order[page * 512:(page + 1) * 512]
        rows, cols = cells // 128, cells % 128
        r0, c0 = blocks.origin(page * 512)
        # one block: 16 whole rows of 32 columns, row by row
        np.testing.assert_array_equal(rows.reshape(16, 32), np.arange(r0, r0 + 16)[:, None]
                                      + np.zeros((1, 32), int))
        np.testing.assert_array_equal(cols.reshape(16, 32)[0], np.arange(c0, c0 + 32))
        assert blocks.page_of(r0 + 5, c0 + 31) == page
    assert blocks.text(512 * 5) == " · out 32–63 of 128, in 16–31 of 64"
    assert blocks.text(512 * 5, compact=True) == "out 32–63, in 16–31"
    assert KernelBlocks.whole(20, 50).text(0) == ""
    np.testing.assert_array_equal(KernelBlocks.whole(20, 50).order(), np.arange(1000))
    sizes = block_sizes(20, 50)
    assert list(sizes)[0] == 1000 and sizes[1000] == [(20, 50)]
    assert all(20 % r == 0 and 50 % c == 0 and r * c == n
               for n, shapes in sizes.items() for r, c in shapes)
    with pytest.raises(ValueError, match="does not divide"):
        KernelBlocks(64, 128, 10, 32)


# -- a network of 64 and 128 channels ----------------------------------------------------------
@pytest.mark.parametrize("size", [VIEW_1280, VIEW_1920], ids=["1280x720", "1920x1080"])
def test_weight_changes_of_many_channels_page_into_readable_tiles_each_drawn_once(qtbot, size):
    view, _, d = stepped_view(qtbot, WIDE, size)
    delta_tab = view.delta_tab
    table = delta_tab.panels["conv2.weight"]
    assert table.count == 128 * 64 and table.pages > 1
    if size == VIEW_1280:
        assert delta_tab.panels["conv1.weight"].pages > 1       # 64 filters in a small dock
    for name, panel in delta_tab.panels.items():
        delta = d.params_after[name] - d.params_before[name]
        hi = float(np.abs(delta).max())
        drawn = np.zeros(delta.shape, int)
        for page in range(panel.pages):
            shown = view.shown_delta(name, page)
            # the page is left as it was, and reading it turned to it: its tiles as placed
            panel.set_page(page)
            assert panel.tile_px() >= floor_of(view, name), (name, page, panel.tile_px())
            on_page = ~np.isnan(shown)
            np.testing.assert_array_equal(shown[on_page], delta[on_page])
            drawn += on_page
            # the whole layer's scale on every page, and the colour bar reads it
            assert panel.levels() == pytest.approx((-hi, hi), rel=1e-6)
            assert tuple(panel.bar.levels()) == pytest.approx((-hi, hi), rel=1e-6)
        assert (drawn == 1).all(), f"{name}: a weight drawn on {drawn.min()}..{drawn.max()} pages"
        np.testing.assert_array_equal(view.shown_delta(name), delta)       # all pages at once
    # a table's page is a block: its title and its grid labels say which
    table.set_page(1)
    blocks = delta_tab._blocks["conv2.weight"]
    row0, col0 = blocks.origin(table.page_start)
    assert "ΔW conv2" in table.title.text
    assert blocks.text(table.page_start, compact=True).split(",")[0] in table.title.text
    labels = [item.text() for item in table.panel._label_items]
    assert str(col0) in labels and str(row0) in labels


# (806, 731): the canvas the window's dock gives the gradients at 1920x1080 under a
# three-line caption (794 x 511), where conv2's and relu2's maps came out as narrow columns
# whose titles had room for "relu2 0–…" only
@pytest.mark.parametrize("size", [VIEW_1280, VIEW_1920, (806, 731)],
                         ids=["1280x720", "1920x1080", "1920x1080-low"])
def test_feature_map_gradients_of_many_channels_page_with_their_block(qtbot, size):
    view, _, d = stepped_view(qtbot, WIDE, size)
    show_grads(qtbot, view)
    grads = view.grad_tab
    assert grads.panels["conv2"].pages > 1
    for name, panel in grads.panels.items():
        values = d.output_grads[name][0]                    # (C, H, W)
        hi = float(np.abs(values).max())
        drawn = np.zeros(len(values), int)
        for page in range(panel.pages):
            shown = view.shown_grad(name, page)
            panel.set_page(page)
            assert panel.tile_px() >= MAP_TILE_PX, (name, page, panel.tile_px())
            if panel.pages > 1:       # the title row has room for the name and the range
                assert name in panel.title.text, panel.title.text
                assert f"{panel.page_start}–{panel.page_stop - 1}" in panel.title.text, \
                    panel.title.text
            on_page = ~np.isnan(shown).all(axis=(1, 2))
            np.testing.assert_array_equal(shown[on_page], values[on_page])
            drawn += on_page
            assert panel.levels() == pytest.approx((-hi, hi), rel=1e-6)
        assert (drawn == 1).all(), name
    # a conv block pages together: turning the conv turns its ReLU and its pool
    conv, relu, pool = (grads.panels[n] for n in ("conv2", "relu2", "pool2"))
    assert conv.page_size == relu.page_size == pool.page_size
    conv.set_page(conv.pages - 1)
    assert relu.page == pool.page == conv.pages - 1
    assert relu.page_start == pool.page_start == conv.page_start


def test_pages_turn_by_mouse_and_keyboard_without_a_new_layout_search(qtbot, monkeypatch):
    from cnnviz.app import fit_layout
    from cnnviz.app.views.step_explainer import delta_tab as delta_module
    calls = []

    def counting(*args, **kwargs):
        calls.append(args[:2])
        return fit_layout.arrange(*args, **kwargs)
    monkeypatch.setattr(delta_module, "arrange", counting)
    view, trainer, _ = stepped_view(qtbot, WIDE, VIEW_1280)
    tab, panel = view.delta_tab, view.delta_tab.panels["conv2.weight"]
    graphics = tab.graphics
    view.layout().activate()          # the caption's final height: the canvas's final size
    qtbot.waitUntil(lambda: graphics.sceneRect().size().toSize() == graphics.viewport().size()
                    and bool(tab.placements), timeout=30000)
    laid_out = len(calls)
    assert laid_out > 0 and panel.pages > 2
    # mouse: a click on ▶, then on ◀
    for arrow, page in ((panel.next_label, 1), (panel.prev_label, 0)):
        centre = graphics.mapFromScene(arrow.sceneBoundingRect().center())
        qtbot.mouseClick(graphics.viewport(), Qt.MouseButton.LeftButton, pos=centre)
        qtbot.waitUntil(lambda: panel.page == page, timeout=5000)
    # keyboard: Tab reaches the arrows of the panels that page; Enter presses the one with
    # the focus, Right / Left / End / Home turn its pages
    graphics.setFocus()
    qtbot.waitUntil(graphics.hasFocus, timeout=5000)
    reached = []
    for _ in range(8):
        qtbot.keyClick(graphics, Qt.Key.Key_Tab)
        reached.append(graphics.scene().focusItem())
        if reached[-1] is panel.next_label:
            break
    assert reached[-1] is panel.next_label, reached
    qtbot.keyClick(graphics, Qt.Key.Key_Backtab)        # Shift+Tab: back to ◀
    assert graphics.scene().focusItem() is panel.prev_label
    qtbot.keyClick(graphics, Qt.Key.Key_Tab)
    assert graphics.scene().focusItem() is panel.next_label
    qtbot.keyClick(graphics, Qt.Key.Key_Return)
    assert panel.page == 1
    qtbot.keyClick(graphics, Qt.Key.Key_Right)
    assert panel.page == 2
    qtbot.keyClick(graphics, Qt.Key.Key_End)
    assert panel.page == panel.pages - 1
    qtbot.keyClick(graphics, Qt.Key.Key_Home)
    assert panel.page == 0
    qtbot.keyClick(graphics, Qt.Key.Key_PageDown)
    assert panel.page == 1
    # a page turn redraws, it does not lay out again
    assert len(calls) == laid_out
    # the next Step draws its own numbers on the page being read
    _, detail = detailed_step(trainer)
    view.show_step(detail)
    assert panel.page == 1
    delta = detail.params_after["conv2.weight"] - detail.params_before["conv2.weight"]
    shown = view.shown_delta("conv2.weight", 1)
    np.testing.assert_array_equal(shown[~np.isnan(shown)], delta[~np.isnan(shown)])


# -- LeNet at 1920x1080: one page each, as before ----------------------------------------------
def test_lenet_at_1920x1080_keeps_every_panel_on_one_page(qtbot):
    view, _, d = stepped_view(qtbot, "lenet", VIEW_1920)
    for name, panel in view.delta_tab.panels.items():
        assert panel.pages == 1, name
        assert "·" not in panel.title.text and not panel.next_label.isVisible()
        np.testing.assert_array_equal(view.shown_delta(name, 0),
                                      d.params_after[name] - d.params_before[name])
    show_grads(qtbot, view)
    for name, panel in view.grad_tab.panels.items():
        assert panel.pages == 1, name
        assert panel.tile_px() >= MAP_TILE_PX, name
