"""Watch one digit learn: the bounded snapshot store and the timeline view (pytest-qt,
offscreen, bundled model and data, real training steps)."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.app.state import AppState
from cnnviz.app.timeline import ProbeTimeline, thin_older_half, timeline_keys
from cnnviz.app.views.timeline import TimelineView
from cnnviz.data import images_to_float, load_bundled
from cnnviz.nn import build_network, get_preset, load_checkpoint
from cnnviz.resources import resource_path
from cnnviz.training import Trainer

REPLAY_MS = 20000         # a replay runs in a background job; tests wait for it


CONV_KEYS = ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias")     # LeNet's


def small_params(value: float) -> dict:
    return {key: np.full(3, value, np.float32) for key in CONV_KEYS}


# -- the store ------------------------------------------------------------------------------
def test_thinning_drops_every_other_of_the_older_half():
    assert thin_older_half(list(range(10))) == [0, 2, 4, 5, 6, 7, 8, 9]
    # Already thinned (sparse) old snapshots survive; the denser ones go first.
    steps = [0, 100, 200, 300, 301, 302, 303, 304, 305, 306, 400, 401, 402, 403, 404, 405, 406,
             407, 408, 409]
    kept = [steps[i] for i in thin_older_half(steps)]
    assert kept == [0, 100, 200, 300] + steps[10:]


def test_capacity_holds_over_a_long_run_and_keeps_first_and_newest():
    store = ProbeTimeline(capacity=300, curve_capacity=500, keys=CONV_KEYS)
    for step in range(10_000):
        store.record(step, step / 100, small_params(step), np.full(10, 0.1))
        assert len(store) <= 300
    steps = store.steps
    assert steps[0] == 0 and steps[-1] == 9_999
    assert np.all(np.diff(steps) > 0), "steps stay sorted"
    assert len(store) > 150, "thinning keeps the store more than half full"
    # Recent history stays dense: the newest 100 records are all there.
    np.testing.assert_array_equal(steps[-100:], np.arange(9_900, 10_000))
    # The whole run stays covered: no gap longer than a tenth of the run.
    assert np.diff(steps).max() < 1_000
    # Each kept snapshot holds the weights recorded at its step.
    for snap in store.snapshots[::37]:
        assert snap.params["conv2.weight"][0] == snap.step
    curve_steps, probs = store.curve()
    assert len(curve_steps) <= 500 and curve_steps[0] == 0 and curve_steps[-1] == 9_999
    assert probs.shape == (len(curve_steps), 10)


def test_only_conv_weights_are_copied_and_memory_is_bounded():
    net = build_network("lenet", seed=0)
    params = net.params                                       # live arrays
    assert timeline_keys(net) == CONV_KEYS                    # every conv layer's, in order
    store = ProbeTimeline(capacity=300, keys=timeline_keys(net))
    for step in range(400):
        store.record(step, 0.0, params, np.zeros(10))
    assert set(store[0].params) == set(CONV_KEYS)             # no fc layers
    conv_bytes = sum(params[k].nbytes for k in CONV_KEYS)
    assert conv_bytes < 120_000
    assert store.memory_bytes <= 300 * conv_bytes + 2_000 * 60
    assert store.memory_bytes >= len(store) * conv_bytes
    # A copy: the live weights changing later does not change what was recorded.
    before = store[-1].params["conv1.weight"].copy()
    params["conv1.weight"] += 1.0
    np.testing.assert_array_equal(store[-1].params["conv1.weight"], before)


def test_a_lower_step_starts_a_new_run_and_restart_curve_keeps_weights():
    store = ProbeTimeline(capacity=10, keys=CONV_KEYS)
    for step in range(5):
        store.record(step, 0.0, small_params(step), np.ones(10) * step)
    store.restart_curve()
    assert len(store.curve()[0]) == 0 and len(store) == 5
    store.record(2, 0.0, small_params(7), np.zeros(10))     # a new run
    np.testing.assert_array_equal(store.steps, [2])


# -- the view -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bundled():
    return load_checkpoint(resource_path("model", "lenet.npz")), load_bundled()


@pytest.fixture
def setup(qtbot, bundled):
    """A state showing a fresh network, a visible TimelineView and a real Trainer."""
    trained, ds = bundled
    state = AppState(build_network(config=trained.config, seed=3), ds)
    state.set_probe(ds.test_images[0] / 255.0, int(ds.test_labels[0]), index=0)
    view = TimelineView(state)
    qtbot.addWidget(view)
    view.resize(1100, 800)
    view.show()
    qtbot.waitExposed(view)
    worker = build_network(config=trained.config)
    worker.load_params(state.net.copy_params())
    trainer = Trainer(worker, images_to_float(ds.train_images[:640]), ds.train_labels[:640],
                      images_to_float(ds.test_images[:10]), ds.test_labels[:10],
                      get_preset("lenet").training.with_overrides(batch_size=32))
    return state, view, trainer


def train_and_record(state, view, trainer, steps: int) -> list[dict]:
    """Train ``steps`` real mini-batches, applying each snapshot like the main window does."""
    applied = []
    for _ in range(steps):
        result = trainer.step()
        params = trainer.net.copy_params()
        state.set_params(params)
        view.record_from_state(trainer.step_count, result.batch.epoch_progress)
        applied.append(params)
    return applied


def test_replaying_a_snapshot_equals_a_fresh_network_with_its_weights(qtbot, setup):
    state, view, trainer = setup
    view.record_interval_s = 0.0
    applied = train_and_record(state, view, trainer, 5)
    assert len(view.timeline) == 5
    i = 1
    view.show_index(i)
    assert not view.live and view.shown_index == i
    assert view.timeline[i].step == 2
    qtbot.waitUntil(lambda: view.replay_ready, timeout=REPLAY_MS)    # replayed off the UI thread

    fresh = build_network(config=state.net.config)
    fresh.load_params(applied[i])          # the full weights applied at step 2
    trace = fresh.trace(state.probe_image[None, None])
    for layer in ("conv1", "relu1", "pool1", "conv2", "relu2", "pool2"):
        np.testing.assert_allclose(view.replayed_maps(layer), trace[layer].output[0],
                                   rtol=1e-5, atol=1e-6, err_msg=layer)
    np.testing.assert_array_equal(view.replayed_filters(), applied[i]["conv1.weight"][:, 0])
    # What is drawn is what was replayed.
    shown_pool2 = view.panels["pool2"].untile(view.panels["pool2"].image.image)
    np.testing.assert_allclose(shown_pool2, trace["pool2"].output[0], rtol=1e-5, atol=1e-6)
    # A different step really shows different maps (training moved the weights).
    view.show_index(4)
    qtbot.waitUntil(lambda: view.replay_ready, timeout=REPLAY_MS)
    assert not np.allclose(view.replayed_maps("relu2"), trace["relu2"].output[0])
    # A new probe is replayed with the OLD weights: maps for the new digit at step 2.
    view.show_index(i)
    ds = state.dataset
    state.set_probe(ds.test_images[7] / 255.0, int(ds.test_labels[7]), index=7)
    trace7 = fresh.trace(state.probe_image[None, None])
    qtbot.waitUntil(lambda: view.replay_ready, timeout=REPLAY_MS)
    np.testing.assert_allclose(view.replayed_maps("pool1"), trace7["pool1"].output[0],
                               rtol=1e-5, atol=1e-6)


def test_curve_records_the_probes_probabilities_and_restarts_for_a_new_probe(qtbot, setup):
    state, view, trainer = setup
    view.record_interval_s = 0.0
    train_and_record(state, view, trainer, 3)
    steps, probs = view.timeline.curve()
    np.testing.assert_array_equal(steps, [1, 2, 3])
    np.testing.assert_allclose(probs[-1], state.probabilities, rtol=1e-6)
    qtbot.waitUntil(lambda: view.lines[3].getData()[0] is not None
                    and len(view.lines[3].getData()[0]) == 3, timeout=30000)   # coalesced redraw
    xs, ys = view.lines[3].getData()
    np.testing.assert_array_equal(xs, steps)
    np.testing.assert_allclose(ys, probs[:, 3])
    label = state.probe_label
    assert view.lines[label].opts["pen"].widthF() > view.lines[(label + 1) % 10].opts["pen"].widthF()

    ds = state.dataset
    state.set_probe(ds.test_images[5] / 255.0, int(ds.test_labels[5]), index=5)
    steps, probs = view.timeline.curve()
    np.testing.assert_array_equal(steps, [3])            # restarted, at the current step
    np.testing.assert_allclose(probs[0], state.probabilities, rtol=1e-6)
    assert len(view.timeline) == 3, "the kept weights stay: they replay any probe"
    train_and_record(state, view, trainer, 2)
    np.testing.assert_array_equal(view.timeline.curve()[0], [3, 4, 5])


def test_live_follows_the_newest_and_the_slider_replays(qtbot, setup):
    state, view, trainer = setup
    view.record_interval_s = 0.0
    train_and_record(state, view, trainer, 3)
    view.flush()
    assert view.live and view.shown_index == 2
    assert view.slider.value() == view.slider.maximum() == 2
    train_and_record(state, view, trainer, 2)
    view.flush()
    assert view.shown_index == 4 and view.slider.value() == 4
    assert "step 5" in view.step_label.texts()[0]

    view.slider.setValue(1)               # as a user dragging it
    assert not view.live and not view.live_button.isChecked()
    assert view.shown_index == 1 and "step 2 · epoch" in view.step_label.texts()[0]
    train_and_record(state, view, trainer, 1)
    view.flush()
    assert view.shown_index == 1, "not live: stays on the replayed step"

    view.live_button.click()
    assert view.live and view.shown_index == len(view.timeline) - 1 == 5


def test_records_are_throttled_but_the_newest_step_is_kept(qtbot, setup):
    state, view, trainer = setup
    view.record_interval_s = 60.0                   # no timing luck: 6 steps take far less
    train_and_record(state, view, trainer, 6)
    assert len(view.timeline) == 1                  # the first; the rest wait for the timer
    assert view.recorder.timer.isActive()
    view.recorder.timer.start(1)                     # let the pending record come due now
    qtbot.waitUntil(lambda: view.timeline.steps[-1] == 6, timeout=30000)
    np.testing.assert_array_equal(view.timeline[-1].params["conv2.weight"],
                                  state.net.params["conv2.weight"])


def test_a_new_model_clears_the_timeline(qtbot, setup):
    state, view, trainer = setup
    view.record_interval_s = 0.0
    train_and_record(state, view, trainer, 2)
    state.set_model(build_network(config=state.net.config, seed=9), "reset")
    assert len(view.timeline) == 0 and len(view.timeline.curve()[0]) == 0
    view.flush()
    assert not view.slider.isEnabled()


def test_legend_is_outside_the_plot_and_steps_are_whole_numbers(qtbot, setup):
    state, view, trainer = setup
    view.record_interval_s = 0.0
    train_and_record(state, view, trainer, 1)          # one snapshot: the x range is tiny
    view.flush()
    # no legend item inside the plot's data area; ten coloured class labels under it instead
    assert view.plot.legend is None
    assert [lab.text()[-1] for lab in view.legend_labels] == [str(k) for k in range(10)]
    for lab in view.legend_labels:
        assert lab.isVisible()
        assert lab.mapTo(view, lab.rect().topLeft()).y() >= \
            view.plot_widget.mapTo(view, view.plot_widget.rect().bottomLeft()).y()
    axis = view.plot.getAxis("bottom")
    lo, hi = view.plot.viewRange()[0]
    ticks = [v for _spacing, values in axis.tickValues(lo, hi, axis.width()) for v in values]
    assert ticks and all(float(v).is_integer() for v in ticks)


# -- before any snapshot, and in small / large-type views ------------------------------------
def test_before_any_snapshot_the_panels_show_the_current_weights(qtbot, setup):
    state, view, _trainer = setup
    view.flush()
    assert len(view.timeline) == 0 and "No snapshots yet" in view.step_label.toolTip()
    for name in ("relu1", "pool1", "relu2", "pool2"):      # not empty titles
        panel = view.panels[name]
        assert panel.image.image is not None, name
        np.testing.assert_allclose(panel.untile(panel.image.image), state.trace[name].output[0],
                                   rtol=1e-6, atol=1e-7, err_msg=name)
    filters = view.panels["filters"]
    np.testing.assert_array_equal(filters.untile(filters.image.image),
                                  state.net.params["conv1.weight"][:, 0])
    assert "current weights" in view.step_label.text()
    assert view.step_label.minimumSizeHint().width() < 300     # wraps: never widens the view


def picture_heights(view) -> dict[str, float]:
    """On-screen height of each replay panel's picture (its ViewBox), probe included."""
    panels = dict(view.panels, probe=view.maps.probe_panel)
    return {name: panel.box.sceneBoundingRect().height() for name, panel in panels.items()}


