"""The ``cnnviz`` command end to end, through ``python -m cnnviz`` in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from cnnviz.data import load_bundled, write_idx
from cnnviz.nn import load_checkpoint, read_checkpoint_metadata

REPO = Path(__file__).resolve().parents[1]


def cnnviz_env(tmp_path: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["CNNVIZ_CACHE_DIR"] = str(tmp_path / "cache")   # never touch the user's cache
    return env


def run_cli(tmp_path: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cnnviz", *args], cwd=tmp_path,
                          env=cnnviz_env(tmp_path), capture_output=True, text=True,
                          timeout=timeout)


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cnnviz: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def write_png(path: Path, gray: np.ndarray) -> None:
    """Write ``gray`` (H, W) uint8 as an 8-bit grayscale PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    h, w = gray.shape
    raw = b"".join(b"\x00" + gray[row].tobytes() for row in range(h))   # filter type 0
    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def drawn_one(path: Path) -> None:
    """A black "1" drawn on white paper, 90 x 60 pixels."""
    image = np.full((90, 60), 255, np.uint8)
    image[12:78, 27:34] = 0
    write_png(path, image)


# -- train ------------------------------------------------------------------------------------

def test_train_saves_a_model_that_learnt(tmp_path):
    result = run_cli(tmp_path, "train", "--epochs", "1", "--limit", "600", "--out", "m.npz",
                     "--progress")
    assert result.returncode == 0, result.stderr
    epoch_lines = [l for l in result.stdout.splitlines() if l.startswith("epoch 1/1")]
    assert len(epoch_lines) == 1, result.stdout
    assert "held-out" in epoch_lines[0] and "img/s" in epoch_lines[0]
    # The progress bar: (text mode turned its "\r" redraws into line breaks)
    assert "epoch 1/1 [" in result.stderr and "100%  19/19" in result.stderr
    net = load_checkpoint(tmp_path / "m.npz")
    meta = read_checkpoint_metadata(tmp_path / "m.npz")
    assert meta["preset"] == "lenet" and meta["epochs_trained"] == 1
    assert meta["n_train"] == 600 and meta["interrupted"] is False
    assert meta["held_out_accuracy"] > 0.5                       # chance is 0.1
    data = load_bundled()
    x = data.test_images[:200].astype(np.float32)[:, None] / 255
    accuracy = (net.forward(x).argmax(1) == data.test_labels[:200]).mean()
    assert accuracy > 0.5


