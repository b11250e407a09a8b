"""The Architecture editor in the window of a 1280x720 screen: the layer table shows most of
the network (it showed two rows and the rest of the dock scrolled), and every column, params
included, without a horizontal scroll bar; at 1920x1080 too. The window is started on a
screen of that size in a child process (``arch_editor_fit_child.py``), as ``cnnviz`` opens
it there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import cnnviz
from cnnviz.app.state import AppState
from cnnviz.app.views.arch_editor import ArchEditorView
from cnnviz.nn import ARCH_PRESETS, build_network
from window_support import small_dataset

DEEP_PADDED = "conv16x3p1 relu conv16x3p1 relu maxpool conv32x3p1 relu maxpool fc128 relu fc10"
CHILD = Path(__file__).with_name("arch_editor_fit_child.py")


def editor_fit(tmp_path, size: str, arch: str, mode: str = "normal") -> dict:
    root = Path(cnnviz.__file__).resolve().parent.parent
    env = dict(os.environ, CNNVIZ_SETTINGS_DIR=str(tmp_path / "settings"),
               PYTHONPATH=os.pathsep.join([str(root), str(CHILD.parent)]))
    env.pop("QT_QPA_PLATFORM", None)          # the child makes its own screen
    done = subprocess.run([sys.executable, str(CHILD), size, mode, arch],
                          capture_output=True, text=True, env=env, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("EDITOR-FIT ")]
    assert lines and done.returncode == 0, done.stderr[-3000:]
    return json.loads(lines[-1][len("EDITOR-FIT "):])


@pytest.mark.parametrize("size", ["1280x720", "1920x1080"])
@pytest.mark.parametrize("arch", [ARCH_PRESETS["lenet"], DEEP_PADDED],
                         ids=["lenet", "deep-padded"])
def test_the_layer_table_is_usable_on_small_and_large_screens(tmp_path, size, arch):
    fit = editor_fit(tmp_path, size, arch)
    assert fit["visible_rows"] >= min(5, fit["rows"]), fit
    assert not fit["hscroll"] and fit["params_inside"], fit
    assert fit["apply_whole"], fit                 # Apply reachable without scrolling
    assert any("," in text for text in fit["params_texts"]), fit   # counts in full


def test_the_current_network_line_is_one_line_with_the_whole_text_as_tooltip(qtbot):
    state = AppState(build_network(seed=0), small_dataset(50, 20))
    editor = ArchEditorView(state)
    qtbot.addWidget(editor)
    editor.resize(360, 400)
    editor.show()
    qtbot.waitExposed(editor)
    assert editor.current_label.text().startswith("=")            # the text is the network
    editor.set_text(DEEP_PADDED)
    assert "edited" in editor.current_label.text()
    assert ARCH_PRESETS["lenet"] in editor.current_label.toolTip()
    height = editor.current_label.fontMetrics().height()
    assert editor.current_label.height() < 2 * height
