"""The last fc gives the class scores: fc5 and fc11 for ten digits are the same kind of one-line
error naming the token and the 10 classes, in ``cnnviz train --arch``, ``cnnviz compare``, the
Compare view's challenger and inline in the Architecture editor."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.app.state import AppState
from cnnviz.app.views.arch_editor import ArchEditorView
from cnnviz.nn import build_network
from cnnviz.training.classes import class_count_problem, classes_needed
from cnnviz.training.compare import Comparison
from cnnviz.nn.presets import TrainConfig
from test_cli import assert_one_line_error, run_cli
import window_support


def test_the_check_itself():
    labels = np.arange(10).repeat(3)
    assert classes_needed(labels[:5], labels) == 10 and classes_needed([]) == 0
    assert class_count_problem(10, 10, "fc10") is None
    assert "'fc5' gives 5 class scores" in class_count_problem(5, 10, "fc5")
    too_many = class_count_problem(11, 10, "fc11")
    assert "'fc11' gives 11 class scores" in too_many and "only 10 classes" in too_many
    assert too_many.endswith("end it with fc10")


@pytest.mark.parametrize("last", ["fc11", "fc5"])
def test_train_arch_refuses_a_last_fc_that_is_not_ten(tmp_path, last):
    result = run_cli(tmp_path, "train", "--arch", f"conv4x3 relu maxpool {last}", "--limit",
                     "50", "--out", "m.npz", "--no-progress")
    assert_one_line_error(result, "--arch", f"'{last}' gives {last[2:]} class scores", "10",
                          "end it with fc10")
    assert not (tmp_path / "m.npz").exists()


def test_compare_refuses_fc11_too():
    rng = np.random.default_rng(0)
    x = rng.random((40, 1, 28, 28), dtype=np.float32)
    y = np.arange(40) % 10
    with pytest.raises(ValueError, match="architecture 2.*'fc11' gives 11 class scores.*only "
                                         "10 classes"):
        Comparison(["fc10", "fc32 relu fc11"], x[:30], y[:30], x[30:], y[30:],
                   TrainConfig(epochs=1, batch_size=10))


def test_the_editor_shows_fc11_inline_and_cannot_apply(qtbot):
    state = AppState(build_network(seed=0), window_support.small_dataset(50, 20))
    editor = ArchEditorView(state)
    qtbot.addWidget(editor)
    editor.set_text("conv8x3 relu maxpool fc11")
    text = editor.error_label.text()
    assert "token 4 'fc11'" in text and "only 10 classes" in text and "fc10" in text
    assert not editor.apply_button.isEnabled()
    editor.set_text("conv8x3 relu maxpool fc10")
    assert not editor.error_label.text() and editor.apply_button.isEnabled()
