"""``cnnviz bench --gui``: training speed with the real window open, UI stalls, draw latency.

For each batch size it opens the real main window (offscreen unless a display is set), trains
for a few seconds through the real worker thread in two layouts, and measures:

* training images/s with the window open, next to the same Trainer run headless (no Qt
  event loop, same data, same process) -- the target is at least 85 %;
* UI event-loop stalls: a 5 ms QTimer records how late each tick fires (p50, p99, max);
* then, still training, draw-to-prediction: a stroke is fed to the drawing pad's canvas every
  ~250 ms and the time until the pad's ``predictionChanged`` is measured (median, p90), with
  the training rate and stall p99 while drawing.

Layouts: ``default`` is the window as a user first sees it (docks tabbed behind another are
not on screen and do no work); ``all`` floats every dock as its own window, so every view is
on screen and live at once (the issue's "every view live"). The views that were on screen are
listed in the output. It runs in a child process with OpenBLAS at 1 thread, as the app does.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

CHILD_ENV = "CNNVIZ_BENCH_GUI_CHILD"
GUI_BATCH_SIZES = (5, 64)


def _percentile(values, q: float) -> float:
    import numpy as np
    return float(np.percentile(np.asarray(values, float), q)) if len(values) else float("nan")


def _headless_rate(state, batch_size: int, seconds: float) -> float:
    """Images/s of ``Trainer.step`` on the app's data with no UI at all."""
    from ..data import images_to_float
    from ..nn import build_network, get_preset
    from ..training import Trainer

    ds = state.dataset
    net = build_network(config=state.net.config)
    net.load_params(state.net.copy_params())
    config = get_preset("lenet").training.with_overrides(batch_size=batch_size, epochs=1000,
                                                         lr=0.001)
    trainer = Trainer(net, images_to_float(ds.train_images), ds.train_labels,
                      images_to_float(ds.test_images), ds.test_labels, config)
    for _ in range(3):
        trainer.step()
    start, first = time.perf_counter(), trainer.step_count
    while True:               # at least one batch, however long a busy machine held us
        trainer.step()
        if time.perf_counter() - start >= seconds:
            break
    return (trainer.step_count - first) * batch_size / (time.perf_counter() - start)


def set_layout(app, window, layout: str) -> list[str]:
    """Arrange ``window`` as ``layout`` ("default" or "all"); the names of the exposed views."""
    from .state import is_exposed

    window.reset_layout()
    window.resize(1600, 1000)
    if layout == "all":
        x = y = 0
        for name, dock in window.docks.items():
            dock.setFloating(True)
            hint = dock.widget().sizeHint()
            w, h = min(900, max(520, hint.width())), min(700, max(420, hint.height()))
            dock.setGeometry(x, y, w, h)
            dock.show()
            x += 60
            y += 40
    for _ in range(5):
        app.processEvents()
    return sorted(n for n, v in window.views.items() if is_exposed(v))


