"""Central-difference gradient checks in float64: every layer, the loss, the whole network,
its input gradient and per-layer output gradients; and proof that the check catches a wrong
gradient."""

import numpy as np
import pytest

from cnnviz.nn import (Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sigmoid, build_network,
                       softmax_cross_entropy)
from cnnviz.nn.gradcheck import numerical_gradient, relative_error
from helpers import assert_gradients_match, check_indices, layer_gradients, tie_free


def away_from_zero(shape, rng, margin=0.05):
    """Normal samples with no value within ``margin`` of 0 (ReLU's kink)."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * (margin + np.abs(x)), x)


# -- the checker itself ---------------------------------------------------------------------

def test_numerical_gradient_of_known_function_and_restores_input():
    x = np.array([1.0, -2.0, 3.0])
    before = x.copy()
    g = numerical_gradient(lambda: float(np.sum(x ** 3)), x)
    np.testing.assert_allclose(g, 3 * before ** 2, rtol=1e-8)
    np.testing.assert_array_equal(x, before)
    only = numerical_gradient(lambda: float(np.sum(x ** 3)), x, indices=[1])
    np.testing.assert_allclose(only, [0, 12, 0], rtol=1e-8)


def test_numerical_gradient_perturbs_non_contiguous_arrays():
    x = np.arange(6.0).reshape(2, 3).T          # a transposed view: not C-contiguous
    before = x.copy()
    g = numerical_gradient(lambda: float(np.sum(x ** 2 * np.arange(1, 7).reshape(3, 2))), x)
    np.testing.assert_allclose(g, 2 * before * np.arange(1, 7).reshape(3, 2), rtol=1e-8)
    np.testing.assert_array_equal(x, before)


def test_relative_error():
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0
    assert relative_error(np.array([1.0]), np.array([-1.0])) == pytest.approx(1.0)
    assert relative_error(np.array([1.0, 100.0]), np.array([1.0, 101.0])) == pytest.approx(1 / 201)


# -- every layer ------------------------------------------------------------------------------

@pytest.mark.parametrize("n,c,f,size,k", [(2, 3, 4, 6, 3), (2, 1, 2, 7, 5), (1, 4, 3, 5, 2)])
def test_conv_gradients(n, c, f, size, k):
    rng = np.random.default_rng(c * 10 + k)
    conv = Conv2D(c, f, k, rng, dtype=np.float64)
    conv.params["bias"][...] = rng.standard_normal(f)
    x = rng.standard_normal((n, c, size, size + 1))
    dx, num_dx, params = layer_gradients(conv, x)
    assert dx.shape == x.shape
    assert_gradients_match(dx, num_dx, what="conv input")
    for name, (analytic, numeric) in params.items():
        assert analytic.shape == conv.params[name].shape
        assert_gradients_match(analytic, numeric, what=f"conv {name}")


@pytest.mark.parametrize("n,c,f,h,w,k,padding,stride", [
    (2, 2, 3, 5, 6, 3, 1, 1), (2, 1, 2, 4, 5, 3, 2, 1), (2, 2, 3, 7, 8, 3, 0, 2),
    (1, 3, 2, 6, 7, 3, 1, 2), (2, 2, 2, 5, 5, 2, 2, 3)])
def test_conv_gradients_with_padding_and_stride(n, c, f, h, w, k, padding, stride):
    rng = np.random.default_rng(100 + 10 * padding + stride)
    conv = Conv2D(c, f, k, rng, dtype=np.float64, padding=padding, stride=stride)
    conv.params["bias"][...] = rng.standard_normal(f)
    x = rng.standard_normal((n, c, h, w))
    out = conv.forward(x)
    oh, ow = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    assert out.shape == (n, f, oh, ow) == (n, *conv.output_shape((c, h, w)))
    dx, num_dx, params = layer_gradients(conv, x)
    assert dx.shape == x.shape
    assert_gradients_match(dx, num_dx, what=f"conv input, padding {padding} stride {stride}")
    for name, (analytic, numeric) in params.items():
        assert_gradients_match(analytic, numeric, what=f"conv {name}, p{padding} s{stride}")


def test_conv_padding_and_stride_match_a_direct_sum():
    rng = np.random.default_rng(7)
    conv = Conv2D(2, 3, 3, rng, dtype=np.float64, padding=1, stride=2)
    conv.params["bias"][...] = rng.standard_normal(3)
    x = rng.standard_normal((2, 2, 6, 5))
    out = conv.forward(x)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    weight, bias = conv.params["weight"], conv.params["bias"]
    expected = np.empty((2, 3, 3, 3))
    for i in range(3):
        for j in range(3):
            patch = xp[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
            expected[:, :, i, j] = np.einsum("ncuv,fcuv->nf", patch, weight) + bias
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_conv_rejects_bad_padding_stride_and_too_small_input():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="padding"):
        Conv2D(1, 2, 3, rng, padding=-1)
    with pytest.raises(ValueError, match="stride"):
        Conv2D(1, 2, 3, rng, stride=0)
    with pytest.raises(ValueError, match="larger than its padded input"):
        Conv2D(1, 2, 5, rng, padding=1).forward(np.zeros((1, 1, 2, 2), np.float32))


def test_conv_without_input_grad_still_gives_weight_grads():
    rng = np.random.default_rng(0)
    conv = Conv2D(2, 3, 3, rng, dtype=np.float64)
    x = rng.standard_normal((2, 2, 5, 5))
    _, _, params = layer_gradients(conv, x)
    conv.needs_input_grad = False
    conv.forward(x)
    r = np.random.default_rng(0).standard_normal((2, 3, 3, 3))
    assert conv.backward(r) is None
    np.testing.assert_allclose(conv.grads["weight"], params["weight"][0], rtol=1e-12)


def test_relu_gradient():
    x = away_from_zero((2, 3, 4, 4), np.random.default_rng(0))
    dx, num_dx, _ = layer_gradients(ReLU(), x)
    assert_gradients_match(dx, num_dx, what="relu")


def test_sigmoid_gradient():
    x = 3 * np.random.default_rng(1).standard_normal((3, 7))
    dx, num_dx, _ = layer_gradients(Sigmoid(), x)
    assert_gradients_match(dx, num_dx, what="sigmoid")


def test_maxpool_gradient_tie_free():
    x = tie_free((2, 3, 6, 4), np.random.default_rng(2))
    dx, num_dx, _ = layer_gradients(MaxPool2D(), x)
    assert_gradients_match(dx, num_dx, what="maxpool")
    assert np.count_nonzero(dx) == x.size // 4


def test_flatten_gradient():
    x = np.random.default_rng(3).standard_normal((2, 3, 2, 2))
    dx, num_dx, _ = layer_gradients(Flatten(), x)
    assert_gradients_match(dx, num_dx, what="flatten")


def test_dense_gradients():
    rng = np.random.default_rng(4)
    dense = Dense(7, 5, rng, dtype=np.float64)
    dense.params["bias"][...] = rng.standard_normal(5)
    x = rng.standard_normal((3, 7))
    dx, num_dx, params = layer_gradients(dense, x)
    assert_gradients_match(dx, num_dx, what="dense input")
    for name, (analytic, numeric) in params.items():
        assert_gradients_match(analytic, numeric, what=f"dense {name}")


def test_softmax_cross_entropy_gradient():
    rng = np.random.default_rng(5)
    z = 3 * rng.standard_normal((4, 10))
    labels = np.array([2, 0, 9, 2])
    _, d = softmax_cross_entropy(z, labels)
    numeric = numerical_gradient(lambda: softmax_cross_entropy(z, labels)[0], z)
    assert_gradients_match(d, numeric, what="cross-entropy")


# -- a wrong gradient must fail the check -------------------------------------------------------

class ForgetfulReLU(ReLU):
    """Backward forgets the mask: passes the gradient everywhere."""

    def backward(self, dout):
        return dout


class FlippedConv(Conv2D):
    """Input gradient computed with the kernel rotated 180 degrees (a classic mistake)."""

    def backward(self, dout):
        weight = self.params["weight"]
        original = weight.copy()
        weight[...] = weight[:, :, ::-1, ::-1]
        try:
            return super().backward(dout)
        finally:
            weight[...] = original


def test_checker_rejects_relu_without_mask():
    x = away_from_zero((2, 3, 4, 4), np.random.default_rng(0))
    dx, num_dx, _ = layer_gradients(ForgetfulReLU(), x)
    assert relative_error(dx, num_dx) > 0.5
    with pytest.raises(AssertionError, match="relative error"):
        assert_gradients_match(dx, num_dx, what="forgetful relu")


def test_checker_rejects_conv_with_flipped_kernel():
    rng = np.random.default_rng(6)
    conv = FlippedConv(2, 3, 3, rng, dtype=np.float64)
    x = rng.standard_normal((2, 2, 6, 6))
    dx, num_dx, params = layer_gradients(conv, x)
    assert_gradients_match(*params["weight"], what="weight grad is untouched by the flip")
    with pytest.raises(AssertionError, match="relative error"):
        assert_gradients_match(dx, num_dx, what="flipped conv input")


# -- the whole network ------------------------------------------------------------------------

def _batch(seed=0, n=2):
    rng = np.random.default_rng(seed)
    return rng.random((n, 1, 28, 28)), np.array([3, 7, 1, 0][:n])


@pytest.mark.parametrize("preset", ["lenet", "seed"])
def test_network_parameter_gradients(preset):
    net = build_network(preset, seed=1, dtype=np.float64)
    for p in net.params.values():          # non-zero biases so their gradients are exercised too
        if p.ndim == 1:
            p[...] = np.random.default_rng(p.size).normal(0, 0.05, p.shape)
    x, labels = _batch()
    loss, grads = net.loss_and_grads(x, labels)
    assert np.isfinite(loss)
    assert set(grads) == set(net.params)
    grads = {k: g.copy() for k, g in grads.items()}

    def f():
        return softmax_cross_entropy(net.forward(x), labels)[0]

    rng = np.random.default_rng(0)
    for name, param in net.params.items():
        assert grads[name].shape == param.shape and grads[name].dtype == np.float64
        indices = check_indices(grads[name], rng, n_random=3, n_top=3)
        numeric = numerical_gradient(f, param, indices=indices)
        assert_gradients_match(grads[name], numeric, indices=indices, what=f"{preset} {name}")


def test_network_input_gradient():
    net = build_network(seed=2, dtype=np.float64)
    x, _ = _batch(1)
    classes = np.array([4, 9])
    analytic = net.input_gradient(x, classes)
    assert analytic.shape == x.shape and analytic.dtype == np.float64

    def f():
        return float(net.forward(x)[np.arange(2), classes].sum())

    indices = check_indices(analytic, np.random.default_rng(1), n_random=5, n_top=5)
    numeric = numerical_gradient(f, x, indices=indices)
    assert_gradients_match(analytic, numeric, indices=indices, what="input gradient")

    # One class for the whole batch.
    single = net.input_gradient(x, 5)
    numeric = numerical_gradient(lambda: float(net.forward(x)[:, 5].sum()), x, indices=indices)
    assert_gradients_match(single, numeric, indices=indices, what="input gradient, one class")


def test_network_output_grads_for_every_layer():
    net = build_network(seed=3, dtype=np.float64)
    x, labels = _batch(2)
    output_grads = {}
    net.loss_and_grads(x, labels, output_grads=output_grads)
    names = [name for name, _ in net.layers]
    assert set(output_grads) == set(names)
    rng = np.random.default_rng(3)
    for i, name in enumerate(names):
        # This layer's output, then the rest of the network run from a perturbable copy of it.
        h = x
        for _, layer in net.layers[:i + 1]:
            h = layer.forward(h)
        h = np.array(h, copy=True)
        assert output_grads[name].shape == h.shape, name

        def f():
            z = h
            for _, layer in net.layers[i + 1:]:
                z = layer.forward(z)
            return softmax_cross_entropy(z, labels)[0]

        # Skip exact zeros (a ReLU's clipped outputs): a max-pool window of equal zeros is a
        # tie, where the loss is not differentiable and the difference quotient halves.
        nonzero = np.flatnonzero(h)
        indices = nonzero[check_indices(output_grads[name].reshape(-1)[nonzero], rng)]
        numeric = numerical_gradient(f, h, indices=indices)
        assert_gradients_match(output_grads[name], numeric, indices=indices,
                               what=f"output_grads[{name!r}]")


def test_a_network_of_padded_and_strided_convs_has_correct_gradients():
    """The fast paths end to end (channels-last views flowing conv -> relu -> pool -> conv):
    every parameter and the input, against finite differences."""
    from cnnviz.nn import get_preset
    from cnnviz.nn.network import Network

    rng = np.random.default_rng(11)
    layers = [("conv1", Conv2D(1, 4, 3, rng, np.float64, padding=1, stride=2)),   # 28 -> 14
              ("relu1", ReLU()),
              ("pool1", MaxPool2D()),                                             # 14 -> 7
              ("conv2", Conv2D(4, 6, 3, rng, np.float64, padding=2, stride=2)),   # 7 -> 5
              ("relu2", ReLU()),
              ("flatten", Flatten()),
              ("fc1", Dense(6 * 5 * 5, 10, rng, np.float64))]
    net = Network(layers, get_preset("lenet").network)
    for p in net.params.values():
        if p.ndim == 1:
            p[...] = rng.normal(0, 0.1, p.shape)
    x, labels = rng.random((3, 1, 28, 28)), np.array([1, 5, 9])
    _, grads = net.loss_and_grads(x, labels)
    grads = {k: g.copy() for k, g in grads.items()}

    def f():
        return softmax_cross_entropy(net.forward(x), labels)[0]

    for name, param in net.params.items():
        indices = check_indices(grads[name], rng, n_random=6, n_top=4)
        numeric = numerical_gradient(f, param, indices=indices)
        assert_gradients_match(grads[name], numeric, indices=indices, what=name)
    dx = net.input_gradient(x, labels)
    indices = check_indices(dx, rng, n_random=6, n_top=6)
    numeric = numerical_gradient(lambda: float(net.forward(x)[np.arange(3), labels].sum()), x,
                                 indices=indices)
    assert_gradients_match(dx, numeric, indices=indices, what="input")
