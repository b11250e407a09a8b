"""Convolution explained on a conv that reads 64 channels: the per-channel row pages.

Sizes are the explainer's own in the main window: ~534 x 250 px at 1280x720 and ~820 x 390
px at 1920x1080 (``cnnviz export-views``). Patches, kernels and contribution bars show one
page of input channels, every kernel at least ``MIN_KERNEL_PX`` a side and every bar
``MIN_BAR_PX`` wide; turning the pages reaches every channel exactly once with the engine's
numbers; a click on a later page writes out that (global) channel; the Σ line still adds
all 64 channels and equals the engine's output. LeNet's 20 channels stay on one page at
1920x1080.
"""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, QPointF, Qt

from cnnviz.app.state import AppState
from cnnviz.app.views.conv_explainer import ConvExplainerView
from cnnviz.app.views.conv_explainer.channels_row import MIN_BAR_PX, MIN_KERNEL_PX
from cnnviz.data import load_bundled
from cnnviz.explain.conv_arithmetic import padded
from cnnviz.nn import build_network
from view_arch_cases import VIEW_ARCHS
from window_support import view_in_window

AT_1280 = (534, 250)
AT_1920 = (820, 390)
WIDE = "conv64x3p1 relu maxpool conv128x3p1 relu maxpool fc10"


def explainer(qtbot, arch: str, size) -> ConvExplainerView:
    ds = load_bundled()
    state = AppState(build_network(arch=arch, seed=0), ds)
    state.set_probe(ds.test_images[0] / 255.0, int(ds.test_labels[0]), index=0)
    return view_in_window(qtbot, ConvExplainerView, state, size)


def explain_second_conv(qtbot, view):
    """The second conv's brightest output pixel, explained; its describe() record."""
    info = [i for i in view.state.net.describe() if i.kind == "conv"][1]
    acts = view.state.trace[info.name].output[0]
    channel, row, col = (int(v) for v in np.unravel_index(int(acts.argmax()), acts.shape))
    view.explain(info.name, channel, row, col)
    qtbot.waitUntil(lambda: view.channels_graphics.isVisible()
                    and view.channels.kernels_box.height() > 10)
    return info


def engine_contributions(view, info) -> np.ndarray:
    """Each input channel's sum of products, straight from the trace and the weights."""
    e = view.explanation
    k, s = info.kernel_size, info.stride or 1
    x = padded(view.state.trace[info.input].output[0].astype(np.float64), info.padding or 0)
    window = x[:, e.row * s:e.row * s + k, e.col * s:e.col * s + k]
    weight = view.state.net.params[f"{info.name}.weight"][e.channel].astype(np.float64)
    return (window * weight).sum(axis=(1, 2))


def untile(image: np.ndarray, layout) -> np.ndarray:
    return np.stack([image[y:y + layout.tile_h, x:x + layout.tile_w]
                     for y, x in map(layout.origin, range(layout.count))])


def click(qtbot, graphics, scene_pos) -> None:
    point = graphics.mapFromScene(scene_pos)
    qtbot.mouseClick(graphics.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(point.x(), point.y()))


@pytest.mark.parametrize("size", [AT_1280, AT_1920], ids=["1280x720", "1920x1080"])
def test_the_64_channel_row_pages_readable_kernels_and_bars_over_every_channel(qtbot, size):
    view = explainer(qtbot, WIDE, size)
    info = explain_second_conv(qtbot, view)
    row, e = view.channels, view.explanation
    expected = engine_contributions(view, info)                        # (64,)
    assert len(expected) == 64 and row.pager.pages > 1
    seen = []
    for page in range(row.pager.pages):
        row.pager.set_page(page)
        start, stop = row.page_start, row.page_stop
        assert row.kernel_px() >= MIN_KERNEL_PX, (page, row.kernel_px())
        for i in range(start, stop):
            assert row.bar_rect(i).width() >= MIN_BAR_PX - 0.5, (page, i)
        # this page's bars, kernels and patches are the engine's, for these channels
        assert list(view.bars.opts["x"]) == list(range(start, stop))
        np.testing.assert_allclose(view.bars.opts["height"], expected[start:stop], atol=1e-5)
        weight = view.state.net.params[f"{info.name}.weight"][e.channel]
        np.testing.assert_array_equal(untile(row.kernels_image.image, row.tiles),
                                      weight[start:stop])
        np.testing.assert_array_equal(untile(row.patches_image.image, row.tiles),
                                      e.patch[start:stop])
        labels = [item.text() for item in row._tile_items["kernels"]]
        assert labels == [str(i) for i in range(start, stop)]
        assert f"{start}–{stop - 1}" in view.bars_title.text
        seen += list(range(start, stop))
    assert seen == list(range(64))
    # the Σ line adds every channel, not one page: it equals the engine's output
    engine = float(view.state.trace[info.name].output[0, e.channel, e.row, e.col])
    assert expected.sum() + e.bias == pytest.approx(engine, rel=1e-4, abs=1e-5)
    assert f"= {e.pre_activation:.3f}" in view.formula.text() and "64" in view.formula.text()


def test_a_click_on_a_later_page_writes_out_that_channel(qtbot):
    view = explainer(qtbot, WIDE, AT_1920)
    explain_second_conv(qtbot, view)
    row = view.channels
    click(qtbot, view.channels_graphics, row.next_label.sceneBoundingRect().center())   # ▶
    assert row.pager.page == 1
    e = view.explanation
    channel = row.page_start + 1
    bar = row.bar_rect(channel)
    click(qtbot, view.channels_graphics, view.channels_graphics.mapToScene(
        bar.center().toPoint()))
    assert view.input_channel == channel and view.input_spin.value() == channel
    shown = np.array([[float(t) for t in r] for r in view.product_grid.texts])
    np.testing.assert_allclose(shown, e.products[channel], atol=0.6 * 10 ** -view.decimals())
    channel = row.page_start + 2
    click(qtbot, view.channels_graphics, row.tile_to_scene(channel, "kernels"))
    assert view.input_channel == channel
    y, x = row.tiles.origin(channel - row.page_start)
    assert row.kernels_sel.isVisible() and (row.kernels_sel.rect().x(),
                                            row.kernels_sel.rect().y()) == (x, y)
    # the spin box's channel turns the row to its page
    view.input_spin.setValue(3)
    assert row.page_start <= 3 < row.page_stop and row.kernels_sel.isVisible()
    # the output channel chooser reaches all 128 channels
    assert view.channel_spin.maximum() == 127
    view.channel_spin.setValue(100)
    e = view.explanation
    assert e.channel == 100
    engine = float(view.state.trace[e.layer].output[0, 100, e.row, e.col])
    assert e.contributions.sum() + e.bias == pytest.approx(engine, rel=1e-4, abs=1e-5)


def test_lenet_conv2_keeps_its_20_channels_on_one_page_at_1920x1080(qtbot):
    view = explainer(qtbot, VIEW_ARCHS["lenet"], AT_1920)
    info = explain_second_conv(qtbot, view)
    row = view.channels
    assert row.pager.pages == 1 and not row.next_label.isVisible()
    np.testing.assert_allclose(view.bars.opts["height"], engine_contributions(view, info),
                               atol=1e-5)
    assert row.tiles.count == 20 and row.tiles.columns == 10
    assert row.kernel_px() >= MIN_KERNEL_PX
