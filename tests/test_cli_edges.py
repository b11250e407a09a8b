"""The command line's edges: what ``--out`` may be, a full disk, temp files left by a killed
save, Ctrl-C at any moment, and file names that are not valid UTF-8."""

from __future__ import annotations

import errno
import os
import signal
import socket
import stat
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from cnnviz import cli
from cnnviz.nn import build_network, load_checkpoint, save_checkpoint
from cnnviz.nn.stale_temp import STALE_AFTER_SECONDS

REPO = Path(__file__).resolve().parents[1]
TRAIN_QUICK = ("train", "--epochs", "1", "--limit", "64", "--no-progress")


def cli_env(tmp_path: Path, **extra: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO), CNNVIZ_CACHE_DIR=str(tmp_path / "cache"))
    env.update(extra)
    return env


def run_cli(tmp_path: Path, *args, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cnnviz", *args], cwd=tmp_path,
                          env=cli_env(tmp_path, **env), capture_output=True, timeout=240)


def assert_refused_before_training(result, *fragments: str) -> str:
    err = result.stderr.decode()
    assert result.returncode == 2, (result.returncode, result.stdout, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnnviz: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert b"training preset" not in result.stdout          # no epoch was started
    return lines[0]


# -- --out that is not a regular file ----------------------------------------------------------

def test_out_as_a_fifo_is_refused_before_training_and_left_alone(tmp_path):
    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)
    result = run_cli(tmp_path, *TRAIN_QUICK, "--out", "model.npz")
    assert_refused_before_training(result, "model.npz", "FIFO", "not a regular file")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_out_as_a_link_to_a_device_is_refused(tmp_path):
    """/dev/null stands in for /dev/full (we run as root: a device must never be replaced)."""
    (tmp_path / "dev.npz").symlink_to("/dev/null")
    result = run_cli(tmp_path, *TRAIN_QUICK, "--out", "dev.npz")
    assert_refused_before_training(result, "dev.npz", "character device")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_out_as_a_socket_is_refused(tmp_path):
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(tmp_path / "sock.npz"))
        result = run_cli(tmp_path, *TRAIN_QUICK, "--out", "sock.npz")
    finally:
        server.close()
    assert_refused_before_training(result, "sock.npz", "socket")


# -- room on the disk, and the path in every I/O error ----------------------------------------

class FakeStatvfs:
    def __init__(self, free_bytes: int):
        self.f_frsize, self.f_bavail = 4096, free_bytes // 4096