def test_train_overrides_reach_the_trainer(tmp_path):
    result = run_cli(tmp_path, "train", "--preset", "seed", "--epochs", "1", "--limit", "40",
                     "--batch-size", "20", "--lr", "0.01", "--momentum", "0.5",
                     "--weight-decay", "0", "--seed", "3", "--out", "s.npz", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "[" not in result.stderr
    meta = read_checkpoint_metadata(tmp_path / "s.npz")
    assert meta["preset"] == "seed" and meta["seed"] == 3
    assert meta["training"]["batch_size"] == 20 and meta["training"]["lr"] == 0.01
    assert meta["training"]["momentum"] == 0.5 and meta["training"]["weight_decay"] == 0
    assert load_checkpoint(tmp_path / "s.npz").arch.endswith("fc500 sigmoid fc10")


def test_ctrl_c_during_training_saves_a_loadable_model(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "cnnviz", "train", "--epochs", "1000", "--limit", "64",
         "--out", "stopped.npz"],
        cwd=tmp_path, env=cnnviz_env(tmp_path), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stdout:
            if line.startswith("epoch 1/1000"):
                break
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "stopped.npz" in out
    meta = read_checkpoint_metadata(tmp_path / "stopped.npz")
    assert meta["interrupted"] is True and meta["epochs_trained"] >= 1
    load_checkpoint(tmp_path / "stopped.npz")


def test_diverging_training_reports_the_learning_rate_and_saves_nothing(tmp_path):
    result = run_cli(tmp_path, "train", "--lr", "1e30", "--epochs", "2", "--limit", "64",
                     "--out", "bad.npz")
    assert result.returncode == 3, result.stderr
    assert "diverged" in result.stderr and "1e+30" in result.stderr
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr
    assert not (tmp_path / "bad.npz").exists()


def test_learning_rate_10_exits_3_before_nan_with_one_line_and_no_model(tmp_path):
    """lr 10 used to end at ~9.7 % accuracy, save that model and exit 0."""
    result = run_cli(tmp_path, "train", "--lr", "10", "--epochs", "1", "--limit", "640",
                     "--out", "bad.npz")
    assert result.returncode == 3, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnnviz: error: training diverged")
    assert "learning rate 10 " in lines[0] and "try --lr 0.01" in lines[0]
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr
    assert not (tmp_path / "bad.npz").exists()


# -- eval -------------------------------------------------------------------------------------

def test_eval_json_of_the_bundled_model(tmp_path):
    result = run_cli(tmp_path, "eval", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"accuracy", "loss", "n"}
    assert report["n"] == 1000
    assert 0.95 < report["accuracy"] <= 1 and 0 < report["loss"] < 0.5


def test_eval_on_an_idx_pair(tmp_path):
    data = load_bundled()
    write_idx(tmp_path / "images.idx", np.asarray(data.test_images[:50]))
    labels = np.asarray(data.test_labels[:50]).copy()
    labels[:25] = (labels[:25] + 1) % 10            # half the labels wrong on purpose
    write_idx(tmp_path / "labels.idx.gz", labels)
    result = run_cli(tmp_path, "eval", "--images", "images.idx", "--labels", "labels.idx.gz",
                     "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n"] == 50
    assert 0.35 <= report["accuracy"] <= 0.5
    human = run_cli(tmp_path, "eval", "--images", "images.idx", "--labels", "labels.idx.gz")
    assert "accuracy" in human.stdout and "/50" in human.stdout


def test_eval_of_a_trained_checkpoint_matches_its_metadata(tmp_path):
    assert run_cli(tmp_path, "train", "--epochs", "1", "--limit", "100",
                   "--out", "m.npz").returncode == 0
    report = json.loads(run_cli(tmp_path, "eval", "--checkpoint", "m.npz", "--json").stdout)
    assert report["accuracy"] == pytest.approx(
        read_checkpoint_metadata(tmp_path / "m.npz")["held_out_accuracy"])


# -- predict ----------------------------------------------------------------------------------

def test_predict_a_drawn_one(tmp_path):
    drawn_one(tmp_path / "one.png")
    result = run_cli(tmp_path, "predict", "one.png")
    assert result.returncode == 0, result.stderr
    line, = result.stdout.strip().splitlines()
    assert line.startswith("one.png: 1 (")
    assert line.count("%") == 3
    as_json = json.loads(run_cli(tmp_path, "predict", "--json", "one.png").stdout)
    top = as_json["predictions"][0]["top"]
    assert [t["class"] for t in top][0] == 1 and len(top) == 3
    assert top[0]["probability"] > 0.5
    assert top[0]["probability"] >= top[1]["probability"] >= top[2]["probability"]


# -- errors: one line, exit code 2, no traceback -----------------------------------------------

def test_a_file_that_is_not_a_checkpoint(tmp_path):
    (tmp_path / "junk.npz").write_text("not an npz at all")
    assert_one_line_error(run_cli(tmp_path, "eval", "--checkpoint", "junk.npz"), "junk.npz")


def test_a_missing_checkpoint(tmp_path):
    drawn_one(tmp_path / "one.png")
    assert_one_line_error(run_cli(tmp_path, "predict", "--checkpoint", "nope.npz", "one.png"),
                          "nope.npz")


def test_a_bad_image_file(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    assert_one_line_error(run_cli(tmp_path, "predict", "broken.png"), "broken.png")
    assert_one_line_error(run_cli(tmp_path, "predict", "missing.png"), "missing.png")


def test_a_bad_idx_file_and_a_bad_dataset(tmp_path):
    (tmp_path / "images.idx").write_bytes(b"\x00\x00\x08\x03" + b"\x00" * 5)
    (tmp_path / "labels.idx").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07")
    assert_one_line_error(run_cli(tmp_path, "eval", "--images", "images.idx",
                                  "--labels", "labels.idx"), "images.idx")
    assert_one_line_error(run_cli(tmp_path, "eval", "--data", "no-such-folder"),
                          "no-such-folder")
    (tmp_path / "empty").mkdir()
    assert_one_line_error(run_cli(tmp_path, "train", "--data", "empty"), "missing")


@pytest.mark.parametrize("args", [
    ["train", "--epochs", "0"],
    ["train", "--lr", "fast"],
    ["train", "--preset", "resnet"],
    ["eval", "--images", "only-images.idx"],
    ["bench", "--batch-sizes", "1,x"],
    ["frobnicate"],
])
def test_bad_arguments_exit_with_code_2(tmp_path, args):
    assert_one_line_error(run_cli(tmp_path, *args))


def test_an_output_folder_that_does_not_exist(tmp_path):
    assert_one_line_error(run_cli(tmp_path, "train", "--out", "no/such/dir/m.npz"),
                          "no/such/dir")


# -- data ------------------------------------------------------------------------------------

def test_download_from_a_dead_mirror_fails_cleanly(tmp_path):
    with socket.socket() as s:             # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_cli(tmp_path, "data", "download", "--dest", "mnist",
                     "--mirror", f"http://127.0.0.1:{port}/", "--timeout", "5")
    assert result.returncode == 1, result.stderr
    assert "could not download" in result.stderr and "Traceback" not in result.stderr
    assert list((tmp_path / "mnist").iterdir()) == []


def test_data_path_follows_the_cache_setting(tmp_path):
    result = run_cli(tmp_path, "data", "path")
    assert result.stdout.strip() == str(tmp_path / "cache" / "mnist")


# -- no arguments: the desktop app --------------------------------------------------------------

def test_no_arguments_without_the_app_prints_a_clear_message(monkeypatch, capsys):
    import importlib.util

    from cnnviz import cli

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "cnnviz.app.main"
                        else real_find_spec(name, *a))
    assert cli.main([]) == 1
    assert "desktop app" in capsys.readouterr().err


