"""The Activations view's class-probability bars keep the room their labels need.

At 1280x720 and 1366x768 the bars were squashed into a strip (their 0 / 0.5 / 1 labels on
top of each other) once a probe titled "predicted 7 (100%), true 7" was shown: the view
placed the plot for the title it happened to show when last laid out, and the axes grew
with the labels they had drawn, so the layout depended on the history of titles and sizes.
Now the layout is a function of the size, the fonts, the map shapes and the title's form;
the bars keep ``prob_bars.TICK_LINES`` lines of their tick font; the many-channel layers
still page into readable tiles beside them; and new titles (a training run) cost no layout.
"""

from __future__ import annotations

import gc

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtGui import QFont, QFontMetricsF, QImage, QPainter

from cnnviz.app import fit_layout, prob_bars
from cnnviz.app.label_fit import label_font
from cnnviz.app.state import AppState
from cnnviz.app.views import activations as activations_module
from cnnviz.app.views.activations import OVERVIEW_TILE_PX, PROBS, ActivationsView
from cnnviz.nn import build_network

pg.setConfigOptions(imageAxisOrder="row-major")

WIDE = "conv64x3p1 relu maxpool conv128x3p1 relu maxpool fc10"
# the activations dock's size in the main window at 1280x720, 1366x768 and 1920x1080 (as
# ``cnnviz export-views`` lays it out), and the stage's in presentation mode at 1280x720
VIEWS = {"1280": (481, 339), "1366": (567, 363), "1920": (820, 561)}
STAGE_1280 = (1274, 521)
# the dock in a real 1280x720 window under a window manager (openbox): smaller still, no
# layout keeps every map at the overview's floor there
WINDOWED_1280 = (426, 280)


@pytest.fixture(autouse=True)
def collect_closed_views():
    gc.collect()
    yield


def digit(seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = np.zeros((28, 28), np.float32)
    image[4:24, 6:22] = rng.random((20, 16))
    return image


def make_view(qtbot, arch: str, size, label: int | None = 7):
    net = build_network(arch, seed=0) if " " not in arch else build_network(arch=arch, seed=0)
    state = AppState(net)
    state.set_probe(digit(), label=label)
    view = ActivationsView(state)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: bool(view.placements), timeout=5000)
    return view


