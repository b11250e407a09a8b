"""Views do no work while not on screen, and catch up when they come back.

Qt keeps a dock tabbed behind another ``isVisible()`` (it only moves it off the window), so
these tests use the real main window's default layout, where most views are such tabs.
"""

import numpy as np
import pyqtgraph as pg
import pytest

from cnnviz.app.main_window import MainWindow
from cnnviz.app.state import AppState, is_exposed
from cnnviz.data import Dataset, load_bundled
from cnnviz.nn import build_network

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)

# view name -> the method that does its (costly) redraw
REDRAW = {"activations": "refresh", "pooling": "refresh", "filters": "refresh",
          "inspector": "refresh", "probe_browser": "refresh", "conv_explainer": "refresh",
          "saliency": "refresh", "timeline": "refresh", "preprocess_pipeline": "refresh",
          "loss_curves": "refresh", "step_explainer": "refresh"}


@pytest.fixture
def window(qtbot):
    ds = load_bundled()
    small = Dataset("small", ds.train_images[:200], ds.train_labels[:200],
                    ds.test_images[:50], ds.test_labels[:50])
    win = MainWindow(AppState(build_network(seed=0), small), restore_layout=False)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    qtbot.wait(100)
    yield win
    win.stop_training()


def count_redraws(window) -> dict[str, list]:
    """Replace each view's redraw method by a counting wrapper; name -> list of calls."""
    calls = {}
    for name, method in REDRAW.items():
        view = window.views.get(name)
        if view is None or not hasattr(view, method):
            continue
        calls[name] = []
        original = getattr(view, method)

        def counting(*args, _original=original, _calls=calls[name], **kwargs):
            _calls.append(1)
            return _original(*args, **kwargs)
        setattr(view, method, counting)
    return calls


def new_weights(window, seed: int) -> None:
    window.state.set_params(build_network(config=window.state.net.config, seed=seed).copy_params())


def test_a_dock_tabbed_behind_another_is_visible_to_qt_but_not_exposed(window):
    front, behind = window.docks["activations"], window.docks["pooling"]
    assert behind in window.tabifiedDockWidgets(front)
    assert window.views["pooling"].isVisible()          # Qt's view of it...
    assert not is_exposed(window.views["pooling"])      # ...but it is off the window
    assert is_exposed(window.views["activations"])


def test_hidden_views_do_no_work_while_the_weights_change(window, qtbot):
    hidden = [n for n in REDRAW if n in window.views and not is_exposed(window.views[n])]
    shown = [n for n in REDRAW if n in window.views and is_exposed(window.views[n])]
    assert {"pooling", "inspector", "saliency", "conv_explainer"} <= set(hidden)
    assert "activations" in shown
    calls = count_redraws(window)
    for seed in (1, 2, 3):
        new_weights(window, seed)
    window.state.set_probe(np.eye(28, dtype=np.float32))
    # the exposed view follows (waited for: under load its coalescing timer fires late)...
    qtbot.waitUntil(lambda: bool(calls["activations"]), timeout=30000)
    qtbot.wait(100)                      # ...and the hidden ones' timers had as long to fire
    for name in hidden:
        assert calls[name] == [], f"{name} redrew while not on screen"


def test_a_raised_tab_catches_up_once(window, qtbot):
    calls = count_redraws(window)
    new_weights(window, 4)
    assert calls["pooling"] == []
    window.raise_dock("pooling")
    qtbot.waitUntil(lambda: len(calls["pooling"]) == 1, timeout=30000)
    view = window.views["pooling"]
    assert is_exposed(view)
    mask = window.state.trace["pool1"].mask[0]
    assert np.array_equal(view.displayed_mask("pool1"), mask)   # drawn from the new weights
    qtbot.wait(100)
    assert len(calls["pooling"]) == 1    # no second redraw without a change


def test_a_closed_dock_does_no_work_and_catches_up_when_reopened(window, qtbot):
    calls = count_redraws(window)
    window.docks["activations"].close()
    new_weights(window, 5)
    qtbot.wait(100)
    assert calls["activations"] == []
    window.docks["activations"].show()
    qtbot.waitUntil(lambda: len(calls["activations"]) >= 1, timeout=30000)
    conv1 = window.state.trace[window.state.trace.names[2]].output[0]
    shown = window.views["activations"].groups["conv1"].panel.untile(
        window.views["activations"].groups["conv1"].panel.image.image)
    assert np.allclose(shown, conv1)
