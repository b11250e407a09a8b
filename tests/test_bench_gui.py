"""Smoke test of ``cnnviz bench --gui``: the real window trains in both layouts and the
benchmark child finishes. Anything in the app that blocks the event loop for good (a modal
dialog asking a question nobody answers) makes the child run into the timeout and fail."""

from __future__ import annotations

import json
import subprocess

from cnnviz.app.bench_gui import CHILD_COMMAND, child_environment


def test_gui_benchmark_child_finishes_and_trains_in_both_layouts():
    env = child_environment([5], seconds=0.3, rounds=1)
    proc = subprocess.run(CHILD_COMMAND, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    rows = result["batches"]["5"]
    assert set(rows) == {"default", "all"}
    for layout, row in rows.items():
        assert row["gui_images_per_second"] > 0, layout
        assert row["headless_images_per_second"] > 0, layout
    assert len(result["exposed"]["all"]) == len(result["docks"])   # every view on screen
