"""``cnnviz train --record``: the recording holds exactly the weights the run had."""

from __future__ import annotations

import signal
import subprocess
import sys

import numpy as np

from cnnviz.nn import load_checkpoint
from cnnviz.training.recording import Recording
from test_cli import assert_one_line_error, cnnviz_env, run_cli


def test_train_record_float32_replays_the_saved_checkpoint_exactly(tmp_path):
    result = run_cli(tmp_path, "train", "--epochs", "2", "--limit", "96", "--batch-size", "16",
                     "--out", "m.npz", "--record", "run.cnnrun", "--record-dtype", "float32")
    assert result.returncode == 0, result.stderr
    assert "recorded the run to run.cnnrun" in result.stdout
    rec = Recording.open(tmp_path / "run.cnnrun")
    assert rec.complete and rec.last_step == 12 and list(rec.steps) == list(range(13))
    saved = load_checkpoint(tmp_path / "m.npz").params
    for name, value in rec.weights(12).items():
        np.testing.assert_array_equal(value, saved[name])
    assert len(rec.losses) == 12 and len(rec.epochs) == 2
    assert rec.header["dataset"]["name"] == "bundled" and rec.header["seed"] == 0
    assert "--record run.cnnrun" in rec.header["command"]


def test_train_record_float16_is_within_float16_rounding(tmp_path):
    result = run_cli(tmp_path, "train", "--epochs", "1", "--limit", "64", "--out", "m.npz",
                     "--record", "run.cnnrun")
    assert result.returncode == 0, result.stderr
    rec = Recording.open(tmp_path / "run.cnnrun")
    saved = load_checkpoint(tmp_path / "m.npz").params
    for name, value in rec.weights(rec.last_step).items():
        np.testing.assert_allclose(value, saved[name], rtol=2 ** -11, atol=2 ** -24)


def test_ctrl_c_keeps_the_recording_up_to_the_saved_model(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "cnnviz", "train", "--epochs", "1000", "--limit", "64",
         "--out", "stopped.npz", "--record", "run.cnnrun", "--record-dtype", "float32"],
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
    rec = Recording.open(tmp_path / "run.cnnrun")
    assert rec.end["note"] == "interrupted" and not rec.end["completed"]
    saved = load_checkpoint(tmp_path / "stopped.npz").params
    last = rec.weights(int(rec.steps[-1]))
    assert rec.steps[-1] == rec.last_step >= 2
    for name, value in last.items():
        np.testing.assert_array_equal(value, saved[name])


def test_record_into_a_missing_folder_is_a_one_line_error(tmp_path):
    result = run_cli(tmp_path, "train", "--limit", "64", "--record", "nowhere/run.cnnrun")
    assert_one_line_error(result, "--record", "does not exist")
    assert not (tmp_path / "model.npz").exists()


def test_replay_opens_the_app_with_the_recording(tmp_path, monkeypatch, capsys):
    import cnnviz.app.main as app_main
    from cnnviz import cli

    result = run_cli(tmp_path, "train", "--epochs", "1", "--limit", "32", "--out", "m.npz",
                     "--record", "run.cnnrun")
    assert result.returncode == 0, result.stderr
    calls = []
    monkeypatch.setattr(app_main, "run_app",
                        lambda argv=None, recording=None: calls.append(recording) or 0)
    assert cli.main(["replay", str(tmp_path / "run.cnnrun")]) == 0
    assert calls == [str(tmp_path / "run.cnnrun")]
    assert "run.cnnrun: 2 recorded steps up to step 1" in capsys.readouterr().out


def test_replay_of_a_bad_file_is_a_one_line_error(tmp_path):
    (tmp_path / "bad.cnnrun").write_bytes(b"\x93NUMPY not a recording")
    assert_one_line_error(run_cli(tmp_path, "replay", "bad.cnnrun"),
                          "bad.cnnrun: not a cnnviz recording")
