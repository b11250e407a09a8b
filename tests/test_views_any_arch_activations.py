"""The activations view on every architecture of VIEW_ARCHS: its pictures follow describe().

Expected groups are read from ``net.describe()`` here (not from the view's own helper), and
what is drawn is compared with the network's trace.
"""

from __future__ import annotations

import gc

import numpy as np
import pyqtgraph as pg
import pytest

from cnnviz.app.state import AppState
from cnnviz.app.views.activations import ActivationsView
from cnnviz.nn import build_network
from view_arch_cases import VIEW_ARCHS
from window_support import view_in_window

pg.setConfigOptions(imageAxisOrder="row-major")


@pytest.fixture(autouse=True)
def collect_closed_views():
    gc.collect()
    yield


def probe() -> np.ndarray:
    rng = np.random.default_rng(1)
    image = np.zeros((28, 28), np.float32)
    image[4:24, 8:20] = rng.random((20, 12))
    return image


def make_view(qtbot, arch: str, size=(1100, 750)) -> ActivationsView:
    state = AppState(build_network(arch=arch, seed=0))
    state.set_probe(probe(), label=3)
    return view_in_window(qtbot, ActivationsView, state, size, placed=True)


def expected_groups(net) -> dict[str, str]:
    """key -> the trace entry it should draw, straight from describe()."""
    layers = net.describe()
    last_dense = max(i for i, l in enumerate(layers) if l.kind == "dense")
    expected = {}
    for i, layer in enumerate(layers):
        nxt = layers[i + 1] if i + 1 < len(layers) else None
        after = nxt.name if nxt is not None and nxt.kind in ("relu", "tanh", "sigmoid") \
            and nxt.input == layer.name else layer.name
        if layer.kind == "input" or layer.kind in ("maxpool", "avgpool"):
            expected[layer.name] = layer.name
        elif layer.kind == "conv" or (layer.kind == "dense" and i != last_dense):
            expected[layer.name] = after
    return expected


@pytest.mark.parametrize("name", list(VIEW_ARCHS))
def test_one_picture_per_layer_worth_showing_with_the_traced_values(qtbot, name):
    view = make_view(qtbot, VIEW_ARCHS[name])
    net, trace = view.state.net, view.state.trace
    expected = expected_groups(net)
    assert list(view.groups) == list(expected)
    for key, trace_name in expected.items():
        group = view.groups[key]
        assert group.trace_name == trace_name
        values = trace[trace_name].output[0]
        card = group.card
        if values.ndim == 3:
            assert card.count == values.shape[0], key          # every channel, some page
            shown = card.shown_maps()
            assert shown.shape[1:] == values.shape[1:], key    # the map size
            np.testing.assert_array_equal(shown, values[card.page_start:card.page_stop])
            assert key in card.title.text or "of" in card.title.text
        else:                                                  # hidden units, as a grid
            drawn = card.panel.image.image.ravel()
            np.testing.assert_array_equal(drawn[:values.size], values)
            assert np.isnan(drawn[values.size:]).all()
    # the probability bars: one per class of the last layer
    np.testing.assert_allclose(view.bars.opts["height"], view.state.probabilities)
    assert len(view.bars.opts["height"]) == net.describe()[-1].output_shape[0]
    # every panel lies inside the view
    frame = view.graphics.viewport().rect().adjusted(-3, -3, 3, 3)
    for key, group in view.groups.items():
        rect = view.graphics.mapFromScene(group.panel.box.sceneBoundingRect()).boundingRect()
        assert frame.contains(rect), f"{key} clipped: {rect}"
    has_conv = any(l.kind == "conv" for l in net.describe())
    assert view.note.isVisibleTo(view) == (not has_conv)


def test_a_network_without_convolutions_says_so(qtbot):
    view = make_view(qtbot, VIEW_ARCHS["mlp"])
    assert "no convolution layers" in view.note.text()
    assert "784" in view.note.text()
    assert set(view.groups) == {"input", "fc1"}
    # after a pool the dense layer reads fewer values than the input has pixels
    pooled = make_view(qtbot, "relu avgpool fc10")
    assert "196 values" in pooled.note.text() and "pooled input" in pooled.note.text()


def test_receptive_field_of_a_padded_conv_is_clipped_at_the_border(qtbot):
    view = make_view(qtbot, VIEW_ARCHS["padded"])
    conv1 = view.groups["conv1"].card
    # the corner pixel of a 3x3 conv with padding 1 reads rows -1..1, cols -1..1:
    # only 2x2 of it is the image, the rest zero padding
    view._on_mouse_moved(conv1.tile_pixel_to_scene(5, 0, 0))
    text = view.status.text()
    assert "rows -1..1, cols -1..1 of input" in text and "5 of its 9 pixels" in text, text
    rect = view.groups["input"].panel.outline.path().boundingRect()
    assert (rect.x(), rect.y(), rect.width(), rect.height()) == (0, 0, 2, 2)
    # an inner pixel of conv2 (reading pool1, 14x14): the full 3x3 window, on all 8 maps
    view._on_mouse_moved(view.groups["conv2"].card.tile_pixel_to_scene(3, 6, 9))
    pool1 = view.groups["pool1"].panel
    polygons = pool1.outline.path().toSubpathPolygons()
    assert len(polygons) == 8
    y0, x0 = pool1.mosaic.origin(7)
    last = polygons[7].boundingRect()
    assert (last.x(), last.y(), last.width(), last.height()) == (x0 + 8, y0 + 5, 3, 3)
    assert "rows 5..7, cols 8..10 of pool1" in view.status.text()
    assert "padding" not in view.status.text()


