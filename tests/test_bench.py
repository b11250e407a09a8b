"""``cnnviz bench``: the function API's result shape and the command's output (no timing asserts)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnnviz.bench import _median_rate, format_results, run_benchmark

REPO = Path(__file__).resolve().parents[1]


def test_run_benchmark_returns_a_rate_per_batch_size_and_a_latency():
    results = run_benchmark([1, 3], repeats=2, seconds=0.01, with_torch=False)
    assert results["batch_sizes"] == [1, 3] and results["repeats"] == 2
    rates = results["numpy"]["train_images_per_second"]
    assert set(rates) == {"1", "3"}
    assert all(math.isfinite(r) and r > 0 for r in rates.values())
    assert 0 < results["numpy"]["forward_latency_ms"] < 10_000
    assert results["torch"] is None and results["ratio"] is None
    json.dumps(results)                                    # JSON-ready


def test_run_benchmark_reports_each_measurement():
    lines = []
    run_benchmark([2], repeats=1, seconds=0.01, with_torch=False, report=lines.append)
    # the thread policy first; it is reported again whenever the machine's load changes it,
    # which another process may do at any moment: those lines are not counted
    assert lines[0].startswith("threads: ")
    measured = [line for line in lines if not line.startswith("threads: ")]
    assert len(measured) == 2
    assert "batch    2" in measured[0] and "ms" in measured[1]


@pytest.mark.parametrize("kwargs", [dict(batch_sizes=[0]), dict(batch_sizes=[]),
                                    dict(repeats=0), dict(seconds=0)])
def test_run_benchmark_refuses_bad_settings(kwargs):
    settings = dict(batch_sizes=[1], repeats=1, seconds=0.01, with_torch=False) | kwargs
    with pytest.raises(ValueError):
        run_benchmark(**settings)


def test_median_rate_warms_up_then_times_every_repeat():
    calls = []
    rate = _median_rate(lambda: calls.append(1), units_per_call=4, repeats=5, seconds=0,
                        warmup=3)
    assert len(calls) == 3 + 5          # 3 warm-up calls, then 1 call per repeat
    assert rate > 0


def _fake_results(with_torch: bool) -> dict:
    results = {"batch_sizes": [5, 64], "repeats": 5, "seconds": 0.5, "preset": "lenet",
               "threads": 2, "numpy_version": "2.x", "python": "3.11",
               "numpy": {"train_images_per_second": {"5": 1234.0, "64": 1700.0},
                         "forward_latency_ms": 0.25},
               "torch": None, "ratio": None}
    if with_torch:
        results["torch"] = {"train_images_per_second": {"5": 617.0, "64": 1700.0},
                            "forward_latency_ms": 0.5, "version": "2.13", "threads": 2}
        results["ratio"] = {"train": {"5": 2.0, "64": 1.0}, "forward": 2.0}
    return results


def test_the_table_lists_every_batch_size_and_the_ratio():
    table = format_results(_fake_results(with_torch=True))
    assert "numpy/torch" in table and "torch 2.13" in table
    row5 = next(l for l in table.splitlines() if l.split()[:1] == ["5"])
    assert row5.split() == ["5", "1,234", "617", "2.00"]
    assert "0.250" in table and "0.500" in table


def test_the_table_without_torch_says_so():
    table = format_results(_fake_results(with_torch=False))
    assert "not installed" in table and "numpy/torch" not in table.splitlines()[3]
    assert "busy" not in table


def test_the_table_warns_when_the_machine_was_busy():
    results = _fake_results(with_torch=False) | {"load_average_before": 3.5}
    assert "load average 3.5" in format_results(results)


def test_bench_command_prints_one_json_object(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run(
        [sys.executable, "-m", "cnnviz", "bench", "--json", "--batch-sizes", "2,4",
         "--repeats", "1", "--seconds", "0.01", "--no-torch"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout)
    assert results["batch_sizes"] == [2, 4]
    assert results["numpy"]["train_images_per_second"]["4"] > 0
    assert "images/s" in result.stderr                # progress lines go to stderr


def test_compared_steps_are_timed_in_alternation():
    from cnnviz.bench import _interleaved_rates

    order = []
    rates = _interleaved_rates({"a": lambda: order.append("a"), "b": lambda: order.append("b")},
                               units_per_call=1, repeats=3, seconds=0, warmup=1)
    assert set(rates) == {"a", "b"}
    assert order == ["a", "b"] + ["a", "b"] * 3     # warm-ups, then repeat 1, 2, 3 of each