def _measure_window(app, window, batch_size: int, seconds: float) -> dict:
    """Train in the open window for ``seconds``; return throughput, stalls, draw latency."""
    from PyQt6.QtCore import QElapsedTimer, QEventLoop, QPointF, QTimer

    window.controls.batch_spin.setValue(batch_size)
    window.controls.epochs_spin.setValue(1000)
    window.controls.lr_spin.setValue(0.001)
    render_ms: list[float] = []
    original = window._render_snapshot

    def timed_render(snapshot):
        t = time.perf_counter()
        original(snapshot)
        render_ms.append((time.perf_counter() - t) * 1000)
    window.controller.renderSnapshot.disconnect(original)
    window.controller.renderSnapshot.connect(timed_render)
    # Starting the bundled pre-trained model would ask (modally) whether to train fresh
    # weights instead; the benchmark trains whatever is loaded without asking.
    window.state.pretrained = False
    window.start_training()
    worker = window.controller.worker

    lateness: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def tick():
        now = clock.nsecsElapsed()
        lateness.append(max(0.0, (now - last[0]) / 1e6 - 5.0))
        last[0] = now
    stall_timer = QTimer()
    stall_timer.setInterval(5)
    stall_timer.timeout.connect(tick)

    pad = window.views.get("drawing_pad")
    draw_ms: list[float] = []
    pending = {"t": None}
    strokes = [[(140, 50), (140, 110), (140, 170), (140, 230)],
               [(90, 60), (190, 60), (120, 230)],
               [(100, 80), (180, 70), (170, 150), (100, 230), (190, 230)]]
    count = {"i": 0}

    def on_prediction():
        if pending["t"] is not None:
            draw_ms.append((time.perf_counter() - pending["t"]) * 1000)
            pending["t"] = None

    def stroke():
        points = strokes[count["i"] % len(strokes)]
        count["i"] += 1
        pending["t"] = time.perf_counter()
        pad.canvas.begin_stroke(QPointF(*points[0]), 18)
        for p in points[1:]:
            pad.canvas.extend_stroke(QPointF(*p))

    def draw():
        if pad is None or pending["t"] is not None:
            return
        pad.canvas.clear()
        pad.refresh_now()
        # A new stroke a moment after the clear, as a hand would: the pad answers the first
        # change at once (later ones in a stroke are coalesced to ~30 per second).
        QTimer.singleShot(60, stroke)
    draw_timer = QTimer()
    draw_timer.setInterval(250)
    draw_timer.timeout.connect(draw)
    if pad is not None:
        pad.predictionChanged.connect(on_prediction)

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait_for_a_batch(since_step: int) -> None:
        """A rate is measured over at least one batch: on a busy machine the worker may not
        have been given the CPU for a whole short phase (a rate of 0 would be wrong)."""
        deadline = time.perf_counter() + 60
        while worker.trainer.step_count == since_step and time.perf_counter() < deadline:
            wait(20)

    wait(700)                                    # warm-up: first snapshots, first redraws
    # Phase 1: training with the views live, nobody touching the window.
    lateness.clear()
    last[0] = clock.nsecsElapsed()
    render_ms.clear()
    stall_timer.start()
    start_steps, start = worker.trainer.step_count, time.perf_counter()
    renders, ui_cpu = window.controller.renders, time.thread_time()
    wait(int(seconds * 1000))
    wait_for_a_batch(start_steps)
    steps, elapsed = worker.trainer.step_count - start_steps, time.perf_counter() - start
    renders = window.controller.renders - renders
    ui_cpu = time.thread_time() - ui_cpu
    phase1_lateness = list(lateness)
    # Phase 2: still training, a digit drawn on the pad every 250 ms.
    lateness.clear()
    last[0] = clock.nsecsElapsed()
    draw_timer.start()
    draw_steps, draw_start = worker.trainer.step_count, time.perf_counter()
    wait(int(seconds * 600))
    wait_for_a_batch(draw_steps)
    draw_rate = ((worker.trainer.step_count - draw_steps) * batch_size
                 / (time.perf_counter() - draw_start))
    stall_timer.stop()
    draw_timer.stop()
    if pad is not None:
        pad.predictionChanged.disconnect(on_prediction)
    window.stop_training()
    window.controller.renderSnapshot.disconnect(timed_render)
    window.controller.renderSnapshot.connect(original)
    app.processEvents()
    return {
        "render_median_ms": statistics.median(render_ms) if render_ms else float("nan"),
        "render_p90_ms": _percentile(render_ms, 90), "renders": len(render_ms),
        "renders_per_second": renders / elapsed, "ui_cpu_share": ui_cpu / elapsed,
        "gui_images_per_second": steps * batch_size / elapsed,
        "stall_p50_ms": _percentile(phase1_lateness, 50),
        "stall_p99_ms": _percentile(phase1_lateness, 99),
        "stall_max_ms": max(phase1_lateness) if phase1_lateness else float("nan"),
        "drawing_images_per_second": draw_rate,
        "drawing_stall_p99_ms": _percentile(lateness, 99),
        "draw_to_prediction_median_ms": statistics.median(draw_ms) if draw_ms else float("nan"),
        "draw_to_prediction_p90_ms": _percentile(draw_ms, 90), "draws": len(draw_ms),
    }


def measure(batch_sizes=GUI_BATCH_SIZES, seconds: float = 2.5,
            layouts=("default", "all"), rounds: int = 3) -> dict:
    """All measurements in this process (its OpenBLAS thread count is already fixed)."""

    from PyQt6.QtWidgets import QApplication

    started = time.perf_counter()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    from .main import open_main_window

    window = open_main_window(restore_layout=False, size=(1600, 1000))
    first_show = time.perf_counter() - started
    results = {"openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
               "switch_interval_ms": 1000 * sys.getswitchinterval(),
               "first_show_seconds": first_show, "docks": sorted(window.docks),
               "exposed": {}, "batches": {}}
    for b in batch_sizes:
        # Rounds of (layout 1, headless, layout 2, ...): each GUI figure is compared with the
        # headless rate measured next to it, and the table gives the median over rounds, so
        # a burst of load from other processes does not decide the result.
        per_round: dict[str, list[dict]] = {layout: [] for layout in layouts}
        for _ in range(rounds):
            gui = {}
            for i, layout in enumerate(layouts):
                results["exposed"][layout] = set_layout(app, window, layout)
                gui[layout] = _measure_window(app, window, b, seconds)
                if i == 0:
                    headless = _headless_rate(window.state, b, seconds)
            for layout, row in gui.items():
                row["headless_images_per_second"] = headless
                row["ratio"] = row["gui_images_per_second"] / headless
                per_round[layout].append(row)
        results["batches"][str(b)] = {
            layout: {key: statistics.median(r[key] for r in rows) for key in rows[0]}
            for layout, rows in per_round.items()}
        results.setdefault("ratios", {})[str(b)] = {
            layout: [round(r["ratio"], 3) for r in rows] for layout, rows in per_round.items()}
    window.state.set_modified(False)     # a measurement, nothing to save
    window.close()
    from .main import delete_window
    from .worker import join_training_threads
    # as run_app does: close waits only a few seconds for the worker, and a QThread still
    # running when the interpreter tears Qt down aborts the child (a loaded machine)
    join_training_threads()
    delete_window(window)      # now, not at interpreter exit (see delete_window)
    return results


