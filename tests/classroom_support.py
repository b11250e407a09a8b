"""Shared by the classroom-view tests: a trained network and the bundled data, built once.

The bundled model (``resources/model/lenet.npz``) is used when it exists; otherwise a fresh
lenet is trained for a few hundred mini-batches on the bundled digits (enough for ~95 %
held-out accuracy, so saliency and occlusion have something real to show).
"""

from __future__ import annotations

import functools

import numpy as np

TRAIN_BATCHES = 280


@functools.lru_cache(maxsize=1)
def bundled_dataset():
    from cnnviz.data import load_bundled
    return load_bundled()


@functools.lru_cache(maxsize=1)
def trained_params():
    """``(NetworkConfig, params dict)`` of a trained network (copied per use)."""
    from cnnviz.data import images_to_float
    from cnnviz.nn import build_network, get_preset, load_checkpoint
    from cnnviz.resources import resource_path
    from cnnviz.training import Trainer

    path = resource_path("model", "lenet.npz")
    if path.exists():
        net = load_checkpoint(path)
        return net.config, net.copy_params()
    ds = bundled_dataset()
    net = build_network("lenet", seed=0)
    config = get_preset("lenet").training.with_overrides(epochs=1)
    trainer = Trainer(net, images_to_float(ds.train_images), ds.train_labels,
                      images_to_float(ds.test_images[:10]), ds.test_labels[:10], config)
    for _ in range(TRAIN_BATCHES):
        trainer.step()
    return net.config, net.copy_params()


def trained_network(dtype=np.float32):
    from cnnviz.nn import build_network
    config, params = trained_params()
    net = build_network(config=config, dtype=dtype)
    net.load_params(params)
    return net


def make_state(probe_index: int = 0):
    """An ``AppState`` with the trained net, the bundled data and a held-out probe digit."""
    import pyqtgraph as pg

    from cnnviz.app.state import AppState
    pg.setConfigOptions(imageAxisOrder="row-major")
    ds = bundled_dataset()
    state = AppState(trained_network(), ds)
    state.model_name = "test"
    state.set_probe(ds.test_images[probe_index] / 255.0, int(ds.test_labels[probe_index]),
                    source="dataset", index=probe_index)
    return state
