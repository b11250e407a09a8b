"""Every classroom and map view fits its widget at the sizes users see.

Tabbed docks in the default window are ~500-700 x 350-500 px; a floated dock ~1400 x 800.
Each test shows the real view at those sizes and checks that every panel (and its title and
colour bar) lies inside the widget and that the pictures fill a fair share of it.
"""

from __future__ import annotations

import gc

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import QRect, QRectF, Qt
from PyQt6.QtGui import QFontMetricsF

from cnnviz.app.state import AppState
from cnnviz.nn import load_checkpoint
from cnnviz.resources import resource_path
from window_fit_checks import settle as settle_layout

pg.setConfigOptions(imageAxisOrder="row-major")

SIZES = [(520, 380), (700, 500), (1400, 800)]


@pytest.fixture(autouse=True)
def collect_closed_views():
    gc.collect()
    yield


@pytest.fixture
def state(qapp):
    from cnnviz.data import load_bundled
    ds = load_bundled()
    s = AppState(load_checkpoint(resource_path("model", "lenet.npz")), ds)
    s.set_probe(ds.test_images[0] / 255.0, int(ds.test_labels[0]), index=0)
    return s


def shown(qtbot, widget, size):
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    settle_layout(qtbot.wait, widget)
    return widget


def view_rect(graphics, item) -> QRect:
    """An item's scene bounding rect in ``graphics``' viewport pixels."""
    return graphics.mapFromScene(item.sceneBoundingRect()).boundingRect()


def assert_inside(frame: QRect, rect: QRect, what: str, slack: int = 3) -> None:
    assert frame.adjusted(-slack, -slack, slack, slack).contains(rect), \
        f"{what} is clipped: {rect} not inside {frame}"


def assert_widget_inside(view, widget, what: str, slack: int = 2) -> None:
    """A child widget (a label) lies inside the view (not cut at its edges)."""
    top_left = widget.mapTo(view, widget.rect().topLeft())
    rect = QRect(top_left, widget.size())
    assert view.rect().adjusted(-slack, -slack, slack, slack).contains(rect), \
        f"{what} is clipped: {rect} not inside {view.rect()}"


# -- filters ----------------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
def test_filters_panels_and_colour_bars_fit(qtbot, state, size):
    from cnnviz.app.views.filters import FiltersView
    view = shown(qtbot, FiltersView(state), size)
    qtbot.waitUntil(lambda: len(view.placements) == 3, timeout=30000)
    frame = view.graphics.viewport().rect()
    area = 0.0
    tick_w = QFontMetricsF(view.font()).horizontalAdvance("-0.25")
    for key, panel in view.panels.items():
        assert_inside(frame, view_rect(view.graphics, panel.box), key)
        assert_inside(frame, view_rect(view.graphics, panel.title), f"{key} title")
        bar = view.bars[key]
        assert_inside(frame, view_rect(view.graphics, bar), f"{key} colour bar")
        # the tick labels ("-0.25") have room: they were cut to "-0." before
        assert bar.axis.width() >= tick_w
        # the colour bar sits beside the maps, not over them
        image = view_rect(view.graphics, panel.image)
        assert not view_rect(view.graphics, bar.bar).intersects(image), key
        # a title no wider than its panel (a wide title pushed the panel over its bar)
        title_w = QFontMetricsF(panel.title.item.font()).horizontalAdvance(panel.title.text)
        assert title_w <= view.placements[key].rect[2], key
        area += image.width() * image.height()
    assert area > 0.3 * frame.width() * frame.height()
    # what is drawn is still the weights, whichever way the table is turned (each kernel
    # scaled to its own largest |w| by default)
    w2 = state.net.params["conv2.weight"]
    table = view.panels["table"]
    np.testing.assert_allclose(table.tile_of(view.table_index(7, 3)),
                               w2[7, 3] / np.abs(w2[7, 3]).max(), rtol=1e-5)


# -- convolution explainer ----------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("layer", ["conv1", "conv2"])
def test_conv_explainer_row_fits_and_numbers_stay_legible(qtbot, state, size, layer):
    from cnnviz.app.views.conv_explainer import MIN_TEXT_PX, ConvExplainerView
    view = shown(qtbot, ConvExplainerView(state), size)
    view.explain(layer, 3, 4, 5)
    qtbot.waitUntil(lambda: len(view.placements) == 7, timeout=30000)
    frame = view.graphics.viewport().rect()
    area = 0.0
    for key, panel in view.main_panels.items():
        assert_inside(frame, view_rect(view.graphics, panel), key)
        title = view._titles[key]
        assert_inside(frame, view_rect(view.graphics, title), f"{key} title")
    for key, sign in view.signs.items():
        assert_inside(frame, view_rect(view.graphics, sign), key)
    for grid in (view.patch_grid, view.kernel_grid, view.product_grid):
        image = view_rect(view.graphics, grid.image)
        assert_inside(frame, image, "grid")
        area += image.width() * image.height()
    assert area > 0.12 * frame.width() * frame.height()
    # the numbers: no smaller than MIN_TEXT_PX when shown; fewer decimals in small cells
    item = view.product_grid._items[0][0]
    if item.isVisible():
        shown_h = view_rect(view.graphics, item).height()
        assert shown_h >= MIN_TEXT_PX - 1.5, shown_h
    decimals = max(len(t.split(".")[1]) if "." in t else 0
                   for t in view.product_grid.texts.ravel())
    assert decimals == view.decimals()
    if size[0] >= 1400:
        assert decimals == 3             # big cells: the full precision
    for label in (view.formula, view.detail):
        assert_widget_inside(view, label, "text")


