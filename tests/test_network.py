"""The network: PyTorch-style parameters, the trace the app draws, dtypes, and the API."""

import numpy as np
import pytest

from cnnviz.nn import SGD, build_network, get_preset, softmax

EXPECTED_PARAMS = [
    ("conv1.weight", (20, 1, 5, 5)), ("conv1.bias", (20,)),
    ("conv2.weight", (50, 20, 5, 5)), ("conv2.bias", (50,)),
    ("fc1.weight", (500, 800)), ("fc1.bias", (500,)),
    ("fc2.weight", (10, 500)), ("fc2.bias", (10,)),
]

EXPECTED_TRACE = [
    ("input", (1, 28, 28)), ("conv1", (20, 24, 24)), ("relu1", (20, 24, 24)),
    ("pool1", (20, 12, 12)), ("conv2", (50, 8, 8)), ("relu2", (50, 8, 8)),
    ("pool2", (50, 4, 4)), ("flatten", (800,)), ("fc1", (500,)), ("relu3", (500,)),
    ("fc2", (10,)), ("softmax", (10,)),
]


def images(n=3, seed=0):
    return np.random.default_rng(seed).random((n, 1, 28, 28)).astype(np.float32)


def test_params_named_and_shaped_like_pytorch_state_dict():
    net = build_network()
    assert [(k, v.shape) for k, v in net.params.items()] == EXPECTED_PARAMS
    assert net.parameter_count == 431080
    assert all(v.dtype == np.float32 for v in net.params.values())


def test_params_are_live_and_copy_params_is_deep():
    net = build_network()
    copy = net.copy_params()
    net.params["fc2.bias"][...] = 7
    assert np.all(net.layer("fc2").params["bias"] == 7)
    assert not np.any(copy["fc2.bias"] == 7)


def test_load_params_copies_in_and_checks_names_and_shapes():
    a, b = build_network(seed=1), build_network(seed=2)
    x = images()
    a.load_params(b.params)
    np.testing.assert_array_equal(a.forward(x), b.forward(x))
    bad = b.copy_params()
    bad["fc1.weight"] = bad["fc1.weight"][:, :799]
    with pytest.raises(ValueError, match="fc1.weight"):
        a.load_params(bad)
    del bad["conv2.bias"]
    with pytest.raises(ValueError, match="conv2.bias"):
        a.load_params(bad)


def test_seed_fixes_initial_weights():
    a, b, c = build_network(seed=5), build_network(seed=5), build_network(seed=6)
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    assert not np.array_equal(a.params["conv1.weight"], c.params["conv1.weight"])


