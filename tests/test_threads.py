"""The BLAS thread policy (cnnviz.threads) and the bench's --load and --threads options.

No timing assertions: tiny benches run only to check what they report and clean up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cnnviz import bench, threads
from cnnviz.threads import ThreadPolicy, get_blas_threads, set_blas_threads, threads_for

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def restore_blas_threads():
    before = get_blas_threads()
    yield
    if before:
        set_blas_threads(before)


def test_set_and_get_blas_threads_round_trip(restore_blas_threads):
    assert set_blas_threads(1) and get_blas_threads() == 1
    assert set_blas_threads(2) and get_blas_threads() == 2


def test_the_ctypes_fallback_sets_openblas_without_threadpoolctl(monkeypatch,
                                                                  restore_blas_threads):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)     # import fails
    assert set_blas_threads(1) and get_blas_threads() == 1
    assert set_blas_threads(2) and get_blas_threads() == 2


@pytest.mark.parametrize("free,cpus,expected", [
    (2.0, 2, 2), (1.9, 2, 2), (1.7, 2, 2), (1.6, 2, 1), (1.0, 2, 1), (0.0, 2, 1),
    (0.2, 2, 1), (7.8, 8, 8), (3.5, 8, 3), (5.0, 4, 4)])
def test_threads_for_counts_a_core_free_when_at_most_30_percent_is_used(free, cpus, expected):
    assert threads_for(free, cpus) == expected


def test_requested_threads_are_fixed_and_applied(restore_blas_threads):
    policy = ThreadPolicy.choose(1)
    assert policy.threads == 1 and not policy.adaptive
    assert get_blas_threads() == 1
    assert not policy.maybe_update(time.monotonic() + 100)
    assert "1 BLAS thread(s)" in policy.describe() and "--threads" in policy.describe()
    with pytest.raises(ValueError):
        ThreadPolicy.choose(0)


def test_the_users_environment_variable_wins(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    policy = ThreadPolicy.choose(apply=False)
    assert policy.threads == 3 and not policy.adaptive
    assert "OPENBLAS_NUM_THREADS=3" in policy.describe()


class FakeSampler:
    def __init__(self, values):
        self.values = list(values)

    def others_busy(self):
        return self.values.pop(0)


def test_the_policy_follows_the_load_when_it_changes():
    sampler = FakeSampler([1.0, 1.0, 0.1, None])
    policy = ThreadPolicy(2, 2, "start", adaptive=True, interval=3.0, sampler=sampler,
                          apply=False)
    t0 = time.monotonic()
    assert not policy.maybe_update(t0)                 # not yet due: no sample taken
    assert sampler.values == [1.0, 1.0, 0.1, None]
    assert policy.maybe_update(t0 + 3.1) and policy.threads == 1     # one core got busy
    assert "1.0 of 2 CPUs busy" in policy.describe()
    assert not policy.maybe_update(t0 + 6.2) and policy.threads == 1
    assert policy.maybe_update(t0 + 9.3) and policy.threads == 2     # it went away again
    assert not policy.maybe_update(t0 + 12.4) and policy.threads == 2  # unknown: keep
    assert policy.changes == 2


def test_the_sampler_counts_other_work_only(monkeypatch):
    # Machine: 3 s of CPU busy over 2.2 s of wall time; of it, 1.5 s was this process.
    # Samples are (wall time, (machine busy, machine total) CPU seconds, our CPU seconds,
    # wall time after reading them).
    samples = iter([(99.9, (10.0, 100.0), 5.0, 100.0), (102.0, (13.0, 104.0), 6.5, 102.1)])
    monkeypatch.setattr(threads.LoadSampler, "_sample", staticmethod(lambda: next(samples)))
    sampler = threads.LoadSampler()
    assert sampler.others_busy() == pytest.approx((3.0 - 1.5) / 2.2)     # 99.9 .. 102.1


def test_a_sample_descheduled_before_it_reads_the_machine_counts_no_extra_cpus(monkeypatch):
    """On a loaded machine the second sample was descheduled between reading its clock and
    /proc/stat: the busy time of that pause was divided by the 50 ms before it (the suite
    once saw more CPUs busy than the machine has)."""
    import types
    clock, busy, reads = [0.0], [0.0], []

    def machine():                                  # two CPUs, both busy all the time
        reads.append(clock[0])
        if len(reads) == 2:                         # 1 s descheduled just before reading
            clock[0] += 1.0
            busy[0] += 2.0
        return busy[0], 2 * clock[0]
    monkeypatch.setattr(threads, "_cpu_seconds_all", machine)
    monkeypatch.setattr(threads, "_own_cpu_seconds", lambda: 0.0)
    monkeypatch.setattr(threads, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))
    sampler = threads.LoadSampler()
    clock[0] += 0.05
    busy[0] += 0.1
    assert sampler.others_busy() == pytest.approx(2.0)


def test_the_sampler_reads_this_machine():
    sampler = threads.LoadSampler()
    time.sleep(0.2)                 # /proc/stat counts in 10 ms ticks: a few in 0.2 s
    busy = sampler.others_busy()
    assert busy is not None and 0.0 <= busy <= threads.cpu_count() + 0.5


# -- bench --load and --threads -----------------------------------------------------------------

def test_busy_process_is_pinned_and_stopped():
    process, cpu = bench.start_busy_process()
    try:
        assert process.poll() is None                      # running
        if cpu is not None:
            assert os.sched_getaffinity(process.pid) == {cpu}
    finally:
        bench.stop_busy_process(process)
    assert process.poll() is not None


def _recording_busy(monkeypatch):
    started = []
    real = bench.start_busy_process

    def start():
        process, cpu = real()
        started.append(process)
        return process, cpu
    monkeypatch.setattr(bench, "start_busy_process", start)
    return started


def test_bench_with_load_reports_it_and_stops_the_busy_process(monkeypatch):
    started = _recording_busy(monkeypatch)
    results = bench.run_benchmark([2], repeats=1, seconds=0.01, with_torch=False, threads=1,
                                  load=True)
    assert len(started) == 1 and started[0].poll() is not None     # stopped afterwards
    assert results["load"] is True and results["threads"] == 1
    assert results["threads_per_batch"] == {"2": 1}
    assert "--threads" in results["thread_policy"]
    assert "another process kept one CPU busy" in bench.format_results(results)


def test_bench_stops_the_busy_process_even_when_the_measurement_fails(monkeypatch):
    started = _recording_busy(monkeypatch)

    def broken(*args, **kwargs):
        raise RuntimeError("measurement failed")
    monkeypatch.setattr(bench, "_measure", broken)
    with pytest.raises(RuntimeError, match="measurement failed"):
        bench.run_benchmark([2], repeats=1, seconds=0.01, with_torch=False, load=True)
    assert len(started) == 1 and started[0].poll() is not None


@pytest.mark.parametrize("moment", ["after it started", "before it started"])
def test_busy_process_ends_by_itself_when_its_parent_dies(moment):
    # A parent that starts the busy child, prints its pid and dies without cleaning up:
    # after the child has run a while, or at once, before the child's Python has started
    # (on a loaded machine that took longer than start_busy_process's 0.3 s: the child then
    # took its new parent for the one to outlive and kept a CPU busy for good).
    no_wait = "bench.time.sleep = lambda s: None; " if moment == "before it started" else ""
    code = ("import os, sys; sys.path.insert(0, %r); from cnnviz import bench; %s"
            "p, _ = bench.start_busy_process(); print(p.pid, flush=True); os._exit(0)"
            % (str(REPO), no_wait))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    pid = int(out.stdout.split()[0])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _running(pid):
            time.sleep(0.05)
        assert not _running(pid), "the busy child outlived its parent"
    finally:
        if _running(pid):
            os.kill(pid, signal.SIGKILL)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def test_bench_and_train_commands_print_the_thread_policy(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), CNNVIZ_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run(
        [sys.executable, "-m", "cnnviz", "bench", "--batch-sizes", "2", "--repeats", "1",
         "--seconds", "0.01", "--no-torch", "--threads", "1"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "threads: 1 BLAS thread(s)" in result.stdout and "(--threads)" in result.stdout
    result = subprocess.run(
        [sys.executable, "-m", "cnnviz", "train", "--epochs", "1", "--limit", "64",
         "--threads", "1", "--out", "m.npz", "--no-progress"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    policy_lines = [l for l in result.stdout.splitlines() if l.startswith("threads: ")]
    assert policy_lines == ["threads: 1 BLAS thread(s) on %d CPU(s) (--threads)"
                            % threads.cpu_count()]
    result = subprocess.run(
        [sys.executable, "-m", "cnnviz", "train", "--threads", "0"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--threads" in result.stderr
