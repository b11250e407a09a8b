"""The checkpoint as users type it: ``cnnviz eval model.npz`` and ``cnnviz predict model.npz
digit.png`` work like ``--checkpoint model.npz``; two different checkpoints are an error."""

from __future__ import annotations

import json

import pytest

from cnnviz.nn import build_network, save_checkpoint
from test_cli import assert_one_line_error, drawn_one, run_cli

SMALL = "fc16 relu fc10"


@pytest.fixture
def model(tmp_path):
    """A small untrained network saved as ``model.npz`` (its accuracy is near chance, so a
    result that came from the bundled model instead cannot pass for it)."""
    save_checkpoint(build_network(SMALL, seed=3), tmp_path / "model.npz")
    return tmp_path / "model.npz"


def test_eval_takes_the_checkpoint_as_its_positional_argument(tmp_path, model):
    positional = run_cli(tmp_path, "eval", "model.npz")
    assert positional.returncode == 0, positional.stderr
    assert positional.stdout.startswith(f"model.npz ({SMALL})")
    as_json = json.loads(run_cli(tmp_path, "eval", "model.npz", "--json").stdout)
    option = json.loads(run_cli(tmp_path, "eval", "--checkpoint", "model.npz",
                                "--json").stdout)
    assert as_json == option and as_json["accuracy"] < 0.5      # not the bundled model's


def test_eval_with_two_different_checkpoints_is_a_one_line_error(tmp_path, model):
    save_checkpoint(build_network(SMALL, seed=4), tmp_path / "other.npz")
    assert_one_line_error(run_cli(tmp_path, "eval", "model.npz", "--checkpoint", "other.npz"),
                          "model.npz", "other.npz")
    same = run_cli(tmp_path, "eval", "model.npz", "--checkpoint", "model.npz", "--json")
    assert same.returncode == 0, same.stderr


def test_predict_takes_a_first_npz_argument_as_the_checkpoint(tmp_path, model):
    drawn_one(tmp_path / "one.png")
    positional = run_cli(tmp_path, "predict", "model.npz", "one.png", "--json")
    assert positional.returncode == 0, positional.stderr
    option = run_cli(tmp_path, "predict", "--checkpoint", "model.npz", "one.png", "--json")
    bundled = run_cli(tmp_path, "predict", "one.png", "--json")
    assert json.loads(positional.stdout) == json.loads(option.stdout)
    assert json.loads(positional.stdout) != json.loads(bundled.stdout)
    assert [p["image"] for p in json.loads(positional.stdout)["predictions"]] == ["one.png"]


def test_predict_with_only_a_checkpoint_asks_for_pictures(tmp_path, model):
    assert_one_line_error(run_cli(tmp_path, "predict", "model.npz"), "model.npz",
                          "pictures to classify")


def test_help_shows_the_positional_checkpoint(tmp_path):
    assert "[CKPT]" in run_cli(tmp_path, "eval", "--help").stdout
    assert "[CKPT] IMAGE" in run_cli(tmp_path, "predict", "--help").stdout
    assert "[CKPT]" in run_cli(tmp_path, "export-views", "--help").stdout
