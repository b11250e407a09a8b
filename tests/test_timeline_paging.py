"""The timeline's replayed maps for a network of many channels (issue 8: "views with many
channels stay readable, paging, not shrinking to dots"): at the size of the timeline's dock
in a 1920x1080 window a 64- and 128-channel network pages its maps into readable tiles
with ◀ ▶ and the page range in the titles, while LeNet shows every map on one page as it
did; every title is drawn whole in one size."""

import numpy as np
import pytest

from cnnviz.app.label_fit import label_font
from cnnviz.app.paging import MOST_PAGES
from cnnviz.app.state import AppState
from cnnviz.app.views.timeline import TimelineView
from cnnviz.app.views.timeline.maps_layout import FILTER_TILE_PX, MAP_TILE_PX, VALUE_PX
from cnnviz.nn import build_network
from window_support import small_dataset

WIDE = "conv64x3p1 relu maxpool conv128x3p1 relu maxpool fc10"
DOCK_1920 = (500, 465)           # the timeline's dock as a 1920x1080 window opens


@pytest.fixture
def shown(qtbot):
    def make(arch: str, size=DOCK_1920):
        ds = small_dataset(50, 20)
        state = AppState(build_network(arch, seed=0), ds)
        state.set_probe(ds.test_images[3] / 255.0, int(ds.test_labels[3]), index=3)
        view = TimelineView(state)
        qtbot.addWidget(view)
        view.resize(*size)
        view.show()
        qtbot.waitExposed(view)
        view.flush()
        qtbot.waitUntil(lambda: view.maps.layout_maker.placed, timeout=10000)
        return state, view
    return make


def floor_of(key: str, panel) -> float:
    if key == "filters":
        return FILTER_TILE_PX
    return min(MAP_TILE_PX, VALUE_PX * min(panel.mosaic.tile_h, panel.mosaic.tile_w))


def test_many_channels_page_into_readable_tiles(qtbot, shown):
    state, view = shown(WIDE)
    assert view.minimumSizeHint().height() <= DOCK_1920[1]
    panels = view.maps.panels
    assert set(panels) == {"filters", "relu1", "pool1", "relu2", "pool2"}
    for key, panel in panels.items():
        # 8 px tiles before (64 maps of 28x28 in a 52 px strip): now at least the floor, or
        # paged as far as an overview may
        assert panel.tile_px() >= floor_of(key, panel) - 0.5 or panel.pages == MOST_PAGES, \
            (key, panel.tile_px(), panel.pages)
        assert panel.tile_px() >= 10, (key, panel.tile_px())
    for key in ("relu1", "pool1", "relu2", "pool2"):
        panel = panels[key]
        assert panel.pages > 1, key
        assert panel.prev_label.isVisible() and panel.next_label.isVisible()
        shown_range = f"{panel.page_start}–{panel.page_stop - 1}"
        assert shown_range in panel.title.text and str(panel.count) in panel.title.text
    # turning a page shows the next channels of the same layer, from the same trace
    relu2 = panels["relu2"]
    maps = state.trace["relu2"].output[0]
    relu2.next_label.mouseClickEvent(_Click())
    assert relu2.page == 1
    np.testing.assert_allclose(relu2.shown_maps(), maps[relu2.page_start:relu2.page_stop],
                               rtol=1e-6, atol=1e-7)
    # the titles: one size, none drawn smaller, none cut
    every = view.maps.all_panels()
    assert len({label_font(p.title).pointSizeF() for p in every.values()}) == 1
    assert all(abs(p.title.item.scale() - 1.0) < 1e-3 for p in every.values())
    assert "…" not in "".join(p.title.text for p in every.values())


def test_lenet_keeps_every_map_on_one_page_at_1920x1080(qtbot, shown):
    state, view = shown("lenet")
    for key, panel in view.maps.all_panels().items():
        assert panel.pages == 1, key
        assert panel.tile_px() >= (16 if key == "probe" else floor_of(key, panel)) - 0.5, key
    # the filters' title names the first conv layer from net.describe(), in the size of
    # every other title (it was drawn smaller)
    first = next(info.name for info in state.net.describe() if info.kind == "conv")
    filters = view.maps.panels["filters"]
    assert filters.title.text.startswith(f"{first} filters")
    assert abs(filters.title.item.scale() - 1.0) < 1e-3
    sizes = {label_font(p.title).pointSizeF() for p in view.maps.all_panels().values()}
    assert len(sizes) == 1


class _Click:
    def accept(self) -> None:
        pass


def test_a_1280x720_dock_leaves_the_pools_out_rather_than_draw_dots(qtbot, shown):
    """In the timeline's dock of a 1280x720 window six panels drew conv2's maps 5 px a
    side: the pools (the maps above them, halved) are left out and the rest drawn larger."""
    _state, view = shown("lenet", (406, 284))
    assert view.minimumSizeHint().height() <= 284
    shown_panels = {k for k, p in view.maps.all_panels().items() if p.panel.layout.isVisible()}
    assert shown_panels == {"probe", "filters", "relu1", "relu2"}
    for key in ("relu1", "relu2"):
        panel = view.maps.panels[key]
        assert panel.tile_px() >= floor_of(key, panel) - 0.5, (key, panel.tile_px())
    # a larger dock shows them again
    view.resize(560, 507)
    qtbot.waitUntil(lambda: view.maps.panels["pool2"].panel.layout.isVisible(), timeout=5000)
