"""The filters view on every architecture of VIEW_ARCHS: every conv layer, any kernel size,
paging for many channels, a clear note without convolutions."""

from __future__ import annotations

import gc

import numpy as np
import pyqtgraph as pg
import pytest

from cnnviz.app.state import AppState
from cnnviz.app.views.filters import FiltersView
from cnnviz.nn import build_network
from view_arch_cases import VIEW_ARCHS
from window_support import view_in_window

pg.setConfigOptions(imageAxisOrder="row-major")


@pytest.fixture(autouse=True)
def collect_closed_views():
    gc.collect()
    yield


def make_view(qtbot, arch: str, size=(1100, 750)) -> FiltersView:
    view = view_in_window(qtbot, FiltersView, AppState(build_network(arch=arch, seed=0)), size)
    view.per_filter_box.setChecked(False)          # raw weights: comparable with the network
    return view


def convs_of(net):
    return [l for l in net.describe() if l.kind == "conv"]


@pytest.mark.parametrize("name", list(VIEW_ARCHS))
def test_every_conv_layer_with_its_kernel_size(qtbot, name):
    view = make_view(qtbot, VIEW_ARCHS[name])
    net = view.state.net
    convs = convs_of(net)
    if not convs:
        assert view.note.isVisibleTo(view) and "no convolution layers" in view.note.text()
        assert not view.graphics.isVisibleTo(view) and view.placements == {}
        return
    assert not view.note.isVisibleTo(view)
    first = net.params[convs[0].params[0][0]]                 # (C, 1, K, K)
    panel = view.panels["filters"]
    assert panel.count == first.shape[0]
    shown = panel.shown_maps()
    assert shown.shape[1:] == (convs[0].kernel_size,) * 2
    np.testing.assert_array_equal(shown, first[panel.page_start:panel.page_stop, 0])
    assert convs[0].name in panel.title.text
    # every later conv layer can be chosen for the table, and shows its own kernels
    choices = [view.layer_combo.itemData(i) for i in range(view.layer_combo.count())]
    assert choices == [l.name for l in convs[1:]]
    assert view.layer_combo.isVisibleTo(view) == (len(convs) > 1)
    for index, layer in enumerate(convs[1:]):
        view.layer_combo.setCurrentIndex(index)
        w = net.params[layer.params[0][0]]                    # (C_out, C_in, K, K)
        table = view.panels["table"]
        assert table.count == w.shape[0] * w.shape[1]
        out, inp = w.shape[0] - 1, w.shape[1] - 1              # the last kernel
        table.show_index(view.table_index(out, inp))
        np.testing.assert_array_equal(table.tile_of(view.table_index(out, inp)), w[out, inp])
        view.channel_box.setValue(out)
        np.testing.assert_array_equal(view.panels["channel"].shown_maps(), w[out])
        assert layer.name in table.title.text
        assert set(view.placements) == {"filters", "table", "channel"}
    if len(convs) == 1:
        assert set(view.placements) == {"filters"}
    # everything placed lies inside the view, colour bars beside their maps
    frame = view.graphics.viewport().rect().adjusted(-3, -3, 3, 3)
    for key in view.placements:
        box = view.graphics.mapFromScene(view.panels[key].box.sceneBoundingRect()).boundingRect()
        bar = view.graphics.mapFromScene(view.bars[key].sceneBoundingRect()).boundingRect()
        assert frame.contains(box) and frame.contains(bar), key


def test_64_filters_page_and_hover_names_the_global_filter(qtbot):
    view = make_view(qtbot, VIEW_ARCHS["many_channels"], size=(700, 500))
    w = view.state.net.params["conv1.weight"]
    panel = view.panels["filters"]
    assert panel.pages == 2
    np.testing.assert_array_equal(panel.shown_maps(), w[:32, 0])
    panel.next_page()
    np.testing.assert_array_equal(panel.shown_maps(), w[32:, 0])
    assert "32–63 of 64" in panel.title.text
    view._on_mouse_moved(panel.tile_pixel_to_scene(50, 2, 1))
    assert "conv1 filter 50" in view.status.text()
    assert f"{w[50, 0, 2, 1]:+.4g}" in view.status.text()
    # readable: a kernel pixel at least 6 screen pixels wide in a 700x500 dock
    image = view.graphics.mapFromScene(panel.image.sceneBoundingRect()).boundingRect()
    assert image.width() / panel.image.image.shape[1] >= 6
    # the colour levels cover the whole layer (both pages), not just the page shown
    assert view.levels("filters")[1] >= float(np.abs(w).max())


def test_a_wide_table_pages_by_whole_rows(qtbot):
    arch = "conv64x3p1 relu conv64x3p1 relu maxpool fc10"
    # small enough for the 64 x 64 table to page (at 1100x800 one page keeps it readable)
    view = make_view(qtbot, arch, size=(900, 650))
    w2 = view.state.net.params["conv2.weight"]                # (64, 64, 3, 3)
    table = view.panels["table"]
    assert table.pages > 1 and table.page_size % 64 == 0
    table.show_index(view.table_index(63, 5))
    np.testing.assert_array_equal(table.tile_of(view.table_index(63, 5)), w2[63, 5])
    view._on_mouse_moved(table.tile_pixel_to_scene(view.table_index(63, 5), 1, 1))
    assert "kernel out 63 <- in 5" in view.status.text()


def test_change_mode_and_per_filter_scale_on_another_architecture(qtbot):
    view = make_view(qtbot, VIEW_ARCHS["three_convs"])
    view.layer_combo.setCurrentIndex(1)                       # conv3: 16 x 8 kernels
    params = view.state.net.copy_params()
    params["conv3.weight"][4, 2] += 0.5
    view.state.set_params(params)
    view.set_show_change(True)
    view.channel_box.setValue(4)
    np.testing.assert_allclose(view.panels["channel"].shown_maps()[2], 0.5, atol=1e-6)
    assert not np.delete(view.panels["channel"].shown_maps(), 2, axis=0).any()
    view.per_filter_box.setChecked(True)
    np.testing.assert_allclose(view.panels["table"].tile_of(view.table_index(4, 2)), 1.0,
                               atol=1e-6)
    assert view.levels("table") == (-1.0, 1.0)


def test_a_new_architecture_rebuilds_the_layer_choice(qtbot):
    view = make_view(qtbot, VIEW_ARCHS["lenet"])
    view.state.set_model(build_network(arch=VIEW_ARCHS["tanh_avgpool"]), "other")
    view.refresh()
    assert view.panels["filters"].shown_maps().shape == (6, 5, 5)
    assert view.layer_combo.count() == 1 and view.table_layer().name == "conv2"
    view.state.set_model(build_network(arch=VIEW_ARCHS["mlp"]), "mlp")
    assert view.note.isVisibleTo(view) and not view.graphics.isVisibleTo(view)
    view.state.set_model(build_network(arch=VIEW_ARCHS["tiny"]), "tiny")
    view.refresh()
    assert view.graphics.isVisibleTo(view) and set(view.placements) == {"filters"}
    assert not view.panels["table"].box.isVisible()
