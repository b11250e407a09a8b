"""Profile the UI thread while training with every view on screen (bench --gui's "all" layout).

    PYTHONPATH=. QT_QPA_PLATFORM=offscreen OPENBLAS_NUM_THREADS=1 python scripts/profile_ui.py [seconds] [batch]

Prints, per window of a few seconds: the UI thread's CPU share, training images/s, renders,
resize / layout-request / paint events per view, QTimer timeouts by receiver, and the top
functions of a cProfile of the UI thread (the profiler is enabled in the main thread only).
"""

from __future__ import annotations

import cProfile
import collections
import io
import pstats
import sys
import time

from PyQt6.QtCore import QEvent, QObject, QTimer, QEventLoop
from PyQt6.QtWidgets import QApplication


def owner_view(obj, views_by_id) -> str:
    """The name of the view (or "window"/"other") a QObject belongs to."""
    o = obj
    while o is not None:
        name = views_by_id.get(id(o))
        if name:
            return name
        try:
            o = o.parent()
        except Exception:
            break
    return "other"


class Counter(QObject):
    KINDS = {QEvent.Type.Resize: "resize", QEvent.Type.LayoutRequest: "layoutreq",
             QEvent.Type.Paint: "paint", QEvent.Type.Timer: "timer",
             QEvent.Type.GraphicsSceneResize: "gsresize", QEvent.Type.UpdateRequest: "updreq",
             QEvent.Type.MetaCall: "metacall"}

    def __init__(self, views_by_id):
        super().__init__()
        self.views_by_id = views_by_id
        self.counts = collections.Counter()
        self.resizes = collections.Counter()

    def eventFilter(self, obj, event):
        kind = self.KINDS.get(event.type())
        if kind:
            view = owner_view(obj, self.views_by_id)
            self.counts[(view, kind)] += 1
            if kind == "resize":
                o, n = event.oldSize(), event.size()
                self.resizes[(view, type(obj).__name__, obj.objectName(),
                              f"{o.width()}x{o.height()}->{n.width()}x{n.height()}")] += 1
        return False


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    window_s = 5.0
    app = QApplication.instance() or QApplication([sys.argv[0]])
    from cnnviz.app.bench_gui import set_layout
    from cnnviz.app.main import open_main_window

    window = open_main_window(restore_layout=False, size=(1600, 1000))
    exposed = set_layout(app, window, "all")
    print("exposed:", len(exposed), exposed)
    views_by_id = {id(v): n for n, v in window.views.items()}
    views_by_id.update({id(d): n for n, d in window.docks.items()})
    views_by_id[id(window)] = "window"

    # Count each view's refresh() calls and time.
    refresh_stats = collections.defaultdict(lambda: [0, 0.0])
    for name, view in window.views.items():
        if hasattr(view, "refresh"):
            original = view.refresh

            def wrapped(*a, _o=original, _n=name, **k):
                t = time.perf_counter()
                try:
                    return _o(*a, **k)
                finally:
                    s = refresh_stats[_n]
                    s[0] += 1
                    s[1] += time.perf_counter() - t
            view.refresh = wrapped

    counter = Counter(views_by_id)
    app.installEventFilter(counter)

    window.controls.batch_spin.setValue(batch)
    window.controls.epochs_spin.setValue(1000)
    window.controls.lr_spin.setValue(0.001)
    window.state.pretrained = False
    window.start_training()
    worker = window.controller.worker

    def wait(ms):
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    wait(700)
    t_end = time.perf_counter() + seconds
    k = 0
    while time.perf_counter() < t_end:
        k += 1
        counter.counts.clear()
        refresh_stats.clear()
        steps0, t0, cpu0 = worker.trainer.step_count, time.perf_counter(), time.thread_time()
        renders0 = window.controller.renders
        prof = cProfile.Profile()
        prof.enable()
        wait(int(window_s * 1000))
        prof.disable()
        wall = time.perf_counter() - t0
        cpu = time.thread_time() - cpu0
        rate = (worker.trainer.step_count - steps0) * batch / wall
        print(f"\n=== window {k}: t={k * window_s:.0f}s  UI cpu {100 * cpu / wall:.0f}%  "
              f"{rate:,.0f} img/s  renders {window.controller.renders - renders0}  "
              f"interval {window.controller._timer.interval()} ms  "
              f"queue runs so far {__import__('cnnviz.app.state', fromlist=['x']).refresh_queue().runs}")
        per_view = collections.defaultdict(dict)
        for (view, kind), n in counter.counts.items():
            per_view[view][kind] = n
        for view in sorted(per_view, key=lambda v: -sum(per_view[v].values())):
            print(f"  events {view:>20}: {dict(sorted(per_view[view].items()))}")
        for name, (n, t) in sorted(refresh_stats.items(), key=lambda kv: -kv[1][1]):
            print(f"  refresh {name:>20}: {n:4d} calls {1000 * t:8.1f} ms")
        out = io.StringIO()
        st = pstats.Stats(prof, stream=out)
        st.sort_stats("tottime").print_stats(18)
        st.sort_stats("cumtime").print_stats(30)
        text = out.getvalue()
        print("\n".join(line for line in text.splitlines()
                        if line.strip() and not line.startswith(("   Ordered", "   List"))))
    window.stop_training()
    window.state.set_modified(False)     # a measurement, nothing to save
    window.close()