def test_a_full_disk_is_noticed_before_training(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(os, "statvfs", lambda path: FakeStatvfs(100_000))
    out = tmp_path / "model.npz"
    assert cli.main([*TRAIN_QUICK, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "training preset" not in captured.out
    line = captured.err.strip()
    assert line.startswith("cnnviz: error: ") and "\n" not in line
    assert str(out) in line and "not enough room" in line and "1.9 MB" in line   # 431,080 x 4 B
    assert not out.exists()


def test_room_for_the_model_is_enough(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "statvfs", lambda path: FakeStatvfs(4 * 2**20))
    assert cli.main([*TRAIN_QUICK, "--out", str(tmp_path / "m.npz")]) == 0
    load_checkpoint(tmp_path / "m.npz")


def test_a_write_error_while_saving_names_the_path(tmp_path, monkeypatch, capsys):
    def disk_full(file, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(np, "savez", disk_full)
    out = tmp_path / "model.npz"
    assert cli.main([*TRAIN_QUICK, "--out", str(out)]) == 2
    line = capsys.readouterr().err.strip()
    assert line == f"cnnviz: error: cannot save the model to {out}: No space left on device"
    assert list(tmp_path.iterdir()) == []              # no temp file left either


# -- temp files of a killed save ---------------------------------------------------------------

def backdate(path: Path, seconds: float = STALE_AFTER_SECONDS + 5) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_save_removes_stale_temp_files_of_its_own_name_only(tmp_path):
    target = tmp_path / "model.npz"
    stale = tmp_path / ".model.npz.k3x_9q0z.tmp"
    fresh = tmp_path / ".model.npz.a1b2c3d4.tmp"         # a save in progress, just written
    held = tmp_path / ".model.npz.zzzzzzzz.tmp"          # old, but a live process holds it
    others = [tmp_path / ".other.npz.k3x_9q0z.tmp",      # another model's
              tmp_path / ".model.npz.tmp",               # not mkstemp's pattern
              tmp_path / ".model.npz.k3x_9q0z.tmp.bak",
              tmp_path / "model.npz.k3x_9q0z.tmp"]
    for path in (stale, fresh, held, *others):
        path.write_bytes(b"PK\x03\x04partial")
    for path in (stale, held, *others):
        backdate(path)
    with open(held, "rb"):
        save_checkpoint(build_network(seed=1), target)
        assert not stale.exists()
        assert fresh.exists() and held.exists()
        assert all(path.exists() for path in others)
    load_checkpoint(target)


KILLED_SAVE = """
import sys, time
import numpy as np
from cnnviz.nn import build_network, save_checkpoint

def hang(file, **arrays):
    file.write(b"PK\\x03\\x04 half a checkpoint")
    file.flush()
    print("writing", flush=True)
    time.sleep(600)

np.savez = hang
save_checkpoint(build_network(seed=0), sys.argv[1])
"""


def test_the_temp_file_of_a_save_killed_with_sigkill_is_cleaned_by_the_next_save(tmp_path):
    target = tmp_path / "model.npz"
    process = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(target)],
                               env=cli_env(tmp_path), stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "writing"
        leftovers = list(tmp_path.glob(".model.npz.*.tmp"))
        assert len(leftovers) == 1
        save_checkpoint(build_network(seed=1), target)    # the save is live: its file stays
        assert leftovers[0].exists()
    finally:
        process.kill()
        process.wait()
    assert leftovers[0].exists()                          # SIGKILL left it behind
    backdate(leftovers[0])
    save_checkpoint(build_network(seed=2), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


# -- Ctrl-C at any moment ----------------------------------------------------------------------

ENTRIES = {
    "python -m cnnviz": [sys.executable, "-m", "cnnviz"],
    # What the installed ``cnnviz`` script does (pip's console-script template):
    "console script": [sys.executable, "-c",
                       "import re, sys; from cnnviz.entry import run; sys.exit(run())"],
}
# Modules whose import ends at successive moments of start-up: the entry point itself, the
# command line module, NumPy half-way (while the parser is built), the subcommands, the
# command's own imports, and the first imports of its work.
MOMENTS = ["cnnviz.entry", "cnnviz.cli", "numpy.linalg", "cnnviz.cli_eval", "cnnviz.training",
           "numpy.random"]
# Loaded by the child's ``site`` before anything else: once the module CNNVIZ_TEST_MOMENT has
# finished importing, the import statement that brought it in says so on stderr and waits
# there for the test's SIGINT. Without the wait, a test process descheduled for the second
# the child needs to finish (a loaded machine) sent its Ctrl-C after the command had ended.
HOLD_AT_MOMENT = """
import builtins, os, sys, time
_moment, _real_import = os.environ["CNNVIZ_TEST_MOMENT"], builtins.__import__

def _import_then_hold(*args, **kwargs):
    result = _real_import(*args, **kwargs)
    module = sys.modules.get(_moment)
    if module is not None and not getattr(module.__spec__, "_initializing", False):
        builtins.__import__ = _real_import
        sys.stderr.write("held at " + _moment + "\\n")
        sys.stderr.flush()
        time.sleep(120)                     # the SIGINT lands here
    return result

builtins.__import__ = _import_then_hold
"""


@pytest.mark.parametrize("entry", sorted(ENTRIES))
@pytest.mark.parametrize("moment", MOMENTS)
def test_ctrl_c_at_any_moment_of_start_up_exits_130_quietly(tmp_path, entry, moment):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOLD_AT_MOMENT)
    env = cli_env(tmp_path, CNNVIZ_TEST_MOMENT=moment)
    env["PYTHONPATH"] = os.pathsep.join([str(hook), env["PYTHONPATH"]])
    # As from a terminal: SIGINT at its default even if this test runs with it ignored.
    process = subprocess.Popen([*ENTRIES[entry], "eval", "--json"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = []
    try:
        for line in process.stderr:
            seen.append(line)
            if line.strip() == f"held at {moment}":
                process.send_signal(signal.SIGINT)
                break
        else:
            pytest.fail(f"{moment} was never imported:\n{''.join(seen)[-2000:]}")
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130, (process.returncode, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert out == ""                             # no result printed after the interrupt


def test_ctrl_c_during_the_command_still_reports_and_exits_130(tmp_path):
    """The commands' own handling of Ctrl-C (stop, save, exit 130) is unchanged."""
    process = subprocess.Popen([sys.executable, "-m", "cnnviz", "train", "--epochs", "1000",
                                "--limit", "64", "--out", "m.npz"], cwd=tmp_path,
                               env=cli_env(tmp_path), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stdout:
            if line.startswith("epoch 1/1000"):
                break
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130 and "Traceback" not in err
    assert "saved the model trained so far" in out
    load_checkpoint(tmp_path / "m.npz")


# -- file names that are not valid UTF-8 -------------------------------------------------------

def write_one_png(path: bytes) -> None:
    """A white "1" on black, 28 x 28, as an 8-bit grayscale PNG at a bytes path."""
    image = np.zeros((28, 28), np.uint8)
    image[4:24, 13:16] = 255

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    raw = b"".join(b"\x00" + row.tobytes() for row in image)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0,
                                                                      0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_predict_prints_a_non_utf8_file_name_under_strict_utf8(tmp_path):
    name = b"digit\xff.png"
    write_one_png(os.fsencode(tmp_path) + b"/" + name)
    result = run_cli(tmp_path, "predict", name, b"missing\xfe.png", PYTHONIOENCODING="utf-8:strict")
    out, err = result.stdout.decode("utf-8"), result.stderr.decode("utf-8")   # strict: valid
    assert "Traceback" not in err and "codec" not in err, err
    assert out.startswith("digit\\xff.png: 1 ("), out         # the result is not lost
    assert err.strip() == "cnnviz: error: missing\\xfe.png: no such file", err
    assert result.returncode == 2                                # because of the missing one


def test_train_out_with_a_non_utf8_name_saves_and_exits_0_under_strict_utf8(tmp_path):
    result = run_cli(tmp_path, *TRAIN_QUICK, "--out", b"model\xff.npz",
                     PYTHONIOENCODING="utf-8:strict")
    assert result.returncode == 0, result.stderr.decode()
    assert "saved model\\xff.npz" in result.stdout.decode("utf-8")
    load_checkpoint(os.fsdecode(os.fsencode(tmp_path) + b"/model\xff.npz"))


def test_names_escape_only_what_cannot_be_written():
    from cnnviz.cli_output import shown

    assert shown("caf\u00e9.png") == "caf\u00e9.png"             # valid UTF-8 stays as it is
    assert shown(os.fsdecode(b"a\xff\xfeb.png")) == "a\\xff\\xfeb.png"


def test_a_full_disk_during_a_download_names_the_file_and_tries_no_other_mirror(tmp_path,
                                                                                 monkeypatch):
    import threading
    import types
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from cnnviz.data import DownloadError, download, download_mnist

    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(bytes(1000))

        def log_message(self, *args):
            pass

    class FullDisk:
        def __init__(self, fd, mode):
            self._file = open(fd, mode)

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._file.close()

    fake_os = types.SimpleNamespace(**{name: getattr(os, name) for name in dir(os)
                                       if not name.startswith("__")})
    fake_os.fdopen = FullDisk                       # only the download's file is full
    monkeypatch.setattr(download, "os", fake_os)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(DownloadError) as info:
            download_mnist(tmp_path / "mnist", mirrors=[base + "/a/", base + "/b/"],
                           md5s={"x-idx1-ubyte.gz": "0" * 32})
    finally:
        server.shutdown()
        server.server_close()
    assert str(info.value) == (f"cannot write {tmp_path / 'mnist' / 'x-idx1-ubyte.gz'}: "
                               "No space left on device")
    assert requests == ["/a/x-idx1-ubyte.gz"]
    assert list((tmp_path / "mnist").iterdir()) == []


SWALLOWED = """
import time
import weakref
import cnnviz.entry

class Thing:
    pass

def callback(_ref):
    raise KeyboardInterrupt          # what SIGINT does when it lands in such a callback

thing = Thing()
ref = weakref.ref(thing, callback)
del thing                            # Python only reports an exception raised here
for _ in range(500):                 # the command goes on working...
    time.sleep(0.01)
print("ran on")                      # ...and must not get here
"""


def test_a_ctrl_c_swallowed_by_a_weakref_callback_still_stops_the_command(tmp_path):
    """CI saw it: SIGINT while NumPy imported landed in the import system's weakref callback;
    Python printed "Exception ignored ... KeyboardInterrupt" and the command ran on to exit 0."""
    done = subprocess.run([sys.executable, "-c", SWALLOWED], cwd=tmp_path, env=cli_env(tmp_path),
                          capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert done.returncode == 130, (done.returncode, done.stderr)
    assert done.stdout == "" and "KeyboardInterrupt" not in done.stderr, done.stderr
