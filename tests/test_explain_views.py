"""The explain views follow the model and the probe: channel card, Grad-CAM, embedding, fool.

Each test changes the state (a channel selected, new weights, a new probe, a confusion cell)
and waits for the signal of the background computation before checking what is drawn.
"""

from __future__ import annotations

import numpy as np
import pytest

from classroom_support import make_state
from cnnviz import explain
from cnnviz.app.views.channel_card import ChannelCardView
from cnnviz.app.views.embedding import EmbeddingView
from cnnviz.app.views.fool import FoolView
from cnnviz.app.views.grad_cam import GradCamView

WAIT_MS = 60_000


def shown(qtbot, view, size=(900, 600)):
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return view


def wait_for_patches(qtbot, card, layer, channel):
    qtbot.waitUntil(lambda: card.patches is not None and card.patches.layer == layer
                    and card.patches.channel == channel, timeout=WAIT_MS)


# -- channel card -----------------------------------------------------------------------------

def test_channel_card_shows_the_selected_channel_and_its_best_digits(qtbot):
    state = make_state()
    card = shown(qtbot, ChannelCardView(state))
    state.select_channel("conv2", 7)
    assert (card.layer, card.channel) == ("conv2", 7)
    wait_for_patches(qtbot, card, "conv2", 7)
    expected = explain.top_patches(state.net, state.dataset.train_images, "conv2", 7)
    assert card.patches.indices.tolist() == expected.indices.tolist()
    # the filter panel shows conv2's kernel of channel 7 (20 input channels of 5x5)
    assert card.filter_panel.mosaic.count == 20
    qtbot.waitUntil(lambda: card.synth is not None and card.class_means is not None
                    and card.synth.channel == 7, timeout=WAIT_MS)
    assert card.synth.layer == "conv2" and card.synth.channel == 7
    assert card.synth.value > expected.values[0]
    assert card.class_means.shape == (10,)


def test_clicking_a_top_patch_makes_it_the_probe(qtbot):
    state = make_state()
    card = shown(qtbot, ChannelCardView(state))
    state.select_channel("pool1", 3)
    wait_for_patches(qtbot, card, "pool1", 3)
    best = int(card.patches.indices[0])
    with qtbot.waitSignal(state.probeChanged):
        card.choose_patch(0)
    np.testing.assert_allclose(state.probe_image, state.dataset.train_images[best] / 255.0)
    assert state.probe_label == int(state.dataset.train_labels[best])


def test_channel_card_follows_new_weights(qtbot):
    state = make_state()
    card = shown(qtbot, ChannelCardView(state))
    state.select_channel("conv1", 2)
    wait_for_patches(qtbot, card, "conv1", 2)
    qtbot.waitUntil(lambda: card.synth is not None and card.synth.channel == 2, timeout=WAIT_MS)
    before = card.synth
    params = state.net.copy_params()
    params["conv1.weight"][2] *= -1
    state.set_params(params)              # a training snapshot: the live parts follow
    qtbot.waitUntil(lambda: card.synth is not before and card.synth is not None,
                    timeout=WAIT_MS)
    # the new image is the one the new weights give
    again = explain.maximize_activation(state.net, "conv1", 2, steps=len(card.synth.history) - 1)
    np.testing.assert_allclose(card.synth.image, again.image, rtol=1e-5, atol=1e-6)
    assert not np.array_equal(card.synth.image, before.image)
    drawn = card.filter_panel.untile(card.filter_panel.image.image)[0]
    np.testing.assert_allclose(drawn, params["conv1.weight"][2, 0], rtol=1e-6)
    old = card.patches
    card.show_evaluation(None)            # after an epoch: the patches follow too
    qtbot.waitUntil(lambda: card.patches is not old, timeout=WAIT_MS)
    expected = explain.top_patches(state.net, state.dataset.train_images, "conv1", 2)
    assert card.patches.indices.tolist() == expected.indices.tolist()


def test_channel_card_reports_a_bad_channel(qtbot):
    state = make_state()
    card = shown(qtbot, ChannelCardView(state))
    card.show_channel("conv1", 99)
    assert "conv1 has 20 channels; 99 is out of range" in card.status.text()


# -- Grad-CAM ---------------------------------------------------------------------------------

