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
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np

__all__ = ["MAX_IDX_BYTES", "IdxError", "read_idx", "write_idx"]

_GZIP_MAGIC = b"\x1f\x8b"
_MAX_NDIM = 16  # IDX allows up to 255; anything past a handful is a corrupt header
_CHUNK = 4 * 2**20

#: The most data one IDX file may declare (the full MNIST's largest holds 45 MB; EMNIST's
#: biggest split 547 MB). A header beyond it is refused before anything else is read.
MAX_IDX_BYTES = 1024 * 2**20

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


def read_idx(path: str | os.PathLike, max_bytes: int | None = None) -> np.ndarray:
    """Read an IDX file, plain or gzip-compressed, into a NumPy array.

    Returns a writable array in native byte order with the shape the header gives,
    e.g. ``(10000, 28, 28)`` uint8 for MNIST test images, ``(10000,)`` for labels.
    Raises :class:`IdxError` naming the file if it is missing, not decodable, its length
    does not match its header, or the header declares more than ``max_bytes`` of data
    (default :data:`MAX_IDX_BYTES`).

    The header is read and checked first; then exactly the declared number of bytes is
    read (a gzip file is decompressed as a stream), so a gzip bomb or a lying header costs
    no more memory than the data the header honestly declares, and never more than the cap.
    """
    path = Path(path)
    limit = MAX_IDX_BYTES if max_bytes is None else max_bytes
    try:
        raw = open(path, "rb")
    except FileNotFoundError:
        raise IdxError(f"{path}: file not found") from None
    except OSError as exc:
        raise IdxError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with raw:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        # A browser may have already decompressed a download but kept the .gz name.
        note = ("" if compressed or path.suffix != ".gz"
                else " (the name ends in .gz but the file is not gzip-compressed)")
        try:
            if compressed:
                with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                    return _read_stream(stream, path, note, limit, on_disk=None)
            return _read_stream(raw, path, note, limit, on_disk=os.fstat(raw.fileno()).st_size)
        except IdxError:
            raise
        except (OSError, EOFError, zlib.error) as exc:
            if compressed:
                raise IdxError(f"{path}: not a valid gzip file ({exc})") from None
            raise IdxError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _read_exactly(stream, n: int) -> bytes:
    """Up to ``n`` bytes, fewer only at the end of the stream."""
    parts, left = [], n
    while left > 0:
        part = stream.read(min(left, _CHUNK))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _read_stream(stream, path: Path, note: str, limit: int, on_disk: int | None) -> np.ndarray:
    """Decode an IDX stream (uncompressed bytes); ``note`` is appended to errors.

    ``on_disk`` is the file's size when the stream is the file itself (not decompressed):
    then a size mismatch is reported before any data is read.
    """
    head = _read_exactly(stream, 4)
    if len(head) < 4:
        raise IdxError(f"{path}: too short for an IDX header: {len(head)} bytes{note}")
    if head[0] != 0 or head[1] != 0:
        raise IdxError(
            f"{path}: not an IDX file: the magic number's first two bytes are "
            f"{head[0]:#04x} {head[1]:#04x}, not zero{note}"
        )
    code, ndim = head[2], head[3]
    if code not in _CODE_TO_DTYPE:
        known = ", ".join(f"{c:#04x}" for c in _CODE_TO_DTYPE)
        raise IdxError(f"{path}: unknown data type code {code:#04x} (known: {known}){note}")
    if ndim == 0 or ndim > _MAX_NDIM:
        raise IdxError(f"{path}: implausible number of dimensions: {ndim}{note}")
    header_len = 4 + 4 * ndim
    dims_raw = _read_exactly(stream, 4 * ndim)
    if len(dims_raw) < 4 * ndim:
        raise IdxError(
            f"{path}: too short for an IDX header: {ndim} dimensions need {header_len} bytes "
            f"but the file holds {4 + len(dims_raw)}{note}"
        )

    shape = struct.unpack(f">{ndim}I", dims_raw)
    item = _CODE_TO_DTYPE[code]
    count = 1
    for size in shape:
        count *= size                     # Python ints: no overflow
    expected = count * item.itemsize
    dims = "x".join(str(s) for s in shape)
    if expected > limit:
        raise IdxError(
            f"{path}: header says {dims} {item.name} ({_mb(expected)} of data), more than "
            f"the {_mb(limit)} cnnviz reads from one IDX file{note}"
        )
    if on_disk is not None and on_disk - header_len != expected:
        held = on_disk - header_len
        problem = "truncated" if held < expected else "trailing bytes"
        raise IdxError(
            f"{path}: {problem}: header says {dims} {item.name} ({expected} bytes of data) "
            f"but the file holds {held}{note}"
        )

    data = bytearray(expected)
    view, held = memoryview(data), 0
    while held < expected:
        got = stream.readinto(view[held:held + _CHUNK])
        if not got:
            break
        held += got
    if held < expected:
        raise IdxError(
            f"{path}: truncated: header says {dims} {item.name} ({expected} bytes of data) "
            f"but the file holds {held}{note}"
        )
    if stream.read(1):
        raise IdxError(
            f"{path}: trailing bytes: header says {dims} {item.name} ({expected} bytes of "
            f"data) but the file holds more{note}"
        )
    big_endian = np.frombuffer(data, dtype=item.newbyteorder(">"), count=count)
    if item.itemsize == 1:
        return big_endian.view(item).reshape(shape)       # already writable, native order
    return big_endian.astype(item, copy=True).reshape(shape)


def _mb(nbytes: int) -> str:
    return f"{nbytes / 2**20:,.0f} MB" if nbytes >= 2**20 else f"{nbytes:,} bytes"


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
