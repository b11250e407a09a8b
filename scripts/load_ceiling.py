"""What share of its quiet speed can ANY program keep while `cnnviz bench --load`'s busy
process runs? The ceiling against which the engine's loaded/quiet ratio is judged.

    python scripts/load_ceiling.py [--rounds 4] [--seconds 0.4] [--batch-sizes 1,5,64]

Alternates rounds without and with the bench's busy process (one CPU kept busy, started and
stopped exactly as `bench --load` does) and times, in each round: a pure-Python loop (no
NumPy, no BLAS: only the CPU share the scheduler gives us), a one-thread 256x256 float32
matrix product, and the engine's training step at each batch size, all with one BLAS
thread. Prints the median rate of each, quiet and loaded, and loaded / quiet. On an idle
2-core machine the pure-Python loop keeps about 100% (the busy process has its own core);
on a machine already shared with other work it keeps what the scheduler leaves, and the
engine cannot do better than that.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from cnnviz.bench import NumpyBackend, start_busy_process, stop_busy_process  # noqa: E402
from cnnviz.threads import set_blas_threads  # noqa: E402


def python_loop() -> None:
    total = 0
    for i in range(2000):
        total += i


def rate(step, units: int, seconds: float) -> float:
    """Units per second of wall time over about ``seconds``, after a short warm-up."""
    for _ in range(3):
        step()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        calls += 1
    return units * calls / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=0.4)
    parser.add_argument("--batch-sizes", default="1,5,64")
    args = parser.parse_args()
    set_blas_threads(1)
    a, b = (np.random.default_rng(i).random((256, 256), dtype=np.float32) for i in (0, 1))
    product = np.empty_like(a)
    engine = NumpyBackend()
    steps = {"python loop (calls/s)": (python_loop, 1),
             "matmul 256, 1 thread (calls/s)": (lambda: np.matmul(a, b, out=product), 1)}
    for size in (int(s) for s in args.batch_sizes.split(",")):
        steps[f"engine train batch {size} (images/s)"] = (engine.train_step(size), size)
    rates = {name: {"quiet": [], "loaded": []} for name in steps}
    for _ in range(args.rounds):
        for state in ("quiet", "loaded"):
            busy = start_busy_process()[0] if state == "loaded" else None
            try:
                for name, (step, units) in steps.items():
                    rates[name][state].append(rate(step, units, args.seconds))
            finally:
                if busy is not None:
                    stop_busy_process(busy)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.rounds} alternating rounds; 1-minute load average at the end: {load:.1f}")
    print(f"{'':34} {'quiet':>10} {'loaded':>10} {'loaded/quiet':>13}")
    for name, r in rates.items():
        quiet, loaded = statistics.median(r["quiet"]), statistics.median(r["loaded"])
        print(f"{name:34} {quiet:>10,.0f} {loaded:>10,.0f} {loaded / quiet:>13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
