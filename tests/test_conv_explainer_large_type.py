"""The convolution explainer's numbers on the presentation stage: at least 18 pt, or hidden.

Presentation mode sets the application font to 20 pt and shows one view on a stage (the
view is 1274 x 559 at 1280x720, 1360 x 607 at 1366x768, 1914 x 919 at 1920x1080: the sizes
of export-views' PNGs). The patch, kernel and product grids wrote "0.00" at 11-15 pt there,
laid out in one row with the input and output maps and the room below them left black. Now
the grids take that room (the maps stacked in one column), each writes as many decimals as
reach 18 pt and hides its numbers when not even one decimal does; in normal type nothing
changes (the same one-row layout, numbers at least as large as before).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtGui import QFont, QFontInfo

from cnnviz.app.state import AppState
from cnnviz.app.views.conv_explainer import ConvExplainerView
from cnnviz.data import load_bundled
from cnnviz.nn import build_network, load_checkpoint
from cnnviz.resources import resource_path
from window_support import view_in_window

STAGES = {"1280x720": (1274, 559), "1366x768": (1360, 607), "1920x1080": (1914, 919)}
NORMAL_DOCK = (820, 388)      # the explainer's dock in the 1920x1080 window
FLOOR_PT = 17.5               # 18 pt, less rounding of a font's pixel size
PADDED = "conv8x3p1 relu maxpool fc10"
THREE_CONVS = "conv8x3p1 relu maxpool conv16x3p1 relu maxpool conv32x3p1 relu fc10"


def make_state(arch: str | None) -> AppState:
    ds = load_bundled()
    net = load_checkpoint(resource_path("model", "lenet.npz")) if arch is None \
        else build_network(arch, seed=0)
    state = AppState(net, ds)
    state.set_probe(ds.test_images[0] / 255.0, int(ds.test_labels[0]), index=0)
    return state


def on_stage(qtbot, state, size) -> ConvExplainerView:
    """The explainer at ``size``, its scenes styled as presentation mode styles them."""
    from cnnviz.app.presentation import PresentationMode
    view = view_in_window(qtbot, ConvExplainerView, state, size, placed=True)
    styler = PresentationMode(None)
    for graphics in view.findChildren(pg.GraphicsView):
        styler._style_scene(graphics)
    return view


def explain(qtbot, view, layer: str, channel: int, row: int, col: int) -> None:
    view.explain(layer, channel, row, col)
    qtbot.waitUntil(lambda: view.explanation is not None and view.explanation.layer == layer
                    and view.main.cell_px > 0, timeout=30000)


def grid_numbers(view) -> dict[str, list]:
    """The text items of the patch, kernel and product grids."""
    return {key: [item for row in grid._items for item in row] for key, grid in
            (("patch", view.patch_grid), ("kernel", view.kernel_grid),
             ("products", view.product_grid))}


def decimals(grid) -> int:
    return max(len(t.split(".")[1]) if "." in t else 0 for t in grid.texts.ravel())


def drawn_pt(item, graphics) -> float:
    """The point size ``item``'s text is drawn at in ``graphics``."""
    t = item.deviceTransform(graphics.viewportTransform())
    scale = math.hypot(t.m21(), t.m22())
    return QFontInfo(item.font()).pixelSize() * scale * 72.0 / graphics.logicalDpiY()


def small_numbers(view) -> list[tuple[str, str, float]]:
    """Every grid number shown under 18 pt: (grid, text, point size)."""
    return [(key, item.text(), round(drawn_pt(item, view.graphics), 1))
            for key, items in grid_numbers(view).items() for item in items
            if item.isVisible() and item.text() and drawn_pt(item, view.graphics) < FLOOR_PT]


def shown(view, key: str) -> bool:
    items = grid_numbers(view)[key]
    return all(item.isVisible() for item in items)


CASES = [(None, "conv1", (1, 19, 11)), (None, "conv2", (3, 4, 4)),
         (PADDED, "conv1", (1, 0, 0)), (THREE_CONVS, "conv1", (2, 0, 0)),
         (THREE_CONVS, "conv2", (5, 7, 0)), (THREE_CONVS, "conv3", (9, 3, 3))]


@pytest.mark.parametrize("stage", list(STAGES))
@pytest.mark.parametrize("arch, layer, pixel", CASES,
                         ids=[f"{a or 'lenet'}-{l}" for a, l, _ in CASES])
def test_on_the_stage_every_grid_number_shown_is_at_least_18pt(qtbot, large_type, stage, arch,
                                                               layer, pixel):
    view = on_stage(qtbot, make_state(arch), STAGES[stage])
    explain(qtbot, view, layer, *pixel)
    small = small_numbers(view)
    assert not small, f"{len(small)} grid numbers under 18 pt, e.g. {small[:3]}"
    # what is written is what was computed (to the decimals shown)
    e = view.explanation
    ci = view.input_channel if len(e.contributions) > 1 else 0
    for grid, values in ((view.patch_grid, e.patch[ci]), (view.kernel_grid, e.kernel[ci]),
                         (view.product_grid, e.products[ci])):
        places = decimals(grid)
        shown_values = np.array([[float(t) for t in r] for r in grid.texts])
        np.testing.assert_allclose(shown_values, values, atol=0.51 * 10 ** -places + 1e-9)