def _child() -> None:
    config = json.loads(os.environ[CHILD_ENV])
    if config.get("runtime_threads"):
        from .blas import set_blas_threads
        os.environ["OPENBLAS_NUM_THREADS"] = str(config["runtime_threads"])
        set_blas_threads(config["runtime_threads"])
    print(json.dumps(measure(config["batch_sizes"], config["seconds"],
                             rounds=config.get("rounds", 3))))


def child_environment(batch_sizes, seconds: float, rounds: int = 3,
                      threads: str | None = "1") -> dict:
    """The environment of a benchmark child process (offscreen unless a platform is set)."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env[CHILD_ENV] = json.dumps({"batch_sizes": list(batch_sizes), "seconds": seconds,
                                 "rounds": rounds})
    env.pop("OPENBLAS_NUM_THREADS", None)
    if threads:
        env["OPENBLAS_NUM_THREADS"] = threads
    return env


CHILD_COMMAND = [sys.executable, "-c", "from cnnviz.app.bench_gui import _child; _child()"]


def format_results(runs: list[dict]) -> str:
    lines = ["cnnviz bench --gui: the real window, training through the worker thread", ""]
    header = (f"{'layout':>8} {'batch':>5} {'GUI img/s':>10} {'headless':>10} {'ratio':>6} "
              f"{'stall p50':>9} {'p99':>6} {'max':>6} {'renders/s':>9} {'UI cpu':>6} | "
              f"{'draw ms':>7} {'p90':>6} {'ratio':>6} {'p99':>6}")
    lines.append(header)
    for run in runs:
        for b, rows in run["batches"].items():
            for layout, r in rows.items():
                lines.append(
                    f"{layout:>8} {b:>5} {r['gui_images_per_second']:>10,.0f} "
                    f"{r['headless_images_per_second']:>10,.0f} {100 * r['ratio']:>5.0f}% "
                    f"{r['stall_p50_ms']:>9.1f} {r['stall_p99_ms']:>6.1f} "
                    f"{r['stall_max_ms']:>6.1f} {r['renders_per_second']:>9.1f} "
                    f"{100 * r['ui_cpu_share']:>5.0f}% | "
                    f"{r['draw_to_prediction_median_ms']:>7.1f} "
                    f"{r['draw_to_prediction_p90_ms']:>6.1f} "
                    f"{100 * r['drawing_images_per_second'] / r['headless_images_per_second']:>5.0f}% "
                    f"{r['drawing_stall_p99_ms']:>6.1f}")
    for run in runs:
        for b, ratios in run.get("ratios", {}).items():
            lines.append(f"batch {b} ratio per round: " + "; ".join(
                f"{layout} " + " ".join(f"{100 * r:.0f}%" for r in rs)
                for layout, rs in ratios.items()))
    lines += ["", "medians over rounds; left of |: training with the views live; right of |: while a digit is drawn on "
              "the pad every 250 ms (its ratio and stall p99 too)",
              "targets: ratio >= 85%, stall p99 < 20 ms, draw-to-prediction < 30 ms"]
    for run in runs:
        for layout, names in run["exposed"].items():
            lines.append(f"views on screen ({layout}, {len(names)} of {len(run['docks'])}): "
                         + ", ".join(names))
        lines.append(f"OpenBLAS threads {run['openblas_threads']}, switch interval "
                     f"{run['switch_interval_ms']:g} ms, window built and shown in "
                     f"{run['first_show_seconds']:.2f} s")
    return "\n".join(lines)


def run_gui_benchmark(args) -> int:
    """Entry point of ``cnnviz bench --gui`` (a child process with one OpenBLAS thread)."""
    from ..bench import DEFAULT_BATCH_SIZES
    from .display import display_problem

    problem = display_problem()
    if problem is not None:             # the child's Qt would abort, blaming a library
        print(f"cnnviz: error: {problem}", file=sys.stderr)
        return 1
    sizes = list(getattr(args, "batch_sizes", GUI_BATCH_SIZES))
    if sizes == list(DEFAULT_BATCH_SIZES):
        sizes = list(GUI_BATCH_SIZES)
    seconds = max(2.0, getattr(args, "seconds", 0.5) * getattr(args, "repeats", 5))
    runs = []
    for threads in ("1",):
        env = child_environment(sizes, seconds, threads=threads)
        print(f"measuring with OpenBLAS threads = {threads or 'default'} ...", file=sys.stderr,
              flush=True)
        proc = subprocess.run(CHILD_COMMAND, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return proc.returncode
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    if getattr(args, "json", False):
        print(json.dumps(runs))
    else:
        print(format_results(runs))
    return 0
