"""The reusable "title + mosaic + colour bar" panel: what it draws, its paging, its placement."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtTest import QTest

from cnnviz.app.fit_layout import arrange
from cnnviz.app.image_panel import DIVERGING_CMAP, FitCanvas
from cnnviz.app.mosaic_panel import MosaicBarPanel

pg.setConfigOptions(imageAxisOrder="row-major")


@pytest.fixture
def placed(qtbot):
    """A 64-map panel, 32 per page, placed on a shown canvas."""
    graphics = pg.GraphicsView(background="k")
    qtbot.addWidget(graphics)
    panel = MosaicBarPanel(DIVERGING_CMAP, page_size=32)
    canvas = FitCanvas(lambda: None)
    graphics.setCentralItem(canvas)
    panel.set_parent(canvas)
    maps = np.arange(64 * 3 * 3, dtype=np.float32).reshape(64, 3, 3) - 300
    panel.set_titles(["conv1 filters (64 x 3x3)", "conv1"])
    panel.set_maps(maps, (-300.0, 300.0))
    graphics.resize(600, 400)
    graphics.show()
    qtbot.waitExposed(graphics)
    options = {"p": panel.options((2, 4, 8, 16), graphics.font())}
    place = arrange(600, 400, [[["p"]]], options, title_px=panel.title_px())["p"]
    panel.place(place, graphics.font())
    return graphics, panel, maps


def test_paging_shows_one_page_with_global_indices(placed):
    graphics, panel, maps = placed
    assert (panel.count, panel.pages, panel.page_start) == (64, 2, 0)
    np.testing.assert_array_equal(panel.shown_maps(), maps[:32])
    assert "0–31 of 64" in panel.title.text and panel.next_label.isVisible()
    panel.next_page()
    assert panel.page_start == 32
    np.testing.assert_array_equal(panel.shown_maps(), maps[32:])
    # labels, tiles and hit-testing speak global channel numbers
    assert [item.text() for item in panel.panel._label_items][:2] == ["32", "33"]
    np.testing.assert_array_equal(panel.tile_of(40), maps[40])
    assert panel.locate(panel.tile_pixel_to_scene(40, 1, 2)) == (40, 1, 2)
    assert "32–63 of 64" in panel.title.text
    panel.set_page(7)                       # clamped to the last page
    assert panel.page == 1
    panel.show_index(3)
    assert panel.page == 0


def test_clicking_the_arrow_turns_the_page(qtbot, placed):
    graphics, panel, maps = placed
    centre = panel.next_label.sceneBoundingRect().center()
    pos = graphics.mapFromScene(centre)
    with qtbot.waitSignal(panel.pageChanged, timeout=30000) as blocker:
        QTest.mouseClick(graphics.viewport(), Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier, QPoint(pos.x(), pos.y()))
    assert blocker.args == [1]
    np.testing.assert_array_equal(panel.shown_maps(), maps[32:])


def test_colour_bar_spans_the_maps_and_shows_the_levels(placed):
    graphics, panel, _ = placed
    assert panel.bar.levels() == pytest.approx((-300.0, 300.0))
    assert panel.levels() == pytest.approx((-300.0, 300.0))
    image = panel.image.sceneBoundingRect()
    bar = panel.bar.sceneBoundingRect()
    assert bar.left() >= image.right() - 1            # beside the maps, not over them
    assert graphics.sceneRect().contains(bar) or bar.right() <= 600 + 2


def test_a_small_set_has_no_pager(qtbot):
    panel = MosaicBarPanel(DIVERGING_CMAP, page_size=32, colour_bar=False)
    panel.set_maps(np.zeros((20, 5, 5), np.float32), (-1, 1))
    assert panel.pages == 1 and panel.bar is None
    assert not panel.next_label.isVisible()
    assert panel.bar_width(pg.QtGui.QFont()) == 0.0


def test_table_row_labels_count_on_per_page_and_come_back(qtbot):
    panel = MosaicBarPanel(DIVERGING_CMAP, labels="grid", columns=4, page_size=3 * 4)
    panel.set_maps(np.zeros((8 * 4, 3, 3), np.float32), (-1, 1))   # 8 rows of 4, 3 per page

    def row_labels():
        return [item.text() for item in panel.panel._label_items if item.x() < 0]
    assert panel.pages == 3 and row_labels() == ["0", "1", "2"]
    panel.next_page()
    assert row_labels() == ["3", "4", "5"]
    panel.set_page(0)                      # the same tiling again: labels back to 0..2
    assert row_labels() == ["0", "1", "2"]
    panel.set_page(2)                      # the last page: two rows
    assert row_labels() == ["6", "7"]


def test_a_short_colour_bar_shows_the_scale_once_and_a_tiny_one_none(qtbot):
    from PyQt6.QtGui import QFontMetricsF

    from cnnviz.app.image_panel import colormap
    from cnnviz.app.scale_bar import ScaleBar, short_number
    graphics = pg.GraphicsView(background="k")
    qtbot.addWidget(graphics)
    canvas = FitCanvas(lambda: None)
    graphics.setCentralItem(canvas)
    bar = ScaleBar(colormap(DIVERGING_CMAP), tick_sample="-5e-05")
    bar.setParentItem(canvas)
    graphics.resize(300, 400)
    graphics.show()
    qtbot.waitExposed(graphics)
    font = graphics.font()
    line = QFontMetricsF(font).height()
    bar.set_scale((-0.00012, 0.00012))
    bar.place(10, 10, 300, font)                       # tall: several labels, all inside
    texts = [text for text, _ in bar.drawn_ticks()]
    assert len(texts) >= 3 and all(abs(float(t)) <= 0.00012 for t in texts)
    bar.place(10, 10, 2.5 * line, font)                # short: the scale, in a form that fits
    (text, rect), = bar.drawn_ticks()
    assert text.startswith("±") and float(text[1:]) == pytest.approx(0.00012, rel=0.34)
    assert rect.right() <= bar.sceneBoundingRect().right() + 1
    bar.place(10, 10, 0.8 * line, font)                # shorter than a line: none
    assert bar.drawn_ticks() == []
    assert short_number(0.00012) == "1.2e-4" and short_number(0.4) == "0.4"
