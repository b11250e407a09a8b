"""Limit OpenBLAS's threads at run time (no Qt; no threadpoolctl needed).

Measured with ``cnnviz bench --gui`` on a 2-core machine: with one OpenBLAS thread the
worker leaves the other core to the UI, and both the training throughput with the window
open and the UI's stalls are better than with OpenBLAS's default of one thread per core.
``OPENBLAS_NUM_THREADS`` set by the user always wins.
"""

from __future__ import annotations

import ctypes
import os

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")


def _loaded_openblas() -> list[str]:
    """Paths of OpenBLAS libraries mapped into this process (Linux), best effort."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if len(line.split()) >= 6}
    except OSError:
        return []
    return sorted(p for p in paths if "openblas" in p.lower() and ".so" in p)


def set_blas_threads(count: int) -> bool:
    """Ask the OpenBLAS that NumPy uses for ``count`` threads; True if it worked."""
    import numpy  # noqa: F401  (make sure NumPy's OpenBLAS is loaded)

    for path in _loaded_openblas():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _SETTERS:
            setter = getattr(lib, name, None)
            if setter is not None:
                setter(ctypes.c_int(count))
                return True
    return False


def limit_blas_threads_for_app(count: int = 1) -> bool:
    """Use ``count`` BLAS threads unless the user chose with ``OPENBLAS_NUM_THREADS``."""
    if os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS"):
        return False
    return set_blas_threads(count)
