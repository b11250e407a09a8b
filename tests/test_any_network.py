"""Any architecture the text allows: the network equals an independent reference.

The reference forward pass is written here with naive loops (one output pixel at a time)
from ``net.describe()`` and the parameters alone; every layer's output must equal it, and
every gradient (all entries of every parameter, and the input) must equal central finite
differences, to 1e-6 relative in float64. Three shapes as the issue asks: with padding, with
stride 2 and no pooling, with three conv layers; PyTorch agrees too
(``scripts/compare_with_torch.py --arch ...``, not run in CI).
"""

import json
import warnings

import numpy as np
import pytest

from cnnviz.nn import (AvgPool2D, Dropout, Tanh, build_network, load_checkpoint,
                       save_checkpoint, softmax_cross_entropy)
from cnnviz.nn.checkpoint import AssumedArchitectureWarning, CheckpointError
from cnnviz.nn.gradcheck import numerical_gradient
from helpers import assert_gradients_match, layer_gradients, tie_free

ARCHS = {
    "padding": "conv3x3p1 relu maxpool conv4x3p1 tanh avgpool fc8 sigmoid fc10",
    "stride2": "conv4x3s2 relu conv8x3s2 relu fc10",
    "three_convs": "conv3x3p1 relu conv3x3p1 relu maxpool conv4x5p2 relu maxpool dropout20 "
                   "fc8 relu fc10",
}


def relative(ours, reference) -> float:
    """``max |ours - reference| / max |reference|``."""
    ours, reference = np.asarray(ours, np.float64), np.asarray(reference, np.float64)
    return float(np.abs(ours - reference).max() / np.abs(reference).max())


def reference_forward(net, x):
    """Every layer's output, by naive loops over output pixels (no im2col, no strides)."""
    params = net.params
    outputs = {"input": x}
    h = x
    for info in net.describe()[1:-1]:
        if info.kind == "conv":
            w, b = params[f"{info.name}.weight"], params[f"{info.name}.bias"]
            k, s, p = info.kernel_size, info.stride, info.padding
            padded = np.zeros((h.shape[0], h.shape[1], h.shape[2] + 2 * p, h.shape[3] + 2 * p))
            padded[:, :, p:p + h.shape[2], p:p + h.shape[3]] = h
            f, oh, ow = info.output_shape
            out = np.zeros((h.shape[0], f, oh, ow))
            for n in range(h.shape[0]):
                for o in range(f):
                    for i in range(oh):
                        for j in range(ow):
                            patch = padded[n, :, i * s:i * s + k, j * s:j * s + k]
                            out[n, o, i, j] = np.sum(patch * w[o]) + b[o]
        elif info.kind in ("maxpool", "avgpool"):
            reduce = np.max if info.kind == "maxpool" else np.mean
            c, oh, ow = info.output_shape
            out = np.zeros((h.shape[0], c, oh, ow))
            for i in range(oh):
                for j in range(ow):
                    out[:, :, i, j] = reduce(h[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2], axis=(2, 3))
        elif info.kind == "dense":
            w, b = params[f"{info.name}.weight"], params[f"{info.name}.bias"]
            out = np.stack([[np.dot(row, w[u]) + b[u] for u in range(len(b))] for row in h])
        elif info.kind == "relu":
            out = np.where(h > 0, h, 0.0)
        elif info.kind == "sigmoid":
            out = 1 / (1 + np.exp(-h))
        elif info.kind == "tanh":
            out = (np.exp(h) - np.exp(-h)) / (np.exp(h) + np.exp(-h))
        elif info.kind == "flatten":
            out = h.reshape(len(h), -1)
        elif info.kind == "dropout":
            out = h                               # inference: the identity
        else:
            raise AssertionError(info.kind)
        assert out.shape[1:] == info.output_shape, info.name
        outputs[info.name] = h = out
    return outputs


def network(text, seed=1):
    net = build_network(text, seed=seed, dtype=np.float64)
    rng = np.random.default_rng(seed)
    for p in net.params.values():          # non-zero biases so their gradients are exercised
        if p.ndim == 1:
            p[...] = rng.normal(0, 0.1, p.shape)
    return net


def images(n=2, seed=0):
    return np.random.default_rng(seed).random((n, 1, 28, 28))