# -- saliency --------------------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
def test_saliency_three_panels_fit(qtbot, state, size):
    from cnnviz.app.views.saliency import SaliencyView
    view = shown(qtbot, SaliencyView(state), size)
    with qtbot.waitSignal(view.job.ready, timeout=60000):    # computed in the background
        view.recompute()
    qtbot.waitUntil(lambda: len(view.placements) == 3, timeout=30000)
    frame = view.graphics.viewport().rect()
    area = 0.0
    for key, panel in view.panels.items():
        assert_inside(frame, view_rect(view.graphics, panel.panel.layout), key)
        assert_inside(frame, view_rect(view.graphics, panel.title), f"{key} title")
    for key, bar in view.bars.items():
        assert_inside(frame, view_rect(view.graphics, bar), f"{key} colour bar")
        assert bar.axis.width() >= QFontMetricsF(view.font()).horizontalAdvance("-0.25")
    for image in (view.input_image, view.grad_image, view.occ_digit):
        rect = view_rect(view.graphics, image)
        assert_inside(frame, rect, "image")
        area += rect.width() * rect.height()
    assert area > 0.25 * frame.width() * frame.height()
    assert_widget_inside(view, view.caption, "caption")


# -- step explainer --------------------------------------------------------------------------
def test_step_explainer_fits_and_never_widens_the_window(qtbot, tmp_path, monkeypatch):
    from cnnviz.app.main_window import MainWindow
    from cnnviz.data import Dataset, load_bundled
    monkeypatch.setenv("CNNVIZ_SETTINGS_DIR", str(tmp_path / "settings"))
    ds = load_bundled()
    small = Dataset("small", ds.train_images[:640], ds.train_labels[:640],
                    ds.test_images[:50], ds.test_labels[:50])
    state = AppState(load_checkpoint(resource_path("model", "lenet.npz")), small)
    win = MainWindow(state, restore_layout=False)
    qtbot.addWidget(win)
    win.resize(1600, 900)
    win.show()
    qtbot.waitExposed(win)
    win.raise_dock("step_explainer")
    view = win.views["step_explainer"]
    win.controls.step_button.click()
    qtbot.waitUntil(lambda: view.detail is not None, timeout=10000)
    settle_layout(qtbot.wait, view)
    try:
        assert win.minimumSizeHint().width() < 1600
        for size in SIZES:
            view.setParent(None)                 # on its own, at the sizes users see
            view.resize(*size)
            view.show()
            qtbot.waitExposed(view)
            settle_layout(qtbot.wait, view)
            assert view.minimumSizeHint().width() <= size[0]
            for label in (view.loss_before, view.loss_after, view.loss_change,
                          *view._loss_captions):
                assert_widget_inside(view, label, label.text())
                # the text fits its label (not cut like "loss afte")
                width = QFontMetricsF(label.font()).horizontalAdvance(label.text())
                assert width <= label.width() + 1, label.text()
            delta = view.delta_tab
            frame = delta.graphics.viewport().rect()
            assert set(delta.panels) == {k for k in state.net.params if k.endswith(".weight")}
            for name, panel in delta.panels.items():
                assert_inside(frame, view_rect(delta.graphics, panel.box), name)
                assert_inside(frame, view_rect(delta.graphics, panel.title), name)
                assert_inside(frame, view_rect(delta.graphics, delta.bars[name]), name)
    finally:
        win.stop_training()
        view.close()


# -- preprocessing pipeline -----------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
def test_preprocess_pipeline_fits_a_narrow_dock(qtbot, state, size):
    from cnnviz.app.views.preprocess_pipeline import PreprocessPipelineView
    view = shown(qtbot, PreprocessPipelineView(state), size)
    # its minimum width no longer widens a 520 px dock (it was 922 px)
    assert view.minimumSizeHint().width() <= size[0]
    assert view.width() == size[0]
    for key, title in view.titles.items():
        assert_widget_inside(view, title, key)


# -- layer inspector -------------------------------------------------------------------------
def check_inspector_fits(view, size) -> None:
    assert view.width() == size[0]
    for name in view.layer_names():
        button = view.button(name)
        # the shape line is not cut: the button got the height its two lines need
        assert button.height() >= button.sizeHint().height(), name
        assert button.width() >= button.sizeHint().width(), name
        assert_widget_inside(view, button, f"{name} button")
    frame = view.maps_view.viewport().rect()
    assert set(view.placements) == {"input", "output"}
    for key, panel in view._map_panels.items():
        assert_inside(frame, view_rect(view.maps_view, panel.box), key)
        assert_inside(frame, view_rect(view.maps_view, panel.title), f"{key} title")
        title_w = panel.title.item.boundingRect().width() - 8   # as drawn
        assert title_w <= view.placements[key].rect[2] + 8, key
    out = view_rect(view.maps_view, view.output_panel.image)
    assert out.width() * out.height() > 0.15 * frame.width() * frame.height()
    for widget in (view.hover_label, view.explanation, view.params_label.parentWidget()):
        assert_widget_inside(view, widget, type(widget).__name__)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("layer", ["conv1", "conv2", "pool1"])