def bench_sequence(batches=(5, 64), rounds: int = 3, seconds: float = 2.5) -> None:
    """Replay ``bench --gui``'s sequence (layouts alternating, rounds, batch sizes), profiling
    the UI thread during each measurement: what grows from round to round."""
    app = QApplication.instance() or QApplication([sys.argv[0]])
    from cnnviz.app import bench_gui
    from cnnviz.app.main import open_main_window

    window = open_main_window(restore_layout=False, size=(1600, 1000))
    views_by_id = {id(v): n for n, v in window.views.items()}
    views_by_id.update({id(d): n for n, d in window.docks.items()})
    views_by_id[id(window)] = "window"
    counter = Counter(views_by_id)
    app.installEventFilter(counter)
    for b in batches:
        for r in range(rounds):
            for layout in ("default", "all"):
                bench_gui.set_layout(app, window, layout)
                counter.counts.clear()
                counter.resizes.clear()
                prof = cProfile.Profile()
                prof.enable()
                row = bench_gui._measure_window(app, window, b, seconds)
                prof.disable()
                print(f"\n##### batch {b} round {r + 1} {layout}: {row['gui_images_per_second']:,.0f} "
                      f"img/s, UI cpu {100 * row['ui_cpu_share']:.0f}%, renders/s "
                      f"{row['renders_per_second']:.1f}, stall p99 {row['stall_p99_ms']:.1f}, "
                      f"draw {row['draw_to_prediction_median_ms']:.1f} ms")
                per_view = collections.defaultdict(dict)
                for (view, kind), n in counter.counts.items():
                    per_view[view][kind] = n
                for view in sorted(per_view, key=lambda v: -sum(per_view[v].values()))[:8]:
                    print(f"  events {view:>20}: {dict(sorted(per_view[view].items()))}")
                for key, n in counter.resizes.most_common(12):
                    print(f"  resize x{n}: {key}")
                out = io.StringIO()
                st = pstats.Stats(prof, stream=out)
                st.sort_stats("tottime").print_stats(12)
                st.sort_stats("cumtime").print_stats(25)
                if row["ui_cpu_share"] > 0.3:
                    st.print_callers("ViewBox.py.*\\(setRange\\)|updateAutoRange|_redraw|refresh\\b")
                print("\n".join(line for line in out.getvalue().splitlines()
                                if line.strip() and not line.startswith(("   Ordered", "   List"))))
    window.state.set_modified(False)     # a measurement, nothing to save
    window.close()


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "bench":
    bench_sequence(tuple(int(b) for b in sys.argv[2].split(",")) if len(sys.argv) > 2 else (5, 64))

elif __name__ == "__main__":
    main()