@pytest.mark.parametrize("key", ARCHS)
def test_every_layer_output_equals_the_naive_reference(key):
    net = network(ARCHS[key])
    x = images(2)
    reference = reference_forward(net, x)
    trace = net.trace(x)
    assert [o.name for o in trace][1:-1] == list(reference)[1:]
    for out in list(trace)[1:-1]:
        assert relative(out.output, reference[out.name]) < 1e-12, out.name
    assert relative(net.forward(x), reference[trace[-2].name]) < 1e-12


@pytest.mark.parametrize("key", ARCHS)
def test_every_gradient_equals_finite_differences(key):
    net = network(ARCHS[key])
    x, labels = images(2, seed=3), np.array([3, 8])
    dropouts = [layer for _, layer in net.layers if isinstance(layer, Dropout)]

    def same_masks():                      # dropout drops the same units in every pass
        for layer in dropouts:
            layer.rng = np.random.default_rng(5)

    net.training = True
    same_masks()
    loss, grads = net.loss_and_grads(x, labels)
    grads = {k: g.copy() for k, g in grads.items()}
    if dropouts:
        assert np.any(dropouts[0]._scale == 0)     # really dropping while training

    def loss_now():
        same_masks()
        return softmax_cross_entropy(net.forward(x), labels)[0]

    assert loss_now() == pytest.approx(loss, rel=1e-12)
    for name, param in net.params.items():
        numeric = numerical_gradient(loss_now, param, h=1e-5)
        assert relative(grads[name], numeric) < 1e-6, name
        assert_gradients_match(grads[name], numeric, rtol=1e-4, what=f"{key} {name}")
    net.training = False

    classes = np.array([1, 7])
    dx = net.input_gradient(x, classes)
    numeric = numerical_gradient(lambda: float(net.forward(x)[[0, 1], classes].sum()), x, h=1e-5)
    assert relative(dx, numeric) < 1e-6


@pytest.mark.parametrize("key", ARCHS)
def test_describe_matches_the_trace_and_names_parameters_by_kind(key):
    net = build_network(ARCHS[key])
    info = net.describe()
    trace = net.trace(images(1).astype(np.float32))
    assert [(i.name, i.kind, i.output_shape) for i in info] == \
        [(o.name, o.kind, o.shape[1:]) for o in trace]
    assert [i.input for i in info] == [None] + [i.name for i in info[:-1]]
    assert dict(p for i in info for p in i.params) == {k: v.shape for k, v in net.params.items()}
    assert sum(i.parameter_count for i in info) == net.parameter_count
    convs = [i.name for i in info if i.kind == "conv"]
    assert convs == [f"conv{n}" for n in range(1, len(convs) + 1)]
    dense = [i.name for i in info if i.kind == "dense"]
    assert dense == [f"fc{n}" for n in range(1, len(dense) + 1)]
    with pytest.raises(AttributeError):
        info[1].name = "renamed"                 # frozen


def test_build_network_from_text_or_preset_and_arch_gives_text_back():
    net = build_network(arch="conv8x3p1 relu maxpool fc10", seed=0, dtype=np.float32)
    assert net.arch == "conv8x3p1 relu maxpool fc10"
    assert list(net.params) == ["conv1.weight", "conv1.bias", "fc1.weight", "fc1.bias"]
    assert net.params["fc1.weight"].shape == (10, 8 * 14 * 14)
    assert net.forward(images(3).astype(np.float32)).shape == (3, 10)
    lenet = build_network("lenet")
    assert lenet.arch == "conv20x5 relu maxpool conv50x5 relu maxpool fc500 relu fc10"
    same = build_network(lenet.arch)
    for name, value in lenet.params.items():
        np.testing.assert_array_equal(same.params[name], value)


def test_dropout_only_while_training_and_deterministic_per_seed():
    text = "conv4x3 relu maxpool dropout50 fc10"
    x = images(4).astype(np.float32)
    a, b = build_network(text, seed=2), build_network(text, seed=2)
    np.testing.assert_array_equal(a.forward(x), a.forward(x))        # inference: no dropping
    a.training = b.training = True
    first = a.forward(x)
    np.testing.assert_array_equal(first, b.forward(x))              # same seed, same masks
    assert not np.array_equal(first, a.forward(x))                  # a new mask every pass
    a.training = False
    assert not a.training


