"""Many fast Steps: how long the UI thread stalls and how much memory a burst of Steps keeps.

    PYTHONPATH=. QT_QPA_PLATFORM=offscreen python scripts/measure_steps.py [--steps 50]
        [--raise step_explainer] [--batch 64] [--profile out.html] [--rounds 1]

Opens the real main window (the app's startup: one OpenBLAS thread, bundled data and model,
``gc.freeze`` and the UI-thread collector), then presses Step ``--steps`` times, one per event-loop turn (a 0 ms
timer calling the Step action, as fast as events allow), and waits until the last Step's
detail has been shown and nothing is left to draw. Meanwhile a 2 ms heartbeat QTimer records
every gap between its ticks: the longest gap is the longest the UI thread did not answer.
Prints the stalls (max, p99, how many over 50 / 100 ms), the renders and step details shown,
and the process RSS before, after the burst, and after a full ``gc.collect()``. With
``--profile`` a pyinstrument profile of the UI thread during the burst is written as HTML.
``--rounds N`` repeats the burst (memory that grows every round is a leak); ``--pace 33``
presses like a held key's auto-repeat; ``--watchdog`` prints where the UI thread was while
late; ``--tracemalloc`` where the memory kept by a round was allocated. RSS is also shown
after ``malloc_trim``: the difference is freed memory glibc keeps for reuse, not a leak.
"""

from __future__ import annotations

import argparse
import collections
import gc
import os
import sys
import tempfile
import threading
import time
import traceback


