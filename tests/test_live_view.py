"""LiveView: redraw only when exposed, one view per turn while training, at most every
``min_interval_ms`` then, and catch up once when shown again."""

from types import SimpleNamespace

import numpy as np
import pytest

from cnnviz.app import live_view
from cnnviz.app.live_view import LiveView
from cnnviz.app.state import AppState, refresh_queue
from cnnviz.nn import build_network


class Counting(LiveView):
    """Counts its redraws and remembers the probe's top class each one saw."""

    def __init__(self, state, parent=None):
        super().__init__(state, parent)
        self.drawn: list[int] = []
        state.traceChanged.connect(self.schedule_refresh)

    def refresh(self):
        self.drawn.append(int(self.state.probabilities.argmax()))


@pytest.fixture
def state():
    return AppState(build_network(seed=0))


def _probe(state, seed):
    state.set_probe(np.random.default_rng(seed).random((28, 28), dtype=np.float32))


@pytest.fixture
def view(qtbot, state):
    v = Counting(state)
    qtbot.addWidget(v)
    v.resize(200, 200)
    return v


def test_a_hidden_view_only_remembers_and_catches_up_once_when_shown(qtbot, state, view):
    for seed in range(3):
        _probe(state, seed)
    assert view.drawn == [] and view.dirty
    view.show()
    qtbot.waitExposed(view)
    assert len(view.drawn) == 1 and not view.dirty
    assert view.drawn[-1] == int(state.probabilities.argmax())     # the newest state


def test_a_shown_view_follows_at_once_outside_training(qtbot, state, view):
    view.show()
    qtbot.waitExposed(view)
    before = len(view.drawn)
    _probe(state, 1)
    assert len(view.drawn) == before + 1


def test_while_training_the_redraw_waits_for_its_turn_and_the_newest_wins(qtbot, state, view):
    view.show()
    qtbot.waitExposed(view)
    before = len(view.drawn)
    with refresh_queue().spread():
        _probe(state, 1)
        _probe(state, 2)
        assert len(view.drawn) == before                  # queued, not drawn in this turn
    qtbot.waitUntil(lambda: len(view.drawn) == before + 1, timeout=30000)
    refresh_queue().flush()
    assert len(view.drawn) == before + 1                   # two requests, one redraw


def test_a_queued_redraw_done_by_a_show_is_not_done_twice(qtbot, state, view):
    view.show()
    qtbot.waitExposed(view)
    before = len(view.drawn)
    with refresh_queue().spread():
        _probe(state, 3)
    view._refresh_if_dirty()                       # what a showEvent does
    refresh_queue().flush()
    assert len(view.drawn) == before + 1


def test_while_training_a_minimum_interval_delays_but_never_drops_the_newest(qtbot, state,
                                                                           monkeypatch):
    """The view's clock is driven: 100 ms pass between the two redraws however long the
    loaded test process really took (on the real clock a 300 ms stall there drew the second
    at once, as it should, and the test failed)."""
    class Slow(Counting):
        min_interval_ms = 300

    clock = [1000.0]
    monkeypatch.setattr(live_view, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    view = Slow(state)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.schedule_refresh()                    # outside training: drawn at once
    drawn = len(view.drawn)
    clock[0] += 0.1
    with refresh_queue().spread():
        _probe(state, 4)                       # too soon after the last redraw: it waits
    refresh_queue().flush()
    assert len(view.drawn) == drawn and view.dirty
    qtbot.waitUntil(lambda: len(view.drawn) == drawn + 1, timeout=30000)
    assert view.drawn[-1] == int(state.probabilities.argmax())


def test_a_direct_refresh_counts_as_drawn_and_drops_the_queued_redraw(qtbot, state, view):
    view.show()
    qtbot.waitExposed(view)
    before = len(view.drawn)
    with refresh_queue().spread():
        _probe(state, 5)                       # queued for its own turn...
    assert view.dirty
    view.refresh()                             # ...but a user's action drew it first
    assert not view.dirty
    refresh_queue().flush()
    assert len(view.drawn) == before + 1


def test_a_users_change_is_not_held_back_by_the_training_interval(qtbot, state):
    class Slow(Counting):
        min_interval_ms = 60_000               # a training snapshot would wait a minute

    view = Slow(state)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    drawn = len(view.drawn)
    with refresh_queue().spread():
        view.schedule_refresh()                # a snapshot: waits for the interval
    refresh_queue().flush()
    assert len(view.drawn) == drawn
    with refresh_queue().spread():
        view.refresh_soon()                    # a probe drawn meanwhile: no interval
    qtbot.waitUntil(lambda: len(view.drawn) == drawn + 1, timeout=30000)
    assert not view.dirty


def test_refresh_if_exposed_draws_at_once_or_when_shown(qtbot, state, view):
    view.refresh_if_exposed()                  # hidden: only remembered
    assert view.drawn == [] and view.dirty
    view.show()
    qtbot.waitExposed(view)
    assert len(view.drawn) == 1
    with refresh_queue().spread():             # exposed: at once, even while training
        view.refresh_if_exposed()
    assert len(view.drawn) == 2 and not view.dirty


def test_a_marked_change_is_drawn_by_the_next_show(qtbot, state, view):
    view.show()
    qtbot.waitExposed(view)
    view.hide()
    drawn = len(view.drawn)
    view.mark_dirty()
    assert len(view.drawn) == drawn and view.dirty
    view.show()
    qtbot.waitUntil(lambda: len(view.drawn) == drawn + 1, timeout=30000)
    assert view.exposed and not view.dirty
