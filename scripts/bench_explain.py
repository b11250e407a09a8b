"""Time each cnnviz.explain function on the bundled digits with the bundled model.

    python scripts/bench_explain.py [--repeats 5] [--checkpoint model.npz]

Prints the median of ``--repeats`` runs for each function (OpenBLAS limited to one thread,
as in the app). top_patches is timed cold (first channel of a layer: every layer before it
runs on the 9,000 training digits) and warm (another channel of the same layer: the layers
before it are cached while the weights do not change).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnnviz import explain  # noqa: E402
from cnnviz.data import images_to_float, load_bundled  # noqa: E402
from cnnviz.explain.top_patches import clear_cache  # noqa: E402
from cnnviz.nn import load_checkpoint  # noqa: E402
from cnnviz.resources import resource_path  # noqa: E402


def median_ms(run, repeats: int, before=None) -> float:
    times = []
    for _ in range(repeats):
        if before:
            before()
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--checkpoint", default=str(resource_path("model", "lenet.npz")))
    args = parser.parse_args()
    net = load_checkpoint(args.checkpoint)
    data = load_bundled()
    train, test = data.train_images, data.test_images
    digit = images_to_float(test[:1])[0, 0]
    r = args.repeats

    rows = []
    for layer in [i.name for i in explain.channel_layers(net)]:
        cold = median_ms(lambda: explain.top_patches(net, train, layer, 0), r, before=clear_cache)
        explain.top_patches(net, train, layer, 0)
        warm = median_ms(lambda: explain.top_patches(net, train, layer, 1), r)
        rows.append((f"top_patches {layer} ({len(train):,} digits)", f"{cold:7.0f} ms cold",
                     f"{warm:5.0f} ms warm"))
    for layer in ("conv1", "relu2", "fc1"):
        rows.append((f"maximize_activation {layer} (200 steps)",
                     f"{median_ms(lambda: explain.maximize_activation(net, layer, 0), r):7.0f} ms", ""))
    rows.append(("grad_cam (one digit)", f"{median_ms(lambda: explain.grad_cam(net, digit, 3), r):7.1f} ms", ""))
    rows.append(("guided_backprop (one digit)",
                 f"{median_ms(lambda: explain.guided_backprop(net, digit, 3), r):7.1f} ms", ""))
    features = explain.layer_features(net, test)
    rows.append((f"layer_features ({len(test):,} held-out digits)",
                 f"{median_ms(lambda: explain.layer_features(net, test), r):7.0f} ms", ""))
    rows.append(("pca_2d + align (of those features)",
                 f"{median_ms(lambda: explain.align(explain.pca_2d(features), None), r):7.1f} ms", ""))
    rows.append(("embedding pca (forward + PCA)",
                 f"{median_ms(lambda: explain.embedding(net, test), r):7.0f} ms", ""))
    rows.append(("embedding tsne (500 iterations)",
                 f"{median_ms(lambda: explain.embedding(net, test, method='tsne'), 1):7.0f} ms", "(1 run)"))
    rows.append(("fool (untargeted, max change 0.3)",
                 f"{median_ms(lambda: explain.fool(net, digit), r):7.1f} ms", ""))
    width = max(len(name) for name, *_ in rows)
    for name, first, second in rows:
        print(f"{name:<{width}}  {first}  {second}".rstrip())


if __name__ == "__main__":
    main()
