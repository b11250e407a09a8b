"""In the real window, the activations, pooling and filters views follow a change of
architecture to every network of VIEW_ARCHS without being covered by the view guard."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.nn import build_network
from view_arch_cases import VIEW_ARCHS
from window_support import open_window, small_dataset

MY_VIEWS = ("activations", "pooling", "filters")


@pytest.fixture(scope="module")
def dataset():
    return small_dataset(200, 50)


# Other views may still fail on some of these networks: the guard covers them (that is its
# job, and their own tests'); here the failures of other views must not fail this test.
@pytest.mark.qt_no_exception_capture
def test_the_views_follow_every_architecture_in_the_window(qtbot, dataset):
    window = open_window(qtbot, dataset, restore_layout=False, size=(1600, 900))
    state = window.state
    for name, arch in VIEW_ARCHS.items():
        state.set_model(build_network(arch=arch, seed=0), name)
        for view_name in MY_VIEWS:
            window.raise_dock(view_name)
            view = window.views[view_name]
            qtbot.waitUntil(lambda: not view._dirty, timeout=30000)
            assert not window.view_guard.covered(view_name), \
                (name, view_name, window.view_guard.errors.get(view_name))
        acts = window.views["activations"]
        groups = [l.name for l in state.net.describe()
                  if l.kind in ("conv", "maxpool", "avgpool")]
        assert [k for k, g in acts.groups.items() if g.info.spatial and k != "input"] == groups
        conv = next((k for k, g in acts.groups.items() if g.info.kind == "conv"), None)
        if conv is not None:
            card = acts.groups[conv].card
            np.testing.assert_array_equal(
                card.shown_maps(),
                state.trace[acts.groups[conv].trace_name].output[0][card.page_start:card.page_stop])
        pools = [l.name for l in state.net.describe() if l.kind in ("maxpool", "avgpool")]
        assert list(window.views["pooling"].panels) == pools
        convs = [l.name for l in state.net.describe() if l.kind == "conv"]
        filters = window.views["filters"]
        assert [filters.layer_combo.itemData(i)
                for i in range(filters.layer_combo.count())] == convs[1:]
        assert filters.note.isVisibleTo(filters) == (not convs)
    window.stop_training()