def drawn_tick_labels(axis) -> list[str]:
    """The tick labels the axis really draws (pyqtgraph drops any that stick out)."""
    from PyQt6.QtGui import QImage, QPainter
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _rect, _flags, text in specs[2]] if specs else []


# the timeline's dock in the window at 1280x720, 1366x768 and 1920x1080 (as it opens), and
# its stage in presentation mode
VIEW_SIZES = [((406, 284), False), ((406, 308), False), ((500, 465), False),
              ((1274, 559), True), ((1360, 607), True), ((1914, 919), True)]


def paged_as_far_as_it_may_or_readable(panel, key) -> bool:
    """A map panel's tiles are at least half its paging floor and never under 8 px (they
    were 6 px at 1280x720, 8 px for a 64-channel layer at 1920x1080), or it pages as far
    as an overview may (``paging.MOST_PAGES``)."""
    from cnnviz.app.paging import MOST_PAGES
    from cnnviz.app.views.timeline.maps_layout import (FILTER_TILE_PX, FILTERS, MAP_TILE_PX,
                                                       VALUE_PX)
    h, w = panel.mosaic.tile_h, panel.mosaic.tile_w
    floor = FILTER_TILE_PX if key == FILTERS else min(MAP_TILE_PX, VALUE_PX * min(h, w))
    return panel.tile_px() >= max(8.0, floor / 2) or panel.pages >= MOST_PAGES


