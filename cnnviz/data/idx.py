"""Read and write IDX files, the format MNIST is distributed in.

An IDX file is a tiny header followed by raw array data, all big-endian:

    bytes 0-1   zero
    byte  2     data type code (see ``_CODE_TO_DTYPE``)
    byte  3     number of dimensions, ndim
    then        ndim sizes, each a big-endian unsigned 32-bit integer
    then        the data, prod(sizes) items in C (row-major) order

MNIST's images are ``(N, 28, 28)`` uint8 and its labels ``(N,)`` uint8. Files are often
gzip-compressed; :func:`read_idx` recognises that from the gzip magic bytes, not the name.
"""

from __future__ import annotations

import gzip
import os
import tempfile
import zlib
from pathlib import Path

import numpy as np

__all__ = ["IdxError", "read_idx", "write_idx"]

_GZIP_MAGIC = b"\x1f\x8b"
_MAX_NDIM = 16  # IDX allows up to 255; anything past a handful is a corrupt header

# IDX type code -> NumPy dtype of one item (big-endian in the file).
_CODE_TO_DTYPE = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(np.int16),
    0x0C: np.dtype(np.int32),
    0x0D: np.dtype(np.float32),
    0x0E: np.dtype(np.float64),
}
_DTYPE_TO_CODE = {dtype: code for code, dtype in _CODE_TO_DTYPE.items()}


class IdxError(ValueError):
    """An IDX file is missing or malformed. The message names the file and the problem."""


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, plain or gzip-compressed, into a NumPy array.

    Returns a writable array in native byte order with the shape the header gives,
    e.g. ``(10000, 28, 28)`` uint8 for MNIST test images, ``(10000,)`` for labels.
    Raises :class:`IdxError` naming the file if it is missing, not decodable, or its
    length does not match its header.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise IdxError(f"{path}: file not found") from None
    except OSError as exc:
        raise IdxError(f"{path}: cannot read: {exc.strerror or exc}") from None

    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise IdxError(f"{path}: not a valid gzip file ({exc})") from None
        return _parse(raw, path, note="")

    # A browser may have already decompressed a download but kept the .gz name.
    note = " (the name ends in .gz but the file is not gzip-compressed)" if path.suffix == ".gz" else ""
    return _parse(raw, path, note)


def _parse(data: bytes, path: Path, note: str) -> np.ndarray:
    """Decode the uncompressed bytes of an IDX file; ``note`` is appended to errors."""
    if len(data) < 4:
        raise IdxError(f"{path}: too short for an IDX header: {len(data)} bytes{note}")
    if data[0] != 0 or data[1] != 0:
        raise IdxError(
            f"{path}: not an IDX file: the magic number's first two bytes are "
            f"{data[0]:#04x} {data[1]:#04x}, not zero{note}"
        )
    code, ndim = data[2], data[3]
    if code not in _CODE_TO_DTYPE:
        known = ", ".join(f"{c:#04x}" for c in _CODE_TO_DTYPE)
        raise IdxError(f"{path}: unknown data type code {code:#04x} (known: {known}){note}")
    if ndim == 0 or ndim > _MAX_NDIM:
        raise IdxError(f"{path}: implausible number of dimensions: {ndim}{note}")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise IdxError(
            f"{path}: too short for an IDX header: {ndim} dimensions need {header_len} bytes "
            f"but the file holds {len(data)}{note}"
        )

    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    item = _CODE_TO_DTYPE[code]
    expected = int(np.prod(shape, dtype=np.int64)) * item.itemsize
    held = len(data) - header_len
    if held != expected:
        problem = "truncated" if held < expected else "trailing bytes"
        dims = "x".join(str(s) for s in shape)
        raise IdxError(
            f"{path}: {problem}: header says {dims} {item.name} ({expected} bytes of data) "
            f"but the file holds {held}{note}"
        )

    big_endian = np.frombuffer(data, dtype=item.newbyteorder(">"), offset=header_len)
    return big_endian.astype(item, copy=True).reshape(shape)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file; gzip-compressed when ``path`` ends in ``.gz``.

    ``array`` may have any shape with at least one dimension and dtype uint8, int8, int16,
    int32, float32 or float64. The file is written to a temporary name in the same folder
    and then renamed, so a crash never leaves a half-written file under ``path``.
    """
    path = Path(path)
    array = np.asarray(array)
    if array.dtype.newbyteorder("=") not in _DTYPE_TO_CODE:
        names = ", ".join(d.name for d in _DTYPE_TO_CODE)
        raise IdxError(f"{path}: cannot write dtype {array.dtype} to IDX (supported: {names})")
    if not 1 <= array.ndim <= _MAX_NDIM:
        raise IdxError(f"{path}: cannot write a {array.ndim}-dimensional array to IDX")
    if any(s >= 2**32 for s in array.shape):
        raise IdxError(f"{path}: a dimension of {array.shape} does not fit in 32 bits")

    item = array.dtype.newbyteorder("=")
    header = bytes([0, 0, _DTYPE_TO_CODE[item], array.ndim])
    header += np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=item.newbyteorder(">")).tobytes()
    if path.suffix == ".gz":
        # mtime=0 and a fixed inner name make the output byte-for-byte reproducible.
        payload = gzip.compress(payload, mtime=0)

    _write_atomically(path, payload)


def _write_atomically(path: Path, payload: bytes) -> None:
    """Write ``payload`` to a temp file beside ``path``, then rename it into place."""
    folder = path.parent
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(payload)
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
