"""Show the map views (activations, pooling, filters) with a trained model and save PNGs.

Run under a virtual display::

    xvfb-run -a -s "-screen 0 1600x1000x24" python scripts/preview_views.py [--out /tmp]

Uses the bundled model when present, else trains 200 batches on the bundled digits.
Also prints each view's refresh time (median of 50 refreshes, ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PyQt6.QtCore import QPoint  # noqa: E402
from PyQt6.QtTest import QTest  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402


def trained_network(dataset, model=None):
    from cnnviz.data import images_to_float
    from cnnviz.nn import build_network, get_preset, load_checkpoint
    from cnnviz.resources import resource_path
    from cnnviz.training import Trainer

    path = Path(model) if model else resource_path("model", "lenet.npz")
    if path.exists():
        return load_checkpoint(path), str(path)
    net = build_network(seed=0)
    trainer = Trainer(net, images_to_float(dataset.train_images), dataset.train_labels,
                      images_to_float(dataset.test_images), dataset.test_labels,
                      get_preset("lenet").training)
    for _ in range(200):
        trainer.step()
    return net, "200 batches"


def median_refresh_ms(view, repeats: int = 50) -> float:
    app = QApplication.instance()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        view.refresh()
        app.processEvents()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="/tmp")
    parser.add_argument("--model", help="a checkpoint (default: the bundled model)")
    args = parser.parse_args()
    pg.setConfigOptions(imageAxisOrder="row-major")
    app = QApplication(sys.argv)

    from cnnviz.app.state import AppState
    from cnnviz.app.views.activations import ActivationsView
    from cnnviz.app.views.filters import FiltersView
    from cnnviz.app.views.pooling import PoolingView
    from cnnviz.data import load_bundled

    dataset = load_bundled()
    net, name = trained_network(dataset, args.model)
    state = AppState(net, dataset)
    index = int(np.flatnonzero(dataset.test_labels == 7)[0])
    state.set_probe(dataset.test_images[index] / 255.0, int(dataset.test_labels[index]),
                    index=index)
    print(f"model: {name}; probe: held-out #{index} (label 7); "
          f"p(7) = {state.probabilities[7]:.3f}")

    sizes = {"activations": (1200, 800), "pooling": (1200, 800), "filters": (1200, 900)}
    for key, cls in (("activations", ActivationsView), ("pooling", PoolingView),
                     ("filters", FiltersView)):
        view = cls(state)
        view.resize(*sizes[key])
        view.show()
        for _ in range(5):
            app.processEvents()
            time.sleep(0.05)
        if key == "activations":   # hover a conv2 pixel: its 5x5 field lights up on pool1
            point = view.groups["conv2"].panel.tile_pixel_to_scene(7, 2, 3)
            pos = view.graphics.mapFromScene(point)
            QTest.mouseMove(view.graphics.viewport(), QPoint(pos.x(), pos.y()))
            app.processEvents()
        path = Path(args.out) / f"preview_{key}.png"
        view.grab().save(str(path))
        print(f"{key}: saved {path}; refresh median {median_refresh_ms(view):.2f} ms")
        view.close()
    # exit without tearing down Qt objects one by one (pyqtgraph can crash at interpreter exit)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
