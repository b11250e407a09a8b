"""Checks on a file the command line is about to write, made before any work starts.

``cnnviz train --out FILE`` used to find out only after training that the file could not be
written: a full disk (``[Errno 28]`` naming no path), or a ``--out`` that is a device, a FIFO
or a socket (``os.replace`` turned ``/dev/full`` into a regular file). Here:

* :func:`check_output_file`: ``FILE`` is a regular file or does not exist yet, and its
  folder exists and is writable;
* :func:`check_room_for`: the folder's file system has room for ``nbytes`` (``os.statvfs``);
* :func:`save_model`: saves, turning any ``OSError`` into a one-line error naming the path.

Errors are :class:`cnnviz.cli_common.CliError`: one line, exit code 2.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cnnviz.cli_common import CliError

__all__ = ["check_output_file", "check_room_for", "checkpoint_bytes", "save_model"]

#: Room kept free beyond the estimate: the zip directory, the config and metadata JSON.
_OVERHEAD_BYTES = 256 * 1024

_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"))


def _folder(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def check_output_file(path, option: str = "--out") -> None:
    """Raise ``CliError`` unless ``path`` can be created or replaced as a regular file."""
    path = Path(path)
    try:
        info = os.stat(path)             # follows a symlink: a link to /dev/full is a device
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise CliError(f"{option} {path}: cannot check it: {exc.strerror or exc}") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise CliError(f"{option} {path}: is a folder, expected a file name such as "
                           "model.npz")
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a file")
            raise CliError(f"{option} {path}: is {kind}, not a regular file; saving would "
                           "replace it: give a file name such as model.npz")
    folder = _folder(path)
    if not folder.is_dir():
        raise CliError(f"{option} {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CliError(f"{option} {path}: folder {folder} is not writable")


def check_room_for(path, nbytes: int, option: str = "--out") -> None:
    """Raise ``CliError`` if the file system holding ``path`` has less than ``nbytes`` free."""
    path = Path(path)
    folder = _folder(path)
    try:
        fs = os.statvfs(folder)
    except (OSError, AttributeError):    # no statvfs (Windows) or not answerable: try anyway
        return
    free = fs.f_bavail * fs.f_frsize
    if free < nbytes:
        raise CliError(f"{option} {path}: not enough room in {folder}: {_size(free)} free, "
                       f"the model needs about {_size(nbytes)}")


def checkpoint_bytes(net) -> int:
    """About how many bytes ``net``'s checkpoint takes on disk (uncompressed ``.npz``)."""
    return sum(int(p.nbytes) for p in net.params.values()) + _OVERHEAD_BYTES


def save_model(net, path, metadata: dict | None = None) -> None:
    """``net.save(path, metadata=...)``, with an I/O failure reported as one line naming ``path``."""
    try:
        net.save(path, metadata=metadata)
    except OSError as exc:
        raise CliError(f"cannot save the model to {path}: {exc.strerror or exc}") from None


def _size(nbytes: int) -> str:
    return f"{nbytes / 2**20:,.1f} MB" if nbytes >= 2**20 else f"{nbytes:,} bytes"
