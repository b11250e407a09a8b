"""Layers one at a time: conv against a loop reference, max-pool masks by hand, the loss,
and the dtype each layer computes in."""

import numpy as np
import pytest

from cnnviz.nn import (Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sigmoid, log_softmax, softmax,
                       softmax_cross_entropy)


def naive_conv(x, weight, bias):
    """Valid cross-correlation, one output pixel at a time: the definition, written out."""
    n, c, h, w = x.shape
    f, _, k, _ = weight.shape
    out = np.zeros((n, f, h - k + 1, w - k + 1))
    for i in range(n):
        for o in range(f):
            for r in range(h - k + 1):
                for s in range(w - k + 1):
                    out[i, o, r, s] = bias[o] + np.sum(weight[o] * x[i, :, r:r + k, s:s + k])
    return out


# -- Conv2D -------------------------------------------------------------------------------

@pytest.mark.parametrize("n,c,f,h,w,k", [
    (2, 3, 4, 7, 6, 3),      # non-square input, several channels in and out
    (3, 1, 2, 28, 28, 5),    # conv1's geometry
    (2, 6, 3, 12, 12, 5),    # conv2-like: many input channels
    (2, 2, 5, 5, 5, 5),      # the kernel covers the whole image: 1 x 1 output
])
def test_conv_forward_matches_loop_reference(n, c, f, h, w, k):
    rng = np.random.default_rng(n * 100 + c * 10 + k)
    conv = Conv2D(c, f, k, rng, dtype=np.float64)
    conv.params["bias"][...] = rng.standard_normal(f)
    x = rng.standard_normal((n, c, h, w))
    out = conv.forward(x)
    assert out.shape == (n, f, h - k + 1, w - k + 1)
    np.testing.assert_allclose(out, naive_conv(x, conv.params["weight"], conv.params["bias"]),
                               rtol=1e-10, atol=1e-12)


def test_conv_is_cross_correlation_not_flipped():
    # A single 1 at the kernel's top-left picks the pixel at the window's top-left.
    conv = Conv2D(1, 1, 3, np.random.default_rng(0), dtype=np.float64)
    conv.params["weight"][...] = 0
    conv.params["weight"][0, 0, 0, 0] = 1
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    np.testing.assert_array_equal(conv.forward(x)[0, 0], x[0, 0, :3, :3])


def test_conv_init_is_he_normal():
    conv = Conv2D(20, 50, 5, np.random.default_rng(0))
    w = conv.params["weight"]
    assert w.shape == (50, 20, 5, 5) and w.dtype == np.float32
    assert abs(w.std() / np.sqrt(2 / 500) - 1) < 0.03
    assert abs(w.mean()) < 0.002
    np.testing.assert_array_equal(conv.params["bias"], np.zeros(50))


# -- MaxPool2D ------------------------------------------------------------------------------

def test_maxpool_mask_hand_worked_example():
    x = np.array([[1, 3, 2, 0],
                  [4, 2, 1, 5],
                  [0, 1, 7, 6],
                  [2, 9, 8, 3]], dtype=np.float32).reshape(1, 1, 4, 4)
    pool = MaxPool2D()
    out = pool.forward(x)
    np.testing.assert_array_equal(out[0, 0], [[4, 5], [9, 8]])
    expected_mask = np.array([[0, 0, 0, 0],
                              [1, 0, 0, 1],
                              [0, 0, 0, 0],
                              [0, 1, 1, 0]], dtype=bool)
    assert pool.mask.dtype == bool and pool.mask.shape == (1, 1, 4, 4)
    np.testing.assert_array_equal(pool.mask[0, 0], expected_mask)


def test_maxpool_ties_go_to_first_in_reading_order():
    x = np.array([[5, 5, 1, 7],     # top-left: all four tie -> (0, 0)
                  [5, 5, 7, 0],     # top-right: (0, 3) and (1, 2) tie -> (0, 3)
                  [0, 0, 2, 1],     # bottom-left: (3, 0) and (3, 1) tie -> (3, 0)
                  [3, 3, 3, 3]],    # bottom-right: (3, 2) and (3, 3) tie -> (3, 2)
                 dtype=np.float32).reshape(1, 1, 4, 4)
    pool = MaxPool2D()
    np.testing.assert_array_equal(pool.forward(x)[0, 0], [[5, 7], [3, 3]])
    expected_mask = np.array([[1, 0, 0, 1],
                              [0, 0, 0, 0],
                              [0, 0, 0, 0],
                              [1, 0, 1, 0]], dtype=bool)
    np.testing.assert_array_equal(pool.mask[0, 0], expected_mask)


