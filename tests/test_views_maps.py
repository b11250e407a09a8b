"""The map views follow the engine: activations, pooling argmax masks and filters.

Each test drives the real widget (offscreen) and compares what is drawn with the network.
"""

from __future__ import annotations

import gc

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtTest import QTest

from cnnviz.app.state import AppState
from cnnviz.app.views.activations import ActivationsView
from cnnviz.app.views.filters import FiltersView
from cnnviz.app.views.pooling import PoolingView
from cnnviz.nn import build_network, load_checkpoint
from cnnviz.resources import resource_path
from window_support import show_at

pg.setConfigOptions(imageAxisOrder="row-major")


def probe_image() -> np.ndarray:
    """Asymmetric: a bright 6x6 block in the top-left corner and a fainter stroke."""
    image = np.zeros((28, 28), np.float32)
    image[2:8, 2:8] = 1.0
    image[10:24, 14] = 0.6
    image[20, 8:22] = 0.8
    return image


@pytest.fixture(autouse=True)
def collect_closed_views():
    """Collect the previous test's closed views now, not in the middle of a later paint.

    A collection of a closed pyqtgraph view during another view's first paint crashed
    (segfault in ImageItem.paint) when left to chance.
    """
    gc.collect()
    yield


@pytest.fixture
def state(qapp):
    path = resource_path("model", "lenet.npz")
    net = load_checkpoint(path) if path.exists() else build_network(seed=0)
    s = AppState(net)
    s.set_probe(probe_image(), label=3)
    return s


def shown(qtbot, widget, size=(1100, 750)):
    return show_at(qtbot, widget, size)


def click(qtbot, view, scene_point):
    viewport = view.graphics.viewport()
    pos = view.graphics.mapFromScene(scene_point)
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(pos.x(), pos.y()))


# -- activations ----------------------------------------------------------------------------
def test_activation_mosaics_equal_the_trace(qtbot, state):
    view = shown(qtbot, ActivationsView(state))
    trace = state.trace
    for key, name in (("input", "input"), ("conv1", "relu1"), ("pool1", "pool1"),
                      ("conv2", "relu2"), ("pool2", "pool2")):
        panel = view.groups[key].panel
        drawn = panel.untile(panel.image.image)
        np.testing.assert_array_equal(drawn, trace[name].output[0], err_msg=key)
    conv1 = view.groups["conv1"].panel
    np.testing.assert_array_equal(conv1.tile_of(conv1.image.image, 3), trace["relu1"].output[0, 3])
    units = trace["relu3"].output[0]
    np.testing.assert_array_equal(view.groups["fc1"].panel.image.image.ravel()[:units.size], units)
    # one mosaic per group, every map labelled with its channel number
    assert len(conv1._label_items) == 20
    assert [item.text() for item in view.groups["pool2"].panel._label_items] == \
        [str(i) for i in range(50)]


def test_input_is_upright(qtbot, state):
    view = shown(qtbot, ActivationsView(state))
    panel = view.groups["input"].panel
    assert panel.box.yInverted()
    shown_image = panel.image.image
    assert shown_image[2:8, 2:8].min() == 1.0          # the bright block is in the top-left
    assert shown_image[20:26, 2:8].max() == 0.0
    # ... and the top-left of the array really is drawn above the bottom-left on screen
    top = panel.pixel_to_scene(3, 3)
    bottom = panel.pixel_to_scene(24, 3)
    right = panel.pixel_to_scene(3, 24)
    assert top.y() < bottom.y() and top.x() < right.x()


def test_probability_bars_follow_the_state(qtbot, state):
    view = shown(qtbot, ActivationsView(state))
    np.testing.assert_allclose(view.bars.opts["height"], state.probabilities)
    predicted = int(np.argmax(state.probabilities))
    brushes = view.bars.opts["brushes"]
    assert brushes[predicted].color() != brushes[(predicted + 1) % 10].color()
    state.set_probe(np.flipud(probe_image()))
    np.testing.assert_allclose(view.bars.opts["height"], state.probabilities)