def test_no_arguments_starts_the_app(monkeypatch):
    import cnnviz.app.main as app_main
    from cnnviz import cli

    calls = []
    monkeypatch.setattr(app_main, "run_app", lambda argv=None: calls.append(argv) or 0)
    assert cli.main([]) == 0
    assert calls == [["cnnviz"]]


# -- the progress bar ---------------------------------------------------------------------------

def test_progress_bar_draws_in_place_and_erases_itself():
    import io

    from cnnviz.cli_progress import ProgressBar, format_bytes

    stream = io.StringIO()
    bar = ProgressBar("epoch 1/3", total=4, stream=stream, width=8, interval=3600)
    bar.update(1, "loss 2.0", force=True)
    bar.update(2, "loss 1.0")                       # throttled: not drawn
    bar.update(4, "loss 0.5")                       # the end is always drawn
    bar.close()
    frames = stream.getvalue().split("\r")[1:]
    assert frames[0] == "epoch 1/3 [##......]  25%  1/4  loss 2.0"
    assert frames[1] == "epoch 1/3 [########] 100%  4/4  loss 0.5"
    assert frames[2].strip() == "" and frames[3] == ""
    assert format_bytes(512) == "512 B" and format_bytes(9_912_422) == "9.9 MB"


def test_a_disabled_progress_bar_writes_nothing():
    import io

    from cnnviz.cli_progress import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar("x", total=2, stream=stream, enabled=False)
    bar.update(2)
    bar.close()
    assert stream.getvalue() == ""


# -- data download against a local server (in-process, so the checksums can be ours) -----------

