"""The loss plot after one Step: a dot at the batch's loss on an axis that starts at 0.

One batch's loss auto-ranged the loss axis to -0.46 .. 0.54 around it (a loss is never
negative), and a curve of one point, a line of no length, drew nothing at all.
"""

import numpy as np

from cnnviz.app.views.loss_curves import LossCurvesView


def test_one_batch_is_a_dot_above_zero(qtbot):
    view = LossCurvesView(None)
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    view.history.add_batches(np.array([1 / 282]), np.array([0.0416]))
    view.refresh()
    box = view.loss_plot.getViewBox()
    box.updateAutoRange()
    low, high = box.viewRange()[1]
    assert 0 <= low <= 0.0416 <= high
    assert view.batch_curve.opts["symbol"] is not None      # drawn: a dot
    view.history.add_batches(np.array([2 / 282]), np.array([0.05]))
    view.refresh()
    assert view.batch_curve.opts["symbol"] is None          # two points: the line

    view.log_check.setChecked(True)           # log scale: log10 values, below 0 allowed
    box.updateAutoRange()
    assert box.viewRange()[1][0] < 0
