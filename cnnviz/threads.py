"""How many BLAS threads to use: as many as there are CPUs that other programs leave free.

Why it matters (measured on a 2-core machine): OpenBLAS's threads wait for each other by
spinning, so with one core busy elsewhere its default of one thread per core makes every
matrix product wait for a thread that is not running. Training fell from about 2,850 to
1,000 images/s, and at batch 5 to about 25; one thread on the free core keeps nearly all of
its speed. So the policy counts the CPUs that are free of *other* work and uses that many
threads, checks again every few seconds while training (cheap: one read of /proc/stat) and
follows when the load changes.

    policy = ThreadPolicy.choose(requested=None)    # or requested=N: fixed, never changed
    print(policy.describe())                          # one line for the user
    for batch in ...:
        policy.maybe_update()                         # re-checks at most every `interval` s

The thread count is applied with threadpoolctl when it is importable, else directly through
OpenBLAS's own ``openblas_set_num_threads`` in the library NumPy loaded (found in
/proc/self/maps). No Qt here.
"""

from __future__ import annotations

import ctypes
import os
import time

# The setter and getter names of the OpenBLAS builds NumPy ships (scipy-openblas, 64-bit
# integer interface first) and of a system OpenBLAS.
_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
            "openblas_get_num_threads64_", "openblas_get_num_threads")

ENV_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


def cpu_count() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# ---------------------------------------------------------------------------------------------
# Setting and reading the BLAS thread count