@pytest.fixture()
def mnist_server(tmp_path, monkeypatch):
    """Serve four small generated IDX files at /good/; /slow/ sends half a file, raises
    Ctrl-C in this process (as a user would), then sends the rest."""
    import hashlib
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from cnnviz.data import download

    rng = np.random.default_rng(0)
    folder = tmp_path / "served"
    folder.mkdir()
    for split, n in (("train", 300), ("t10k", 50)):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz",
                  rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz",
                  rng.integers(0, 10, n, dtype=np.uint8))
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    monkeypatch.setattr(download, "MNIST_FILES",
                        {name: hashlib.md5(body).hexdigest() for name, body in files.items()})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            _, mirror, name = self.path.split("/", 2)
            body = files[name]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if mirror == "slow":
                half = len(body) // 2
                self.wfile.write(body[:half])
                self.wfile.flush()
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.5)
                body = body[half:]
            try:
                self.wfile.write(body)
            except OSError:          # the client hung up: it cancelled
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_then_train_and_eval_on_the_downloaded_folder(tmp_path, mnist_server, capsys):
    from cnnviz import cli

    dest = tmp_path / "mnist"
    assert cli.main(["data", "download", "--dest", str(dest),
                     "--mirror", mnist_server + "/good/"]) == 0
    captured = capsys.readouterr()
    assert "downloading train-images-idx3-ubyte.gz" in captured.err
    assert f"--data {dest}" in captured.out
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        f"{s}-{k}-idx{d}-ubyte.gz" for s in ("train", "t10k") for k, d in (("images", 3),
                                                                          ("labels", 1)))
    assert cli.main(["eval", "--data", str(dest), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 50
    out = tmp_path / "m.npz"
    assert cli.main(["train", "--data", str(dest), "--epochs", "1", "--out", str(out)]) == 0
    assert read_checkpoint_metadata(out)["n_train"] == 300


def test_ctrl_c_cancels_a_download_and_leaves_no_partial_file(tmp_path, mnist_server, capsys):
    from cnnviz import cli

    dest = tmp_path / "mnist"
    # Whatever handled SIGINT before (not always default_int_handler: under nohup, or started
    # in the background by a script, SIGINT is ignored) is what must be back afterwards.
    before = signal.getsignal(signal.SIGINT)
    assert cli.main(["data", "download", "--dest", str(dest),
                     "--mirror", mnist_server + "/slow/"]) == 130
    assert "cancelled" in capsys.readouterr().err
    assert list(dest.iterdir()) == []
    assert signal.getsignal(signal.SIGINT) is before                     # handler restored


def test_predict_reports_each_bad_picture_and_still_classifies_the_good_ones(tmp_path):
    good = tmp_path / "one.png"
    ink = np.full((60, 60), 255, np.uint8)
    ink[10:50, 28:33] = 0                                  # a dark vertical bar on white: a "1"
    write_png(good, ink)
    blank = tmp_path / "blank.png"
    write_png(blank, np.full((40, 40), 255, np.uint8))
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    result = run_cli(tmp_path, "predict", str(text), str(good), str(blank), str(tmp_path / "gone.png"))
    assert result.returncode == 2
    assert result.stdout.startswith(f"{good}: 1 (")
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 3 and all(e.startswith("cnnviz: error: ") for e in errors)
    assert "notes.txt" in errors[0] and "no ink" in errors[1] and "gone.png" in errors[2]
    assert "Traceback" not in result.stderr


def test_a_bad_argument_is_one_line_with_exit_code_2(tmp_path):
    assert_one_line_error(run_cli(tmp_path, "train", "--lr", "-1"), "--lr", "cnnviz train --help")


def test_the_learning_rate_schedule_can_be_set(tmp_path):
    result = run_cli(tmp_path, "train", "--epochs", "1", "--limit", "64", "--lr-decay", "0.7",
                     "--lr-decay-every", "2", "--out", "m.npz")
    assert result.returncode == 0, result.stderr
    assert "×0.7 every 2 epochs" in result.stdout      # --lr-decay means a step schedule
    from cnnviz.nn import read_checkpoint_metadata
    training = read_checkpoint_metadata(tmp_path / "m.npz")["training"]
    assert training["lr_decay"] == 0.7 and training["lr_decay_every"] == 2
    assert training["lr_schedule"] == "step"
    result = run_cli(tmp_path, "train", "--epochs", "1", "--limit", "64", "--out", "c.npz")
    assert "lr 0.02 (cosine to 5% over 1 epoch)" in result.stdout     # lenet's default
    assert read_checkpoint_metadata(tmp_path / "c.npz")["training"]["lr_schedule"] == "cosine"
