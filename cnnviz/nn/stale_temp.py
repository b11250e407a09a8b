"""Remove the temp files an interrupted save left behind, and only those.

A checkpoint is written to ``.NAME.XXXXXXXX.tmp`` beside ``NAME`` (``tempfile.mkstemp``
with that prefix and suffix), then renamed over ``NAME``. A process killed mid-save
(SIGKILL, power loss) leaves that temp file forever. Before the next save to ``NAME``,
:func:`remove_stale_temp_files` deletes such files when all of these hold:

* the name is exactly ours: ``.NAME.`` + mkstemp's 8 random characters + ``.tmp``;
* it is a regular file, not modified for ``min_age`` seconds (a live save keeps writing);
* no process we can see has it open (Linux ``/proc/*/fd``): a slow save still in progress
  in another process keeps its file.
"""

from __future__ import annotations

import os
import re
import stat
import time
from pathlib import Path

__all__ = ["STALE_AFTER_SECONDS", "remove_stale_temp_files", "temp_prefix", "TEMP_SUFFIX"]

STALE_AFTER_SECONDS = 30.0
TEMP_SUFFIX = ".tmp"
_RANDOM = r"[a-z0-9_]{8}"          # tempfile's name sequence: 8 characters of this alphabet


def temp_prefix(path: Path) -> str:
    """The ``prefix`` to give ``tempfile.mkstemp`` for a temp file beside ``path``."""
    return f".{path.name}."


def remove_stale_temp_files(path, min_age: float = STALE_AFTER_SECONDS) -> list[Path]:
    """Delete stale temp files of earlier saves to ``path``; return the ones deleted."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    pattern = re.compile(re.escape(temp_prefix(path)) + _RANDOM + re.escape(TEMP_SUFFIX))
    now = time.time()
    candidates = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and now - info.st_mtime >= min_age:
            candidates.append((Path(entry.path), (info.st_dev, info.st_ino)))
    if not candidates:
        return []
    held = _files_open_in_any_process()
    removed = []
    for candidate, identity in candidates:
        if identity in held:
            continue
        try:
            candidate.unlink()
            removed.append(candidate)
        except OSError:
            pass                       # gone already, or not ours to delete: leave it
    return removed


def _files_open_in_any_process() -> set[tuple[int, int]]:
    """(device, inode) of every file open in a process whose /proc/PID/fd we may read."""
    held = set()
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return held                    # no /proc (macOS, Windows): the age rule alone
    for pid in pids:
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                info = os.stat(f"{fd_dir}/{fd}")
            except OSError:
                continue
            held.add((info.st_dev, info.st_ino))
    return held
