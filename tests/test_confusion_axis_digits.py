"""The confusion matrix's digits beside its rows and columns never overlap.

At 1280x720 the matrix is ~94 px high: its 10 rows are 9 px each, and the axes' 12 pt
digits (1.3 times the view's font) were drawn over each other (and the column digits were
cut). The digits now shrink to the rows they label, and grow back with a larger matrix.
"""

from __future__ import annotations

import pytest

from classroom_support import make_state
from cnnviz.app.views.confusion import AXIS_SCALE, ConfusionView
from window_fit_checks import tick_label_rects

# the view in the main window at 1280x720 (as export-views lays it out) and larger
SIZES = [(417, 316), (380, 290), (900, 700)]


@pytest.mark.parametrize("size", SIZES, ids=["1280", "smaller", "large"])
def test_the_axis_digits_stay_apart(qtbot, size):
    view = ConfusionView(make_state(probe_index=0))
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.evaluate_now()               # its summary takes three lines of large type above
    qtbot.waitUntil(lambda: view.grid.box.height() > 20)
    qtbot.wait(50)                    # the layout after the summary
    for axis in (view.left_axis, view.bottom_axis):
        labels = tick_label_rects(axis)
        assert [text for text, _ in labels] == [str(c) for c in range(10)], axis.orientation
        for (a, ra), (b, rb) in zip(labels, labels[1:]):
            assert not ra.intersects(rb), (axis.orientation, a, b, ra, rb)
    pt = view.left_axis.style["tickFont"].pointSizeF()
    assert pt <= view.font().pointSizeF() * AXIS_SCALE + 0.01
    if size == SIZES[-1]:            # room enough: the full size
        assert pt == pytest.approx(view.font().pointSizeF() * AXIS_SCALE)
