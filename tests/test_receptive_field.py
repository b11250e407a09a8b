"""Receptive fields (``cnnviz.explain.receptive_field``) equal a brute-force measurement on
every view architecture: perturb one input pixel at a time and see which outputs change."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.explain.receptive_field import layer_window, receptive_field
from cnnviz.nn import build_network
from view_arch_cases import VIEW_ARCHS

SIZE = 28
KICK = 6.0      # big enough that a perturbed pixel wins its pool windows, +/- both tried


def influence(net, x):
    """``{layer: changed (784, C, H, W) bool}``: which outputs of every layer with maps move
    when input pixel ``p`` (row-major) is pushed up or down by ``KICK``."""
    base = net.trace(x)
    spatial = [i.name for i in net.describe()[1:] if len(i.output_shape) == 3]
    changed = {name: np.zeros((SIZE * SIZE,) + base[name].output.shape[1:], bool)
               for name in spatial}
    for sign in (1.0, -1.0):
        batch = np.repeat(x, SIZE * SIZE, axis=0)
        batch.reshape(SIZE * SIZE, -1)[np.arange(SIZE * SIZE), np.arange(SIZE * SIZE)] += \
            sign * KICK
        trace = net.trace(batch)
        for name in spatial:
            changed[name] |= np.abs(trace[name].output - base[name].output) > 1e-4
    return changed


@pytest.mark.parametrize("arch", [a for a in VIEW_ARCHS if a != "mlp"])
def test_receptive_field_equals_which_outputs_a_pixel_moves(arch):
    # float32 keeps 2 x 784 traces quick; an output a kicked pixel reaches moves by far more
    # than float32's rounding of an unchanged one (batched products may round differently)
    net = build_network(arch=VIEW_ARCHS[arch], seed=2, dtype=np.float32)
    x = (np.random.default_rng(0).random((1, 1, SIZE, SIZE)) * 0.5 + 0.25).astype(np.float32)
    changed = influence(net, x)
    for name, moved in changed.items():
        field = receptive_field(net, name)
        _, h, w = moved.shape[1:]
        any_channel = moved.any(axis=1)                                   # (784, H, W)
        for i, j in {(0, 0), (h - 1, w - 1), (h // 2, w // 2), (0, w - 1), (h // 3, 0)}:
            measured = any_channel[:, i, j].reshape(SIZE, SIZE)
            top, left, bottom, right = field.box(i, j, SIZE)
            expected = np.zeros((SIZE, SIZE), bool)
            expected[top:bottom + 1, left:right + 1] = True
            assert np.array_equal(measured, expected), (
                f"{arch} {name} ({i}, {j}): measured rows {np.flatnonzero(measured.any(1))}, "
                f"cols {np.flatnonzero(measured.any(0))}; field box {top, left, bottom, right}")


def test_field_sizes_by_hand():
    lenet = build_network(arch=VIEW_ARCHS["lenet"])
    sizes = {i.name: receptive_field(lenet, i.name).size for i in lenet.describe()[1:]
             if len(i.output_shape) == 3}
    assert sorted(set(sizes.values())) == [5, 6, 14, 16]
    stride2 = build_network(arch=VIEW_ARCHS["stride2"])
    convs = [i.name for i in stride2.describe() if i.kind == "conv"]
    first, second = (receptive_field(stride2, n) for n in convs)
    assert (first.size, first.jump, first.start) == (3, 2, 0)
    assert (second.size, second.jump, second.start) == (7, 4, 0)
    padded = build_network(arch=VIEW_ARCHS["padded"])
    conv = [i for i in padded.describe() if i.kind == "conv"][0]
    assert receptive_field(padded, conv.name).start == -1
    window = layer_window(conv, 0, 0)
    assert (window.top, window.left, window.size) == (-1, -1, 3)
    assert window.clipped(28, 28) == (0, 0, 1, 1) and window.border_cells(28, 28) == 5
    dense = [i for i in padded.describe() if i.kind == "dense"][0]
    assert layer_window(dense, 0, 0) is None
    with pytest.raises(ValueError, match="has no maps"):
        receptive_field(padded, dense.name)
