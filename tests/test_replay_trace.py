"""The timeline's replay forward pass (``cnnviz.explain.replay_trace``), without Qt: for every
architecture the views must handle, a replay with another network's conv weights equals that
network's own trace, and the conv blocks are read from ``net.describe()``."""

import numpy as np
import pytest

from cnnviz.explain.replay_trace import (FeatureReplay, conv_blocks, conv_param_keys,
                                         spatial_names)
from cnnviz.nn import build_network
from view_arch_cases import VIEW_ARCHS


def probe_image(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((28, 28), dtype=np.float32)


@pytest.mark.parametrize("name", sorted(VIEW_ARCHS))
def test_replay_with_other_conv_weights_equals_that_networks_trace(name):
    arch = VIEW_ARCHS[name]
    shown = build_network(arch, seed=0)            # the network the app shows
    earlier = build_network(arch, seed=5)          # "an earlier step": other weights
    replay = FeatureReplay(shown)
    keys = conv_param_keys(shown.describe())
    assert keys == tuple(k for k in shown.params if k.startswith("conv"))
    # only the conv weights are given, as the timeline keeps them
    maps = replay.replay({k: earlier.params[k] for k in keys}, probe_image())
    trace = earlier.trace(probe_image()[None, None])
    spatial = [info.name for info in shown.describe()[1:] if len(info.output_shape) == 3]
    assert list(maps) == spatial == list(spatial_names(shown.describe()))
    for layer in spatial:
        np.testing.assert_allclose(maps[layer], trace[layer].output[0], rtol=1e-5, atol=1e-6,
                                   err_msg=f"{name} {layer}")
    # the shown network itself is untouched by a replay
    fresh = build_network(arch, seed=0).params
    for key in keys:
        np.testing.assert_array_equal(shown.params[key], fresh[key])


def test_a_replay_without_conv_layers_is_empty_and_missing_weights_are_named():
    mlp = build_network(VIEW_ARCHS["mlp"])
    assert conv_param_keys(mlp.describe()) == ()
    assert FeatureReplay(mlp).replay({}, probe_image()) == {}
    lenet = FeatureReplay(build_network("lenet"))
    with pytest.raises(ValueError, match="conv2.weight"):
        lenet.replay({"conv1.weight": np.zeros((20, 1, 5, 5)), "conv1.bias": np.zeros(20)},
                     probe_image())
    bad = {k: np.zeros(3) for k in lenet.keys}
    with pytest.raises(ValueError, match="shape"):
        lenet.replay(bad, probe_image())


def blocks_of(arch: str) -> list[tuple]:
    return [(b.conv.name, b.activation and b.activation.name, b.pool and b.pool.name, b.caption)
            for b in conv_blocks(build_network(arch).describe())]


def test_conv_blocks_group_each_conv_with_its_activation_and_pool():
    assert blocks_of(VIEW_ARCHS["lenet"]) == [("conv1", "relu1", "pool1", "conv1 + ReLU"),
                                              ("conv2", "relu2", "pool2", "conv2 + ReLU")]
    assert blocks_of(VIEW_ARCHS["three_convs"]) == [
        ("conv1", "relu1", None, "conv1 + ReLU"), ("conv2", "relu2", "pool1", "conv2 + ReLU"),
        ("conv3", "relu3", "pool2", "conv3 + ReLU")]
    assert blocks_of(VIEW_ARCHS["stride2"]) == [("conv1", "relu1", None, "conv1 + ReLU"),
                                                ("conv2", "relu2", None, "conv2 + ReLU")]
    assert blocks_of(VIEW_ARCHS["tanh_avgpool"]) == [
        ("conv1", "tanh1", "avgpool1", "conv1 + tanh"),
        ("conv2", "tanh2", "avgpool2", "conv2 + tanh")]
    assert blocks_of("conv4x3 maxpool conv4x3 fc10") == [("conv1", None, "pool1", "conv1"),
                                                        ("conv2", None, None, "conv2")]
    assert blocks_of(VIEW_ARCHS["mlp"]) == []
    block = conv_blocks(build_network("tiny").describe())[0]
    assert block.shown.name == "relu1" and block.name == "conv1"
