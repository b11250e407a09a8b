"""Scrub latency: how long the main window takes to show a new recorded step.

    xvfb-run -a -s "-screen 0 1600x1000x24" python scripts/measure_scrub.py RUN.cnnrun [--shot PNG]

Opens the startup window (default layout), opens the recording on the timeline bar, then
moves to 40 random recorded steps; each time measures from the request until every queued
view refresh and paint is done (``processEvents`` after ``show_point``). Prints the median,
90th percentile and maximum in milliseconds. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recording")
    parser.add_argument("--points", type=int, default=40)
    parser.add_argument("--shot", help="save a screenshot of the window at the end")
    args = parser.parse_args()

    import numpy as np
    from PyQt6.QtWidgets import QApplication

    from cnnviz.app.blas import limit_blas_threads_for_app
    from cnnviz.app.main import open_main_window
    from cnnviz.app.state import refresh_queue

    limit_blas_threads_for_app(1)
    app = QApplication.instance() or QApplication(["cnnviz"])
    window = open_main_window(restore_layout=False, size=(1600, 980))
    if not window.replay.open(args.recording):
        return 1
    for _ in range(20):
        app.processEvents()
    rng = np.random.default_rng(0)
    n = len(window.replay.recording.steps)
    times = []
    for index in rng.integers(0, n, args.points):
        start = time.perf_counter()
        window.replay.show_point(int(index))
        refresh_queue().flush()
        app.processEvents()
        times.append((time.perf_counter() - start) * 1000)
    t = np.array(times)
    print(f"{args.points} steps of {Path(args.recording).name} ({n} points): median "
          f"{np.median(t):.0f} ms, 90th percentile {np.percentile(t, 90):.0f} ms, max "
          f"{t.max():.0f} ms")
    if args.shot:
        window.replay.bar.set_index(n // 3)
        for _ in range(30):
            app.processEvents()
            time.sleep(0.02)
        window.grab().save(args.shot)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