def test_clicking_a_conv_pixel_emits_layer_channel_row_col(qtbot, state):
    view = shown(qtbot, ActivationsView(state))
    conv1 = view.groups["conv1"].panel
    with qtbot.waitSignal(view.pixelClicked, timeout=30000) as blocker:
        click(qtbot, view, conv1.tile_pixel_to_scene(3, 5, 7))
    assert blocker.args == ["conv1", 3, 5, 7]
    conv2 = view.groups["conv2"].panel
    with qtbot.waitSignal(view.pixelClicked, timeout=30000) as blocker:
        click(qtbot, view, conv2.tile_pixel_to_scene(12, 2, 6))
    assert blocker.args == ["conv2", 12, 2, 6]
    # a pool pixel is not a convolution: nothing to explain
    with qtbot.assertNotEmitted(view.pixelClicked):
        click(qtbot, view, view.groups["pool1"].panel.tile_pixel_to_scene(0, 1, 1))


def test_hover_shows_value_and_receptive_field(qtbot, state):
    view = shown(qtbot, ActivationsView(state))
    conv1 = view.groups["conv1"].panel
    view._on_mouse_moved(conv1.tile_pixel_to_scene(4, 10, 6))
    value = state.trace["relu1"].output[0, 4, 10, 6]
    assert "channel 4" in view.status.text() and "(row 10, col 6)" in view.status.text()
    assert f"{value:.4g}" in view.status.text()
    rect = view.groups["input"].panel.outline.path().boundingRect()
    assert (rect.x(), rect.y(), rect.width(), rect.height()) == (6, 10, 5, 5)
    # conv2: the 5x5 window is outlined on all 20 pool1 maps
    view._on_mouse_moved(view.groups["conv2"].panel.tile_pixel_to_scene(7, 1, 2))
    pool1 = view.groups["pool1"].panel
    polygons = pool1.outline.path().toSubpathPolygons()
    assert len(polygons) == 20
    y0, x0 = pool1.mosaic.origin(19)
    last = polygons[19].boundingRect()
    assert (last.x(), last.y(), last.width(), last.height()) == (x0 + 2, y0 + 1, 5, 5)
    assert view.groups["input"].panel.outline.path().isEmpty()


def test_hidden_view_redraws_when_shown(qtbot, state):
    view = ActivationsView(state)
    qtbot.addWidget(view)
    state.set_probe(np.fliplr(probe_image()))
    assert view._dirty
    view.show()
    qtbot.waitExposed(view)
    panel = view.groups["input"].panel
    np.testing.assert_array_equal(panel.untile(panel.image.image)[0], np.fliplr(probe_image()))


# -- pooling --------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["overlay", "mask", "map"])
def test_pooling_view_shows_the_engine_mask(qtbot, state, mode):
    view = shown(qtbot, PoolingView(state))
    view.set_mode(mode)
    trace = state.net.trace(state.probe_image[None, None])
    for layer in ("pool1", "pool2"):
        np.testing.assert_array_equal(view.displayed_mask(layer), trace[layer].mask[0])
    if mode != "map":
        # decoded from the drawn RGBA: exactly one winner per 2x2 window
        windows = view.displayed_mask("pool1").reshape(20, 12, 2, 12, 2).sum(axis=(2, 4))
        assert (windows == 1).all()


def test_pooling_mode_switch_changes_the_image(qtbot, state):
    view = shown(qtbot, PoolingView(state))
    images = {}
    for mode in ("map", "mask", "overlay"):
        view.mode_box.setCurrentText(mode)
        images[mode] = view.panels["pool1"].image.image.copy()
    assert not np.array_equal(images["map"], images["mask"])
    assert not np.array_equal(images["mask"], images["overlay"])
    assert not np.array_equal(images["map"], images["overlay"])
    # mask mode: winners one colour, the rest another
    colours = {tuple(c) for c in images["mask"][..., :3].reshape(-1, 3)[images["mask"][..., 3].ravel() > 0]}
    assert len(colours) == 2
    with pytest.raises(ValueError, match="unknown pooling display mode"):
        view.set_mode("bogus")


