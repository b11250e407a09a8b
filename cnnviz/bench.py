"""``cnnviz bench``: how fast the NumPy network trains and infers, next to PyTorch if present.

Training speed is images per second of a full step (forward, backward and the SGD update)
on random data of MNIST's shape, at each batch size. The machine may be noisy, so each
number is the MEDIAN of several timed repeats, after a warm-up. The batch-1 forward latency
is what the drawing pad feels. When ``import torch`` works, the identical network (same
layer sizes and starting weights, same number of threads) is timed the same way and the
ratio NumPy / PyTorch is reported; PyTorch is never required.

    from cnnviz.bench import run_benchmark
    results = run_benchmark([5, 64], repeats=5, seconds=0.5)
    results["numpy"]["train_images_per_second"]["64"]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from typing import Callable

import numpy as np

DEFAULT_BATCH_SIZES = (1, 5, 32, 64, 128)


# ---------------------------------------------------------------------------------------------
# Timing


def _median_rate(step: Callable[[], None], units_per_call: int, repeats: int,
                 seconds: float, warmup: int = 3) -> float:
    """Median over ``repeats`` of ``units_per_call * calls / elapsed`` for ``step()``."""
    return _interleaved_rates({"only": step}, units_per_call, repeats, seconds, warmup)["only"]


def _interleaved_rates(steps: dict[str, Callable[[], None]], units_per_call: int,
                       repeats: int, seconds: float, warmup: int = 3) -> dict[str, float]:
    """Median rate (units/s) of each step function, timed in alternation.

    Each function is warmed up first; its warm-up time sets how many calls make one repeat
    of about ``seconds`` (at least one call). Then repeat 1 of every function runs, then
    repeat 2, and so on: on a shared machine a burst of load then hits both sides of a
    comparison alike instead of one of them.
    """
    calls = {}
    for name, step in steps.items():
        start = time.perf_counter()
        for _ in range(warmup):
            step()
        per_call = max((time.perf_counter() - start) / warmup, 1e-7)
        calls[name] = max(1, int(round(seconds / per_call)))
    rates: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            n = calls[name]
            start = time.perf_counter()
            for _ in range(n):
                step()
            rates[name].append(units_per_call * n / (time.perf_counter() - start))
    return {name: statistics.median(values) for name, values in rates.items()}


def _random_batches(batch_size: int, count: int = 4, seed: int = 0):
    """``count`` random (images (B,1,28,28) float32 in [0,1], labels (B,) int64) batches."""
    rng = np.random.default_rng(seed)
    return [(rng.random((batch_size, 1, 28, 28), dtype=np.float32),
             rng.integers(0, 10, batch_size)) for _ in range(count)]


def _cycle(batches):
    state = {"i": 0}

    def next_batch():
        batch = batches[state["i"] % len(batches)]
        state["i"] += 1
        return batch
    return next_batch


# ---------------------------------------------------------------------------------------------
# The step functions: NumPy, and PyTorch when it is installed


class NumpyBackend:
    """A training step (forward, backward, SGD update) and a forward pass of our network."""

    name = "numpy"

    def __init__(self, preset: str = "lenet") -> None:
        from cnnviz.nn import SGD, build_network, get_preset

        config = get_preset(preset).training
        self.net = build_network(preset, seed=0)
        # A small learning rate keeps random-label training from drifting anywhere odd.
        self.optimizer = SGD(self.net.params, lr=config.lr * 1e-3, momentum=config.momentum,
                             weight_decay=config.weight_decay)

    def train_step(self, batch_size: int) -> Callable[[], None]:
        next_batch = _cycle(_random_batches(batch_size))

        def step():
            x, y = next_batch()
            _, grads = self.net.loss_and_grads(x, y)
            self.optimizer.step(grads)
        return step

    def forward_step(self) -> Callable[[], None]:
        x1 = _random_batches(1, count=1)[0][0]
        return lambda: self.net.forward(x1)


class TorchBackend:
    """The identical network in PyTorch (CPU, float32, same starting weights)."""

    name = "torch"

    def __init__(self, preset: str = "lenet", threads: int | None = None) -> None:
        import torch

        from cnnviz.nn import get_preset

        self.torch = torch
        if threads:
            torch.set_num_threads(threads)
        config = get_preset(preset).training
        self.model = build_torch_network(preset)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=config.lr * 1e-3,
                                         momentum=config.momentum,
                                         weight_decay=config.weight_decay)
        self.loss_fn = torch.nn.CrossEntropyLoss()

    def train_step(self, batch_size: int) -> Callable[[], None]:
        torch = self.torch
        next_batch = _cycle([(torch.from_numpy(x), torch.from_numpy(y))
                             for x, y in _random_batches(batch_size)])

        def step():
            x, y = next_batch()
            self.optimizer.zero_grad(set_to_none=True)
            self.loss_fn(self.model(x), y).backward()
            self.optimizer.step()
        return step

    def forward_step(self) -> Callable[[], None]:
        torch = self.torch
        x1 = torch.from_numpy(_random_batches(1, count=1)[0][0])

        def forward():
            with torch.inference_mode():
                self.model(x1)
        return forward


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except Exception:
        return False
    return True


def build_torch_network(preset: str = "lenet"):
    """The same network in PyTorch, starting from the NumPy network's weights."""
    from cnnviz.nn import build_network
    from cnnviz.torch_mirror import torch_model

    return torch_model(build_network(preset, seed=0))


