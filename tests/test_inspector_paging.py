"""The inspector pages a layer of many channels instead of shrinking its maps to dots.

Sizes are the inspector's own in the main window: ~534 x 340 px at 1280x720 and ~820 x 561
px at 1920x1080 (``cnnviz export-views``). At 1280x720 every tile drawn, output and input,
is at least ``MIN_TILE_PX`` a side; turning the pages shows every channel exactly once, each
page's tiles equal the engine's activations for those channels, and hovering or clicking a
tile on a later page names its global channel. LeNet's 20-channel layers stay on one page
at 1920x1080.
"""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, QRectF, Qt

from cnnviz.app.paging import MIN_TILE_PX
from cnnviz.app.state import AppState
from cnnviz.app.views.inspector import InspectorView
from cnnviz.data import load_bundled
from cnnviz.nn import build_network
from view_arch_cases import VIEW_ARCHS
from window_support import view_in_window

AT_1280 = (534, 340)
AT_1920 = (820, 561)
ARCHS = {"many_channels": VIEW_ARCHS["many_channels"],
         "two_wide_convs": "conv64x3p1 relu maxpool conv128x3p1 relu maxpool fc10"}


def inspector(qtbot, arch: str, size) -> InspectorView:
    ds = load_bundled()
    state = AppState(build_network(arch=arch, seed=0), ds)
    state.set_probe(ds.test_images[3] / 255.0, int(ds.test_labels[3]), index=3)
    return view_in_window(qtbot, InspectorView, state, size)


def map_layers(view):
    return [i for i in view.state.net.describe()[1:] if len(i.output_shape) == 3]


def click(qtbot, graphics, scene_pos) -> None:
    point = graphics.mapFromScene(scene_pos)
    qtbot.mouseClick(graphics.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(point.x(), point.y()))


@pytest.mark.parametrize("arch", list(ARCHS))
def test_pages_of_readable_tiles_show_every_channel_once_with_the_engines_values(qtbot, arch):
    view = inspector(qtbot, ARCHS[arch], AT_1280)
    trace = view.state.trace
    paged = 0
    for info in map_layers(view):
        view.select_layer(info.name)
        sides = {"output": (view.output_panel, trace[info.name].output[0])}
        if trace[info.input].output.ndim == 4:          # its input has maps too
            sides["input"] = (view.input_panel, trace[info.input].output[0])
        for key, (panel, maps) in sides.items():
            seen = []
            for page in range(panel.pages):
                panel.set_page(page)
                assert panel.page == page
                assert panel.tile_px() >= MIN_TILE_PX, (info.name, key, page, panel.tile_px())
                # the values drawn are the engine's, for this page's channels
                np.testing.assert_array_equal(panel.shown_maps(),
                                              maps[panel.page_start:panel.page_stop])
                assert f"{panel.page_start}–{panel.page_stop - 1}" in panel.title.text \
                    or panel.pages == 1
                seen += list(range(panel.page_start, panel.page_stop))
            assert seen == list(range(len(maps))), (info.name, key)
            paged += panel.pages > 1
        if info.output_shape[0] >= 64:
            assert view.output_panel.pages > 1, info.name     # 64 maps: too many for one page
    assert paged


def test_hover_and_click_on_a_later_page_name_the_global_channel(qtbot):
    view = inspector(qtbot, ARCHS["many_channels"], AT_1280)
    state = view.state
    conv = map_layers(view)[0]
    view.select_layer(conv.name)
    panel = view.output_panel
    assert panel.pages > 1
    click(qtbot, view.maps_view, panel.next_label.sceneBoundingRect().center())   # ▶
    assert panel.page == 1
    channel = panel.page_start + 2
    click(qtbot, view.maps_view, panel.tile_pixel_to_scene(channel, 5, 7))
    info = view.hover_info
    assert (info.channel, info.row, info.col) == (channel, 5, 7)
    assert info.value == float(state.trace[conv.name].output[0, channel, 5, 7])
    assert f"channel {channel}, row 5, col 7" in view.hover_label.text()
    assert state.selected_channel == (conv.name, channel)
    y0, x0 = panel.mosaic.origin(2)                 # the tile's place on this page
    assert panel.outline.path().boundingRect() == QRectF(x0 + 7, y0 + 5, 1, 1)
    # turning away hides the outline; coming back shows it again
    panel.set_page(0)
    assert panel.outline.path().isEmpty()
    panel.show_index(channel)
    assert panel.outline.path().boundingRect() == QRectF(x0 + 7, y0 + 5, 1, 1)


def test_a_pool_turns_its_input_page_with_its_output(qtbot):
    view = inspector(qtbot, ARCHS["many_channels"], AT_1280)
    pool = next(i for i in map_layers(view) if i.kind.endswith("pool"))
    view.select_layer(pool.name)
    out_panel, in_panel = view.output_panel, view.input_panel
    assert out_panel.pages > 1 and in_panel.pages == out_panel.pages
    channel = pool.output_shape[0] - 3
    out_panel.show_index(channel)
    assert in_panel.page_start == out_panel.page_start <= channel < in_panel.page_stop
    y0, x0 = out_panel.mosaic.origin(channel - out_panel.page_start)
    info = view.hover(y0 + 4.5, x0 + 6.5)
    assert (info.channel, info.row, info.col, info.field) == (channel, 4, 6, (8, 12, 2))
    ty, tx = in_panel.mosaic.origin(channel - in_panel.page_start)
    assert in_panel.outline.path().boundingRect() == QRectF(tx + 12, ty + 8, 2, 2)
    click(qtbot, view.maps_view, in_panel.prev_label.sceneBoundingRect().center())   # ◀
    assert out_panel.page == in_panel.page == channel // out_panel.page_size - 1


def test_lenet_20_channel_layers_fit_one_page_at_1920x1080(qtbot):
    view = inspector(qtbot, VIEW_ARCHS["lenet"], AT_1920)
    for info in map_layers(view):
        view.select_layer(info.name)
        if info.output_shape[0] == 20:
            assert view.output_panel.pages == 1, info.name
            assert view.output_panel.mosaic.count == 20
            assert "of 20" not in view.output_panel.title.text
        assert view.output_panel.tile_px() >= MIN_TILE_PX, info.name
