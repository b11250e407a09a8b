"""``cnnviz animate``: a view across a recording as a GIF, cancellable, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cnnviz.app import animate
from cnnviz.training.recording import Recording
from test_cli import assert_one_line_error, cnnviz_env, run_cli


def test_animate_filters_writes_one_frame_per_recorded_step(tmp_path, recording):
    result = run_cli(tmp_path, "animate", str(recording), "--view", "filters", "--size",
                     "320x240", "--fps", "5", "--out", "filters.gif", "--progress")
    assert result.returncode == 0, result.stderr
    assert "wrote filters.gif (7 frames of filters" in result.stdout
    assert "7/7" in result.stderr                               # the progress bar ran
    with Image.open(tmp_path / "filters.gif") as gif:
        assert gif.n_frames == 7 and gif.size == (320, 240)
        gif.seek(0)
        first = np.asarray(gif.convert("RGB"), np.int16)
        gif.seek(6)
        last = np.asarray(gif.convert("RGB"), np.int16)
    assert first.std() > 10                                     # something is drawn
    assert np.abs(first - last).sum() > 0                       # and it changed


def test_animate_exits_cleanly_every_time(tmp_path, recording):
    """The render widget used to outlive the QApplication: about every second run ended in
    a segfault (exit -11) after writing the file. Eight runs in a row must all exit 0."""
    codes = [run_cli(tmp_path, "animate", str(recording), "--view", "filters", "--size",
                     "320x240", "--out", f"run{i}.gif").returncode for i in range(8)]
    assert codes == [0] * 8


def test_frames_follow_the_recorded_weights(qtbot, recording):
    rec = Recording.open(recording)
    frames = dict(animate.render_frames(rec, "loss", size=(300, 200)))
    assert sorted(frames) == list(rec.steps)
    a = np.frombuffer(frames[0].constBits().asstring(frames[0].sizeInBytes()), np.uint8)
    b = np.frombuffer(frames[6].constBits().asstring(frames[6].sizeInBytes()), np.uint8)
    assert not np.array_equal(a, b)                             # the loss curve grew


def test_cancelling_leaves_no_file(tmp_path, qtbot, recording):
    rec = Recording.open(recording)
    calls = []
    frames = animate.render_frames(rec, "filters", size=(200, 150),
                                   cancelled=lambda: calls.append(1) or len(calls) > 3)
    with pytest.raises(animate.AnimationCancelled):
        animate.write_animation(frames, tmp_path / "out.gif")
    assert list(tmp_path.glob("*.gif")) == [] and list(tmp_path.glob(".out.gif*")) == []


def test_bad_requests_are_one_line_errors(tmp_path, recording):
    assert_one_line_error(run_cli(tmp_path, "animate", str(recording), "--view", "nonsense",
                                  "--out", "a.gif"), "unknown view 'nonsense'")
    assert_one_line_error(run_cli(tmp_path, "animate", str(recording), "--out", "a.png"),
                          "write a .gif")
    for probe in ("-1", "99999"):                    # the bundled data hold 1,000 held-out digits
        assert_one_line_error(run_cli(tmp_path, "animate", str(recording), "--probe", probe,
                                      "--out", "a.gif"), f"--probe {probe}: ")
    (tmp_path / "junk.cnnrun").write_text("junk")
    assert_one_line_error(run_cli(tmp_path, "animate", "junk.cnnrun", "--out", "a.gif"),
                          "junk.cnnrun: not a cnnviz recording")
    assert not list(tmp_path.glob("*.gif"))


def test_mp4_without_ffmpeg_says_so(tmp_path, recording):
    import subprocess
    import sys

    env = cnnviz_env(tmp_path)
    env["PATH"] = str(tmp_path)                 # no ffmpeg here
    result = subprocess.run([sys.executable, "-m", "cnnviz", "animate", str(recording),
                             "--out", "a.mp4"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert_one_line_error(result, "needs the ffmpeg program")


def test_filter_changes_shows_w_minus_w0(qtbot, recording):
    rec = Recording.open(recording)
    plain = dict(animate.render_frames(rec, "filters", size=(300, 300), steps=[0]))[0]
    change = dict(animate.render_frames(rec, "filter_changes", size=(300, 300), steps=[0]))[0]
    assert plain != change                      # at step 0, W - W0 is all zero: flat tiles
