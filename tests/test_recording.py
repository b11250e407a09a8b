"""Recordings (.cnnrun): schedule, exact replay, crash safety and clear errors."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from cnnviz.nn import build_network, load_checkpoint
from cnnviz.nn.presets import TrainConfig
from cnnviz.training import Trainer
from cnnviz.training.recording import (FORMAT_VERSION, Recording, RecordingError,
                                       RecordingSchedule, RunRecorder)


def _data(n_train=120, n_test=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n_train + n_test, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, n_train + n_test)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def _trainer(epochs=2, batch=10, seed=0):
    config = TrainConfig(epochs=epochs, batch_size=batch, lr=0.02, momentum=0.9, lr_decay=1.0,
                         seed=seed)
    return Trainer(build_network("lenet", seed=seed), *_data(), config)


def _record(path, dtype=np.float32, schedule=None, checkpoints=(), tmp=None, close=True,
            lr_change_at=None):
    """Train a 24-step run while recording; save a checkpoint after each step in
    ``checkpoints``. Returns the trainer."""
    trainer = _trainer()
    recorder = RunRecorder(path, trainer, dataset_name="random", dtype=dtype, schedule=schedule)
    trainer.observers.append(recorder)
    while not trainer.finished:
        if trainer.step_count == lr_change_at:
            trainer.set_learning_rate(0.005)
        trainer.step()
        if trainer.step_count in checkpoints:
            trainer.net.save(tmp / f"step{trainer.step_count}.npz")
    if close:
        recorder.close(trainer, completed=True)
    return trainer


def test_schedule_dense_first_then_sparser_and_bounded():
    s = RecordingSchedule()
    steps = s.steps(846)                              # 3 epochs of lenet on the bundled digits
    assert steps[:101] == list(range(101))            # every step of the first 100
    gaps = np.diff(steps[100:-1])
    assert (gaps[1:] >= gaps[:-1]).all() and gaps[-1] > 50
    assert len(steps) < 160
    assert len(s.steps(10_000_000)) < 160             # any length stays bounded


def test_replay_gives_exactly_the_weights_of_a_checkpoint_saved_at_that_step(tmp_path):
    path = tmp_path / "run.cnnrun"
    trainer = _record(path, np.float32, RecordingSchedule(dense_steps=5, late_points=4),
                      checkpoints=(3, 10, 24), tmp=tmp_path)
    rec = Recording.open(path)
    assert rec.complete and not rec.damage
    assert list(rec.steps) == [0, 1, 2, 3, 4, 5, 7, 10, 15, 24]   # gaps grow after step 5
    for step in (3, 10, 24):
        saved = load_checkpoint(tmp_path / f"step{step}.npz").params
        replayed = rec.weights(step)
        for name, value in saved.items():
            np.testing.assert_array_equal(replayed[name], value)
    assert trainer.step_count == 24 == rec.last_step


def test_float16_replay_is_within_float16_rounding(tmp_path):
    path = tmp_path / "run.cnnrun"
    _record(path, np.float16, checkpoints=(7,), tmp=tmp_path)
    rec = Recording.open(path)
    assert rec.header["weights_dtype"] == "float16"
    saved = load_checkpoint(tmp_path / "step7.npz").params
    replayed = rec.weights(7)
    differs = False
    for name, value in saved.items():
        np.testing.assert_allclose(replayed[name], value, rtol=2 ** -11, atol=2 ** -24)
        differs |= not np.array_equal(replayed[name], value)
    assert differs                                     # really stored as float16


def test_recording_holds_losses_epochs_settings_and_identity(tmp_path):
    path = tmp_path / "run.cnnrun"
    trainer = _record(path, lr_change_at=15)
    rec = Recording.open(path)
    assert rec.losses.shape == (24, 4)
    np.testing.assert_array_equal(rec.losses[:, 0], np.arange(1, 25))
    assert rec.losses[14, 3] == pytest.approx(0.02) and rec.losses[15, 3] == pytest.approx(0.005)
    assert rec.events == [{"step": 15, "lr": 0.005}]
    assert [e["epoch"] for e in rec.epochs] == [0, 1] and rec.epochs[1]["step"] == 24
    ev = rec.evaluation(1)
    np.testing.assert_array_equal(ev.predictions, trainer.history[1].evaluation.predictions)
    assert ev.accuracy == trainer.history[1].test_accuracy
    h = rec.header
    assert h["seed"] == 0 and h["dataset"]["name"] == "random"
    assert len(h["dataset"]["sha256"]) == 64 and h["dataset"]["sizes"] == [120, 120, 40, 40]
    arch = getattr(trainer.net, "arch", None)       # the architecture text, once it exists
    if isinstance(arch, str):
        assert h["architecture"]["arch"] == arch
    else:
        assert h["architecture"]["config"]["conv1_channels"] == 20
    assert {k: v.shape for k, v in rec.build_network().params.items()} == \
        {k: v.shape for k, v in trainer.net.params.items()}
    assert rec.build_network(24).params["fc2.bias"].shape == (10,)
    # a cleanly closed recording is an ordinary .npz
    with np.load(path, allow_pickle=False) as z:
        assert int(z["format_version"]) == FORMAT_VERSION
        assert z["weights/s00000024"].dtype == np.float32


def test_an_unclosed_recording_still_opens_with_everything_written(tmp_path):
    path = tmp_path / "run.cnnrun"
    _record(path, close=False)                   # as if the process had been killed
    rec = Recording.open(path)
    assert not rec.complete and rec.end is None
    assert list(rec.steps) == list(range(25))
    assert len(rec.losses) >= 20                 # flushed with every weights snapshot


def test_truncated_anywhere_keeps_every_member_before_the_cut(tmp_path):
    path = tmp_path / "run.cnnrun"
    _record(path, np.float16, RecordingSchedule(dense_steps=4, late_points=2))
    data = path.read_bytes()
    full = Recording.open(path)
    first = full._members["weights/s00000000.npy"]
    rng = np.random.default_rng(0)
    cut_path = tmp_path / "cut.cnnrun"
    opened = 0
    for cut in sorted(rng.integers(1, len(data), 40)):
        cut_path.write_bytes(data[:cut])
        try:
            rec = Recording.open(cut_path)
        except RecordingError as exc:
            assert "cut.cnnrun" in str(exc) and "\n" not in str(exc)
            # only a cut before the initial weights are complete fails
            assert cut < first.offset + first.size
            continue
        opened += 1
        assert not rec.complete and rec.damage
        k = len(rec.steps)
        assert list(rec.steps) == list(full.steps[:k])
        np.testing.assert_array_equal(rec.weights(int(rec.steps[-1]))["conv1.weight"],
                                      full.weights(int(rec.steps[-1]))["conv1.weight"])
        np.testing.assert_array_equal(rec.losses, full.losses[:len(rec.losses)])
    assert opened > 25


def test_a_damaged_weights_member_loses_only_that_step(tmp_path):
    path = tmp_path / "run.cnnrun"
    _record(path)
    rec = Recording.open(path)
    member = rec._members["weights/s00000005.npy"]
    data = bytearray(path.read_bytes())
    data[member.offset + member.size // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    rec = Recording.open(path)
    with pytest.raises(RecordingError, match="s00000005.npy is damaged"):
        rec.weights(5)
    assert rec.weights(6)["conv1.weight"].shape == (20, 1, 5, 5)
    assert len(rec.losses) == 24 and rec.complete


def _zip_with(path, members: dict):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        for name, array in members.items():
            b = io.BytesIO()
            np.lib.format.write_array(b, array, allow_pickle=True)
            z.writestr(name, b.getvalue())
    path.write_bytes(buffer.getvalue())


def test_clear_messages_for_bad_files(tmp_path):
    text = tmp_path / "notes.cnnrun"
    text.write_text("hello")
    with pytest.raises(RecordingError, match="notes.cnnrun: not a cnnviz recording"):
        Recording.open(text)
    with pytest.raises(RecordingError, match="no such recording file"):
        Recording.open(tmp_path / "missing.cnnrun")

    future = tmp_path / "future.cnnrun"
    _zip_with(future, {"format_version.npy": np.array(FORMAT_VERSION + 1),
                       "header.npy": np.array(json.dumps({"format": "cnnviz-recording"}))})
    with pytest.raises(RecordingError, match="version 2 is newer .* upgrade cnnviz"):
        Recording.open(future)

    pickled = tmp_path / "pickled.cnnrun"
    _zip_with(pickled, {"format_version.npy": np.array(FORMAT_VERSION),
                        "header.npy": np.array([{"format": "x"}], dtype=object)})
    with pytest.raises(RecordingError, match="pickled data"):
        Recording.open(pickled)

    checkpoint = tmp_path / "model.cnnrun"
    build_network().save(checkpoint.with_suffix(".npz"))
    checkpoint.write_bytes(checkpoint.with_suffix(".npz").read_bytes())
    with pytest.raises(RecordingError, match="not a cnnviz recording"):
        Recording.open(checkpoint)


def test_an_existing_file_is_replaced_only_once_the_new_recording_has_begun(tmp_path):
    path = tmp_path / "run.cnnrun"
    path.write_bytes(b"old")
    trainer = _trainer()
    recorder = RunRecorder(path, trainer)
    assert list(Recording.open(path).steps) == [0]
    recorder.close(trainer)
    assert not list(tmp_path.glob(".*partial"))
