"""The conv explainer's arithmetic (``cnnviz.explain.conv_arithmetic``), without Qt, for every
architecture the views must handle: products summed plus bias equal the engine's output at
every checked pixel, the zero border included."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.data import load_bundled
from cnnviz.explain.conv_arithmetic import (check_pixel, conv_layers, detail_text, explain_pixel,
                                            followers, formula_text)
from cnnviz.nn import build_network
from view_arch_cases import VIEW_ARCHS


@pytest.fixture(scope="module")
def digit():
    ds = load_bundled()
    return (ds.test_images[0] / 255.0)[None, None]


def pixels(shape):
    """Corners (on the zero border when padded), the centre and an off-centre pixel."""
    c, h, w = shape
    return [(0, 0, 0), (c - 1, h - 1, w - 1), (c // 2, h // 2, w // 2),
            (min(1, c - 1), h // 3, (2 * w) // 3), (c - 1, 0, w - 1)]


def naive_pixel(net, trace, info, channel, row, col) -> float:
    """The output pixel from the definition, with an explicitly zero-padded input."""
    x = trace[info.input].output[0].astype(np.float64)
    p, s, k = info.padding, info.stride, info.kernel_size
    xp = np.zeros((x.shape[0], x.shape[1] + 2 * p, x.shape[2] + 2 * p))
    xp[:, p:p + x.shape[1], p:p + x.shape[2]] = x
    w = net.params[f"{info.name}.weight"][channel]
    b = net.params[f"{info.name}.bias"][channel]
    return float(np.sum(xp[:, s * row:s * row + k, s * col:s * col + k] * w) + b)


@pytest.mark.parametrize("arch", list(VIEW_ARCHS))
def test_products_sum_plus_bias_equal_the_engine_at_every_conv_layer(arch, digit):
    net = build_network(arch=VIEW_ARCHS[arch], seed=3, dtype=np.float64)
    trace = net.trace(digit)
    layers = conv_layers(net)
    assert [i.name for i in layers] == [i.name for i in net.describe() if i.kind == "conv"]
    for info in layers:
        for channel, row, col in pixels(info.output_shape):
            e = explain_pixel(net, trace, info.name, channel, row, col)
            engine = float(trace[info.name].output[0, channel, row, col])
            k = info.kernel_size
            assert e.patch.shape == e.kernel.shape == e.products.shape == \
                (info.input_shape[0], k, k)
            np.testing.assert_allclose(e.products, e.patch * e.kernel)
            np.testing.assert_allclose(e.contributions, e.products.sum(axis=(1, 2)))
            assert e.products.sum() + e.bias == pytest.approx(engine, rel=1e-9, abs=1e-9)
            assert e.pre_activation == pytest.approx(engine, rel=1e-9, abs=1e-9)
            assert e.engine_output == engine
            assert naive_pixel(net, trace, info, channel, row, col) == \
                pytest.approx(engine, rel=1e-9, abs=1e-9)
            # the window on the input: top-left at stride * pixel - padding
            assert (e.top, e.left) == (info.stride * row - info.padding,
                                       info.stride * col - info.padding)
            # border cells are exactly the window's cells outside the input, and hold 0
            _, h, w = info.input_shape
            rows = np.arange(e.top, e.top + k)[:, None]
            cols = np.arange(e.left, e.left + k)[None, :]
            outside = (rows < 0) | (rows >= h) | (cols < 0) | (cols >= w)
            np.testing.assert_array_equal(e.border, outside)
            assert np.all(e.patch[:, e.border] == 0)
            inside = trace[info.input].output[0][:, max(e.top, 0):e.top + k,
                                                 max(e.left, 0):e.left + k]
            np.testing.assert_array_equal(e.patch[:, ~e.border].ravel(),
                                          inside.reshape(inside.shape[0], -1).ravel())


def test_padding_puts_the_corner_windows_on_the_zero_border(digit):
    net = build_network(arch=VIEW_ARCHS["padded"], seed=0, dtype=np.float64)
    trace = net.trace(digit)
    e = explain_pixel(net, trace, "conv1", 0, 0, 0)   # conv1 of "conv8x3p1 ...": the corner
    assert e.padding == 1 and (e.top, e.left) == (-1, -1)
    assert e.border.sum() == 5                        # top row and left column of 3x3
    assert "5 of its 9 cells lie on the zero border" in detail_text(e)


def test_followers_activation_and_pool_from_the_description(digit):
    for arch, expect in (("lenet", ("relu", "maxpool")), ("stride2", ("relu", None)),
                         ("tanh_avgpool", ("tanh", "avgpool"))):
        net = build_network(arch=VIEW_ARCHS[arch], seed=1, dtype=np.float64)
        trace = net.trace(digit)
        first = conv_layers(net)[0]
        act, pool = followers(net, first.name)
        assert (act.kind if act else None, pool.kind if pool else None) == expect
        c, h, w = first.output_shape
        e = explain_pixel(net, trace, first.name, c - 1, h // 2, w // 2 - 1)
        assert e.activation == float(trace[act.name].output[0, c - 1, h // 2, w // 2 - 1])
        if pool is None:
            assert e.pool is None
            continue
        r, q = e.pool.cell
        assert e.pool.value == float(trace[pool.name].output[0, c - 1, r, q])
        window = trace[act.name].output[0, c - 1, 2 * r:2 * r + 2, 2 * q:2 * q + 2]
        if pool.kind == "maxpool":
            assert e.is_winner == bool(trace[pool.name].mask[0, c - 1, h // 2, w // 2 - 1])
            assert e.pool.value == window.max()
        else:
            assert e.is_winner is None and e.pool.value == pytest.approx(window.mean())
            assert "averaged into" in formula_text(e)


def test_a_network_without_convolutions_and_bad_pixels_are_named():
    net = build_network(arch=VIEW_ARCHS["mlp"], seed=0)
    assert conv_layers(net) == []
    assert check_pixel(net, "anything", 0, 0, 0) == "this network has no convolution layer"
    lenet = build_network(arch=VIEW_ARCHS["lenet"], seed=0)
    dense = [i.name for i in lenet.describe() if i.kind == "dense"][0]
    assert "is not a convolution layer" in check_pixel(lenet, dense, 0, 0, 0)
    first = conv_layers(lenet)[0]
    assert "has no pixel" in check_pixel(lenet, first.name, 0, 99, 0)
    with pytest.raises(ValueError, match="has no pixel"):
        explain_pixel(lenet, lenet.trace(np.zeros((1, 1, 28, 28))), first.name, 0, 99, 0)