def tick_labels(axis: pg.AxisItem) -> list[tuple[str, object]]:
    """``(text, rect)`` of every tick label the axis draws at its size (its own paint's
    computation; rect in the axis's coordinates)."""
    image = QImage(4, 4, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    if axis.style["tickFont"]:
        painter.setFont(axis.style["tickFont"])
    specs = axis.generateDrawSpecs(painter)
    painter.end()
    return [(text, rect) for rect, _flags, text in specs[2]]


def bar_problems(view) -> list[str]:
    """What keeps the bars from being read: a label of 0 / 0.5 / 1 or of a class missing or
    touching another, the bars' box under TICK_LINES lines of the tick font, the plot or
    its title outside the view."""
    plot = view.prob_plot
    problems = []
    left_axis, bottom_axis = plot.getAxis("left"), plot.getAxis("bottom")
    line = QFontMetricsF(left_axis.style["tickFont"] or view.font()).height()
    box = plot.vb.sceneBoundingRect()
    if box.height() < prob_bars.TICK_LINES * line - 1:
        problems.append(f"bars {box.height():.0f} px high: {box.height() / line:.1f} lines "
                        f"of {line:.0f} px")
    left = sorted(tick_labels(left_axis), key=lambda t: t[1].top())
    if [text for text, _ in left] != ["1", "0.5", "0"]:
        problems.append(f"left labels drawn: {[text for text, _ in left]}")
    problems += [f"{a} touches {b}" for (a, upper), (b, lower) in zip(left, left[1:])
                 if upper.bottom() > lower.top()]
    bottom = sorted(tick_labels(bottom_axis), key=lambda t: t[1].left())
    classes = len(view.state.probabilities)
    if [text for text, _ in bottom] != [str(c) for c in range(classes)]:
        problems.append(f"class numbers drawn: {[text for text, _ in bottom]}")
    problems += [f"{a} touches {b}" for (a, r1), (b, r2) in zip(bottom, bottom[1:])
                 if r1.right() > r2.left()]
    canvas = view.canvas.rect().adjusted(-1, -1, 1, 1)
    if not canvas.contains(plot.geometry()):
        problems.append(f"plot at {plot.geometry()} outside {canvas}")
    title = plot.titleLabel.item.sceneBoundingRect()
    if not canvas.contains(title):
        problems.append(f"title at {title} outside {canvas}")
    return problems


def assert_bars_readable(view) -> None:
    problems = bar_problems(view)
    assert not problems, problems


@pytest.mark.parametrize("arch", ["lenet", WIDE], ids=["lenet", "wide"])
@pytest.mark.parametrize("size", list(VIEWS.values()), ids=list(VIEWS))
def test_the_bars_keep_their_labels_apart_beside_readable_maps(qtbot, arch, size):
    view = make_view(qtbot, arch, size)
    assert "true 7" in view.prob_plot.titleLabel.text
    assert_bars_readable(view)
    # the layers of many maps still page into tiles of the overview's floor
    assert_maps_readable(view)


def assert_maps_readable(view) -> None:
    """Every page of every conv and pool layer: tiles at least the overview's floor."""
    for group in view.groups.values():
        if group.info.kind in ("conv", "pool"):
            for page in range(group.card.pages):
                group.card.set_page(page)
                assert group.card.tile_px() >= OVERVIEW_TILE_PX, (group.key, group.card.tile_px())


def test_the_bars_keep_their_labels_apart_in_presentation_type(qtbot, qapp):
    """Presentation mode's 20 pt font, and its restyled scene (22 pt title, 20 pt ticks)
    applied after the view was placed, as presentation mode does it, on the 1280x720 stage."""
    from cnnviz.app.presentation import PresentationMode
    old = QFont(qapp.font())
    try:
        view = make_view(qtbot, "lenet", STAGE_1280)
        big = QFont(old)
        big.setPointSizeF(20)
        qapp.setFont(big)
        qapp.sendPostedEvents()              # the view's FontChange (and layout) first
        PresentationMode(None)._style_scene(view.graphics)
        assert label_font(view.prob_plot.titleLabel).pointSizeF() >= 18
        qtbot.waitUntil(lambda: not bar_problems(view), timeout=5000)
        assert view.prob_plot.titleLabel.item.sceneBoundingRect().height() >= \
            QFontMetricsF(label_font(view.prob_plot.titleLabel)).height()
    finally:
        qapp.setFont(old)


@pytest.mark.parametrize("arch", ["lenet", WIDE], ids=["lenet", "wide"])
def test_the_bars_come_first_where_not_every_map_reaches_its_floor(qtbot, arch):
    """Under openbox the 1280x720 window's dock is 426x280: no placement of every map on
    one page keeps it at OVERVIEW_TILE_PX beside the bars. The bars' room is kept all the
    same (it was dropped with the maps' and the bars came out 18 px high), and the maps
    page until they are readable (LeNet's pool2 stopped at 4 pages of 8.7 px dots)."""
    view = make_view(qtbot, arch, WINDOWED_1280)
    assert_bars_readable(view)
    assert_maps_readable(view)


def test_the_layout_does_not_depend_on_what_was_shown_before(qtbot):
    """One view taken through other sizes and titles (a drawn digit without a label, other
    predictions) is laid out exactly like a view opened on the last of them."""
    seen = make_view(qtbot, "lenet", VIEWS["1920"], label=None)
    seen.resize(*VIEWS["1366"])
    qtbot.waitUntil(lambda: seen.canvas.width() < VIEWS["1920"][0] - 100)
    for seed, label in ((5, 3), (8, None), (3, 7)):
        seen.state.set_probe(digit(seed), label=label)
        seen.refresh()
    seen.state.set_probe(digit(3)[::-1].copy(), label=None)    # a drawing: no true label
    seen.refresh()
    seen.resize(*VIEWS["1280"])
    qtbot.waitUntil(lambda: seen.canvas.width() < VIEWS["1366"][0] - 50)
    seen.state.set_probe(digit(3), label=7)                    # a test digit again
    seen.refresh()

    fresh = make_view(qtbot, "lenet", VIEWS["1280"], label=7)
    assert seen.prob_plot.titleLabel.text == fresh.prob_plot.titleLabel.text
    assert seen.placements == fresh.placements
    assert seen.prob_plot.geometry() == fresh.prob_plot.geometry()
    assert [g.card.page_size for g in seen.groups.values()] == \
        [g.card.page_size for g in fresh.groups.values()]
    assert_bars_readable(seen)


def test_new_titles_cost_no_layout_and_a_new_title_form_one(qtbot, monkeypatch):
    """A training run retitles the bars at every snapshot ("predicted 3 (41%), true 7"):
    no layout search for that. A probe without a true label (a drawing) needs other room:
    one layout (a few ``arrange`` passes of ``readable_layout``, each with room for the
    titles), then none again."""
    view = make_view(qtbot, "lenet", VIEWS["1280"], label=7)
    calls = []
    real = fit_layout.arrange

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(fit_layout, "arrange", counting)
    titles = set()
    rng = np.random.default_rng(0)
    for _ in range(12):                      # new weights and digits: new predictions
        view.state.net.load_params({k: v + rng.normal(0, 0.05, v.shape).astype(v.dtype)
                                    for k, v in view.state.net.copy_params().items()})
        view.state.set_probe(digit(int(rng.integers(100))), label=7)
        view.refresh()
        qtbot.wait(1)                        # the plot's deferred restyle check, if any
        titles.add(view.prob_plot.titleLabel.text)
    assert len(titles) >= 4, titles
    assert calls == [], f"{len(calls)} arrange passes for {len(titles)} titles"

    placed = view.placements[PROBS]
    view.state.set_probe(digit(4), label=None)
    view.refresh()
    qtbot.wait(1)
    assert 1 <= len(calls) <= activations_module.LAYOUT_ROUNDS * activations_module.TITLE_ROUNDS
    assert view.placements[PROBS] != placed          # the shorter title's room
    calls.clear()
    for seed in range(6):
        view.state.set_probe(digit(10 + seed), label=None)
        view.refresh()
        qtbot.wait(1)
    assert calls == []
    assert_bars_readable(view)


def test_arrange_keeps_the_must_keys_least_when_not_every_key_gets_its_own():
    """``fit_layout.arrange(must=...)``: in 120x100 px the maps can never be 200 px high,
    so no placement gives every key its least. Without ``must`` both leasts are dropped and
    the best balance leaves the plot 75 px high; with it the plot keeps its 80 px (the maps
    become a strip above it)."""
    from cnnviz.app.fit_layout import Option, arrange
    options = {"maps": [Option(0.2, 0.2, 1.0), Option(10.0, 10.0, 1.0)],
               PROBS: [Option(None, 1.4, 1.0)]}
    templates = [[["maps", PROBS]], [["maps"], [PROBS]]]
    least = {"maps": 200.0, PROBS: 80.0}
    loose = arrange(120, 100, templates, options, title_px=0, spacing=0, least=least)
    assert loose[PROBS].content_h < 80
    kept = arrange(120, 100, templates, options, title_px=0, spacing=0, least=least,
                   must={PROBS})
    assert kept[PROBS].content_h >= 80
    assert kept["maps"].rect[1] + kept["maps"].rect[3] <= kept[PROBS].rect[1] + 1e-6