def test_grad_cam_view_follows_the_probe_and_the_chosen_class(qtbot):
    state = make_state(probe_index=0)
    view = GradCamView(state)
    with qtbot.waitSignal(view.job.ready, timeout=WAIT_MS):
        shown(qtbot, view)
    predicted = int(state.probabilities.argmax())
    assert view.class_index == predicted
    expected = explain.grad_cam(state.net, state.probe_image, predicted)
    np.testing.assert_allclose(view.cam.map, expected.map, rtol=1e-6)
    with qtbot.waitSignal(view.job.ready, timeout=WAIT_MS):
        view.set_class((predicted + 1) % 10)
    assert view.class_index == (predicted + 1) % 10
    other = explain.guided_backprop(state.net, state.probe_image, view.class_index)
    np.testing.assert_allclose(view.guided, other, rtol=1e-6)
    ds = state.dataset
    with qtbot.waitSignal(view.job.ready, timeout=WAIT_MS):
        state.set_probe(ds.test_images[5] / 255.0, int(ds.test_labels[5]), index=5)
    np.testing.assert_allclose(view.guided,
                               explain.guided_backprop(state.net, state.probe_image,
                                                       view.class_index), rtol=1e-6)
    assert view.job.note.text() == ""         # nothing left computing


def test_grad_cam_view_on_a_network_without_feature_maps_shows_guided_backprop(qtbot):
    # An MLP has no conv layer: the view used to raise (covered by "does not support this
    # architecture yet", and `cnnviz export-views` of such a checkpoint failed with exit 2).
    from cnnviz.nn import build_network
    state = make_state(probe_index=0)
    view = shown(qtbot, GradCamView(state))
    qtbot.waitUntil(lambda: view.cam is not None, timeout=WAIT_MS)
    mlp = build_network("fc64 relu fc10", seed=3)
    with qtbot.waitSignal(view.job.ready, timeout=WAIT_MS):
        state.set_model(mlp, "mlp")
    assert view.cam is None and view.layer_box.count() == 0
    assert not view.layer_box.isEnabled() and "no layer with feature maps" in view.caption.text()
    np.testing.assert_allclose(view.guided, explain.guided_backprop(
        state.net, state.probe_image, view.class_index), rtol=1e-6)
    assert "no feature maps" in view.panels["cam"].title.text
    # back to a conv network: Grad-CAM again, at its last conv layer
    with qtbot.waitSignal(view.job.ready, timeout=WAIT_MS):
        state.set_model(build_network("conv4x3p1 relu maxpool fc10", seed=1), "conv")
    assert view.cam is not None and view.cam.layer == "relu1" and view.layer_box.isEnabled()


# -- embedding ----------------------------------------------------------------------------------

def test_embedding_places_the_held_out_digits_and_follows_training(qtbot):
    state = make_state()
    view = EmbeddingView(state)
    with qtbot.waitSignal(view.job.finished, timeout=WAIT_MS):
        shown(qtbot, view)
    first = view.points.copy()
    assert first.shape == (len(state.dataset.test_images), 2)
    features = explain.layer_features(state.net, state.dataset.test_images)
    pca = explain.pca_2d(features)
    np.testing.assert_allclose(np.abs(first), np.abs(pca), rtol=1e-6, atol=1e-6)
    params = state.net.copy_params()
    params["fc1.weight"] *= 1.05
    with qtbot.waitSignal(view.job.finished, timeout=WAIT_MS):
        state.set_params(params)
    assert not np.allclose(view.points, first)
    # aligned with the last map: the points moved a little, not flipped
    assert np.abs(view.points - first).mean() < 0.2 * np.abs(first).mean()


def test_embedding_hover_click_and_confusion_link(qtbot):
    state = make_state()
    view = EmbeddingView(state)
    with qtbot.waitSignal(view.job.finished, timeout=WAIT_MS):
        shown(qtbot, view)
    vb = view.plot.getPlotItem().vb
    i = 17
    # pyqtgraph fits the range to the new points on its next layout pass
    qtbot.waitUntil(lambda: vb.sceneBoundingRect().contains(
        vb.mapViewToScene(pg_point(view.points[i]))), timeout=WAIT_MS)
    scene = vb.mapViewToScene(pg_point(view.points[i]))
    assert view.point_at(scene) == i
    view._on_hover(scene)
    assert f"#{i}" in view.status.text()
    with qtbot.waitSignal(state.probeChanged):
        view.choose(i)
    assert state.probe_index == i
    labels = state.dataset.test_labels
    wrong = np.flatnonzero(view.predictions != labels)
    true, pred = int(labels[wrong[0]]), int(view.predictions[wrong[0]])
    view.highlight_cell(true, pred)
    assert wrong[0] in view.highlighted
    assert all(labels[k] == true and view.predictions[k] == pred for k in view.highlighted)
    np.testing.assert_allclose(view.marks.getData()[0], view.points[view.highlighted, 0])


