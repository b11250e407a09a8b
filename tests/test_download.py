"""MNIST download against a local HTTP server: success, bad mirrors, truncation, cancel, progress."""

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from cnnviz.data import download
from cnnviz.data.download import (
    DownloadCancelled,
    DownloadError,
    default_cache_dir,
    download_mnist,
    mnist_cache_dir,
)
from cnnviz.data.idx import read_idx, write_idx

# The server answers at once; the timeout only bounds a failure. It runs in this process, and
# on a loaded machine its thread may wait a long time for a core and for the GIL.
SOCKET_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def served_files(tmp_path_factory):
    """Two small IDX .gz files (random pixels, so several 64 KiB chunks each): name -> bytes."""
    folder = tmp_path_factory.mktemp("served")
    rng = np.random.default_rng(0)
    write_idx(folder / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (300, 28, 28), dtype=np.uint8))
    write_idx(folder / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, 300, dtype=np.uint8))
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.fixture(scope="module")
def md5s(served_files):
    return {name: hashlib.md5(body).hexdigest() for name, body in sorted(served_files.items())}


@pytest.fixture(scope="module")
def server(served_files):
    """Mirrors under one server: /good/, /corrupt/ (wrong bytes), /truncated/ (short body), /missing/ (404)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            _, mirror, name = self.path.split("/", 2)
            body = served_files.get(name)
            if mirror == "missing" or body is None:
                self.send_error(404)
                return
            declared = len(body)
            if mirror == "corrupt":
                body = body[:-1] + bytes([body[-1] ^ 0xFF])
            if mirror == "truncated":
                body = body[: len(body) // 2]
            self.send_response(200)
            self.send_header("Content-Length", str(declared))
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def dead_mirror():
    """A URL on a port nothing listens on."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_success_downloads_and_verifies(tmp_path, server, md5s, served_files):
    dest = download_mnist(tmp_path / "cache", mirrors=[server + "/good/"], md5s=md5s, timeout=SOCKET_TIMEOUT_S)
    assert dest == tmp_path / "cache"
    assert sorted(p.name for p in dest.iterdir()) == sorted(served_files)
    for name, body in served_files.items():
        assert (dest / name).read_bytes() == body
    assert read_idx(dest / "train-images-idx3-ubyte.gz").shape == (300, 28, 28)


def test_present_files_with_right_md5_are_not_fetched_again(tmp_path, server, md5s):
    dest = download_mnist(tmp_path, mirrors=[server + "/good/"], md5s=md5s, timeout=SOCKET_TIMEOUT_S)
    calls = []
    download_mnist(dest, mirrors=[server + "/good/"], md5s=md5s, timeout=SOCKET_TIMEOUT_S,
                   progress=lambda *a: calls.append(a))
    assert calls == []


def test_wrong_checksum_tries_next_mirror(tmp_path, server, md5s, served_files):
    dest = download_mnist(tmp_path, mirrors=[server + "/corrupt/", server + "/good/"], md5s=md5s, timeout=SOCKET_TIMEOUT_S)
    for name, body in served_files.items():
        assert (dest / name).read_bytes() == body


def test_wrong_checksum_everywhere_errors_and_leaves_nothing(tmp_path, server, md5s):
    with pytest.raises(DownloadError) as info:
        download_mnist(tmp_path, mirrors=[server + "/corrupt/", server + "/missing/"], md5s=md5s, timeout=SOCKET_TIMEOUT_S)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message
    assert "checksum mismatch" in message and "/corrupt/" in message
    assert "HTTP 404" in message and "/missing/" in message
    assert list(tmp_path.iterdir()) == []


def test_truncated_transfer_is_rejected(tmp_path, server, md5s):
    with pytest.raises(DownloadError, match="cut short"):
        download_mnist(tmp_path, mirrors=[server + "/truncated/"], md5s=md5s, timeout=SOCKET_TIMEOUT_S)
    assert list(tmp_path.iterdir()) == []


def test_truncated_then_good_mirror(tmp_path, server, md5s, served_files):
    download_mnist(tmp_path, mirrors=[server + "/truncated/", server + "/good/"], md5s=md5s, timeout=SOCKET_TIMEOUT_S)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(served_files)


def test_dead_first_mirror_falls_through(tmp_path, server, md5s, dead_mirror, served_files):
    download_mnist(tmp_path, mirrors=[dead_mirror, server + "/good/"], md5s=md5s, timeout=SOCKET_TIMEOUT_S)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(served_files)


def test_corrupt_existing_file_is_replaced(tmp_path, server, md5s, served_files):
    name = next(iter(md5s))
    (tmp_path / name).write_bytes(b"garbage")
    download_mnist(tmp_path, mirrors=[server + "/good/"], md5s=md5s, timeout=SOCKET_TIMEOUT_S)
    assert (tmp_path / name).read_bytes() == served_files[name]


def test_cancel_mid_transfer_leaves_no_files(tmp_path, server, md5s):
    seen = []
    with pytest.raises(DownloadCancelled):
        download_mnist(tmp_path, mirrors=[server + "/good/"], md5s=md5s, timeout=SOCKET_TIMEOUT_S,
                       progress=lambda name, done, total: seen.append(done),
                       cancel=lambda: bool(seen) and seen[-1] > 0)
    assert seen[-1] > 0  # it really was cancelled part-way through a file
    assert list(tmp_path.iterdir()) == []


def test_progress_reports_growing_counts_and_total(tmp_path, server, md5s, served_files):
    calls = []
    download_mnist(tmp_path, mirrors=[server + "/good/"], md5s=md5s, timeout=SOCKET_TIMEOUT_S,
                   progress=lambda *a: calls.append(a))
    for name, body in served_files.items():
        counts = [done for n, done, total in calls if n == name]
        totals = {total for n, done, total in calls if n == name}
        assert totals == {len(body)}
        assert counts[0] == 0 and counts[-1] == len(body)
        assert counts == sorted(counts)
    image_counts = [done for n, done, _ in calls if n == "train-images-idx3-ubyte.gz"]
    assert len(image_counts) >= 3  # 235 KB of random pixels arrive in several chunks


def test_canonical_file_list():
    assert download.MNIST_FILES["train-images-idx3-ubyte.gz"] == "f68b3c2dcbeaaa9fbdd348bbdeb94873"
    assert download.MNIST_FILES["t10k-labels-idx1-ubyte.gz"] == "ec29112dd5afa0611ce80d1b7f02629c"
    assert len(download.MNIST_FILES) == 4
    assert download.DEFAULT_MIRRORS[0].startswith("https://")


def test_cache_dir_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("CNNVIZ_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "cnnviz"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "cnnviz"
    monkeypatch.setenv("CNNVIZ_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
    assert mnist_cache_dir() == tmp_path / "mine" / "mnist"
