"""Show the classroom views with a trained network and save a PNG of each.

    xvfb-run -a -s "-screen 0 1600x1000x24" python scripts/preview_classroom.py

Writes /tmp/preview_cls_*.png. Uses the bundled model if it exists, else trains a lenet for a
few hundred mini-batches (cached in /tmp/cnnviz_preview_params.npz for the next run).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CACHE = Path("/tmp/cnnviz_preview_params.npz")


def trained_net():
    from cnnviz.data import images_to_float, load_bundled
    from cnnviz.nn import build_network, get_preset, load_checkpoint
    from cnnviz.resources import resource_path
    from cnnviz.training import Trainer

    path = resource_path("model", "lenet.npz")
    if path.exists():
        return load_checkpoint(path)
    net = build_network("lenet")
    if CACHE.exists():
        with np.load(CACHE, allow_pickle=False) as f:
            net.load_params({k: f[k] for k in f.files})
        return net
    ds = load_bundled()
    trainer = Trainer(net, images_to_float(ds.train_images), ds.train_labels,
                      images_to_float(ds.test_images[:10]), ds.test_labels[:10],
                      get_preset("lenet").training.with_overrides(epochs=1))
    for _ in range(trainer.batches_per_epoch - 1):
        trainer.step()
    np.savez(CACHE, **net.copy_params())
    return net


def main() -> int:
    import pyqtgraph as pg
    from PyQt6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    pg.setConfigOptions(imageAxisOrder="row-major")
    from cnnviz.app.state import AppState
    from cnnviz.data import load_bundled

    ds = load_bundled()
    state = AppState(trained_net(), ds)
    state.set_probe(ds.test_images[0] / 255.0, int(ds.test_labels[0]), index=0)

    def settle(widget):
        for _ in range(20):
            app.processEvents()
            time.sleep(0.02)

    which = sys.argv[1:] or ["conv1", "conv2", "saliency", "confusion"]
    if "conv1" in which or "conv2" in which:
        from cnnviz.app.views.conv_explainer import ConvExplainerView
        view = ConvExplainerView(state)
        view.resize(1500, 900)
        view.show()
        if "conv1" in which:
            act = state.trace["relu1"].output[0, 3]
            view.explain("conv1", 3, *np.unravel_index(act.argmax(), act.shape))
            settle(view)
            view.grab().save("/tmp/preview_cls_conv1.png")
        if "conv2" in which:
            acts = state.trace["relu2"].output[0]
            ch, r, c = np.unravel_index(acts.argmax(), acts.shape)
            view.explain("conv2", int(ch), int(r), int(c))
            view.select_input_channel(int(np.abs(view.explanation.contributions).argmax()))
            settle(view)
            view.grab().save("/tmp/preview_cls_conv2.png")
        print(view.formula.text())
        view.close()
    if "saliency" in which:
        from cnnviz.app.views.saliency import SaliencyView
        view = SaliencyView(state)
        view.resize(1500, 700)
        view.show()
        settle(view)
        times = []
        for i in range(1, 12):
            state.set_probe(ds.test_images[i] / 255.0, int(ds.test_labels[i]), index=i)
            t = time.perf_counter()
            view.recompute()
            times.append((time.perf_counter() - t) * 1e3)
        print(f"saliency+occlusion: median {np.median(times):.1f} ms, "
              f"min {min(times):.1f} ms over {len(times)} probes")
        # The least confident of the first 50 held-out digits makes the most telling picture.
        probs = state.net.predict_proba(ds.test_images[:50, None] / 255.0).max(axis=1)
        i = int(probs.argmin())
        state.set_probe(ds.test_images[i] / 255.0, int(ds.test_labels[i]), index=i)
        view.recompute()
        settle(view)
        view.grab().save("/tmp/preview_cls_saliency.png")
        view.close()
    if "confusion" in which:
        from cnnviz.app.views.confusion import ConfusionView
        view = ConfusionView(state)
        view.resize(1400, 950)
        view.show()
        view.evaluate_now()
        off = view.matrix - np.diag(np.diag(view.matrix))
        t, p = np.unravel_index(off.argmax(), off.shape)
        view.select_cell(int(t), int(p))
        settle(view)
        view.grab().save("/tmp/preview_cls_confusion.png")
        view.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
