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
