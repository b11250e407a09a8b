"""One class key (``app.class_key.ClassKey``) under the embedding's cloud and the timeline's
curves: "class:" and a coloured symbol and digit per class, wrapped into equal rows when the
width is short, the true class bold. The two views built near twins of it by hand.
"""

from __future__ import annotations

import re

import pytest

from classroom_support import make_state
from cnnviz.app.class_colours import class_colour
from cnnviz.app.class_key import ClassKey
from cnnviz.app.views.embedding import EmbeddingView

COLOUR = re.compile(r"rgb\((\d+),(\d+),(\d+)\)")


def colours(key: ClassKey) -> list[tuple[int, int, int]]:
    return [tuple(int(v) for v in COLOUR.search(label.text()).groups()) for label in key.labels]


def rows(key: ClassKey) -> list[int]:
    """How many labels each grid row holds, top to bottom."""
    counts: dict[int, int] = {}
    for label in key.labels:
        row = key.grid.getItemPosition(key.grid.indexOf(label))[0]
        counts[row] = counts.get(row, 0) + 1
    return [counts[r] for r in sorted(counts)]


@pytest.fixture
def key(qtbot):
    key = ClassKey("●", tooltip="digits whose true class is {k}")
    qtbot.addWidget(key)
    key.set_classes(10)
    return key


def test_a_label_per_class_in_its_colour_with_its_digit(key):
    assert [label.text()[-1] for label in key.labels] == [str(k) for k in range(10)]
    assert colours(key) == [class_colour(k) for k in range(10)]
    assert all("●" in label.text() for label in key.labels)
    assert key.labels[3].toolTip() == "digits whose true class is 3"
    key.set_classes(12)                                      # another network's classes
    assert [label.text()[-2:].lstrip(">") for label in key.labels][-2:] == ["10", "11"]
    assert colours(key) == [class_colour(k) for k in range(12)]


def test_the_labels_wrap_into_equal_rows_and_the_true_class_is_bold(qtbot, key):
    key.show()
    qtbot.waitExposed(key)
    key.resize(2000, 40)
    qtbot.waitUntil(lambda: rows(key) == [10])
    narrow = key.heading.sizeHint().width() + 7 * (key.labels[0].sizeHint().width() + 10)
    key.resize(narrow, 80)
    qtbot.waitUntil(lambda: rows(key) == [5, 5])             # 5 + 5, not 7 + 3
    key.max_columns = 2
    key.reflow()
    assert rows(key) == [2] * 5
    key.set_bold(7)
    assert [label.font().bold() for label in key.labels] == [k == 7 for k in range(10)]
    key.set_bold(None)
    assert not any(label.font().bold() for label in key.labels)


def test_the_embedding_draws_its_key_with_the_shared_widget(qtbot):
    view = EmbeddingView(make_state())
    qtbot.addWidget(view)
    assert isinstance(view.class_key, ClassKey)
    assert colours(view.class_key) == [class_colour(k) for k in range(10)]
    assert view.class_key.labels[0].toolTip() == "digits whose true class is 0"


def test_the_timeline_draws_its_key_with_the_shared_widget_in_its_lines_colours(qtbot):
    import numpy as np

    from cnnviz.app.views.timeline.curve import ProbabilityCurve
    curve = ProbabilityCurve()
    qtbot.addWidget(curve)
    assert isinstance(curve.class_key, ClassKey)
    assert curve.legend_labels is curve.class_key.labels
    pens = [tuple(line.opts["pen"].color().getRgb()[:3]) for line in curve.lines]
    assert colours(curve.class_key) == pens
    curve.draw(np.arange(3), np.full((3, 10), 0.1), label=3, who="the probe")
    assert [label.font().bold() for label in curve.class_key.labels] == \
        [k == 3 for k in range(10)]