# ---------------------------------------------------------------------------------------------
# Both, as one dict


def _load_average() -> float | None:
    """The 1-minute load average (other programs competing for the CPUs), if known."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def cpu_threads() -> int:
    """CPUs this process may run on (what NumPy's BLAS uses by default)."""
    from cnnviz.threads import cpu_count

    return cpu_count()


# A child that keeps one core busy and ends by itself once its parent is gone, so even a
# bench killed with SIGKILL leaves no busy loop behind. It is given its parent's pid: asked
# once its Python had started, it got the new parent of a parent that died meanwhile.
_BUSY_LOOP = ("import os, sys\nparent = int(sys.argv[1])\nwhile os.getppid() == parent:\n"
              "    for _ in range(200000):\n        pass\n")


def start_busy_process():
    """Start a process that keeps one CPU busy (pinned to the last CPU when possible).

    Returns ``(process, cpu)``; stop it with :func:`stop_busy_process`.
    """
    import subprocess

    process = subprocess.Popen([sys.executable, "-c", _BUSY_LOOP, str(os.getpid())],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    cpu = None
    try:
        cpu = max(os.sched_getaffinity(0))
        os.sched_setaffinity(process.pid, {cpu})
    except (AttributeError, OSError, ValueError):
        cpu = None
    time.sleep(0.3)          # let it run before the thread policy looks at the load
    return process, cpu


def stop_busy_process(process) -> None:
    process.kill()
    process.wait(timeout=10)


def run_benchmark(batch_sizes=DEFAULT_BATCH_SIZES, repeats: int = 5, seconds: float = 0.5,
                  preset: str = "lenet", with_torch: bool | None = None,
                  threads: int | None = None, load: bool = False,
                  report: Callable[[str], None] | None = None) -> dict:
    """Run the benchmark and return its results as a JSON-ready dict.

    ``with_torch=None`` compares with PyTorch when it can be imported. The thread count
    comes from ``cnnviz.threads.ThreadPolicy`` (the CPUs other programs leave free, checked
    again before each batch size) unless ``threads`` fixes it; NumPy's BLAS and PyTorch get
    the same count. ``load=True`` keeps one CPU busy with another process during the whole
    measurement (it is always stopped afterwards). NumPy and PyTorch repeats alternate, so
    load on a shared machine hits both alike. ``report(line)`` is called with a short line
    after each measurement (a GUI or the CLI can show progress).

    Keys: ``batch_sizes``, ``repeats``, ``seconds``, ``preset``, ``threads`` (at the end),
    ``thread_policy`` (one line), ``threads_per_batch`` {str(batch): count}, ``load``
    (bool), ``load_cpu``, ``numpy_version``,
    ``python``, ``load_average_before`` (1-minute load average, None if unknown), ``numpy`` (``train_images_per_second`` {str(batch): rate},
    ``forward_latency_ms``), ``torch`` (the same plus ``version`` and ``threads``, or None)
    and ``ratio`` (``train`` {str(batch): numpy rate / torch rate}, ``forward``: torch
    latency / numpy latency; above 1 means NumPy is faster; None without torch).
    """
    batch_sizes = [int(b) for b in batch_sizes]
    if not batch_sizes or min(batch_sizes) < 1:
        raise ValueError("batch sizes must be whole numbers of at least 1")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if not seconds > 0:
        raise ValueError(f"seconds must be greater than 0, got {seconds}")
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    load_before = _load_average()
    if with_torch is None:
        with_torch = torch_available()
    busy, load_cpu = start_busy_process() if load else (None, None)
    try:
        policy, train, latency, threads_used, backends = _measure(
            batch_sizes, repeats, seconds, preset, with_torch, threads, report)
    finally:
        if busy is not None:
            stop_busy_process(busy)

    results = {
        "batch_sizes": batch_sizes, "repeats": repeats, "seconds": seconds, "preset": preset,
        "threads": policy.threads, "thread_policy": policy.describe(),
        "threads_per_batch": threads_used, "load": bool(load), "load_cpu": load_cpu,
        "numpy_version": np.__version__,
        "python": platform.python_version(), "load_average_before": load_before,
        "numpy": {"train_images_per_second": train["numpy"],
                  "forward_latency_ms": latency["numpy"]},
        "torch": None, "ratio": None,
    }
    if with_torch:
        torch = backends[1].torch
        results["torch"] = {"train_images_per_second": train["torch"],
                            "forward_latency_ms": latency["torch"],
                            "version": torch.__version__, "threads": torch.get_num_threads()}
        results["ratio"] = {
            "train": {k: train["numpy"][k] / v for k, v in train["torch"].items()},
            "forward": latency["torch"] / latency["numpy"],
        }
    return results


def _measure(batch_sizes, repeats, seconds, preset, with_torch, threads, report):
    from cnnviz.threads import ThreadPolicy

    policy = ThreadPolicy.choose(threads)
    if report:
        report(policy.describe())
    backends = [NumpyBackend(preset)]
    if with_torch:
        backends.append(TorchBackend(preset, policy.threads))
    train = {b.name: {} for b in backends}
    threads_used = {}
    for size in batch_sizes:
        if policy.maybe_update(time.monotonic() + policy.interval):   # re-check the load now
            if report:
                report(policy.describe())
            if with_torch:
                backends[1].torch.set_num_threads(policy.threads)
        threads_used[str(size)] = policy.threads
        rates = _interleaved_rates({b.name: b.train_step(size) for b in backends},
                                   size, repeats, seconds)
        for name, rate in rates.items():
            train[name][str(size)] = rate
            if report:
                report(f"{name:<6} train batch {size:>4}: {rate:,.0f} images/s")
    forward_rates = _interleaved_rates({b.name: b.forward_step() for b in backends}, 1,
                                       repeats, seconds / 2, warmup=20)
    latency = {name: 1000.0 / rate for name, rate in forward_rates.items()}
    if report:
        for name, ms in latency.items():
            report(f"{name:<6} forward batch 1: {ms:.3f} ms")
    return policy, train, latency, threads_used, backends


def format_results(results: dict) -> str:
    """A plain-text table of :func:`run_benchmark`'s results."""
    ours, theirs, ratio = results["numpy"], results["torch"], results["ratio"]
    lines = [
        f"cnnviz bench: preset {results['preset']}, {results['threads']} thread(s), numpy "
        f"{results['numpy_version']}" + (f", torch {theirs['version']}" if theirs else "")
        + f"; median of {results['repeats']} repeats of ~{results['seconds']:g} s",
    ]
    if results.get("thread_policy"):
        lines.append(results["thread_policy"])
    if results.get("load"):
        cpu = results.get("load_cpu")
        lines.append("--load: another process kept one CPU busy"
                     + (f" (CPU {cpu})" if cpu is not None else "") + " during the measurement")
    lines += ["", "training (forward + backward + SGD update), images/s"]
    header = f"{'batch':>6} {'numpy':>10}"
    if theirs:
        header += f" {'torch':>10} {'numpy/torch':>12}"
    lines.append(header)
    for b in results["batch_sizes"]:
        key = str(b)
        row = f"{b:>6} {ours['train_images_per_second'][key]:>10,.0f}"
        if theirs:
            row += (f" {theirs['train_images_per_second'][key]:>10,.0f}"
                    f" {ratio['train'][key]:>12.2f}")
        lines.append(row)
    lines += ["", "forward latency, batch 1 (ms)"]
    row = f"{'':>6} {ours['forward_latency_ms']:>10.3f}"
    if theirs:
        row += f" {theirs['forward_latency_ms']:>10.3f} {ratio['forward']:>12.2f}"
    lines.append(row)
    load = results.get("load_average_before")
    if load is not None and load >= 1:
        lines += ["", f"note: the machine was busy before the run (load average {load:.1f} on "
                      f"{cpu_threads()} CPUs); expect noisy numbers."]
    if theirs:
        lines += ["", "numpy/torch above 1 means the NumPy network is faster."]
    else:
        lines += ["", "(PyTorch is not installed: no side-by-side comparison.)"]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Command line


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "bench", help="training images/s per batch size and forward latency (vs PyTorch)",
        description="Benchmark the NumPy network on random MNIST-shaped data: training "
                    "images/s at each batch size and the batch-1 forward latency, each the "
                    "median of several repeats. If PyTorch is importable the identical "
                    "network is timed too and the ratio printed.")
    p.add_argument("--batch-sizes", type=_batch_sizes, default=list(DEFAULT_BATCH_SIZES),
                   metavar="B,B,...", help="comma-separated (default: 1,5,32,64,128)")
    p.add_argument("--repeats", type=int, default=5, metavar="R",
                   help="timed repeats per measurement; the median is reported (default: 5)")
    p.add_argument("--seconds", type=float, default=0.5, metavar="S",
                   help="approximate length of one repeat (default: 0.5)")
    p.add_argument("--preset", default="lenet", help="network preset (default: lenet)")
    p.add_argument("--threads", type=int, metavar="N",
                   help="BLAS threads for NumPy and threads for PyTorch (default: the CPUs "
                        "other programs leave free)")
    p.add_argument("--load", action="store_true",
                   help="keep one CPU busy with another process during the measurement "
                        "(measures training on a machine that is not idle)")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--gui", action="store_true",
                   help="measure the desktop app instead: training images/s with the window "
                        "open vs headless, UI stalls, draw-to-prediction latency (offscreen "
                        "unless a display is set)")
    p.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    from cnnviz.cli_common import CliError

    if args.repeats < 1:
        raise CliError(f"--repeats must be at least 1, got {args.repeats}")
    if not args.seconds > 0:
        raise CliError(f"--seconds must be greater than 0, got {args.seconds:g}")
    if args.threads is not None and args.threads < 1:
        raise CliError(f"--threads must be at least 1, got {args.threads}")
    if args.gui:
        import importlib.util

        if importlib.util.find_spec("cnnviz.app.bench_gui") is None:
            print("cnnviz: the graphical benchmark is not available in this version; "
                  "run `cnnviz bench` for the text report", file=sys.stderr)
            return 1
        from cnnviz.app.bench_gui import run_gui_benchmark

        return int(run_gui_benchmark(args) or 0)

    def report(line: str) -> None:
        print(line, file=sys.stderr, flush=True)
    results = run_benchmark(args.batch_sizes, args.repeats, args.seconds, args.preset,
                            with_torch=False if args.no_torch else None,
                            threads=args.threads, load=args.load, report=report)
    print(json.dumps(results) if args.json else format_results(results))
    return 0


def _batch_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated whole numbers such as 1,5,64, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"batch sizes must be at least 1, got {text!r}")
    return sizes