@pytest.mark.parametrize("stage", ["1280x720", "1366x768"])
def test_the_grids_take_the_free_room_and_keep_their_numbers(qtbot, large_type, stage):
    """A 5x5 conv on the small stages: the grids grow into the room below them (the maps
    stack in one column) so all three still carry 18 pt numbers, with one decimal at least."""
    view = on_stage(qtbot, make_state(None), STAGES[stage])
    explain(qtbot, view, "conv1", 1, 19, 11)
    for key in ("patch", "kernel", "products"):
        assert shown(view, key), f"{stage}: the {key} grid's numbers are hidden " \
                                 f"(cells {view.main.cell_px:.0f} px)"
    assert not small_numbers(view)
    place = view.placements
    # the input above the output map, left of the grids
    assert place["input"].rect[0] == place["output"].rect[0] < place["patch"].rect[0]
    assert place["output"].rect[1] > place["input"].rect[1]
    frame = view.graphics.viewport().rect()
    assert view.main.cell_px * 5 > 0.55 * frame.height(), "the grids leave the room unused"


def test_padding_on_the_1280x720_stage(qtbot, large_type):
    """conv8x3p1 at the corner: the zero border is drawn around the input and its patch
    cells are marked and written as zeros, the 3x3 grids' numbers large with 2+ decimals."""
    view = on_stage(qtbot, make_state(PADDED), STAGES["1280x720"])
    explain(qtbot, view, "conv1", 1, 0, 0)
    e = view.explanation
    assert e.border.any() and (e.top, e.left) == (-1, -1)
    image = view.input_image.image
    assert image.shape == (30, 30) and not image[0].any() and not image[:, 0].any()
    assert all(float(t) == 0 for t in view.patch_grid.texts[e.border])
    assert not view.main.border_cells.path().isEmpty()
    for key in ("patch", "kernel", "products"):
        assert shown(view, key)
    assert decimals(view.kernel_grid) == 2 and decimals(view.product_grid) >= 2
    assert not small_numbers(view)


def test_normal_type_keeps_the_one_row_layout(qtbot):
    """In the 1920x1080 window's dock, normal type: input | patch × kernel = products |
    output in one row as before, numbers no smaller than ``MIN_TEXT_PX``, two decimals."""
    from cnnviz.app.views.conv_explainer import MIN_TEXT_PX
    view = view_in_window(qtbot, ConvExplainerView, make_state(None), NORMAL_DOCK,
                          placed=True)
    explain(qtbot, view, "conv1", 1, 19, 11)
    place = view.placements
    xs = [place[k].rect[0] for k in ("input", "patch", "kernel", "products", "output")]
    assert xs == sorted(xs) and len({place[k].rect[1] for k in place}) <= 2
    for key in ("patch", "kernel", "products"):
        assert shown(view, key)
    px = [drawn_pt(i, view.graphics) * view.graphics.logicalDpiY() / 72.0
          for items in grid_numbers(view).values() for i in items]
    assert min(px) >= MIN_TEXT_PX - 0.5
    assert view.decimals() >= 2


def test_leaving_presentation_brings_back_the_normal_layout(qtbot, qapp):
    """The application font back to normal (presentation mode off): one row again."""
    old = QFont(qapp.font())
    big = QFont(old)
    big.setPointSizeF(20)
    qapp.setFont(big)
    try:
        view = on_stage(qtbot, make_state(None), STAGES["1280x720"])
        explain(qtbot, view, "conv1", 1, 19, 11)
        assert "maps" not in view.placements and \
            view.placements["input"].rect[0] == view.placements["output"].rect[0]
        assert view._titles["input"].opts["color"] is not None      # white on the stage
    finally:
        qapp.setFont(old)
    qtbot.waitUntil(lambda: view.placements["output"].rect[0]
                    > view.placements["products"].rect[0], timeout=5000)
    assert view.decimals() == 3 and shown(view, "products")
    # the view's own titles back to their normal size and colour
    assert all(label.opts["color"] is None and float(label.opts["size"][:-2]) < 18
               for label in view._titles.values())


MANY_CHANNELS = [(None, "conv2", (3, 4, 4)), (THREE_CONVS, "conv2", (1, 0, 0)),
                 (THREE_CONVS, "conv3", (1, 0, 0))]


@pytest.mark.parametrize("stage", ["1280x720", "1366x768"])
@pytest.mark.parametrize("arch, layer, pixel", MANY_CHANNELS,
                         ids=[f"{a or 'lenet'}-{l}" for a, l, _ in MANY_CHANNELS])
def test_on_the_stage_the_contribution_ticks_do_not_overlap(qtbot, large_type, stage, arch,
                                                            layer, pixel):
    """The per-channel bars get about 60 px of height on the small stages: their 20 pt value
    ticks ("0.1 0 -0.1 -0.2 -0.3") were drawn over each other; now as many as fit."""
    from window_fit_checks import axis_label_problems
    view = on_stage(qtbot, make_state(arch), STAGES[stage])
    explain(qtbot, view, layer, *pixel)
    assert view.channels_graphics.isVisible()
    # pyqtgraph's axes measure their labels when painted, and only then widen for them
    left = view.bars_plot.getAxis("left")
    view.channels_graphics.grab()
    qtbot.waitUntil(lambda: left.width() >= left.textWidth, timeout=5000)
    assert not axis_label_problems(layer, view.channels_graphics)
    left = view.bars_plot.getAxis("left")
    assert 0.0 in [v for v, _text in (left._tickLevels or [[(0.0, "0")]])[0]]
    # the kernel's numbers: one decimal, the cells filled a little more, rather than none
    if arch == THREE_CONVS:
        assert shown(view, "kernel") and not small_numbers(view)