def test_receptive_field_of_a_strided_conv_and_of_a_pool(qtbot):
    view = make_view(qtbot, VIEW_ARCHS["stride2"])
    # conv2 (stride 2, no padding) pixel (2, 3) reads rows 4..6, cols 6..8 of conv1's maps
    view._on_mouse_moved(view.groups["conv2"].card.tile_pixel_to_scene(1, 2, 3))
    assert "rows 4..6, cols 6..8 of conv1" in view.status.text()
    conv1 = view.groups["conv1"].panel
    first = conv1.outline.path().toSubpathPolygons()[0].boundingRect()
    assert (first.x(), first.y(), first.width(), first.height()) == (6, 4, 3, 3)
    view = make_view(qtbot, VIEW_ARCHS["tanh_avgpool"])
    view._on_mouse_moved(view.groups["avgpool1"].card.tile_pixel_to_scene(2, 3, 4))
    assert "average of the 2x2 at rows 6..7, cols 8..9 of conv1" in view.status.text()
    polygons = view.groups["conv1"].panel.outline.path().toSubpathPolygons()
    assert len(polygons) == 1                         # the same channel only
    y0, x0 = view.groups["conv1"].panel.mosaic.origin(2)
    assert polygons[0].boundingRect().topLeft().toPoint() == pg.QtCore.QPoint(x0 + 8, y0 + 6)


def test_clicking_any_conv_layer_emits_its_name(qtbot):
    view = make_view(qtbot, VIEW_ARCHS["three_convs"])
    for layer, (channel, row, col) in (("conv3", (11, 4, 9)), ("conv2", (5, 20, 3))):
        scene = view.groups[layer].card.tile_pixel_to_scene(channel, row, col)
        with qtbot.waitSignal(view.pixelClicked, timeout=30000) as blocker:
            view._on_mouse_clicked(_Click(scene))
        assert blocker.args == [layer, channel, row, col]
        assert view.state.selected_channel == (view.groups[layer].trace_name, channel)


def test_many_channels_page_instead_of_shrinking(qtbot):
    view = make_view(qtbot, VIEW_ARCHS["many_channels"], size=(900, 600))
    card = view.groups["conv1"].card
    maps = view.state.trace["relu1"].output[0]
    assert card.pages == 2 and card.count == 64
    np.testing.assert_array_equal(card.shown_maps(), maps[:32])
    card.next_page()
    np.testing.assert_array_equal(card.shown_maps(), maps[32:])
    view._on_mouse_moved(card.tile_pixel_to_scene(45, 7, 8))
    assert "channel 45" in view.status.text()
    assert f"{maps[45, 7, 8]:.4g}" in view.status.text()
    # a data pixel of the paged maps is still drawn at least 1.5 screen pixels wide
    image = view.graphics.mapFromScene(card.image.sceneBoundingRect()).boundingRect()
    assert image.width() / card.image.image.shape[1] >= 1.5


def test_a_new_architecture_rebuilds_the_groups(qtbot):
    view = make_view(qtbot, VIEW_ARCHS["lenet"])
    view.state.set_model(build_network(arch=VIEW_ARCHS["three_convs"]), "other")
    assert "conv3" in view.groups and "pool2" in view.groups
    np.testing.assert_array_equal(view.groups["conv3"].card.shown_maps(),
                                  view.state.trace["relu3"].output[0])
    view.state.set_model(build_network(arch=VIEW_ARCHS["mlp"]), "mlp")
    assert list(view.groups) == ["input", "fc1"] and view.note.isVisibleTo(view)


class _Click:
    """A left click at a scene position, as pyqtgraph's scene hands it to the view."""

    def __init__(self, scene_pos) -> None:
        self._pos = scene_pos

    def button(self):
        return pg.QtCore.Qt.MouseButton.LeftButton

    def scenePos(self):
        return self._pos


def test_a_deep_network_is_placed_whole_with_a_bounded_search(qtbot):
    from cnnviz.app.fit_layout import Option, row_templates, within_budget
    arch = ("conv8x3p1 relu conv8x3p1 relu conv8x3p1 relu conv8x3p1 relu maxpool conv16x3p1 "
            "relu conv16x3p1 relu conv16x3p1 relu maxpool conv16x3p1 relu fc64 relu fc32 relu "
            "fc16 relu fc10")
    view = make_view(qtbot, arch)
    assert set(view.placements) == set(view.groups) | {"probs"} and len(view.groups) == 14
    frame = view.graphics.viewport().rect().adjusted(-3, -3, 3, 3)
    for key, group in view.groups.items():
        rect = view.graphics.mapFromScene(group.panel.box.sceneBoundingRect()).boundingRect()
        assert frame.contains(rect), key
    # the search is thinned to a budget: ten varied panels would be 5**10 combinations a template
    options = {f"k{i}": [Option(c, c, 1.0) for c in range(1, 8)] for i in range(10)}
    templates = len(row_templates(list(options), 4))
    thinned = within_budget(options, templates, budget=60_000)
    combos = templates * np.prod([len(o) for o in thinned.values()])
    assert combos <= 60_000 and all(len(o) >= 1 for o in thinned.values())
