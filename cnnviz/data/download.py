"""Download the full MNIST (60,000 training + 10,000 test digits) into a local cache.

Each file is streamed to a temporary name in the destination folder, its MD5 checked, and
only then renamed to its final name: a cancelled, truncated or corrupt transfer never leaves
a file under the final name. Mirrors are tried in turn until one delivers the right bytes.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = [
    "MNIST_FILES",
    "DEFAULT_MIRRORS",
    "DownloadError",
    "DownloadCancelled",
    "default_cache_dir",
    "mnist_cache_dir",
    "download_mnist",
]

#: The four canonical MNIST files and the MD5 of each original ``.gz`` download.
MNIST_FILES: Mapping[str, str] = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

#: Where the files are fetched from, in order (the same mirrors torchvision uses).
DEFAULT_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

CHUNK_SIZE = 64 * 1024

ProgressCallback = Callable[[str, int, "int | None"], None]
CancelCallback = Callable[[], bool]


class DownloadError(RuntimeError):
    """No mirror delivered a file intact; the message lists each mirror's failure."""


class DownloadCancelled(DownloadError):
    """The ``cancel`` callback asked to stop; the partial file has been deleted."""


def default_cache_dir() -> Path:
    """cnnviz's cache folder: ``$CNNVIZ_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/cnnviz``,
    else ``~/.cache/cnnviz``. Not created here."""
    override = os.environ.get("CNNVIZ_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "cnnviz"


def mnist_cache_dir() -> Path:
    """The folder the full MNIST is downloaded into: ``default_cache_dir() / "mnist"``."""
    return default_cache_dir() / "mnist"


def file_md5(path: Path) -> str:
    """Hex MD5 of a file's bytes, read in chunks."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_mnist(
    dest: str | os.PathLike | None = None,
    mirrors: Sequence[str] = DEFAULT_MIRRORS,
    progress: ProgressCallback | None = None,
    cancel: CancelCallback | None = None,
    timeout: float = 30,
    md5s: Mapping[str, str] | None = None,
) -> Path:
    """Make sure the MNIST files are in ``dest`` (default :func:`mnist_cache_dir`); return ``dest``.

    A file already present with the right MD5 is kept. Otherwise each mirror is tried in
    turn; an HTTP or network error, a short transfer or a wrong checksum moves on to the next.

    ``progress(file_name, bytes_done, bytes_total_or_None)`` is called as bytes arrive;
    ``cancel()`` is polled between chunks and, if it returns True, the partial file is
    deleted and :class:`DownloadCancelled` raised. ``md5s`` (name -> MD5) replaces
    :data:`MNIST_FILES`, e.g. for tests serving their own files.
    Raises :class:`DownloadError` naming the file and every mirror's failure if none works.
    """
    dest = Path(dest) if dest is not None else mnist_cache_dir()
    dest.mkdir(parents=True, exist_ok=True)
    expected = dict(MNIST_FILES if md5s is None else md5s)

    for name, md5 in expected.items():
        final = dest / name
        if final.is_file() and file_md5(final) == md5:
            continue
        failures = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + name
            try:
                _fetch(url, final, name, md5, progress, cancel, timeout)
                break
            except DownloadCancelled:
                raise
            except _TransferFailed as exc:
                failures.append(f"{url}: {exc}")
        else:
            listed = "\n  ".join(failures) if failures else "(no mirrors given)"
            raise DownloadError(f"could not download {name}:\n  {listed}")
    return dest


class _TransferFailed(Exception):
    """One mirror failed for one file; the next mirror is tried."""


def _fetch(url, final, name, md5, progress, cancel, timeout) -> None:
    """Stream ``url`` into a temp file beside ``final``; verify ``md5``; rename into place."""
    try:
        fd, tmp_name = tempfile.mkstemp(dir=final.parent, prefix=f".{name}.", suffix=".part")
    except OSError as exc:
        raise DownloadError(f"cannot write in {final.parent}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            got_md5 = _stream(url, _NamedWrites(out, final), name, progress, cancel, timeout)
        if got_md5 != md5:
            raise _TransferFailed(f"checksum mismatch: got MD5 {got_md5}, expected {md5}")
        os.replace(tmp_name, final)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


class _NamedWrites:
    """A file whose write errors (a full disk) name the file being downloaded, and are not
    mistaken for a mirror's failure (the next mirror would fail the same way)."""

    def __init__(self, file, path: Path):
        self._file, self._path = file, path

    def write(self, data: bytes) -> int:
        try:
            return self._file.write(data)
        except OSError as exc:
            raise DownloadError(f"cannot write {self._path}: {exc.strerror or exc}") from None


def _stream(url, out, name, progress, cancel, timeout) -> str:
    """Copy the body of ``url`` into the open file ``out``; return its hex MD5."""
    request = urllib.request.Request(url, headers={"User-Agent": "cnnviz"})
    digest = hashlib.md5()
    done = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if progress is not None:
                progress(name, 0, total)
            while True:
                if cancel is not None and cancel():
                    raise DownloadCancelled(f"download of {name} cancelled")
                chunk = response.read(CHUNK_SIZE)
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(name, done, total)
    except urllib.error.HTTPError as exc:
        raise _TransferFailed(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise _TransferFailed(f"cannot connect: {exc.reason}") from None
    except http.client.IncompleteRead as exc:
        raise _TransferFailed(f"transfer cut short after {done + len(exc.partial)} bytes") from None
    except (OSError, http.client.HTTPException) as exc:
        raise _TransferFailed(f"transfer failed after {done} bytes: {exc}") from None
    if total is not None and done != total:
        raise _TransferFailed(f"transfer cut short: got {done} of {total} bytes")
    return digest.hexdigest()
