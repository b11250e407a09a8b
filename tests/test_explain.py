"""cnnviz.explain against independent computations: naive loops, finite differences, SVD."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.data import images_to_float, load_bundled
from cnnviz.explain import (align, channel_weights, class_means, features_and_predictions, embedding, fool, grad_cam, guided_backprop,
                            last_conv_activation, layer_features, maximize_activation,
                            pca_2d, penultimate_layer, receptive_field, top_patches, tsne_2d,
                            upsample)
from cnnviz.explain.embedding import _affinities, conditional_affinities
from cnnviz.explain.maximize import channel_peak
from cnnviz.explain.network_walk import backward_from, detached_copy, forward_from, forward_to
from cnnviz.explain.top_patches import channel_activation as explain_channel
from cnnviz.nn import build_network, load_checkpoint
from cnnviz.nn.gradcheck import numerical_gradient
from cnnviz.nn.loss import softmax
from cnnviz.resources import resource_path

from helpers import assert_gradients_match


@pytest.fixture(scope="module")
def data():
    return load_bundled()


@pytest.fixture(scope="module")
def trained():
    return load_checkpoint(resource_path("model", "lenet.npz"))


def net64(seed=1):
    return build_network("lenet", seed=seed, dtype=np.float64)


def naive_conv_channel(x, weight, bias):
    """One output channel of a valid stride-1 convolution by explicit loops: x (C, H, W)."""
    c, h, w = x.shape
    k = weight.shape[-1]
    out = np.zeros((h - k + 1, w - k + 1))
    for i in range(h - k + 1):
        for j in range(w - k + 1):
            out[i, j] = np.sum(x[:, i:i + k, j:j + k] * weight) + bias
    return out


def naive_top(maps, k):
    """Top-k images by their maximum, found one image at a time."""
    best = []
    for n, m in enumerate(maps):
        i, j = np.unravel_index(np.argmax(m), m.shape)
        best.append((-m[i, j], n, i, j))
    best.sort()
    return best[:k]


# -- layers and receptive fields --------------------------------------------------------------

def test_default_layers_are_found_from_the_network_not_assumed():
    net = net64()
    assert penultimate_layer(net).name == "relu3"
    assert last_conv_activation(net).name == "relu2"
    sig = build_network("seed")
    assert penultimate_layer(sig).name == "sigmoid3"
    with pytest.raises(ValueError, match="no layer called 'conv9'"):
        top_patches(net, np.zeros((2, 28, 28)), "conv9", 0)


@pytest.mark.parametrize("layer,i,j", [("conv1", 3, 7), ("relu1", 0, 23), ("pool1", 5, 2),
                                       ("conv2", 7, 0), ("relu2", 2, 5), ("pool2", 1, 3)])
def test_receptive_field_box_holds_every_pixel_that_matters_and_no_more(layer, i, j):
    net = net64()
    rng = np.random.default_rng(0)
    x = rng.random((1, 1, 28, 28))
    channel = 1
    base = forward_to(net, x, layer)[0, channel, i, j].copy()
    box = receptive_field(net, layer).box(i, j, 28)
    top, left, bottom, right = box
    inside = np.zeros((28, 28), bool)
    inside[top:bottom + 1, left:right + 1] = True
    # Nothing outside the box matters: change all of it at once.
    y = x.copy()
    y[0, 0][~inside] = rng.random((~inside).sum())
    assert forward_to(net, y, layer)[0, channel, i, j] == pytest.approx(base, abs=1e-12)
    # And the box is no bigger than its window one layer down (5x5 for a conv, 2x2 for a
    # pool, 1x1 for an activation): the union of those pixels' boxes.
    below, window = {"conv1": (None, 5), "relu1": ("conv1", 1), "pool1": ("relu1", 2),
                     "conv2": ("pool1", 5), "relu2": ("conv2", 1), "pool2": ("relu2", 2)}[layer]
    stride = 2 if layer.startswith("pool") else 1
    if below is None:
        assert box == (i, j, i + 4, j + 4)
        return
    field = receptive_field(net, below)
    boxes = [field.box(stride * i + u, stride * j + v, 28)
             for u in range(window) for v in range(window)]
    assert box == (min(b[0] for b in boxes), min(b[1] for b in boxes),
                   max(b[2] for b in boxes), max(b[3] for b in boxes))


# -- top patches --------------------------------------------------------------------------------

@pytest.mark.parametrize("layer,channel", [("conv1", 4), ("relu1", 4), ("pool1", 11),
                                           ("conv2", 7), ("pool2", 30), ("fc1", 123),
                                           ("fc2", 3)])
def test_top_patches_match_the_full_forward_pass(data, layer, channel):
    net = net64()
    images = images_to_float(data.train_images[:120])
    full = net.trace(images)[layer].output[:, channel]
    maps = full if full.ndim == 3 else full[:, None, None]
    expected = naive_top(maps, 9)
    got = top_patches(net, images, layer, channel, k=9)
    assert list(got.indices) == [n for _, n, _, _ in expected]
    np.testing.assert_allclose(got.values, [-v for v, _, _, _ in expected], rtol=1e-10)
    assert [tuple(p) for p in got.positions] == [(i, j) for _, _, i, j in expected]
    np.testing.assert_allclose(got.maxima, maps.reshape(len(maps), -1).max(axis=1), rtol=1e-10)
    np.testing.assert_allclose(got.means, maps.reshape(len(maps), -1).mean(axis=1), rtol=1e-10)


def test_conv1_channel_matches_a_naive_convolution_loop(data):
    net = net64()
    images = images_to_float(data.train_images[:15]).astype(np.float64)
    weight, bias = net.params["conv1.weight"][2], net.params["conv1.bias"][2]
    maps = np.stack([naive_conv_channel(im, weight, bias) for im in images])
    got = top_patches(net, images, "conv1", 2, k=4)
    expected = naive_top(maps, 4)
    assert list(got.indices) == [n for _, n, _, _ in expected]
    for (_, n, i, j), box in zip(expected, got.boxes):
        assert tuple(box) == (i, j, i + 4, j + 4)


def test_top_patches_follow_changed_weights(data):
    net = net64()
    images = images_to_float(data.train_images[:80])
    before = top_patches(net, images, "conv2", 5)
    net.params["conv1.weight"][...] *= -1     # the cached prefix is now stale
    after = top_patches(net, images, "conv2", 5)
    expected = naive_top(net.trace(images)["conv2"].output[:, 5], 9)
    assert list(after.indices) == [n for _, n, _, _ in expected]
    assert list(after.indices) != list(before.indices)


def test_top_patches_rejects_a_channel_out_of_range():
    with pytest.raises(ValueError, match="conv1 has 20 channels; 20 is out of range"):
        top_patches(net64(), np.zeros((3, 28, 28)), "conv1", 20)


def test_class_means_is_the_mean_per_label():
    values = np.array([1.0, 2.0, 3.0, 5.0])
    labels = np.array([0, 0, 2, 2])
    np.testing.assert_allclose(class_means(values, labels, 3), [1.5, 0.0, 4.0])


# -- feature visualisation ----------------------------------------------------------------------

def test_channel_peak_gradient_matches_finite_differences():
    net = net64()
    x = np.random.default_rng(3).random((1, 1, 28, 28))
    _, grad = channel_peak(net, x, "conv2", 6)
    numeric = numerical_gradient(lambda: channel_peak(net, x, "conv2", 6)[0], x[0, 0])
    assert_gradients_match(grad, numeric, what="channel peak")


@pytest.mark.parametrize("layer,channel", [("conv1", 5), ("relu2", 3), ("fc1", 10), ("fc2", 7)])
def test_synthesised_image_beats_every_training_digit(trained, data, layer, channel):
    best_digit = top_patches(trained, data.train_images, layer, channel, k=1).values[0]
    result = maximize_activation(trained, layer, channel, steps=120, seed=0)
    assert result.image.shape == (28, 28)
    assert result.image.min() >= 0 and result.image.max() <= 1
    recomputed = trained.trace(result.image[None, None])[layer].output[0, channel].max()
    assert result.value == pytest.approx(float(recomputed), rel=1e-5)
    assert result.value > best_digit


def test_synthesis_is_deterministic_per_seed(trained):
    a = maximize_activation(trained, "conv2", 4, steps=30, seed=7)
    b = maximize_activation(trained, "conv2", 4, steps=30, seed=7)
    c = maximize_activation(trained, "conv2", 4, steps=30, seed=8)
    np.testing.assert_array_equal(a.image, b.image)
    assert not np.array_equal(a.image, c.image)


# -- Grad-CAM and guided backprop ---------------------------------------------------------------

def test_grad_cam_weights_are_the_mean_gradient_by_finite_differences(data):
    net = net64()
    x = images_to_float(data.test_images[:1]).astype(np.float64)
    # conv2, not relu2: a finite difference is meaningless at relu2's zeros, which tie in
    # their max-pool windows.
    cam = grad_cam(net, x[0, 0], 3, "conv2")
    activation = forward_to(net, x, "conv2").copy()

    def logit():
        return float(forward_from(net, activation, "conv2")[0, 3])

    numeric = numerical_gradient(logit, activation)[0]
    np.testing.assert_allclose(cam.weights, numeric.mean(axis=(1, 2)), rtol=1e-5, atol=1e-9)
    naive = np.zeros(activation.shape[2:])
    for k in range(activation.shape[1]):
        naive += cam.weights[k] * activation[0, k]
    np.testing.assert_allclose(cam.coarse, np.maximum(naive, 0), atol=1e-12)
    assert cam.map.shape == (28, 28)


def test_grad_cam_upsampling_puts_each_cell_at_its_receptive_field_centre():
    net = net64()
    field = receptive_field(net, "relu1")           # 5x5 windows, centres at 2..25
    coarse = np.random.default_rng(0).random((24, 24))
    up = upsample(coarse, field, 28)
    np.testing.assert_allclose(up[2:26, 2:26], coarse, atol=1e-12)
    np.testing.assert_allclose(up[0, 2:26], coarse[0], atol=1e-12)  # edges held
    flat = upsample(np.full((8, 8), 0.7), receptive_field(net, "relu2"), 28)
    np.testing.assert_allclose(flat, 0.7, atol=1e-12)
    with pytest.raises(ValueError, match="feature maps"):
        grad_cam(net, np.zeros((28, 28)), 0, "fc1")


def naive_guided(net, x, class_index):
    """Guided backprop written out per layer kind with explicit loops, from the trace."""
    trace = net.trace(x)
    outputs = {o.name: o.output for o in trace}
    names = ["input"] + [name for name, _ in net.layers]
    grad = np.zeros((1, trace.probabilities.shape[1]))
    grad[0, class_index] = 1
    for position in range(len(net.layers) - 1, -1, -1):
        name, layer = net.layers[position]
        below = outputs[names[position]]
        if layer.kind == "dense":
            grad = grad @ layer.params["weight"]
        elif layer.kind == "relu":
            grad = np.maximum(grad, 0) * (below > 0)
        elif layer.kind == "flatten":
            grad = grad.reshape(below.shape)
        elif layer.kind == "maxpool":
            routed = np.zeros(below.shape)
            _, c, h, w = below.shape
            for ch in range(c):
                for i in range(h // 2):
                    for j in range(w // 2):
                        window = below[0, ch, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                        u, v = np.unravel_index(np.argmax(window), (2, 2))
                        routed[0, ch, 2 * i + u, 2 * j + v] = grad[0, ch, i, j]
            grad = routed
        elif layer.kind == "conv":
            weight = layer.params["weight"]
            k = weight.shape[-1]
            back = np.zeros(below.shape)
            for i in range(grad.shape[2]):
                for j in range(grad.shape[3]):
                    back[0, :, i:i + k, j:j + k] += np.tensordot(grad[0, :, i, j], weight, axes=(0, 0))
            grad = back
    return grad[0, 0]


def test_guided_backprop_matches_a_naive_per_layer_computation(data):
    net = net64()
    x = images_to_float(data.test_images[3:4]).astype(np.float64)
    got = guided_backprop(net, x[0, 0], 6)
    np.testing.assert_allclose(got, naive_guided(net, x, 6), atol=1e-10)
    plain = net.input_gradient(x, 6)[0, 0]
    assert not np.allclose(got, plain)            # the guidance really changes something


# -- embedding ----------------------------------------------------------------------------------

def test_pca_matches_the_svd_of_the_centred_features():
    features = np.random.default_rng(0).standard_normal((300, 40)) * np.linspace(3, 0.1, 40)
    points = pca_2d(features)
    centred = features - features.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    expected = u[:, :2] * s[:2]
    for axis in range(2):
        sign = np.sign(points[:, axis] @ expected[:, axis])
        np.testing.assert_allclose(points[:, axis], sign * expected[:, axis], atol=1e-8)
    wide = pca_2d(features[:20])                  # fewer points than dimensions
    u, s, _ = np.linalg.svd(features[:20] - features[:20].mean(axis=0), full_matrices=False)
    np.testing.assert_allclose(np.abs(wide), np.abs(u[:, :2] * s[:2]), atol=1e-8)


def test_align_undoes_a_rotation_and_a_reflection():
    points = np.random.default_rng(1).standard_normal((50, 2))
    angle = 2.1
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    flipped = points @ turn @ np.diag([1, -1])
    np.testing.assert_allclose(align(flipped, points), points, atol=1e-10)


def test_live_pca_moves_smoothly_between_two_nearby_networks(data):
    net = net64()
    images = data.test_images[:200]
    first = embedding(net, images).points
    net.params["fc1.weight"][...] *= 1.01
    net.params["fc1.weight"][:5] *= -1
    raw = embedding(net, images).points
    aligned = embedding(net, images, previous=first).points
    assert np.abs(aligned - first).mean() <= np.abs(raw - first).mean() + 1e-12
    assert np.abs(aligned - first).mean() < 0.1 * np.abs(first).mean()


def test_tsne_affinities_have_the_asked_perplexity():
    features = np.random.default_rng(2).standard_normal((60, 5))
    conditional = conditional_affinities(features, 10.0)
    squared = ((features[:, None] - features[None]) ** 2).sum(axis=2)
    for row in (0, 17, 59):
        # Each row is a Gaussian of the distances: log p is linear in the squared distance...
        others = np.delete(np.arange(60), row)
        slope, _ = np.polyfit(squared[row, others], np.log(conditional[row, others]), 1)
        np.testing.assert_allclose(np.log(conditional[row, others]),
                                   np.polyval(np.polyfit(squared[row, others],
                                                         np.log(conditional[row, others]), 1),
                                              squared[row, others]), atol=1e-6)
        assert slope < 0
        # ...with perplexity exp(entropy) 10, as asked.
        q = conditional[row, others]
        assert np.exp(-(q * np.log(q)).sum()) == pytest.approx(10.0, rel=1e-4)
        assert conditional[row, row] == 0
    p = _affinities(features, 10.0)
    np.testing.assert_allclose(p, p.T)
    assert p.sum() == pytest.approx(1.0)


def test_tsne_is_reproducible_and_separates_the_classes(trained, data):
    images, labels = data.test_images[:300], data.test_labels[:300]
    features = layer_features(trained, images)
    a = tsne_2d(features, iterations=300, seed=0)
    b = tsne_2d(features, iterations=300, seed=0)
    c = tsne_2d(features, iterations=300, seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    d2 = ((a[:, None] - a[None]) ** 2).sum(axis=2)
    np.fill_diagonal(d2, np.inf)
    assert (labels[d2.argmin(axis=1)] == labels).mean() > 0.9


def test_embedding_rejects_an_unknown_method(data):
    with pytest.raises(ValueError, match="unknown embedding method 'umap'"):
        embedding(net64(), data.test_images[:5], method="umap")


# -- fooling ------------------------------------------------------------------------------------

def test_fool_flips_the_prediction_with_the_smallest_change_on_its_path(trained, data):
    x = images_to_float(data.test_images[:1])[0, 0]
    result = fool(trained, x, max_change=0.3, step=0.01)
    assert result.success and result.predicted != result.original_class
    np.testing.assert_allclose(result.probabilities,
                               trained.predict_proba(result.images[:, None]), rtol=1e-5, atol=1e-7)
    assert result.probabilities[:-1].argmax(axis=1).tolist() == [result.original_class] * result.steps
    steps = np.abs(np.diff(result.images, axis=0)).max(axis=(1, 2))
    assert steps.max() <= 0.01 + 1e-6
    assert result.size <= 0.3 + 1e-6 and 0 <= result.image.min() and result.image.max() <= 1
    np.testing.assert_allclose(result.image - x, result.change, atol=1e-7)


def test_fool_steps_along_the_sign_of_the_finite_difference_gradient(data):
    net = net64()
    x = images_to_float(data.test_images[5:6]).astype(np.float64)
    label = int(net.forward(x).argmax())
    result = fool(net, x[0, 0], max_change=0.5, step=0.02, max_steps=1)
    first = result.images[1] - result.images[0]
    y = x.copy()

    def loss():
        return float(-np.log(softmax(net.forward(y))[0, label]))

    picks = np.argsort(-np.abs(net.input_gradient(y, label)[0, 0]).reshape(-1))[:6]
    numeric = numerical_gradient(loss, y[0, 0], indices=picks).reshape(-1)
    moved = first.reshape(-1)[picks]
    room = (x[0, 0].reshape(-1)[picks] > 0) | (numeric[picks] > 0)   # clipping at 0 aside
    assert np.all(np.sign(moved[room]) == np.sign(numeric[picks][room]))


def test_fool_reaches_a_target_class(trained, data):
    x = images_to_float(data.test_images[2:3])[0, 0]
    start = int(trained.predict_proba(x[None, None]).argmax())
    target = (start + 1) % 10
    result = fool(trained, x, target=target, max_change=0.5)
    assert result.success and result.predicted == target
    assert result.probabilities[:-1].argmax(axis=1).tolist().count(target) == 0


def test_fool_reports_bad_arguments():
    net = net64()
    with pytest.raises(ValueError, match="max_change must be in"):
        fool(net, np.zeros((28, 28)), max_change=0)
    with pytest.raises(ValueError, match="target 12 is out of range"):
        fool(net, np.zeros((28, 28)), target=12)


def test_channel_weights_are_the_kernel_or_the_weight_row():
    net = net64()
    owner, maps = channel_weights(net, "pool1", 2)
    assert owner == "conv1"
    np.testing.assert_array_equal(maps, net.params["conv1.weight"][2])
    owner, maps = channel_weights(net, "relu2", 9)
    assert owner == "conv2" and maps.shape == (20, 5, 5)
    owner, maps = channel_weights(net, "fc1", 5)
    assert owner == "fc1" and maps.shape == (50, 4, 4)
    # flatten order is (C, H, W): unit 5 reads pool2 channel c, pixel (i, j) with this weight
    assert maps[7, 1, 2] == net.params["fc1.weight"][5, 7 * 16 + 1 * 4 + 2]
    owner, maps = channel_weights(net, "fc2", 3)
    assert maps.shape == (1, 22, 23)
    np.testing.assert_array_equal(maps.reshape(-1)[:500], net.params["fc2.weight"][3])
    assert np.isnan(maps.reshape(-1)[500:]).all()


def test_features_and_predictions_match_the_trace(data):
    net = net64()
    images = data.test_images[:30]
    features, predictions = features_and_predictions(net, images, batch=7)
    trace = net.trace(images_to_float(images))
    np.testing.assert_allclose(features, trace["relu3"].output, rtol=1e-12)
    assert predictions.tolist() == trace.probabilities.argmax(axis=1).tolist()


def test_results_do_not_alias_the_engines_reused_buffers(data):
    from cnnviz.explain.top_patches import clear_cache
    clear_cache()
    net = net64()
    images = data.train_images[:70]
    # batches of 20 through a prefix ending in flatten (a layer buffer): each batch kept apart
    fc1 = explain_channel(net, images, "fc1", 9, batch=20)
    np.testing.assert_allclose(fc1[:, 0, 0], net.trace(images_to_float(images))["fc1"].output[:, 9],
                               rtol=1e-10)
    first = guided_backprop(net, data.test_images[0], 1)
    kept = first.copy()
    guided_backprop(net, data.test_images[1], 1)
    np.testing.assert_array_equal(first, kept)
    twin = detached_copy(net)
    twin.forward(images_to_float(images[:3]))
    for (_, a), (_, b) in zip(net.layers, twin.layers):
        if getattr(a, "_buffers", None):
            assert all(x[1] is not y[1] for x in a._buffers.values() for y in b._buffers.values())


def padded_strided_net():
    """A network unlike LeNet: conv 3x3 padding 1 stride 2, pool, conv 3x3 padding 1, dense."""
    from cnnviz.nn import Conv2D, Dense, Flatten, MaxPool2D, NetworkConfig, ReLU
    from cnnviz.nn.network import Network
    rng = np.random.default_rng(4)
    layers = [("conv1", Conv2D(1, 6, 3, rng, np.float64, padding=1, stride=2)),
              ("relu1", ReLU()), ("pool1", MaxPool2D()),
              ("conv2", Conv2D(6, 8, 3, rng, np.float64, padding=1)), ("relu2", ReLU()),
              ("flatten", Flatten()), ("fc1", Dense(8 * 7 * 7, 10, rng, np.float64))]
    for _, layer in layers:      # non-zero biases: a padded border is not exactly 0 (a ReLU kink)
        if "bias" in layer.params:
            layer.params["bias"][...] = rng.uniform(-0.1, 0.1, layer.params["bias"].shape)
    return Network(layers, NetworkConfig())


@pytest.mark.parametrize("layer,channel", [("conv1", 2), ("pool1", 5), ("conv2", 3),
                                           ("relu2", 1), ("fc1", 4)])
def test_top_patches_on_a_padded_strided_network(data, layer, channel):
    net = padded_strided_net()
    images = images_to_float(data.train_images[:90])
    full = net.trace(images)[layer].output[:, channel]
    maps = full if full.ndim == 3 else full[:, None, None]
    got = top_patches(net, images, layer, channel, k=5)
    assert list(got.indices) == [n for _, n, _, _ in naive_top(maps, 5)]
    np.testing.assert_allclose(got.values, maps.reshape(90, -1).max(axis=1)[got.indices])


@pytest.mark.parametrize("layer,i,j", [("conv1", 0, 0), ("conv1", 5, 13), ("pool1", 3, 6),
                                       ("conv2", 6, 2)])
def test_receptive_field_with_padding_and_stride(layer, i, j):
    net = padded_strided_net()
    rng = np.random.default_rng(1)
    x = rng.random((1, 1, 28, 28))
    top, left, bottom, right = receptive_field(net, layer).box(i, j, 28)
    inside = np.zeros((28, 28), bool)
    inside[top:bottom + 1, left:right + 1] = True
    base = forward_to(net, x, layer)[0, 1, i, j].copy()
    y = x.copy()
    y[0, 0][~inside] = rng.random((~inside).sum())
    assert forward_to(net, y, layer)[0, 1, i, j] == pytest.approx(base, abs=1e-12)
    if layer == "conv1":      # 3x3 at stride 2, one pixel of padding: rows 2i-1 .. 2i+1
        assert (top, left, bottom, right) == (max(2 * i - 1, 0), max(2 * j - 1, 0),
                                              2 * i + 1, 2 * j + 1)


def test_grad_cam_and_synthesis_on_a_padded_strided_network(data):
    net = padded_strided_net()
    x = images_to_float(data.test_images[:1]).astype(np.float64)
    cam = grad_cam(net, x[0, 0], 2)
    assert cam.layer == "relu2" and cam.map.shape == (28, 28)
    activation = forward_to(net, x, "conv2").copy()
    numeric = numerical_gradient(lambda: float(forward_from(net, activation, "conv2")[0, 2]),
                                 activation)[0]
    np.testing.assert_allclose(grad_cam(net, x[0, 0], 2, "conv2").weights,
                               numeric.mean(axis=(1, 2)), rtol=1e-5, atol=1e-9)
    result = maximize_activation(net, "conv2", 3, steps=40)
    best = top_patches(net, data.train_images[:500], "conv2", 3, k=1).values[0]
    assert result.value > best


def test_top_eigenvectors_match_a_full_eigendecomposition(trained, data):
    from cnnviz.explain import top_eigenvectors
    features = layer_features(trained, data.test_images)       # (1000, 500): the live case
    centred = features - features.mean(axis=0)
    cov = centred.T @ centred
    values, vectors = top_eigenvectors(cov, 2)
    full_values, full_vectors = np.linalg.eigh(cov)
    np.testing.assert_allclose(values, full_values[::-1][:2], rtol=1e-10)
    for axis in range(2):
        reference = full_vectors[:, -1 - axis]
        assert abs(abs(vectors[:, axis] @ reference) - 1) < 1e-8