def test_inspector_schematic_wraps_and_maps_fit(qtbot, state, size, layer):
    from cnnviz.app.views.inspector import InspectorView
    view = shown(qtbot, InspectorView(state), size)
    view.select_layer(layer)
    settle_layout(qtbot.wait, view)
    # never a minimum width that widens a narrow dock (it was 616 px with a scroll bar)
    assert view.minimumSizeHint().width() <= 480
    check_inspector_fits(view, size)
    # the schematic wraps: more than one row of buttons when narrow
    tops = {view.button(n).mapTo(view, view.button(n).rect().topLeft()).y()
            for n in view.layer_names()}
    assert len(tops) >= (2 if size[0] < 1000 else 1)
    # the picture sits beside the text in a wide view
    if size[0] >= 1000:
        assert view.body.orientation() == Qt.Orientation.Horizontal


def test_inspector_fits_in_large_type(qtbot, state):
    from PyQt6.QtGui import QFont

    from cnnviz.app.views.inspector import InspectorView
    view = InspectorView(state)
    font = QFont(view.font())
    font.setPointSizeF(20)
    view.setFont(font)
    shown(qtbot, view, (1400, 900))
    view.select_layer("conv2")
    settle_layout(qtbot.wait, view)
    assert view.minimumSizeHint().width() <= 900        # it was 1286 px
    check_inspector_fits(view, (1400, 900))
    # the stacked layout for a narrow, tall dock
    view.resize(600, 900)
    settle_layout(qtbot.wait, view)
    assert view.body.orientation() == Qt.Orientation.Vertical
    check_inspector_fits(view, (600, 900))


# -- step explainer: gradients and max-pool routing tabs --------------------------------------
def test_step_explainer_gradient_and_routing_tabs_fit(qtbot, state):
    import importlib.util
    from pathlib import Path

    from PyQt6.QtGui import QFont

    from cnnviz.app.views.step_explainer import StepExplainerView
    from cnnviz.data import load_bundled
    spec = importlib.util.spec_from_file_location(
        "preview_fit", Path(__file__).resolve().parent.parent / "scripts" / "preview_fit.py")
    preview = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(preview)
    view = StepExplainerView(state)
    view.show_step(preview.real_step(state, load_bundled()))
    qtbot.addWidget(view)
    big = QFont(view.font())
    big.setPointSizeF(20)
    for size, font in [(s, None) for s in SIZES] + [((1400, 900), big)]:
        if font is not None:
            view.setFont(font)
        shown(qtbot, view, size)
        assert view.minimumSizeHint().width() <= size[0]
        tick_w = QFontMetricsF(view.font()).horizontalAdvance("-0.25")
        view.tabs.setCurrentIndex(1)
        settle_layout(qtbot.wait, view)
        grads = view.grad_tab
        assert len(grads.placements) == 6           # LeNet: conv, relu, pool twice
        frame = grads.graphics.viewport().rect()
        for name, panel in grads.panels.items():
            assert_inside(frame, view_rect(grads.graphics, panel.box), name)
            assert_inside(frame, view_rect(grads.graphics, panel.title), f"{name} title")
            bar = grads.bars[name]
            assert_inside(frame, view_rect(grads.graphics, bar), f"{name} colour bar")
            assert bar.axis.width() >= tick_w
            image = view_rect(grads.graphics, panel.image)
            assert not view_rect(grads.graphics, bar.bar).intersects(image), (name, size)
            title_w = panel.title.item.boundingRect().width() - 8   # as drawn
            assert title_w <= grads.placements[name].rect[2], name
        view.tabs.setCurrentIndex(2)
        settle_layout(qtbot.wait, view)
        routing = view.routing_tab
        assert len(routing.placements) == 4
        frame = routing.graphics.viewport().rect()
        for pool, pair in routing.panels.items():
            for which, panel in pair.items():
                key = f"{pool}.{which}"
                assert_inside(frame, view_rect(routing.graphics, panel.box), key)
                assert_inside(frame, view_rect(routing.graphics, panel.title), key)
                title_w = panel.title.item.boundingRect().width() - 8   # as drawn
                assert title_w <= routing.placements[key].rect[2], key
            arrow = view_rect(routing.graphics, routing.arrows[pool])
            assert_inside(frame, arrow, f"{pool} arrow")
            assert not arrow.intersects(view_rect(routing.graphics, pair["routed"].image))
            bar = routing.bars[pool]
            assert_inside(frame, view_rect(routing.graphics, bar), f"{pool} colour bar")
            assert bar.axis.width() >= tick_w
        assert_widget_inside(view, view.routing_text, "routing text")
    view.close()