@pytest.mark.parametrize("size, large", VIEW_SIZES, ids=[f"{w}x{h}{'-pres' if p else ''}"
                                                         for (w, h), p in VIEW_SIZES])
def test_the_view_fits_its_dock_with_readable_pictures_and_axis(qtbot, qapp, bundled, size,
                                                                  large):
    """At every classroom size the view needs no more than its dock (it needed 372 px of a
    284 px dock at 1280x720 and scrolled); every map is readable or pages; every title is
    drawn whole, in one size (conv1's filters' was drawn smaller); the probability axis
    keeps 0, 0.5 and 1."""
    import pyqtgraph as pg
    from PyQt6.QtGui import QFont

    from cnnviz.app.label_fit import label_font
    from cnnviz.app.presentation import PresentationMode
    old_font = QFont(qapp.font())
    try:
        if large:                           # presentation mode's type
            font = QFont(old_font)
            font.setPointSizeF(20)
            qapp.setFont(font)
        trained, ds = bundled
        state = AppState(build_network(config=trained.config, seed=3), ds)
        state.set_probe(ds.test_images[0] / 255.0, int(ds.test_labels[0]), index=0)
        view = TimelineView(state)
        qtbot.addWidget(view)
        if large:
            styler = PresentationMode(None)
            for graphics in view.findChildren(pg.GraphicsView):
                styler._style_scene(graphics)
        view.resize(*size)
        view.show()
        qtbot.waitExposed(view)
        view.flush()
        qtbot.wait(100)          # the scene's deferred layout passes
        assert view.minimumSizeHint().height() <= size[1], view.minimumSizeHint()
        assert view.minimumSizeHint().width() <= size[0], view.minimumSizeHint()
        assert view.maps.graphics.height() <= view.height()
        every = view.maps.all_panels()
        assert set(every) >= {"probe", "filters", "relu1", "pool1", "relu2", "pool2"}
        # a dock too short for two rows leaves the pools out (the maps above them, halved)
        panels = {k: p for k, p in every.items() if p.panel.layout.isVisible()}
        assert set(panels) >= {"probe", "filters", "relu1", "relu2"}, set(panels)
        assert set(panels) == set(every) or size[1] < 400
        heights = picture_heights(view)
        assert heights["probe"] >= 16, heights      # a digit, not a smudge
        for key, panel in panels.items():
            if key == "probe":
                continue
            assert paged_as_far_as_it_may_or_readable(panel, key), \
                (key, panel.tile_px(), panel.pages)
        # one title size, none drawn smaller, none cut
        sizes = {key: label_font(p.title).pointSizeF() for key, p in panels.items()}
        assert len(set(sizes.values())) == 1, sizes
        scales = {key: p.title.item.scale() for key, p in panels.items()}
        assert all(abs(s - 1.0) < 1e-3 for s in scales.values()), scales
        assert "…" not in "".join(p.title.text for p in panels.values())
        assert view.slider.width() >= 100                 # a slider a hand can drag
        labels = drawn_tick_labels(view.plot.getAxis("left"))
        assert {"0", "0.5", "1"} <= set(labels), labels
        assert view.side_by_side == (size[0] >= 1.8 * size[1])
    finally:
        qapp.setFont(old_font)


