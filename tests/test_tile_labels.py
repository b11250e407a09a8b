"""Mosaic tile numbers in large type: drawn at least 18 pt, or not at all.

Presentation mode sets the application font to 20 pt and asks every text to read from the
back row. A mosaic's channel numbers are scaled to the gap above each tile, so on small tiles
they were drawn at 4-14 pt (seen at 1280x720 and 1920x1080 on the stage): now each number is
at least 18 pt where the tiles carry it (conv1's filters on the 1920x1080 stage) and hidden
where they do not; in normal type they are drawn as before.
"""

from __future__ import annotations

import math

import pytest
from PyQt6.QtGui import QFont, QFontInfo
from PyQt6.QtWidgets import QGraphicsSimpleTextItem

import pyqtgraph as pg
from cnnviz.app.state import AppState
from cnnviz.app.views.activations import ActivationsView
from cnnviz.app.views.conv_explainer import ConvExplainerView
from cnnviz.app.views.filters import FiltersView
from cnnviz.app.views.inspector import InspectorView
from cnnviz.app.views.pooling import PoolingView
from cnnviz.data import load_bundled
from cnnviz.nn import load_checkpoint
from cnnviz.resources import resource_path
from window_support import view_in_window
from window_fit_checks import settle as settle_layout

# the stage's view at 1280x720 and 1920x1080 in presentation mode (export-views' PNGs)
STAGES = {"1280x720": (1274, 559), "1920x1080": (1914, 919)}
FLOOR_PT = 17.5          # 18 pt, less rounding of a font's pixel size


@pytest.fixture
def state(qapp):
    ds = load_bundled()
    s = AppState(load_checkpoint(resource_path("model", "lenet.npz")), ds)
    s.set_probe(ds.test_images[0] / 255.0, int(ds.test_labels[0]), index=0)
    return s


def numbers(view) -> list[tuple[QGraphicsSimpleTextItem, pg.GraphicsView]]:
    """Every channel number drawn on a mosaic of ``view`` (shown or hidden), with its view."""
    found = []
    for graphics in view.findChildren(pg.GraphicsView):
        for item in graphics.scene().items():
            if isinstance(item, QGraphicsSimpleTextItem) and item.text().isdigit() \
                    and isinstance(item.parentItem(), pg.ItemGroup):    # in a ViewBox
                found.append((item, graphics))
    return found


def drawn_pt(item, graphics) -> float:
    """The point size ``item``'s text is drawn at in ``graphics``."""
    t = item.deviceTransform(graphics.viewportTransform())
    scale = math.hypot(t.m21(), t.m22())
    return QFontInfo(item.font()).pixelSize() * scale * 72.0 / graphics.logicalDpiY()


def settle(qtbot, view) -> None:
    qtbot.waitUntil(lambda: bool(getattr(view, "placements", True)), timeout=30000)
    settle_layout(qtbot.wait, view)


@pytest.mark.parametrize("stage", list(STAGES))
@pytest.mark.parametrize("view_class", [ActivationsView, FiltersView, PoolingView,
                                        InspectorView])
def test_in_large_type_tile_numbers_are_at_least_18pt_or_hidden(qtbot, large_type, state,
                                                                  stage, view_class):
    view = view_in_window(qtbot, view_class, state, STAGES[stage])
    settle(qtbot, view)
    drawn = numbers(view)
    assert drawn, "the view draws no channel numbers at all"
    small = [(item.text(), round(drawn_pt(item, g), 1)) for item, g in drawn
             if item.isVisible() and drawn_pt(item, g) < FLOOR_PT]
    assert not small, f"{len(small)} numbers shown under 18 pt, e.g. {small[:3]}"


def test_conv_explainer_channel_numbers_in_large_type(qtbot, large_type, state):
    view = view_in_window(qtbot, ConvExplainerView, state, STAGES["1280x720"])
    view.explain("conv2", 3, 4, 4)
    settle_layout(qtbot.wait, view)
    drawn = numbers(view)
    assert drawn
    assert all(drawn_pt(i, g) >= FLOOR_PT for i, g in drawn if i.isVisible())


def test_filter_numbers_stay_where_the_tiles_carry_them(qtbot, large_type, state):
    """On the 1920x1080 stage conv1's 20 filters are big enough for 18 pt numbers: shown."""
    view = view_in_window(qtbot, FiltersView, state, STAGES["1920x1080"])
    settle(qtbot, view)
    items = view.panels["filters"].panel._label_items
    assert [i.text() for i in items] == [str(c) for c in range(20)]
    graphics = view.findChildren(pg.GraphicsView)[0]
    assert all(i.isVisible() and drawn_pt(i, graphics) >= FLOOR_PT for i in items)


def test_hidden_numbers_come_back_in_normal_type(qtbot, qapp, state):
    """Presentation mode off (the application font back to normal): every number shows."""
    old = QFont(qapp.font())
    big = QFont(old)
    big.setPointSizeF(20)
    qapp.setFont(big)
    try:
        view = view_in_window(qtbot, FiltersView, state, STAGES["1280x720"])
        settle(qtbot, view)
        items = view.panels["filters"].panel._label_items
        assert items and not any(i.isVisible() for i in items)    # 5x5 kernels: too small
    finally:
        qapp.setFont(old)
    qtbot.waitUntil(lambda: all(i.isVisible() for i in items), timeout=5000)
