"""Training renders are coalesced and spread: one view redraw per event-loop turn, the newest
snapshot wins, and the render interval grows when the UI thread is busy."""


import numpy as np
import pyqtgraph as pg
import pytest

from cnnviz.app.main_window import MainWindow
from cnnviz.app.state import AppState, RefreshQueue, refresh_queue
from cnnviz.data import Dataset, load_bundled
from cnnviz.nn import build_network

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)


def test_outside_a_spread_a_request_runs_at_once(qtbot):
    queue = RefreshQueue()
    ran = []
    queue.request("a", lambda: ran.append("a"))
    assert ran == ["a"] and queue.pending == 0


def test_inside_a_spread_requests_wait_and_run_one_at_a_time(qtbot):
    queue = RefreshQueue()
    seen = []                                # (name, how many still queued when it ran)
    with queue.spread():
        for name in ("a", "b", "c"):
            queue.request(name, lambda n=name: seen.append((n, queue.pending)))
        queue.request("a", lambda: seen.append(("a2", queue.pending)))   # newest wins
    assert seen == [] and queue.pending == 3
    qtbot.waitUntil(lambda: queue.pending == 0, timeout=30000)
    # one per run: each saw the ones after it still waiting; "a" ran once, as requested last
    assert seen == [("b", 2), ("c", 1), ("a2", 0)]
    assert queue.runs == 3


@pytest.fixture
def window(qtbot):
    ds = load_bundled()
    small = Dataset("small", ds.train_images[:640], ds.train_labels[:640],
                    ds.test_images[:50], ds.test_labels[:50])
    win = MainWindow(AppState(build_network(seed=0), small), restore_layout=False)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.controls.batch_spin.setValue(16)
    win.controls.epochs_spin.setValue(100)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.stop_training()


def test_a_training_render_queues_the_views_instead_of_drawing_them_all_at_once(window, qtbot):
    activations = window.views["activations"]
    drawn = []
    original = activations.refresh
    activations.refresh = lambda: (drawn.append(1), original())[1]
    queued_after_render = []

    def after_render(_snapshot):             # connected after the window's own slot
        queued_after_render.append((refresh_queue().pending, len(drawn)))
    window.controller.renderSnapshot.connect(after_render)
    window.start_training()
    qtbot.waitUntil(lambda: len(queued_after_render) >= 2 and len(drawn) >= 2, timeout=15000)
    window.stop_training()
    pending, drawn_by_then = queued_after_render[0]
    assert pending >= 1                      # the views waited in the queue...
    assert drawn_by_then == 0                # ...and none drew inside the render itself
    # the last render's views drawn (a render can come between the second redraw of the
    # activations and the check that saw it, leaving the newest trace queued for its turn)
    qtbot.waitUntil(lambda: not refresh_queue().pending, timeout=30000)
    conv1 = window.state.trace[window.state.trace.names[2]].output[0]
    panel = activations.groups["conv1"].panel
    assert np.allclose(panel.untile(panel.image.image), conv1)   # and they did catch up


def test_the_render_interval_grows_while_the_ui_thread_is_busy(window, qtbot):
    """The controller's clocks are driven here: each tick lasts the timer's interval and each
    render costs 60 ms of UI CPU, so the test sees the same load on an idle machine and on
    one so loaded that a real 60 ms of CPU took half a second (which hid the load)."""
    controller = window.controller
    for name, dock in window.docks.items():     # only a cheap view left on screen
        if name != "controls":
            dock.close()
    clock = {"wall": 0.0, "cpu": 0.0}
    controller.wall_clock = lambda: clock["wall"]
    controller.cpu_clock = lambda: clock["cpu"]

    def tick(_snapshot):                     # a render tick's wall time
        clock["wall"] += controller._timer.interval() / 1000

    def busy(_snapshot, cpu_seconds=0.06):   # a slow view: 60 ms of UI CPU per render
        clock["cpu"] += cpu_seconds
    controller.renderSnapshot.connect(tick)
    controller.renderSnapshot.connect(busy)
    window.start_training()
    qtbot.waitUntil(lambda: controller._timer.interval() >= 3 * controller.base_interval_ms,
                    timeout=15000)
    assert controller.ui_load > controller.ui_share
    controller.renderSnapshot.disconnect(busy)
    qtbot.waitUntil(lambda: controller._timer.interval() < 2 * controller.base_interval_ms,
                    timeout=15000)
