"""The layer-by-layer inspector, driven through its schematic buttons and hover handler."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtTest import QTest

from cnnviz.app.image_panel import DIVERGING_CMAP
from cnnviz.app.state import AppState
from cnnviz.app.views.inspector import InspectorView
from cnnviz.data import load_bundled
from cnnviz.nn import build_network
from window_support import view_in_window

EXPECTED = {   # layer -> (output shape, a piece of its formula)
    "input": ((1, 28, 28), "pixel / 255"),
    "conv1": ((20, 24, 24), "Σ_c Σ_u Σ_v w[f,c,u,v] · x[c,i+u,j+v]"),
    "relu1": ((20, 24, 24), "max(0, x)"),
    "pool1": ((20, 12, 12), "max over the 2×2 window"),
    "conv2": ((50, 8, 8), "out[f,i,j] = b[f] +"),
    "relu2": ((50, 8, 8), "max(0, x)"),
    "pool2": ((50, 4, 4), "max over the 2×2 window"),
    "flatten": ((800,), "x[c,i,j]"),
    "fc1": ((500,), "y = W x + b"),
    "relu3": ((500,), "max(0, x)"),
    "fc2": ((10,), "y = W x + b"),
    "softmax": ((10,), "Σ_j e^(z_j)"),
}


@pytest.fixture
def inspector(qtbot):
    state = AppState(build_network(seed=0))
    ds = load_bundled()
    state.set_probe(ds.test_images[0] / 255.0, int(ds.test_labels[0]), index=0)
    return view_in_window(qtbot, InspectorView, state, (1100, 600))


def test_schematic_lists_every_layer_with_its_shape(inspector):
    assert inspector.layer_names() == list(EXPECTED)
    for name, (shape, _) in EXPECTED.items():
        assert " × ".join(map(str, shape)) in inspector.button(name).text()


@pytest.mark.parametrize("name", list(EXPECTED))
def test_clicking_a_layer_shows_its_output_shape_and_formula(inspector, name):
    shape, formula = EXPECTED[name]
    QTest.mouseClick(inspector.button(name), Qt.MouseButton.LeftButton)
    assert inspector.selected_layer == name
    assert inspector.button(name).isChecked()
    assert sum(b.isChecked() for b in map(inspector.button, EXPECTED)) == 1
    text = inspector.explanation.toPlainText()
    assert " × ".join(map(str, shape)) in text
    assert formula in inspector.formula()
    plain_formula = inspector.formula().replace("_", "").replace("^", "")
    assert plain_formula.split("=")[0].strip() in text
    out = inspector.state.trace[name].output[0]
    if len(shape) == 3:
        assert inspector.pages.currentIndex() == 0
        mosaic = inspector.output_panel.image.image
        np.testing.assert_array_equal(inspector.output_panel.untile(mosaic), out)
    else:
        assert inspector.pages.currentIndex() == 1
        np.testing.assert_allclose(inspector.bars.opts["height"], out)
    layer_params = inspector.state.net.params
    own = [k for k in layer_params if k.startswith(name + ".")]
    for key in own:
        assert key.split(".")[1] in inspector.params_label.text()
        assert f"{layer_params[key].size:,}" in inspector.params_label.text()
    if not own:
        assert "No learned parameters" in inspector.params_label.text()


def test_hovering_conv1_outlines_the_5x5_receptive_field_on_the_digit(inspector):
    inspector.select_layer("conv1")
    assert inspector.input_widget.isVisible()
    np.testing.assert_array_equal(inspector.input_panel.image.image,
                                  inspector.state.trace["input"].output[0, 0])
    layout = inspector.output_panel.mosaic
    channel, r, c = 7, 11, 3
    y0, x0 = layout.origin(channel)
    info = inspector.hover(y0 + r + 0.5, x0 + c + 0.5)
    assert (info.channel, info.row, info.col) == (channel, r, c)
    assert inspector.receptive_field_for("conv1", r, c) == (r, c, 5)
    assert info.field == (r, c, 5)
    assert inspector.input_panel.outline.path().boundingRect() == QRectF(c, r, 5, 5)
    assert inspector.output_panel.outline.path().boundingRect() == QRectF(x0 + c, y0 + r, 1, 1)
    value = float(inspector.state.trace["conv1"].output[0, channel, r, c])
    assert info.value == value
    assert f"value {value:.4g}" in inspector.hover_label.text()
    # the hovered value follows new weights
    inspector.state.set_params(build_network(seed=5).copy_params())
    new_value = float(inspector.state.trace["conv1"].output[0, channel, r, c])
    assert inspector.hover_info.value == new_value != value


def test_hovering_conv2_outlines_the_window_on_every_pool1_map(inspector):
    inspector.select_layer("conv2")
    np.testing.assert_array_equal(inspector.input_panel.untile(inspector.input_panel.image.image),
                                  inspector.state.trace["pool1"].output[0])
    out_layout = inspector.output_panel.mosaic
    y0, x0 = out_layout.origin(31)
    info = inspector.hover(y0 + 2, x0 + 6)
    assert (info.channel, info.row, info.col, info.field) == (31, 2, 6, (2, 6, 5))
    in_layout = inspector.input_panel.mosaic
    path = inspector.input_panel.outline.path()
    rects = [path.toSubpathPolygons()[i].boundingRect() for i in range(20)]
    assert len(path.toSubpathPolygons()) == 20
    for i, rect in enumerate(rects):
        ty, tx = in_layout.origin(i)
        assert rect == QRectF(tx + 6, ty + 2, 5, 5)
    assert info.value == float(inspector.state.trace["conv2"].output[0, 31, 2, 6])


def test_hovering_pool_and_softmax(inspector):
    inspector.select_layer("pool1")
    y0, x0 = inspector.output_panel.mosaic.origin(4)
    info = inspector.hover(y0 + 5, x0 + 9)
    assert info.field == (10, 18, 2)
    ty, tx = inspector.input_panel.mosaic.origin(4)
    assert inspector.input_panel.outline.path().boundingRect() == QRectF(tx + 18, ty + 10, 2, 2)
    assert info.value == float(inspector.state.trace["pool1"].output[0, 4, 5, 9])
    inspector.select_layer("softmax")
    info = inspector.hover(0.3, 6.2)
    assert info.col == 6
    assert info.value == float(inspector.state.probabilities[6])
    assert "class 6" in inspector.hover_label.text()
    p = inspector.state.probabilities
    assert [l.textItem.toPlainText() for l in inspector.bar_labels] == [f"{100 * v:.1f}%" for v in p]
    assert inspector.hover(0.5, 30) is None       # off the bars


def test_a_new_probe_redraws_the_selected_layer(inspector):
    inspector.select_layer("pool2")
    ds = load_bundled()
    inspector.state.set_probe(ds.test_images[5] / 255.0, int(ds.test_labels[5]), index=5)
    np.testing.assert_array_equal(
        inspector.output_panel.untile(inspector.output_panel.image.image),
        inspector.state.trace["pool2"].output[0])


@pytest.mark.parametrize("size", [(467, 370), (467, 417), (534, 339), (567, 363)],
                         ids=["1280x720", "1280x720-taller", "1280x720-older", "1366x768"])
@pytest.mark.parametrize("layer", ["conv1", "conv2", "fc1"])
def test_the_parameters_panel_shows_every_line_without_scrolling_in_a_classroom_dock(
        qtbot, inspector, size, layer):
    """At the inspector's size in the 1280x720 window (467x417) the parameters panel
    scrolled (weight and bias, each wrapped over two lines, and a total); in the 1366x768
    one it showed two of six lines. Now one line a parameter, the total in the heading: all
    of them, no scroll bar, the explanation above keeping its three lines."""
    inspector.resize(*size)
    inspector.select_layer(layer)
    area, label = inspector.params_area, inspector.params_label
    qtbot.waitUntil(lambda: area.viewport().height() > 0)
    qtbot.waitUntil(lambda: area.viewport().height() >= label.heightForWidth(
        area.viewport().width()))
    assert area.verticalScrollBar().maximum() == 0, "the parameters scroll"
    assert "learned numbers" in inspector.params_title.text()
    text = inspector.explanation
    assert text.height() >= text.minimumHeight() >= 3 * text.fontMetrics().lineSpacing()


def test_in_large_type_the_explanation_shows_a_useful_amount_and_a_scroll_cue(qtbot, qapp):
    """On the 1280x720 presentation stage (1274x559, 20 pt) the explanation showed one and a
    half lines under its heading, the parameters taking the rest: now at least six lines,
    and a visible scroll bar says there is more."""
    from PyQt6.QtGui import QFont
    old = QFont(qapp.font())
    big = QFont(old)
    big.setPointSizeF(20)
    qapp.setFont(big)
    try:
        state = AppState(build_network(seed=0))
        ds = load_bundled()
        state.set_probe(ds.test_images[0] / 255.0, int(ds.test_labels[0]), index=0)
        view = view_in_window(qtbot, InspectorView, state, (1274, 559))
        view.select_layer("conv1")
        text = view.explanation
        line = text.fontMetrics().lineSpacing()
        qtbot.waitUntil(lambda: text.viewport().height() >= 6 * line)
        bar = text.verticalScrollBar()
        assert bar.maximum() > 0 and bar.isVisible()        # conv1's text is longer
        # the parameters: two lines at least, and a scroll bar if they have more
        area, label = view.params_area, view.params_label
        assert area.viewport().height() >= min(label.height(),
                                               2 * label.fontMetrics().lineSpacing())
        scroll = area.verticalScrollBar()
        qtbot.waitUntil(lambda: scroll.isVisible() == (scroll.maximum() > 0))
    finally:
        qapp.setFont(old)

def test_signed_maps_get_a_diverging_colour_map_through_pools(qtbot):
    """A tanh's maps (and their average pool) are negative and positive: drawn with the
    activation colour map their sign was lost. A ReLU's maps stay on the activation map."""
    state = AppState(build_network("conv6x3p1 tanh avgpool conv8x3p1 relu maxpool fc10", seed=0))
    ds = load_bundled()
    state.set_probe(ds.test_images[0] / 255.0, int(ds.test_labels[0]), index=0)
    view = view_in_window(qtbot, InspectorView, state, (1100, 600))
    for name, signed in (("conv1", True), ("tanh1", True), ("avgpool1", True),
                         ("relu2", False), ("pool2", False)):
        view.select_layer(name)
        lo, hi = view.output_panel.image.getLevels()
        out = state.trace[name].output[0]
        diverging = view.output_panel.image.getColorMap().name == DIVERGING_CMAP
        assert diverging == signed, name
        if signed:
            assert lo == pytest.approx(-hi) and hi >= np.abs(out).max() * 0.999, name
        else:
            assert lo >= 0, name