def test_maxpool_exactly_one_winner_per_window_with_many_ties():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, size=(3, 4, 6, 8)).astype(np.float32)   # ties everywhere
    pool = MaxPool2D()
    out = pool.forward(x)
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
    masks = pool.mask.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
    np.testing.assert_array_equal(masks.sum(axis=-1), 1)
    # np.argmax returns the first maximum in reading order: the tie rule.
    np.testing.assert_array_equal(masks.argmax(axis=-1), windows.argmax(axis=-1))
    np.testing.assert_array_equal(out, windows.max(axis=-1))


def test_maxpool_backward_routes_only_to_the_winner():
    x = np.array([[5, 5, 1, 7],
                  [5, 5, 7, 0],
                  [0, 0, 2, 1],
                  [3, 3, 3, 3]], dtype=np.float32).reshape(1, 1, 4, 4)
    pool = MaxPool2D()
    pool.forward(x)
    dout = np.array([[10, 20], [30, 40]], dtype=np.float32).reshape(1, 1, 2, 2)
    dx = pool.backward(dout)
    expected = np.array([[10, 0, 0, 20],
                         [0, 0, 0, 0],
                         [0, 0, 0, 0],
                         [30, 0, 40, 0]], dtype=np.float32)
    np.testing.assert_array_equal(dx[0, 0], expected)


def test_maxpool_mask_is_a_fresh_array_per_forward():
    pool = MaxPool2D()
    rng = np.random.default_rng(0)
    pool.forward(rng.standard_normal((1, 1, 4, 4)))
    first = pool.mask.copy()
    kept = pool.mask
    pool.forward(-rng.standard_normal((1, 1, 4, 4)))
    np.testing.assert_array_equal(kept, first)   # a trace holding the old mask keeps it


def test_maxpool_rejects_odd_sizes():
    with pytest.raises(ValueError, match="even"):
        MaxPool2D().forward(np.zeros((1, 1, 5, 4), np.float32))


# -- ReLU, Sigmoid, Flatten, Dense ----------------------------------------------------------

def test_relu_forward_and_backward_values():
    relu = ReLU()
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]], dtype=np.float32)
    np.testing.assert_array_equal(relu.forward(x), [[0, 0, 0, 0.5, 3]])
    np.testing.assert_array_equal(relu.backward(np.full_like(x, 2.0)), [[0, 0, 0, 2, 2]])


def test_sigmoid_values_and_stability_for_huge_inputs():
    sig = Sigmoid()
    x = np.array([-1000.0, -20.0, 0.0, 20.0, 1000.0], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = sig.forward(x)
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-x.astype(np.float64).clip(-500, 500))),
                               rtol=1e-6, atol=1e-30)
    assert out[2] == 0.5 and out[-1] == 1.0 and out[0] >= 0.0
    assert np.all(np.isfinite(sig.backward(np.ones_like(x))))


def test_flatten_is_channel_row_column_order():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    flat = Flatten().forward(x)
    assert flat.shape == (2, 60)
    for c, h, w in [(0, 0, 1), (1, 0, 0), (2, 3, 4), (1, 2, 3)]:
        assert flat[1, c * 20 + h * 5 + w] == x[1, c, h, w]


def test_flatten_backward_restores_shape():
    flatten = Flatten()
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4))
    flatten.forward(x)
    d = np.arange(96.0).reshape(2, 48)
    np.testing.assert_array_equal(flatten.backward(d), d.reshape(2, 3, 4, 4))


def test_dense_forward_is_pytorch_layout():
    dense = Dense(3, 2, np.random.default_rng(0), dtype=np.float64)
    dense.params["weight"][...] = [[1, 2, 3], [4, 5, 6]]
    dense.params["bias"][...] = [10, 20]
    np.testing.assert_array_equal(dense.forward(np.array([[1.0, 0, -1]])), [[8, 18]])


# -- softmax cross-entropy ------------------------------------------------------------------

def test_softmax_rows_sum_to_one_and_match_definition():
    z = np.random.default_rng(0).standard_normal((4, 10))
    p = softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_allclose(p, np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), rtol=1e-12)