def loaded_openblas() -> list[str]:
    """Paths of OpenBLAS libraries mapped into this process (Linux), best effort."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if len(line.split()) >= 6}
    except OSError:
        return []
    return sorted(p for p in paths if "openblas" in p.lower() and ".so" in p)


def _openblas_function(names: tuple[str, ...]):
    import numpy  # noqa: F401  (make sure NumPy's OpenBLAS is loaded)

    for path in loaded_openblas():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in names:
            function = getattr(lib, name, None)
            if function is not None:
                return function
    return None


def set_blas_threads(count: int) -> bool:
    """Ask the BLAS that NumPy uses for ``count`` threads; True if it worked."""
    import numpy  # noqa: F401  (load NumPy's BLAS first, or there is nothing to set)

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    if threadpool_limits is not None:
        # Not used as a context manager: the limit stays until it is set again.
        threadpool_limits(limits=int(count), user_api="blas")
        return get_blas_threads() == count
    setter = _openblas_function(_SETTERS)
    if setter is None:
        return False
    setter(ctypes.c_int(int(count)))
    return True


def get_blas_threads() -> int | None:
    """The BLAS thread count in force, or None if it cannot be read."""
    import numpy  # noqa: F401

    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        counts = [info["num_threads"] for info in threadpool_info()
                  if info.get("user_api") == "blas"]
        return counts[0] if counts else None
    getter = _openblas_function(_GETTERS)
    if getter is None:
        return None
    getter.restype = ctypes.c_int
    return int(getter())


# ---------------------------------------------------------------------------------------------
# How busy the machine is with other work


def _cpu_seconds_all() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    ticks = [int(v) for v in fields[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)        # idle + iowait
    # guest time is already counted in user time: leave it out of the total.
    total = sum(ticks[:8]) if len(ticks) >= 8 else sum(ticks)
    hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    return (total - idle) / hz, total / hz


def _own_cpu_seconds() -> float:
    """CPU seconds used so far by this process (all its threads)."""
    t = os.times()
    return t.user + t.system


class LoadSampler:
    """Measures how many CPUs *other* processes kept busy between two calls.

    Machine-wide busy time from /proc/stat minus this process's own CPU time, divided by the
    wall time: 1.0 means one core fully used by someone else. Where /proc/stat does not
    exist, the 1-minute load average stands in.
    """

    def __init__(self) -> None:
        self._last = self._sample()

    @staticmethod
    def _sample():
        """``(clock before, machine CPU seconds, own CPU seconds, clock after)``."""
        return time.monotonic(), _cpu_seconds_all(), _own_cpu_seconds(), time.monotonic()

    def others_busy(self) -> float | None:
        """CPUs used by other processes since the previous call (None if unknown)."""
        now = self._sample()
        (t0, all0, own0, _), (_, all1, own1, t1) = self._last, now
        self._last = now
        # timed from before the first reading to after the second, so the wall time holds
        # all the busy time counted: descheduled between its clock and /proc/stat (a loaded
        # machine), a sample counted seconds of busy CPU in 50 ms of wall time
        wall = t1 - t0
        if all0 is None or all1 is None or wall <= 0:
            try:
                return max(0.0, os.getloadavg()[0])
            except (AttributeError, OSError):
                return None
        busy = (all1[0] - all0[0]) - (own1 - own0)
        return max(0.0, busy / wall)


def threads_for(free_cpus: float, cpus: int) -> int:
    """Threads to use when ``free_cpus`` CPUs are left by other work: a core counts as free
    when at most 30% of it is used elsewhere (a thread sharing a core spins and stalls)."""
    return max(1, min(cpus, int(free_cpus + 0.3)))


# ---------------------------------------------------------------------------------------------
# The policy


class ThreadPolicy:
    """The BLAS thread count in force and why; optionally following the load."""

    def __init__(self, threads: int, cpus: int, reason: str, adaptive: bool,
                 interval: float = 3.0, sampler: LoadSampler | None = None,
                 apply: bool = True) -> None:
        self.threads = threads
        self.cpus = cpus
        self.reason = reason
        self.adaptive = adaptive
        self.interval = interval
        self.changes = 0
        self._sampler = sampler
        self._apply = apply
        self._next_check = time.monotonic() + interval
        if apply:
            set_blas_threads(threads)

    @classmethod
    def choose(cls, requested: int | None = None, *, sample_seconds: float = 0.2,
               interval: float = 3.0, apply: bool = True) -> "ThreadPolicy":
        """Pick the thread count now.

        ``requested`` (``--threads N``) is used as given and never changed. Otherwise an
        ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS`` set by the user wins, and failing both
        the CPUs left free by other programs (measured over ``sample_seconds``) decide, again
        every ``interval`` seconds through ``maybe_update``.
        """
        cpus = cpu_count()
        if requested is not None:
            if requested < 1:
                raise ValueError(f"threads must be at least 1, got {requested}")
            return cls(int(requested), cpus, "--threads", adaptive=False, apply=apply)
        for name in ENV_VARIABLES:
            value = os.environ.get(name, "").strip()
            if value.isdigit() and int(value) >= 1:
                return cls(int(value), cpus, f"{name}={value}", adaptive=False, apply=apply)
        sampler = LoadSampler()
        time.sleep(sample_seconds)
        busy = sampler.others_busy()
        threads = cpus if busy is None else threads_for(cpus - busy, cpus)
        reason = ("load unknown" if busy is None
                  else f"{busy:.1f} of {cpus} CPUs busy with other work")
        return cls(threads, cpus, reason, adaptive=True, interval=interval, sampler=sampler,
                   apply=apply)

    def maybe_update(self, now: float | None = None) -> bool:
        """Re-check the load if ``interval`` has passed; True if the thread count changed."""
        if not self.adaptive or self._sampler is None:
            return False
        now = time.monotonic() if now is None else now
        if now < self._next_check:
            return False
        self._next_check = now + self.interval
        busy = self._sampler.others_busy()
        if busy is None:
            return False
        threads = threads_for(self.cpus - busy, self.cpus)
        self.reason = f"{busy:.1f} of {self.cpus} CPUs busy with other work"
        if threads == self.threads:
            return False
        self.threads = threads
        self.changes += 1
        if self._apply:
            set_blas_threads(threads)
        return True

    def describe(self) -> str:
        """One line: the thread count and why, e.g. for ``cnnviz train`` and ``bench``."""
        text = f"threads: {self.threads} BLAS thread(s) on {self.cpus} CPU(s) ({self.reason}"
        if self.adaptive:
            text += f"; re-checked every {self.interval:g} s"
        return text + ")"