def pg_point(xy):
    import pyqtgraph as pg
    return pg.Point(float(xy[0]), float(xy[1]))


# -- fool ---------------------------------------------------------------------------------------

def test_fool_view_finds_a_change_and_follows_the_slider(qtbot):
    state = make_state(probe_index=0)
    view = FoolView(state)
    with qtbot.waitSignal(view.job.finished, timeout=WAIT_MS):
        shown(qtbot, view, (1100, 500))
    r = view.result
    assert r.success and r.predicted != r.original_class
    np.testing.assert_allclose(r.images[0], state.probe_image)
    needed = r.size
    with qtbot.waitSignal(view.job.finished, timeout=WAIT_MS):
        view.set_max_change(round(needed - 0.05, 2))     # less than it needs: no flip
    assert not view.result.success
    assert "allow more change" in view.summary.text()
    with qtbot.waitSignal(view.job.finished, timeout=WAIT_MS):
        view.target_box.setCurrentText("3")
        view.set_max_change(0.5)
    assert view.result.target == 3
    ds = state.dataset
    with qtbot.waitSignal(view.job.finished, timeout=WAIT_MS):
        state.set_probe(ds.test_images[9] / 255.0, int(ds.test_labels[9]), index=9)
    np.testing.assert_allclose(view.result.images[0], ds.test_images[9] / 255.0, rtol=1e-6)


def test_fool_challenge_scores_misread_drawings(qtbot):
    state = make_state(probe_index=0)
    view = FoolView(state)
    with qtbot.waitSignal(view.job.finished, timeout=WAIT_MS):
        shown(qtbot, view, (1100, 500))
    read = int(state.probabilities.argmax())
    view.drew_box.setValue(read)
    view.check_drawing()
    assert (view.fooled, view.tries) == (0, 1)
    view.drew_box.setValue((read + 1) % 10)
    view.check_drawing()
    assert (view.fooled, view.tries) == (1, 2)
    assert "Fooled it!" in view.score.text() and "1 of 2" in view.score.text()


# -- in the real window ---------------------------------------------------------------------------

@pytest.fixture
def window(qtbot, monkeypatch):
    from PyQt6.QtWidgets import QMessageBox

    import window_support
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: None)
    win = window_support.open_window(qtbot, window_support.small_dataset(400, 120),
                                     restore_layout=False, size=(1600, 1000))
    yield win
    win.stop_training()


def click_scene(qtbot, graphics_view, scene_pos):
    from PyQt6.QtCore import QPoint, Qt
    point = graphics_view.mapFromScene(scene_pos)
    qtbot.mouseClick(graphics_view.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(point.x(), point.y()))


@pytest.mark.parametrize("source", ["activations", "filters", "pooling", "inspector"])
def test_clicking_a_channel_anywhere_raises_its_card(qtbot, window, source):
    card = window.views["channel_card"]
    window.docks["filters"].raise_()
    window.docks[source].raise_()
    view = window.views[source]
    if source == "activations":
        qtbot.waitUntil(lambda: view.groups["pool1"].panel.mosaic is not None)
        panel, graphics, expected = view.groups["pool1"].panel, view.graphics, ("pool1", 4)
    elif source == "filters":
        qtbot.waitUntil(lambda: view.panels["filters"].mosaic is not None)
        panel, graphics, expected = view.panels["filters"], view.graphics, ("conv1", 4)
    elif source == "pooling":
        qtbot.waitUntil(lambda: view.panels["pool2"].mosaic is not None)
        panel, graphics, expected = view.panels["pool2"], view.graphics, ("pool2", 4)
    else:
        view.select_layer("relu1")
        qtbot.waitUntil(lambda: view.output_panel.mosaic is not None
                        and view.output_panel.mosaic.count == 20)
        panel, graphics, expected = view.output_panel, view.maps_view, ("relu1", 4)
    click_scene(qtbot, graphics, panel.tile_pixel_to_scene(4, 1, 1))
    assert window.state.selected_channel == expected
    qtbot.waitUntil(lambda: (card.layer, card.channel) == expected)
    assert window.docks["channel_card"].isVisible()
    # the card was behind another tab when clicked: raised, it computes everything
    qtbot.waitUntil(lambda: card.patches is not None and card.synth is not None
                    and card.class_means is not None, timeout=WAIT_MS)
    assert (card.patches.layer, card.patches.channel) == expected
    assert (card.synth.layer, card.synth.channel) == expected