def test_cross_entropy_value_and_gradient_formula():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((5, 10))
    labels = np.array([0, 3, 9, 3, 7])
    loss, d = softmax_cross_entropy(z, labels)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(5), labels])), rel=1e-12)
    onehot = np.eye(10)[labels]
    np.testing.assert_allclose(d, (p - onehot) / 5, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_stable_for_huge_logits(dtype):
    z = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 5e3], [2e4, 2e4, 0.0]], dtype=dtype)
    labels = np.array([1, 1, 0])
    with np.errstate(over="raise", invalid="raise"):
        loss, d = softmax_cross_entropy(z, labels)
        log_p = log_softmax(z)
    assert np.isfinite(loss) and np.all(np.isfinite(d)) and np.all(np.isfinite(log_p))
    z64 = z.astype(np.float64)
    m = z64.max(axis=1)
    lse = m + np.log(np.exp(z64 - m[:, None]).sum(axis=1))          # log-sum-exp by hand
    expected = np.mean(lse - z64[np.arange(3), labels])             # (1e4 + 0 + log 2) / 3
    assert loss == pytest.approx(expected, rel=1e-6)
    assert loss == pytest.approx((1e4 + 0 + np.log(2)) / 3, rel=1e-6)


# -- dtypes: float32 by default, float64 on request -------------------------------------------

def _all_layers(dtype):
    rng = np.random.default_rng(0)
    return [(Conv2D(2, 3, 3, rng, dtype=dtype), (2, 2, 6, 6)),
            (ReLU(), (2, 3, 4, 4)), (Sigmoid(), (2, 3, 4, 4)), (MaxPool2D(), (2, 3, 4, 4)),
            (Flatten(), (2, 3, 4, 4)), (Dense(6, 4, rng, dtype=dtype), (2, 6))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_layer_keeps_its_dtype_forward_and_backward(dtype):
    rng = np.random.default_rng(0)
    for layer, shape in _all_layers(dtype):
        x = rng.standard_normal(shape).astype(dtype)
        out = layer.forward(x)
        assert out.dtype == dtype, f"{type(layer).__name__} forward gave {out.dtype}"
        dx = layer.backward(rng.standard_normal(out.shape).astype(dtype))
        assert dx.dtype == dtype, f"{type(layer).__name__} backward gave {dx.dtype}"
        for name, p in layer.params.items():
            assert p.dtype == dtype
            assert layer.grads[name].dtype == dtype, f"{type(layer).__name__}.{name} grad"


def test_loss_keeps_float32():
    z = np.random.default_rng(0).standard_normal((4, 10)).astype(np.float32)
    _, d = softmax_cross_entropy(z, np.array([1, 2, 3, 4]))
    assert d.dtype == np.float32
    assert softmax(z).dtype == np.float32


def test_weight_gradients_of_a_single_example_are_outer_products():
    """At batch 1 (and for a conv with a 1x1 output) the weight gradient is an outer
    product, computed without matmul: it must equal the textbook sums."""
    rng = np.random.default_rng(3)
    dense = Dense(7, 4, rng, dtype=np.float64)
    x = rng.standard_normal((1, 7))
    dense.forward(x)
    dout = rng.standard_normal((1, 4))
    dense.backward(dout)
    np.testing.assert_allclose(dense.grads["weight"], np.outer(dout[0], x[0]), rtol=1e-13)
    np.testing.assert_allclose(dense.grads["bias"], dout[0], rtol=1e-13)

    conv = Conv2D(2, 3, 5, rng, dtype=np.float64)            # 5x5 input -> 1x1 output
    x = rng.standard_normal((1, 2, 5, 5))
    out = conv.forward(x)
    assert out.shape == (1, 3, 1, 1)
    dout = rng.standard_normal((1, 3, 1, 1))
    dx = conv.backward(dout)
    np.testing.assert_allclose(conv.grads["weight"], dout[0, :, 0, 0, None, None, None] * x[0],
                               rtol=1e-13)
    np.testing.assert_allclose(conv.grads["bias"], dout[0, :, 0, 0], rtol=1e-13)
    np.testing.assert_allclose(dx[0], np.einsum("f,fcuv->cuv", dout[0, :, 0, 0],
                                                conv.params["weight"]), rtol=1e-12)
