"""Render the preprocessing-pipeline and timeline views and save a PNG of each.

    xvfb-run -a -s "-screen 0 1600x1000x24" python scripts/preview_classroom2.py

Writes /tmp/preview_cls2_pipeline_centred.png and ..._uncentred.png (a digit drawn in a
corner of the pad, centring on and off) and /tmp/preview_cls2_timeline_live.png /
..._replay.png (a fresh network trained for 40 real mini-batches of 32 bundled digits, the
timeline recording every other step). Prints timings.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# A 7 drawn small in the top-left corner of the 280x280 pad.
SEVEN = [(20, 25), (115, 25), (95, 70), (70, 125)]


def main() -> int:
    import pyqtgraph as pg
    from PyQt6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    pg.setConfigOptions(imageAxisOrder="row-major")
    from cnnviz.app.state import AppState
    from cnnviz.app.views.drawing_pad import DrawingPadView
    from cnnviz.app.views.preprocess_pipeline import PreprocessPipelineView
    from cnnviz.app.views.timeline import TimelineView
    from cnnviz.data import images_to_float, load_bundled
    from cnnviz.nn import build_network, load_checkpoint
    from cnnviz.resources import resource_path
    from cnnviz.training import Trainer
    from cnnviz.nn import get_preset

    def settle():
        for _ in range(15):
            app.processEvents()
            time.sleep(0.02)

    ds = load_bundled()
    which = sys.argv[1:] or ["pipeline", "timeline"]

    if "pipeline" in which:
        state = AppState(load_checkpoint(resource_path("model", "lenet.npz")), ds)
        pad = DrawingPadView(state)
        view = PreprocessPipelineView(state, pad)
        view.resize(1500, 560)
        view.show()
        pad.draw_stroke(SEVEN)
        for center, name in ((True, "centred"), (False, "uncentred")):
            view.set_centering(center)
            settle()
            view.grab().save(f"/tmp/preview_cls2_pipeline_{name}.png")
            print(f"{name}: pad reads {pad.top3()[0]}; view says {view.prediction.text()!r}; "
                  f"{view.other.text()!r}")
        times = []
        for _ in range(20):
            t = time.perf_counter()
            view.refresh()
            times.append((time.perf_counter() - t) * 1e3)
        print(f"pipeline refresh: median {np.median(times):.1f} ms")
        view.close()
        pad.close()

    if "timeline" in which:
        net = build_network("lenet", seed=0)
        state = AppState(net, ds)
        i = 3
        state.set_probe(ds.test_images[i] / 255.0, int(ds.test_labels[i]), index=i)
        view = TimelineView(state)
        view.resize(1400, 950)
        view.show()
        settle()
        view.record_interval_s = 0.0         # every other step, not every 0.5 s
        worker_net = build_network(config=net.config)
        worker_net.load_params(net.copy_params())
        trainer = Trainer(worker_net, images_to_float(ds.train_images), ds.train_labels,
                          images_to_float(ds.test_images[:10]), ds.test_labels[:10],
                          get_preset("lenet").training)
        for _ in range(40):
            result = trainer.step()
            if trainer.step_count % 2 == 0:
                state.set_params(worker_net.copy_params())
                view.record_from_state(trainer.step_count, result.batch.epoch_progress)
                app.processEvents()
        view.flush()
        settle()
        view.grab().save("/tmp/preview_cls2_timeline_live.png")
        view.show_index(len(view.timeline) // 4)
        settle()
        view.grab().save("/tmp/preview_cls2_timeline_replay.png")
        print(f"timeline: {len(view.timeline)} snapshots, {view.timeline.memory_bytes / 1e6:.2f} MB,"
              f" shown step {view.timeline[view.shown_index].step}")
        print(f"record_from_state: median {np.median(view.record_ms):.3f} ms, "
              f"max {np.max(view.record_ms):.3f} ms")
        times = []
        for k in range(len(view.timeline)):
            t = time.perf_counter()
            view.show_index(k)
            times.append((time.perf_counter() - t) * 1e3)
        print(f"show_index (replay + draw): median {np.median(times):.1f} ms")
        # The throttle: 10 Hz calls record at most every 0.5 s.
        before = len(view.timeline)
        view.record_interval_s = 0.5
        view._last_record_time = time.perf_counter()
        for s in range(100, 110):
            view.record_from_state(s, 1.0)
        print(f"10 calls within 0.5 s added {len(view.timeline) - before} snapshots now "
              f"(1 pending: {view._pending})")
        view.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