def test_trace_names_shapes_and_outputs():
    net = build_network()
    x = images(3)
    trace = net.trace(x)
    assert trace.names == [name for name, _ in EXPECTED_TRACE]
    assert [(o.name, o.shape[1:]) for o in trace] == EXPECTED_TRACE
    assert all(o.shape[0] == 3 for o in trace)
    assert net.output_shapes() == EXPECTED_TRACE
    assert [o.kind for o in trace][:4] == ["input", "conv", "relu", "maxpool"]
    np.testing.assert_array_equal(trace["input"].output, x)
    np.testing.assert_allclose(trace["fc2"].output, net.forward(x), rtol=1e-6)
    np.testing.assert_allclose(trace.probabilities, softmax(net.forward(x)), rtol=1e-5)
    np.testing.assert_allclose(trace.probabilities.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_allclose(net.predict_proba(x), trace.probabilities, rtol=1e-5)
    np.testing.assert_array_equal(trace["relu1"].output, np.maximum(trace["conv1"].output, 0))
    assert trace[3] is trace["pool1"] and "pool2" in trace and "nope" not in trace


@pytest.mark.parametrize("pool,before", [("pool1", "relu1"), ("pool2", "relu2")])
def test_trace_pool_masks(pool, before):
    trace = build_network().trace(images(2))
    mask, pre, out = trace[pool].mask, trace[before].output, trace[pool].output
    assert mask.dtype == bool and mask.shape == pre.shape
    n, c, h, w = pre.shape
    per_window = mask.reshape(n, c, h // 2, 2, w // 2, 2).sum(axis=(3, 5))
    np.testing.assert_array_equal(per_window, 1)
    # The winners, read in window order, are exactly the pooled values.
    winners = np.where(mask, pre, 0).reshape(n, c, h // 2, 2, w // 2, 2).sum(axis=(3, 5))
    np.testing.assert_array_equal(winners, out)
    assert all(o.mask is None for o in trace if o.kind != "maxpool")


def test_trace_is_not_overwritten_by_a_later_forward():
    net = build_network()
    trace = net.trace(images(1, seed=1))
    saved = {o.name: (o.output.copy(), None if o.mask is None else o.mask.copy()) for o in trace}
    net.trace(images(1, seed=2))
    net.loss_and_grads(images(2, seed=3), np.array([1, 2]))
    for o in trace:
        np.testing.assert_array_equal(o.output, saved[o.name][0], err_msg=o.name)
        if o.mask is not None:
            np.testing.assert_array_equal(o.mask, saved[o.name][1], err_msg=o.name)


def test_flatten_order_is_channel_row_column():
    trace = build_network().trace(images(2))
    pool2, flat = trace["pool2"].output, trace["flatten"].output
    np.testing.assert_array_equal(flat, pool2.reshape(2, 50 * 4 * 4))
    # Element by element, PyTorch's torch.flatten(x, 1) order: index = c*16 + h*4 + w.
    for c, h, w in [(0, 0, 1), (0, 1, 0), (1, 0, 0), (49, 3, 3), (17, 2, 1)]:
        assert flat[1, c * 16 + h * 4 + w] == pool2[1, c, h, w]
    net = build_network()
    fc1 = net.layer("fc1").params
    np.testing.assert_allclose(trace["fc1"].output, flat @ fc1["weight"].T + fc1["bias"],
                               rtol=1e-5, atol=1e-6)


def test_seed_preset_is_the_article_network():
    net = build_network("seed")
    trace = net.trace(images(1))
    assert trace.names[9] == "sigmoid3" and trace["sigmoid3"].kind == "sigmoid"
    assert np.all((trace["sigmoid3"].output > 0) & (trace["sigmoid3"].output < 1))
    assert [(k, v.shape) for k, v in net.params.items()] == EXPECTED_PARAMS
    # Glorot-scaled hidden layer for the sigmoid.
    std = net.params["fc1.weight"].std()
    assert abs(std / np.sqrt(2 / (800 + 500)) - 1) < 0.03
    assert net.arch == "conv20x5 relu maxpool conv50x5 relu maxpool fc500 sigmoid fc10"
    train = get_preset("seed").training
    assert (train.lr, train.batch_size, train.weight_decay, train.lr_decay, train.lr_decay_every,
            train.epochs, train.momentum) == (0.005, 5, 1e-4, 0.9, 10, 50, 0.0)


def test_unknown_preset_and_bad_input_shape_raise():
    with pytest.raises(ValueError, match="unknown preset"):
        build_network("resnet")
    with pytest.raises(ValueError, match="28"):
        build_network().forward(np.zeros((2, 28, 28), np.float32))


def test_float32_everywhere_by_default():
    net = build_network()
    x64 = images(2).astype(np.float64)            # float64 in: must not promote the network
    assert net.forward(x64).dtype == np.float32
    assert net.predict_proba(x64).dtype == np.float32
    for o in net.trace(x64):
        assert o.output.dtype == np.float32, o.name
    output_grads = {}
    loss, grads = net.loss_and_grads(x64, np.array([1, 2]), output_grads=output_grads)
    assert isinstance(loss, float)
    for name, g in grads.items():
        assert g.dtype == np.float32, name
    for name, g in output_grads.items():
        assert g.dtype == np.float32, name
    assert net.input_gradient(x64, 3).dtype == np.float32
    opt = SGD(net.params, lr=0.1, momentum=0.9, weight_decay=1e-4)
    opt.step(grads)
    assert all(p.dtype == np.float32 for p in net.params.values())


def test_float64_on_request():
    net = build_network(dtype=np.float64)
    x = images(2)
    assert all(p.dtype == np.float64 for p in net.params.values())
    assert net.forward(x).dtype == np.float64
    assert all(o.output.dtype == np.float64 for o in net.trace(x))
    _, grads = net.loss_and_grads(x, np.array([0, 9]))
    assert all(g.dtype == np.float64 for g in grads.values())
    assert net.input_gradient(x, 0).dtype == np.float64


def test_loss_and_grads_keys_shapes_and_no_weight_decay():
    net = build_network()
    x, labels = images(4), np.array([0, 1, 2, 3])
    loss, grads = net.loss_and_grads(x, labels)
    assert [(k, g.shape) for k, g in grads.items()] == EXPECTED_PARAMS
    log_p = np.log(softmax(net.forward(x).astype(np.float64)))
    assert loss == pytest.approx(-log_p[np.arange(4), labels].mean(), rel=1e-5)
    # The last layer's gradients by hand: d loss/d logits = (softmax - onehot) / N, no decay term.
    trace = net.trace(x)
    d = trace.probabilities.astype(np.float64)
    d[np.arange(4), labels] -= 1
    d /= 4
    np.testing.assert_allclose(grads["fc2.bias"], d.sum(axis=0), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(grads["fc2.weight"], d.T @ trace["relu3"].output, rtol=1e-4,
                               atol=1e-7)
    np.testing.assert_array_equal(net.last_logits, net.forward(x))


def test_input_gradient_shape_per_image_classes():
    net = build_network()
    x = images(3)
    g = net.input_gradient(x, np.array([0, 5, 9]))
    assert g.shape == x.shape
    # Per-image classes equal three separate single-image calls.
    for i, cls in enumerate([0, 5, 9]):
        np.testing.assert_allclose(g[i:i + 1], net.input_gradient(x[i:i + 1], cls),
                                   rtol=1e-4, atol=1e-7)
    # Saliency leaves the parameter-gradient path (first conv skips its input grad) intact.
    _, grads = net.loss_and_grads(x, np.array([1, 1, 1]))
    assert grads["conv1.weight"].shape == (20, 1, 5, 5)


def test_buffers_are_reused_per_shape_and_released_after_an_evaluation():
    from cnnviz.training import evaluate

    net = build_network(seed=4)
    x, labels = images(4, seed=5), np.array([0, 1, 2, 3])
    _, grads = net.loss_and_grads(x, labels)
    first = {k: g.copy() for k, g in grads.items()}
    conv2 = net.layer("conv2")
    cols = conv2._cols
    net.loss_and_grads(images(4, seed=6), labels)
    assert conv2._cols is cols                        # same batch shape: same memory
    evaluate(net, images(600, seed=7), np.zeros(600, np.int64))   # chunks of 500 and 100
    held = sum(buf.nbytes for _, layer in net.layers for _, buf in layer._buffers.values())
    assert held == 0 and conv2._cols is None
    _, again = net.loss_and_grads(x, labels)          # buffers are made again as needed
    for name, g in again.items():
        np.testing.assert_array_equal(g, first[name], err_msg=name)