def test_new_layers_gradients():
    rng = np.random.default_rng(0)
    x = 2 * rng.standard_normal((2, 3, 4, 6))
    dx, num_dx, _ = layer_gradients(Tanh(), x)
    assert_gradients_match(dx, num_dx, what="tanh")
    dx, num_dx, _ = layer_gradients(AvgPool2D(), tie_free((2, 3, 4, 6), rng))
    assert_gradients_match(dx, num_dx, what="avgpool")
    with pytest.raises(ValueError, match="even"):
        AvgPool2D().forward(np.zeros((1, 1, 3, 4)))
    drop = Dropout(0.3, np.random.default_rng(1))
    drop.training = True
    out = drop.forward(np.ones((200, 50)))
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.7])
    assert abs((out == 0).mean() - 0.3) < 0.02
    x = rng.standard_normal((3, 5))
    drop_grad = Dropout(0.3, np.random.default_rng(1))
    drop_grad.training = True
    r = rng.standard_normal((3, 5))
    drop_grad.forward(x)
    dx = drop_grad.backward(r)

    def f():
        drop_grad.rng = np.random.default_rng(1)
        return float(np.sum(drop_grad.forward(x) * r))

    assert_gradients_match(dx, numerical_gradient(f, x), what="dropout")


def test_checkpoint_stores_the_architecture_and_loads_the_right_network(tmp_path):
    net = build_network(ARCHS["three_convs"], seed=4)
    path = tmp_path / "three.npz"
    save_checkpoint(net, path)
    with np.load(path, allow_pickle=False) as data:
        assert json.loads(str(data["__config__"])) == {"arch": net.arch}
    loaded = load_checkpoint(path)
    assert loaded.arch == net.arch
    x = images(2).astype(np.float32)
    np.testing.assert_array_equal(loaded.forward(x), net.forward(x))
    with pytest.raises(CheckpointError, match="stores the architecture"):
        load_checkpoint(path, arch="lenet")


def test_version_1_checkpoint_with_a_lenet_config_still_loads(tmp_path):
    net = build_network("seed", seed=6)
    arrays = net.copy_params()
    arrays["__format_version__"] = np.array(1)
    arrays["__config__"] = np.array(json.dumps({
        "conv1_channels": 20, "conv2_channels": 50, "kernel_size": 5, "hidden_units": 500,
        "classes": 10, "image_size": 28, "conv_activation": "relu",
        "hidden_activation": "sigmoid"}))
    path = tmp_path / "v1.npz"
    np.savez(path, **arrays)
    loaded = load_checkpoint(path)
    assert loaded.arch == net.arch
    x = images(2).astype(np.float32)
    np.testing.assert_array_equal(loaded.forward(x), net.forward(x))


def test_plain_state_dict_needs_arch_for_a_sigmoid_network(tmp_path):
    seed = build_network("seed", seed=7)
    path = tmp_path / "state_dict.npz"
    np.savez(path, **seed.copy_params())
    x = images(4).astype(np.float32)
    with pytest.warns(AssumedArchitectureWarning, match="assumed .*relu fc10.*--arch"):
        guessed = load_checkpoint(path)
    assert guessed.arch == build_network("lenet").arch           # shapes cannot tell
    assert not np.allclose(guessed.forward(x), seed.forward(x))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for arch in ("seed", seed.arch):
            np.testing.assert_array_equal(load_checkpoint(path, arch=arch).forward(x),
                                          seed.forward(x))
    with pytest.raises(CheckpointError, match="unexpected array"):
        load_checkpoint(path, arch="conv8x3 relu maxpool fc10")


def test_plain_state_dict_of_another_shape_is_guessed_from_its_shapes(tmp_path):
    net = build_network("conv6x5 relu maxpool conv12x5 relu maxpool fc30 relu fc10", seed=1)
    path = tmp_path / "other.npz"
    np.savez(path, **net.copy_params())
    with pytest.warns(AssumedArchitectureWarning):
        assert load_checkpoint(path).arch == net.arch
    padded = build_network(ARCHS["stride2"])
    np.savez(path, **padded.copy_params())
    with pytest.raises(CheckpointError, match="--arch"):
        load_checkpoint(path)                    # stride cannot be guessed: ask for --arch
