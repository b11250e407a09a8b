"""A paged panel's title always names its layer.

A narrow panel of a paged layer used to fall back to the page range alone ("0–31/64": the
activations of a 64/128-channel network at 1280x720 showed three such titles and no layer).
The range and the extra words go first, the layer's name stays: in ``MosaicBarPanel`` (every
mosaic of the app) at any width, and in every view that pages, at the sizes where it pages.
"""

from __future__ import annotations

import gc

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import QRectF

from cnnviz.app.fit_layout import Placement
from cnnviz.app.image_panel import FitCanvas
from cnnviz.app.mosaic_panel import MosaicBarPanel
from cnnviz.app.state import AppState
from cnnviz.app.views.activations import ActivationsView
from cnnviz.app.views.conv_explainer import ConvExplainerView
from cnnviz.app.views.pooling import PoolingView
from cnnviz.data import load_bundled
from cnnviz.nn import build_network

pg.setConfigOptions(imageAxisOrder="row-major")

WIDE = "conv64x3p1 relu maxpool conv128x3p1 relu maxpool fc10"
VIEW_1280 = (481, 339)          # activations / pooling in the window at 1280x720


@pytest.fixture(autouse=True)
def collect_closed_views():
    gc.collect()
    yield


def placed_panel(qtbot, width: float) -> MosaicBarPanel:
    """128 maps, 32 a page, placed ``width`` px wide (title row and colour bar included)."""
    graphics = pg.GraphicsView()
    canvas = FitCanvas(lambda: None)
    graphics.setCentralItem(canvas)
    qtbot.addWidget(graphics)
    graphics.resize(700, 400)
    graphics.show()
    panel = MosaicBarPanel("viridis", page_size=32)
    panel.set_parent(canvas)
    panel.set_titles(["conv2 output: 128 × 14 × 14 (blue < 0 < red)", "conv2 output", "conv2"])
    panel.set_maps(np.random.default_rng(0).random((128, 14, 14)).astype(np.float32), (0, 1))
    panel.set_page(3)
    panel.place(Placement(4, (0.0, 0.0, width, 200.0), 180.0), graphics.font())
    panel.graphics = graphics            # kept alive with the panel
    return panel


# from a panel with room for its arrows, its colour bar and the name drawn small, up
@pytest.mark.parametrize("width", [140, 170, 220, 320, 500])
def test_a_paged_mosaic_title_keeps_the_layer_name_at_any_width(qtbot, width):
    panel = placed_panel(qtbot, width)
    assert panel.pages == 4
    assert "conv2" in panel.title.text, panel.title.text
    assert all("conv2" in t for t in panel.title_candidates())
    if width >= 320:                  # room for the range: it is there, in words
        assert panel.title.text.endswith(" · 96–127 of 128"), panel.title.text


def test_the_narrowest_title_row_a_paged_panel_asks_for_shows_the_name_and_the_range(qtbot):
    panel = placed_panel(qtbot, 500)
    font = panel.graphics.font()
    need = panel.min_title_width(32) + panel.bar_width(font)
    panel.place(Placement(4, (0.0, 0.0, need, 200.0), 180.0), font)
    assert "conv2" in panel.title.text and "96–127" in panel.title.text, panel.title.text
    assert panel.title.item.scale() == pytest.approx(1.0)


# -- the views that page, at the sizes where they page ---------------------------------------
def probe() -> np.ndarray:
    rng = np.random.default_rng(3)
    image = np.zeros((28, 28), np.float32)
    image[4:24, 6:22] = rng.random((20, 16))
    return image


def shown_view(qtbot, view_class, size):
    state = AppState(build_network(arch=WIDE, seed=0))
    state.set_probe(probe(), label=7)
    view = view_class(state)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: bool(view.placements), timeout=10000)
    return view


def test_activations_of_64_and_128_channels_at_1280x720_name_every_paged_layer(qtbot):
    view = shown_view(qtbot, ActivationsView, VIEW_1280)
    paged = [(key, g.card) for key, g in view.groups.items() if g.card.pages > 1]
    assert len(paged) >= 3
    for key, card in paged:
        assert key in card.title.text, (key, card.title.text)


def test_pooling_of_64_and_128_channels_at_1280x720_names_every_paged_layer(qtbot):
    view = shown_view(qtbot, PoolingView, VIEW_1280)
    paged = [(key, panel) for key, panel in view.panels.items() if panel.pages > 1]
    assert paged
    for key, panel in paged:
        assert key in panel.title.text, (key, panel.title.text)


def test_the_step_explainer_in_a_narrow_dock_names_every_paged_layer(qtbot):
    from test_step_explainer_paging import show_grads, stepped_view
    view, _, _ = stepped_view(qtbot, WIDE, (330, 700))
    paged = 0
    for name, panel in view.delta_tab.panels.items():
        paged += panel.pages > 1
        assert f"ΔW {name.split('.')[0]}" in panel.title.text, panel.title.text
    show_grads(qtbot, view)
    for name, panel in view.grad_tab.panels.items():
        paged += panel.pages > 1
        assert name in panel.title.text, panel.title.text
    assert paged >= 4


def test_convolution_explained_names_both_layers_while_its_channel_row_pages(qtbot):
    ds = load_bundled()
    state = AppState(build_network(arch=WIDE, seed=0), ds)
    state.set_probe(ds.test_images[0] / 255.0, int(ds.test_labels[0]), index=0)
    view = ConvExplainerView(state)
    qtbot.addWidget(view)
    view.resize(467, 340)               # its dock at 1280x720
    view.show()
    qtbot.waitExposed(view)
    view.explain("conv2", 5, 3, 4)
    row = view.channels
    qtbot.waitUntil(lambda: view.channels_graphics.isVisible()
                    and row.kernels_box.height() > 10 and row.pager.pages > 1, timeout=10000)
    assert "conv2[5]" in row.kernels_title.text, row.kernels_title.text
    assert "pool1" in row.patches_title.text, row.patches_title.text
    assert row.bars_title.text != row.pager.text(compact=True)


def test_a_narrow_paged_title_is_name_and_range_drawn_smaller_never_wider_than_its_panel(
        qtbot):
    panel = placed_panel(qtbot, 140)
    title = panel.title.item
    # the shortest title and the range, drawn smaller; the range's end elided if need be
    assert panel.title.text.startswith("conv2 9") and title.scale() < 1.0, panel.title.text
    room = 140 - panel.bar_width(panel.graphics.font()) - 2 * panel._arrow_width()
    assert title.boundingRect().width() * title.scale() <= room + 1
    assert QRectF(panel.panel.layout.geometry()).width() <= 140 + 1