def rss_mb() -> float:
    """The process's resident set size in MB (from /proc)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--pace", type=int, default=0,
                        help="ms between two presses (0: one per event-loop turn; 33: a held "
                             "key's auto-repeat)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--raise", dest="raise_view", default=None,
                        help="a view to bring to the front first (e.g. step_explainer)")
    parser.add_argument("--profile", default=None, help="write a pyinstrument HTML here")
    parser.add_argument("--watchdog", action="store_true",
                        help="sample the UI thread's stack whenever it is late by 60 ms")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="list where the memory kept after each round was allocated")
    args = parser.parse_args()

    os.environ.setdefault("CNNVIZ_SETTINGS_DIR", tempfile.mkdtemp(prefix="measure-steps-"))
    from PyQt6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PyQt6.QtWidgets import QApplication

    from cnnviz.app.main import open_main_window
    from cnnviz.app.state import is_exposed, refresh_queue
    from cnnviz.app.worker import join_training_threads

    from cnnviz.app.blas import limit_blas_threads_for_app
    limit_blas_threads_for_app(1)                # as run_app does
    app = QApplication(sys.argv[:1])
    window = open_main_window(size=(1600, 1000))
    if args.raise_view:
        window.raise_dock(args.raise_view)
    window.controls.batch_spin.setValue(args.batch)

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait_until(condition, timeout_s: float = 300) -> bool:
        end = time.perf_counter() + timeout_s
        while not condition():
            if time.perf_counter() > end:
                return False
            wait(10)
        return True

    # how long the UI thread spends in each view's show_step and in each render
    handler_ms = collections.defaultdict(list)

    def timed(name, function):
        def run(*a, **k):
            t = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                handler_ms[name].append((time.perf_counter() - t) * 1000)
        return run
    for name, view in window.views.items():
        if hasattr(view, "show_step"):
            view.show_step = timed(f"{name}.show_step", view.show_step)
    window.controller.renderSnapshot.disconnect(window._render_snapshot)
    window.controller.renderSnapshot.connect(timed("render (all views)", window._render_snapshot))
    shown, renders = [], []
    window.controller.stepped.connect(lambda d: shown.append(d.step))
    window.controller.renderSnapshot.connect(lambda s: renders.append(s.step))
    wait(1500)                                   # first paints, startup timers
    gc.collect()
    print(f"views on screen: {sorted(n for n, v in window.views.items() if is_exposed(v))}")

    clock = QElapsedTimer()
    clock.start()
    gaps: list[tuple[float, float]] = []         # (gap ms, at ms since the burst began)
    last = [0]

    def beat():
        now = clock.nsecsElapsed()
        gaps.append(((now - last[0]) / 1e6, now / 1e6))
        last[0] = now
    heartbeat = QTimer()
    heartbeat.setInterval(2)
    heartbeat.timeout.connect(beat)

    late_stacks = collections.Counter()
    stopped = []
    if args.watchdog:
        ui_thread = threading.get_ident()
        beat_wall = [time.perf_counter()]

        def note_beat():
            beat_wall[0] = time.perf_counter()
        heartbeat.timeout.connect(note_beat)

        def watch():
            while not stopped:
                time.sleep(0.02)
                if heartbeat.isActive() and time.perf_counter() - beat_wall[0] > 0.06:
                    frame = sys._current_frames().get(ui_thread)
                    if frame is not None:
                        stack = traceback.extract_stack(frame)[-7:]
                        late_stacks[" <- ".join(f"{os.path.basename(f.filename)}:{f.lineno}"
                                                f" {f.name}" for f in reversed(stack))] += 1
        threading.Thread(target=watch, daemon=True).start()

    profiler = None
    if args.profile:
        from pyinstrument import Profiler
        profiler = Profiler(interval=0.001)

    import ctypes
    libc = ctypes.CDLL("libc.so.6")
    first_step = 0
    if args.tracemalloc:
        import tracemalloc
        tracemalloc.start(8)
    for round_no in range(args.rounds):
        rss_before = rss_mb()
        if args.tracemalloc:
            traced_before = tracemalloc.take_snapshot()
        shown.clear()
        renders.clear()
        gaps.clear()
        pressed = [0]
        target = first_step + args.steps

        def press():
            window.step_training()
            pressed[0] += 1
            if pressed[0] >= args.steps:
                presser.stop()
        presser = QTimer()
        presser.setInterval(args.pace)
        presser.timeout.connect(press)
        if profiler is not None:
            profiler.start()
        clock.restart()
        last[0] = 0
        heartbeat.start()
        presser.start()
        done = wait_until(lambda: bool(shown) and shown[-1] == target
                          and not refresh_queue().pending)
        burst_ms = clock.elapsed()
        wait(1000)                               # anything drawn late, a collector pass
        heartbeat.stop()
        if profiler is not None:
            profiler.stop()
        rss_after = rss_mb()
        gc.collect()
        rss_collected = rss_mb()
        libc.malloc_trim(0)                      # free heap pages malloc still holds
        rss_trimmed = rss_mb()
        ms = sorted(g for g, _ in gaps)
        worst = sorted(gaps, reverse=True)[:5]
        p99 = ms[int(0.99 * (len(ms) - 1))] if ms else float("nan")
        print(f"round {round_no + 1}: {args.steps} Steps (batch {args.batch}) "
              f"{'done' if done else 'NOT DONE (timeout)'} in {burst_ms} ms; "
              f"details shown {len(shown)} (steps {shown[:3]}{'...' if len(shown) > 3 else ''}), "
              f"renders {len(renders)}")
        print(f"  UI stall: max {ms[-1]:.0f} ms, p99 {p99:.0f} ms, over 50 ms: "
              f"{sum(g > 50 for g in ms)}, over 100 ms: {sum(g > 100 for g in ms)}; "
              f"worst (gap ms @ ms): {', '.join(f'{g:.0f}@{t:.0f}' for g, t in worst)}")
        print(f"  RSS: before {rss_before:.1f} MB, after {rss_after:.1f} MB "
              f"(+{rss_after - rss_before:.1f}), after gc.collect {rss_collected:.1f} MB "
              f"(+{rss_collected - rss_before:.1f}), after malloc_trim {rss_trimmed:.1f} MB "
              f"(+{rss_trimmed - rss_before:.1f})")
        if args.tracemalloc:
            diff = tracemalloc.take_snapshot().compare_to(traced_before, "traceback")
            print("  kept since the round began (tracemalloc, top 8):")
            for stat in diff[:8]:
                print(f"    {stat.size_diff / 1e6:+.1f} MB in {stat.count_diff:+d} blocks")
                for line in stat.traceback.format()[-6:]:
                    print("      " + line)
        for name, times in sorted(handler_ms.items()):
            print(f"  {name}: {len(times)} calls, max {max(times):.0f} ms, "
                  f"total {sum(times):.0f} ms")
        handler_ms.clear()
        if late_stacks:
            print("  UI thread while late (20 ms samples):")
            for stack, n in late_stacks.most_common(10):
                print(f"    {n:4d}  {stack}")
            late_stacks.clear()
        first_step = target
    if profiler is not None:
        with open(args.profile, "w") as f:
            f.write(profiler.output_html())
        print(profiler.output_text(unicode=False, color=False, show_all=False)[:6000])
    stopped.append(True)
    window.stop_training()
    join_training_threads()
    window.state.set_modified(False)
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
