"""The Fool view's titles say what each picture is, whole, at classroom sizes.

At 1280x720 (a ~480 px dock) the titles fell back to "7 (100%)", "≤ 0.21", "3 (55%)" and
"P(class)": fitted, but no longer saying which picture is the digit, the change or the
changed digit. Now a title that does not fit one line takes two (what it is over what it
shows), drawn at full size, never elided, inside its panel, the pictures level.
"""

from __future__ import annotations

import gc

import pyqtgraph as pg
import pytest
from PyQt6.QtGui import QFont

from classroom_support import make_state
from cnnviz.app.views.fool import FoolView
from window_support import show_at

# the view in the window: docked at 1280x720 / 1366x768 / 1920x1080, on the presentation stage
SIZES = {"1280x720": ((481, 250), False), "1366x768": ((520, 270), False),
         "1920x1080": ((820, 420), False), "1280x720-presentation": ((1274, 559), True),
         "1920x1080-presentation": ((1914, 919), True)}
WHAT = {"original": "digit", "change": "change", "changed": "changed"}


@pytest.fixture
def app_font(qapp):
    old = QFont(qapp.font())
    yield qapp
    qapp.setFont(old)
    gc.collect()


def scene_rect(item):
    return item.mapRectToScene(item.boundingRect())


@pytest.mark.parametrize("where", list(SIZES))
def test_every_title_says_what_it_shows_whole_and_inside_its_panel(qtbot, app_font, where):
    size, presentation = SIZES[where]
    if presentation:                     # presentation mode's type and scene styling
        big = QFont(app_font.font())
        big.setPointSizeF(20)
        app_font.setFont(big)
    view = FoolView(make_state(probe_index=0))
    if presentation:
        from cnnviz.app.presentation import PresentationMode
        styler = PresentationMode(None)
        for graphics in view.findChildren(pg.GraphicsView):
            styler._style_scene(graphics)
    with qtbot.waitSignal(view.job.finished, timeout=60_000):
        show_at(qtbot, view, size)
    # the result's titles are laid out by pyqtgraph's nested layouts, each level in a later
    # event-loop turn: a fixed wait ended (on a loaded machine) after one turn, with one
    # picture still lower than the others. Wait for the layout itself, however many turns.
    qtbot.waitUntil(lambda: assert_titles_whole_and_level(view), timeout=60_000)


def assert_titles_whole_and_level(view) -> None:
    r = view.result
    readings = {"original": f"{r.original_class} (", "change": f"{r.size:.2f}",
                "changed": f"{r.predicted} ("}
    tops = []
    for key, panel in view.panels.items():
        label = panel.title
        text = label.text
        assert "…" not in text, (key, text)
        assert WHAT[key] in text and readings[key] in text, (key, text)
        assert label.item.scale() == pytest.approx(1.0), (key, text, label.item.scale())
        drawn, cell = scene_rect(label.item), panel.layout.sceneBoundingRect()
        assert cell.left() - 1 <= drawn.left() and drawn.right() <= cell.right() + 1, \
            (key, text, drawn, cell)
        assert drawn.bottom() <= panel.box.sceneBoundingRect().top() + 2, (key, "on the image")
        tops.append(panel.box.sceneBoundingRect().top())
    assert max(tops) - min(tops) <= 1, f"the pictures are not level: {tops}"
    label, plot = view.prob_plot.titleLabel, view.prob_plot
    assert "probability" in label.text and "…" not in label.text
    assert label.item.scale() == pytest.approx(1.0)
    drawn = scene_rect(label.item)
    assert drawn.right() <= plot.sceneBoundingRect().right() + 1
    assert drawn.bottom() <= plot.vb.sceneBoundingRect().top() + 2, "title over the plot"