def test_a_second_run_continues_the_step_count_and_keeps_the_first(qtbot, setup):
    """Every Start makes a new trainer counting from 0: after two runs the loss plot showed
    1,692 batches while the timeline said "step 846 · epoch 3.00 (newest)" and had thrown the
    first run away (a lower step number reads as a new run of another model)."""
    state, view, trainer = setup
    view.record_interval_s = 0.0
    train_and_record(state, view, trainer, 3)                     # run 1: steps 1-3
    view.flush()
    state.steps_before, state.epochs_before = 3, 0.15             # what Start sets for run 2
    trainer.step_count = 0                                        # a new trainer's count
    train_and_record(state, view, trainer, 2)
    view.flush()
    assert [s.step for s in view.timeline.snapshots] == [1, 2, 3, 4, 5]
    assert view.timeline.snapshots[-1].epoch_progress > 0.15
    assert "step 5" in view.step_label.texts()[0]


def test_another_model_starts_the_curve_axis_afresh(qtbot, setup):
    """After Reset the step axis kept the old run's range (-0.1 to 21.1) over an empty plot."""
    state, view, trainer = setup
    view.record_interval_s = 0.0
    train_and_record(state, view, trainer, 20)
    view.flush()
    qtbot.waitUntil(lambda: view.curve.plot.viewRange()[0][1] >= 19)     # auto-range: lazily
    state.set_model(build_network(config=state.net.config, seed=5), "fresh")
    view.refresh()
    low, high = view.curve.plot.viewRange()[0]
    assert high <= 1.5 and low >= -0.5, (low, high)
