"""Limit the BLAS threads for the desktop app (no Qt; the mechanics are in cnnviz.threads).

Measured with ``cnnviz bench --gui`` on a 2-core machine: with one OpenBLAS thread the
worker leaves the other core to the UI, and both the training throughput with the window
open and the UI's stalls are better than with OpenBLAS's default of one thread per core.
``OPENBLAS_NUM_THREADS`` set by the user always wins.
"""

from __future__ import annotations

import os

from cnnviz.threads import set_blas_threads

__all__ = ["limit_blas_threads_for_app", "set_blas_threads"]


def limit_blas_threads_for_app(count: int = 1) -> bool:
    """Use ``count`` BLAS threads unless the user chose with ``OPENBLAS_NUM_THREADS``."""
    if os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS"):
        return False
    return set_blas_threads(count)
