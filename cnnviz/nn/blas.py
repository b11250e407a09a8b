"""``y <- a * x + b * y`` in one pass over memory, for the optimizer's update.

NumPy has no fused multiply-add for arrays: ``y += a * x`` is two passes (``a * x`` into a
scratch array, then the add), and SGD with momentum and weight decay needs three such
updates per step over every parameter (about 430,000 numbers for lenet, so memory traffic,
not arithmetic, is the cost: measured here, 15 array passes took about twice as long as
the 9 of three fused updates). BLAS has the fused operation (``axpby``), and NumPy already
loaded a BLAS: the OpenBLAS it ships. ``axpby`` calls it through ctypes when it is found
and the arrays suit it (1-D, contiguous, float32 or float64), and otherwise does the same
arithmetic with NumPy, so results agree to rounding either way.
"""

from __future__ import annotations

import ctypes

import numpy as np

# Symbol names and integer types of the OpenBLAS builds NumPy ships (scipy-openblas,
# 64-bit integers) and of a system OpenBLAS (32-bit integers); float32 first, float64 second.
_CANDIDATES = (
    (("scipy_cblas_saxpby64_", "scipy_cblas_daxpby64_"), ctypes.c_int64),
    (("cblas_saxpby64_", "cblas_daxpby64_"), ctypes.c_int64),
    (("cblas_saxpby", "cblas_daxpby"), ctypes.c_int),
)

_functions: dict[np.dtype, object] | None = None


def _load() -> dict[np.dtype, object]:
    """``{dtype: cblas ?axpby}`` from NumPy's OpenBLAS; empty if none is found."""
    from cnnviz.threads import loaded_openblas

    for path in loaded_openblas():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for (single, double), integer in _CANDIDATES:
            found = {}
            for name, dtype, real in ((single, np.float32, ctypes.c_float),
                                      (double, np.float64, ctypes.c_double)):
                function = getattr(lib, name, None)
                if function is None:
                    break
                function.argtypes = [integer, real, ctypes.c_void_p, integer,
                                     real, ctypes.c_void_p, integer]
                function.restype = None
                found[np.dtype(dtype)] = function
            else:
                return found
    return {}


def fused_available() -> bool:
    """True when ``axpby`` runs as one BLAS call (for float32 and float64)."""
    global _functions
    if _functions is None:
        _functions = _load()
    return bool(_functions)


def axpby(a: float, x: np.ndarray, b: float, y: np.ndarray, scratch: np.ndarray) -> None:
    """``y <- a * x + b * y`` in place; ``scratch`` (like ``x``) is used only by the NumPy
    fallback."""
    global _functions
    if _functions is None:
        _functions = _load()
    function = _functions.get(y.dtype)
    if (function is not None and x.dtype == y.dtype and x.size == y.size
            and x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable):
        function(y.size, a, x.ctypes.data, 1, b, y.ctypes.data, 1)
        return
    if b != 1:
        y *= b
    if a == 1:
        y += x
    else:
        np.multiply(x, a, out=scratch)
        y += scratch
