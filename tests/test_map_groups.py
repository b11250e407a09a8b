"""explain.map_groups: the pictures of a network and where each pixel's window lies (no Qt)."""

from __future__ import annotations

import pytest

from cnnviz.explain.map_groups import input_window, map_groups, pool_groups
from cnnviz.nn import build_network


def groups_of(arch: str) -> dict:
    return {g.key: g for g in map_groups(build_network(arch=arch).describe())}


def test_convs_are_drawn_after_their_activation_and_sources_skip_place_keeping_layers():
    g = groups_of("conv4x3 tanh dropout25 conv6x3 maxpool conv8x3p1 sigmoid avgpool fc16 fc10")
    assert list(g) == ["input", "conv1", "conv2", "pool1", "conv3", "avgpool2", "fc1",
                       "softmax"]
    assert g["conv1"].trace_name == "tanh1" and g["conv1"].caption == "conv1 + tanh"
    assert g["conv2"].trace_name == "conv2"              # no activation follows it
    assert g["conv2"].source == "conv1"                  # through tanh and dropout
    assert g["pool1"].source == "conv2" and g["pool1"].pool_kind == "maxpool"
    assert g["avgpool2"].source == "conv3" and g["avgpool2"].pool_kind == "avgpool"
    assert g["fc1"].trace_name == "fc1" and g["fc1"].shape == (16,)
    assert g["softmax"].kind == "probs" and g["softmax"].shape == (10,)
    assert [p.key for p in pool_groups(build_network(
        arch="conv4x3 tanh dropout25 conv6x3 maxpool conv8x3p1 sigmoid avgpool fc16 fc10"
    ).describe())] == ["pool1", "avgpool2"]


def test_a_network_without_convolutions_has_only_input_dense_and_probabilities():
    g = groups_of("fc64 relu fc32 relu fc10")
    assert [x.kind for x in g.values()] == ["input", "dense", "dense", "probs"]


@pytest.mark.parametrize("arch, layer, pixel, size, window, padded", [
    ("conv8x3p1 fc10", "conv1", (0, 0), (28, 28), (0, 0, 2, 2), 5),
    ("conv8x3p1 fc10", "conv1", (27, 13), (28, 28), (26, 12, 28, 15), 3),
    ("conv8x5p2 fc10", "conv1", (1, 1), (28, 28), (0, 0, 4, 4), 9),
    ("conv8x3s2 fc10", "conv1", (2, 3), (28, 28), (4, 6, 7, 9), 0),
    ("conv8x3 maxpool fc10", "pool1", (4, 5), (26, 26), (8, 10, 10, 12), 0),
])
def test_input_window_follows_kernel_stride_and_padding(arch, layer, pixel, size, window,
                                                        padded):
    w = input_window(groups_of(arch)[layer], *pixel, *size)
    assert (w.top, w.left, w.bottom, w.right) == window
    assert w.padded == padded


def test_a_layer_without_a_window_is_refused():
    with pytest.raises(ValueError, match="no window"):
        input_window(groups_of("fc10")["input"], 0, 0, 28, 28)
