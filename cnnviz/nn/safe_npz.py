"""Read an ``.npz`` archive without trusting it: every size is checked before it is read.

``np.load`` on a hostile archive inflates whatever it is given: a 2 GB zip bomb of zeros is
read in full, a ``.npy`` header declaring an 8 TB array ends in a ``MemoryError`` traceback,
and a complex array is later cast to float with only a warning. Here, before any array data
is read:

* the file's size on disk and each zip member's declared uncompressed size are capped;
* each member's ``.npy`` header is parsed from the member stream (``read_magic`` and
  ``read_array_header_*``) and the array's byte count (shape x item size) is capped and
  compared with the member's declared size;
* only real numbers (bool, integers, floats) and small 0-d strings are accepted: complex,
  object (pickle), structured and datetime arrays are refused.

Then exactly the declared number of bytes is read from the (bounded) member stream, so the
memory used is at most the caps, whatever the archive claims.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

__all__ = ["MAX_NPZ_BYTES", "MAX_NPZ_MEMBERS", "UnsafeNpzError", "read_npy_bytes", "read_npz"]

#: The most a checkpoint may hold, on disk and uncompressed (LeNet's is 1.7 MB).
MAX_NPZ_BYTES = 256 * 2**20
#: The most arrays a checkpoint may hold (LeNet's has 11).
MAX_NPZ_MEMBERS = 1024
#: Strings (the config and metadata JSON) must be 0-d and at most this many bytes.
_MAX_STRING_BYTES = 4 * 2**20
_REAL_KINDS = "biuf"        # bool, signed, unsigned, float
_STRING_KINDS = "US"
_CHUNK = 4 * 2**20


class UnsafeNpzError(ValueError):
    """An archive that is malformed or too big to read; the message says what and why."""


def read_npz(path, max_bytes: int = MAX_NPZ_BYTES) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file by name (``.npy`` suffix dropped), checked as above.

    Raises :class:`UnsafeNpzError` (without the file name: the caller adds it) for anything
    that is not a plain archive of real arrays within ``max_bytes``; ``OSError`` and
    ``zipfile.BadZipFile`` for unreadable files.
    """
    path = Path(path)
    on_disk = path.stat().st_size
    if on_disk > max_bytes:
        raise UnsafeNpzError(f"the file is {_size(on_disk)}, more than the {_size(max_bytes)} "
                             "a checkpoint may be")
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) > MAX_NPZ_MEMBERS:
            raise UnsafeNpzError(f"it holds {len(members):,} arrays (at most "
                                 f"{MAX_NPZ_MEMBERS:,} are read)")
        declared = sum(m.file_size for m in members)
        if declared > max_bytes:
            raise UnsafeNpzError(f"it declares {_size(declared)} of uncompressed data, more "
                                 f"than the {_size(max_bytes)} a checkpoint may hold")
        for member in members:
            if member.is_dir():
                continue
            name = member.filename[:-4] if member.filename.endswith(".npy") else member.filename
            with archive.open(member) as stream:
                arrays[name] = _read_member(stream, name, member.file_size)
    return arrays


def read_npy_bytes(data: bytes, name: str) -> np.ndarray:
    """One ``.npy`` file already in memory (``data``), with the same checks as :func:`read_npz`:
    its header must declare exactly the bytes that follow it, and a real (or short string)
    dtype. So a header claiming terabytes allocates nothing. Raises :class:`UnsafeNpzError`.
    """
    return _read_member(io.BytesIO(data), name, len(data))


def _read_member(stream, name: str, declared: int) -> np.ndarray:
    """One ``.npy`` member: header checked against the caps, then exactly its data read."""
    try:
        version = npy_format.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_1_0(stream)
        elif version in ((2, 0), (3, 0)):
            shape, fortran_order, dtype = npy_format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"unknown .npy format version {version}")
    except (ValueError, EOFError, SyntaxError, TypeError) as exc:
        raise UnsafeNpzError(f"array {name!r} has no valid .npy header ({exc})") from None
    header_bytes = stream.tell() if stream.seekable() else None
    _check_dtype(name, dtype, shape)
    count = 1
    for size in shape:
        count *= int(size)
    nbytes = count * dtype.itemsize       # Python ints: no overflow for absurd shapes
    if header_bytes is not None and header_bytes + nbytes != declared:
        dims = "x".join(map(str, shape)) or "scalar"
        raise UnsafeNpzError(f"array {name!r} declares {dims} {dtype} ({_size(nbytes)}) but "
                             f"its zip entry holds {_size(max(declared - header_bytes, 0))}")
    if nbytes > declared:        # when the header length is unknown, still bound it
        raise UnsafeNpzError(f"array {name!r} declares {_size(nbytes)}, more than its zip "
                             f"entry holds ({_size(declared)})")
    data = bytearray(nbytes)
    view, filled = memoryview(data), 0
    while filled < nbytes:
        got = stream.readinto(view[filled:filled + _CHUNK])
        if not got:
            raise UnsafeNpzError(f"array {name!r} is cut short ({_size(filled)} of "
                                 f"{_size(nbytes)})")
        filled += got
    if stream.read(1):
        raise UnsafeNpzError(f"array {name!r} has bytes after its data")
    order = "F" if fortran_order else "C"
    return np.frombuffer(data, dtype=dtype, count=count).reshape(shape, order=order)


def _check_dtype(name: str, dtype: np.dtype, shape: tuple) -> None:
    if dtype.hasobject:
        raise UnsafeNpzError(f"array {name!r} contains pickled data, which cnnviz refuses to "
                             "load (it could run code)")
    if dtype.fields is not None or dtype.subdtype is not None:
        raise UnsafeNpzError(f"array {name!r} has the structured dtype {dtype}: only plain "
                             "real numbers are read")
    if dtype.kind in _STRING_KINDS:
        if shape != () or dtype.itemsize > _MAX_STRING_BYTES:
            raise UnsafeNpzError(f"array {name!r} is text of shape {shape}, dtype {dtype}: "
                                 "only short single strings are read")
        return
    if dtype.kind not in _REAL_KINDS:
        kind = "complex" if dtype.kind == "c" else str(dtype)
        raise UnsafeNpzError(f"array {name!r} has dtype {dtype}: only real numbers are read, "
                             f"not {kind} values")


def _size(nbytes: int) -> str:
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} bytes"
