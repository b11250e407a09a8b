"""``cnnviz export-views``: the views as PNGs, from a checkpoint or from a recorded run's step."""

from __future__ import annotations

import numpy as np
from PIL import Image

from cnnviz.app.export_views import RecordingSource, export_views
from cnnviz.training.recording import Recording
from test_cli import assert_one_line_error, run_cli


def _pixels(path):
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), np.int16)


def test_a_recorded_step_is_exported_with_that_steps_weights(qtbot, tmp_path, recording):
    rec = Recording.open(recording)
    first, last = int(rec.steps[0]), int(rec.steps[-1])
    source = RecordingSource(rec, first)
    assert source.load()[0].params["conv1.weight"].tolist() == \
        rec.weights(first)["conv1.weight"].tolist()
    a = export_views(tmp_path / "a", source, size=(1280, 720), names=["filters"])
    b = export_views(tmp_path / "b", RecordingSource(rec, last), size=(1280, 720),
                     names=["filters"])
    assert [p.name for p in a] == ["filters.png", "window.png"]
    assert np.abs(_pixels(a[0]) - _pixels(b[0])).sum() > 0      # other weights, other picture


def test_recording_options_are_checked_in_one_line(tmp_path, recording):
    assert_one_line_error(run_cli(tmp_path, "export-views", "--step", "3", "--out", "v"),
                          "--step needs --recording")
    assert_one_line_error(run_cli(tmp_path, "export-views", "--recording", str(recording),
                                  "--step", "999", "--out", "v"), "--step 999: ")
    (tmp_path / "junk.cnnrun").write_text("junk")
    assert_one_line_error(run_cli(tmp_path, "export-views", "--recording", "junk.cnnrun",
                                  "--out", "v"), "junk.cnnrun")
    assert not (tmp_path / "v").exists()


def test_the_command_writes_every_view_quietly_and_leaves_no_temp_files(tmp_path):
    """``cnnviz export-views`` end to end, as a teacher runs it: every view and window.png,
    nothing on stderr (it printed "This plugin does not support propagateSizeHints()" dozens
    of times), and no folder left in the temp directory (each run left two)."""
    import os

    from cnnviz.app.view_registry import VIEWS
    from test_cli import cnnviz_env
    import subprocess
    import sys

    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**cnnviz_env(tmp_path), "TMPDIR": str(temp)}
    env.pop("QT_QPA_PLATFORM", None)        # the command picks its own offscreen screen
    result = subprocess.run([sys.executable, "-m", "cnnviz", "export-views", "--size",
                             "1280x720", "--out", "views"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "wrote" in result.stdout and "1280x720" in result.stdout
    written = {p.name for p in (tmp_path / "views").iterdir()}
    assert written == {f"{spec.name}.png" for spec in VIEWS} | {"window.png"}
    assert os.listdir(temp) == []