def test_selecting_a_confusion_cell_rings_its_digits_in_the_embedding(qtbot, window):
    embedding = window.views["embedding"]
    window.docks["embedding"].raise_()
    qtbot.waitUntil(lambda: embedding.points is not None, timeout=WAIT_MS)
    confusion = window.views["confusion"]
    window.docks["confusion"].raise_()
    confusion.evaluate_now()
    labels = window.state.dataset.test_labels
    c = int(labels[0])
    confusion.select_cell(c, c)
    expected = np.flatnonzero((labels == c) & (embedding.predictions == c))
    assert embedding.highlighted.tolist() == expected.tolist()
    assert len(expected) > 0


def test_classroom_menu_lists_the_explain_views(window):
    titles = {a.text() for m in window.menuBar().actions() if m.text() == "&Classroom"
              for a in m.menu().actions()}
    for name in ("channel_card", "grad_cam", "embedding", "fool"):
        assert window.view_title(name) in titles


# -- the background job ---------------------------------------------------------------------------

def test_background_job_reports_results_errors_and_pauses_gc_meanwhile(qtbot, automatic_gc):
    import gc
    import threading

    from cnnviz.app.background import BackgroundJob
    job = BackgroundJob()
    release = threading.Event()
    assert gc.isenabled()
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as got:
        job.submit("a", lambda: (release.wait(30), 42)[1])
        assert job.busy and not gc.isenabled()     # no collection in a worker thread
        job.submit("b", lambda: 43)                # waits; a newer request replaces it
        job.submit("c", lambda: 44)
        release.set()
    assert got.args == ["a", 42]
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as got:
        pass
    assert got.args == ["c", 44]
    qtbot.waitUntil(lambda: not job.busy)
    assert gc.isenabled()
    with qtbot.waitSignal(job.failed, timeout=WAIT_MS) as got:
        job.submit("d", lambda: 1 / 0)
    assert got.args == ["d", "ZeroDivisionError: division by zero"]
    qtbot.waitUntil(lambda: not job.busy)
    assert gc.isenabled()


def test_embedding_class_key_is_under_the_plot_not_over_the_points(qtbot):
    """A legend drawn over the cloud hid points and vanished among points of its own colour
    (the grey "7" at 1280x720): the key is a row of coloured labels under the plot."""
    state = make_state()
    view = EmbeddingView(state)
    with qtbot.waitSignal(view.job.finished, timeout=WAIT_MS):
        shown(qtbot, view, size=(420, 320))
    assert view.plot.getPlotItem().legend is None
    assert [label.text()[-1] for label in view.class_key.labels] == [str(c) for c in range(10)]
    plot_bottom = view.plot.mapTo(view, view.plot.rect().bottomLeft()).y()
    for label in view.class_key.labels:
        assert label.isVisible()
        box = label.geometry().translated(label.parentWidget().mapTo(view, label.pos()) - label.pos())
        assert box.top() >= plot_bottom
        assert view.rect().contains(box), (label.text(), box, view.rect())


def test_embedding_dots_grow_with_the_presentation_type(qtbot):
    state = make_state()
    view = EmbeddingView(state)
    with qtbot.waitSignal(view.job.finished, timeout=WAIT_MS):
        shown(qtbot, view)
    small = view.scatter.opts["size"]
    font = view.font()
    font.setPointSizeF(20)
    view.setFont(font)
    assert view.scatter.opts["size"] >= 1.8 * small
    # the drawn points carry the new size too, not only the default for later ones
    assert np.all(view.scatter.data["size"] <= 0) or np.all(
        view.scatter.data["size"] == view.scatter.opts["size"])