def test_pooling_view_follows_a_new_probe(qtbot, state):
    view = shown(qtbot, PoolingView(state))
    state.set_probe(np.flipud(probe_image()))
    np.testing.assert_array_equal(view.displayed_mask("pool2"), state.trace["pool2"].mask[0])


# -- filters --------------------------------------------------------------------------------
def test_nice_levels_cover_the_values_symmetrically():
    from cnnviz.app.views.filters import nice_levels
    assert nice_levels(np.array([0.31, -0.05])) == pytest.approx((-0.4, 0.4))
    assert nice_levels(np.array([-2.0, 1.0])) == pytest.approx((-2.0, 2.0))
    assert nice_levels(np.array([0.0, np.nan])) == pytest.approx((-1.0, 1.0))


def test_filters_show_the_weights_with_symmetric_levels(qtbot, state):
    view = shown(qtbot, FiltersView(state), size=(1100, 850))
    view.per_filter_box.setChecked(False)          # one scale for all (the default: per filter)
    w1 = state.net.params["conv1.weight"]
    panel = view.panels["filters"]
    np.testing.assert_array_equal(panel.shown_maps(), w1[:, 0])
    low, high = view.levels("filters")
    m = float(np.abs(w1).max())
    assert low == -high and m <= high <= 1.25 * m       # symmetric, covering every weight
    assert view.bars["filters"].levels() == pytest.approx((low, high))
    w2 = state.net.params["conv2.weight"]
    assert view.table_layer().name == "conv2"
    conv2 = view.panels["table"]
    np.testing.assert_array_equal(conv2.tile_of(view.table_index(3, 7)), w2[3, 7])
    low2, high2 = view.levels("table")
    m2 = float(np.abs(w2).max())
    assert low2 == -high2 and m2 <= high2 <= 1.25 * m2
    view.channel_box.setValue(9)
    one = view.panels["channel"]
    np.testing.assert_array_equal(one.shown_maps(), w2[9])


def test_filters_follow_new_params(qtbot, state):
    view = shown(qtbot, FiltersView(state))
    view.per_filter_box.setChecked(False)
    params = state.net.copy_params()
    params["conv1.weight"] = params["conv1.weight"] * -2.0
    params["conv1.weight"][5, 0, 0, 0] = 3.0
    state.set_params(params)
    panel = view.panels["filters"]
    np.testing.assert_array_equal(panel.shown_maps(), params["conv1.weight"][:, 0])
    assert view.levels("filters") == (-3.0, 3.0)
    assert view.bars["filters"].levels() == pytest.approx((-3.0, 3.0))
    # the view drew a copy: later in-place changes to the network do not leak into it
    state.net.params["conv1.weight"][...] = 0
    assert panel.tile_of(5)[0, 0] == 3.0


# -- layout: the maps use the widget at the sizes users see -----------------------------------
@pytest.mark.parametrize("size", [(640, 950), (1500, 900), (700, 500)])
def test_activations_panels_fit_and_fill_the_view(qtbot, state, size):
    view = shown(qtbot, ActivationsView(state), size=size)
    qtbot.waitUntil(lambda: bool(view.placements), timeout=30000)
    frame = view.graphics.viewport().rect()
    area = 0.0
    for key, group in view.groups.items():
        box = group.panel.box
        rect = view.graphics.mapFromScene(box.sceneBoundingRect()).boundingRect()
        assert frame.adjusted(-3, -3, 3, 3).contains(rect), f"{key} is clipped: {rect} {frame}"
        image = view.graphics.mapFromScene(group.panel.image.sceneBoundingRect()).boundingRect()
        area += image.width() * image.height()
        # the title sits directly above its maps (only the channel numbers' band between)
        title = view.graphics.mapFromScene(group.panel.title.sceneBoundingRect()).boundingRect()
        assert image.top() - title.bottom() < 0.12 * image.height() + 10, key
    plot = view.graphics.mapFromScene(view.prob_plot.sceneBoundingRect()).boundingRect()
    assert frame.adjusted(-3, -3, 3, 3).contains(plot)
    # the five groups of maps cover a good part of the view (the old grid left ~25%)
    assert area > 0.4 * frame.width() * frame.height()
