"""Saliency view: the gradient matches finite differences; occlusion finds the ink."""

from __future__ import annotations

import numpy as np
import pytest

from classroom_support import make_state, trained_network
from cnnviz.app.views.saliency import OCCLUSION_STRIDE, PATCH, SaliencyView, occlusion_positions
from cnnviz.nn import build_network


def least_confident_correct(state, first: int = 100) -> int:
    """A held-out digit the net gets right without being sure: occlusion has room to show."""
    ds = state.dataset
    probs = state.net.predict_proba(ds.test_images[:first, None] / 255.0)
    right = probs.argmax(axis=1) == ds.test_labels[:first]
    conf = np.where(right, probs.max(axis=1), np.inf)
    return int(conf.argmin())


@pytest.fixture
def view(qtbot):
    state = make_state(probe_index=0)
    i = least_confident_correct(state)
    state.set_probe(state.dataset.test_images[i] / 255.0, int(state.dataset.test_labels[i]), index=i)
    view = SaliencyView(state)
    qtbot.addWidget(view)
    view.resize(1400, 600)
    with qtbot.waitSignal(view.job.ready, timeout=60000):     # computed in the background
        view.show()
        qtbot.waitExposed(view)
    return view


def test_saliency_equals_a_central_finite_difference(view):
    state = view.state
    grad = view.saliency_map()
    cls = view.predicted_class
    assert grad.shape == (28, 28)
    assert cls == int(state.probabilities.argmax())

    net64 = build_network(config=state.net.config, dtype=np.float64)
    net64.load_params(state.net.params)
    x = state.probe_image.astype(np.float64)[None, None]
    eps = 1e-5
    scale = float(np.abs(grad).max())
    assert scale > 0

    def score(image):
        return net64.forward(image)[0, cls]

    # Blank regions give max-pool windows that tie exactly; there the score has a kink and
    # no derivative. Check the pixels where the one-sided slopes agree (differentiable).
    checked = 0
    for p in np.argsort(np.abs(grad).ravel())[::-1]:
        r, c = np.unravel_index(p, (28, 28))
        plus, minus = x.copy(), x.copy()
        plus[0, 0, r, c] += eps
        minus[0, 0, r, c] -= eps
        right = (score(plus) - score(x)) / eps
        left = (score(x) - score(minus)) / eps
        if abs(right - left) > 1e-4 * scale:
            continue
        numeric = (right + left) / 2
        assert abs(grad[r, c] - numeric) < 1e-3 * scale, (r, c, grad[r, c], numeric)
        checked += 1
        if checked == 6:
            break
    assert checked == 6


def test_occlusion_map_shape_and_ink_matters_more_than_an_empty_corner(view):
    state = view.state
    occ = view.occlusion_map()
    n = len(occlusion_positions(28, PATCH, OCCLUSION_STRIDE))
    assert occ.shape == (n, n) == (9, 9)
    image = state.probe_image
    # Cells whose patch covers the most ink vs the top-left corner (no ink in MNIST corners).
    ink = np.array([[image[i * OCCLUSION_STRIDE:i * OCCLUSION_STRIDE + PATCH,
                           j * OCCLUSION_STRIDE:j * OCCLUSION_STRIDE + PATCH].sum()
                     for j in range(n)] for i in range(n)])
    assert image[:PATCH, :PATCH].sum() == 0
    assert occ[ink > 0].max() > abs(occ[0, 0]) + 0.05
    assert occ.max() == occ[ink > 0].max()
    # One cell recomputed by hand ties the map's orientation: row i = patch at y = 3 i.
    i, j = np.unravel_index(occ.argmax(), occ.shape)
    covered = image.copy()
    covered[i * OCCLUSION_STRIDE:i * OCCLUSION_STRIDE + PATCH,
            j * OCCLUSION_STRIDE:j * OCCLUSION_STRIDE + PATCH] = 0.5
    net, cls = state.net, view.predicted_class
    drop = (net.predict_proba(image[None, None])[0, cls]
            - net.predict_proba(covered[None, None])[0, cls])
    assert occ[i, j] == pytest.approx(drop, abs=1e-5)


def test_recomputes_live_when_the_probe_changes(view, qtbot):
    view.saliency_map()
    state = view.state
    ds = state.dataset
    k = int(np.flatnonzero(ds.test_labels != view.predicted_class)[0])
    state.set_probe(ds.test_images[k] / 255.0, int(ds.test_labels[k]), index=k)
    new_class = int(state.probabilities.argmax())
    # The timer recomputes without anyone asking for the maps.
    qtbot.waitUntil(lambda: view.predicted_class == new_class, timeout=30000)
    expected = trained_network().input_gradient(ds.test_images[k][None, None] / 255.0, new_class)
    np.testing.assert_allclose(view._saliency, expected[0, 0], rtol=1e-4, atol=1e-6)
    # The view's passes ran on a copy of the UI-side net; the state's trace is untouched.
    np.testing.assert_allclose(state.trace.probabilities[0], state.net.predict_proba(
        state.probe_image[None, None])[0], atol=1e-6)


def test_skips_work_while_hidden_and_catches_up_when_shown(view, qtbot):
    view.saliency_map()
    before = view.predicted_class
    view.hide()
    state, ds = view.state, view.state.dataset
    k = int(np.flatnonzero(ds.test_labels != before)[0])
    state.set_probe(ds.test_images[k] / 255.0, int(ds.test_labels[k]), index=k)
    qtbot.wait(200)
    assert view.predicted_class == before           # nothing computed while hidden
    view.show()
    qtbot.waitUntil(lambda: view.predicted_class == int(state.probabilities.argmax()), timeout=30000)
