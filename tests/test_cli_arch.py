"""The command line with any architecture: train --arch, eval/predict read it from the
checkpoint, and a plain state_dict says (or is told) which architecture it is."""

from __future__ import annotations

import json

import numpy as np

from cnnviz.data import images_to_float, load_bundled
from cnnviz.nn import build_network, load_checkpoint, read_checkpoint_metadata
from cnnviz.training import evaluate
from test_cli import assert_one_line_error, drawn_one, run_cli

ARCH = "conv4x3p1 relu maxpool conv6x3s2 relu fc10"


def test_train_with_arch_saves_that_network(tmp_path):
    result = run_cli(tmp_path, "train", "--arch", ARCH.replace(" ", ",  "), "--epochs", "1",
                     "--limit", "200", "--out", "m.npz", "--no-progress")
    assert result.returncode == 0, result.stderr
    net = build_network(ARCH)
    assert f"{ARCH} ({net.parameter_count:,} parameters)" in result.stdout
    loaded = load_checkpoint(tmp_path / "m.npz")
    assert loaded.arch == ARCH
    assert read_checkpoint_metadata(tmp_path / "m.npz")["arch"] == ARCH
    # eval reads the architecture from the checkpoint, no --arch needed, no warning
    result = run_cli(tmp_path, "eval", "--checkpoint", "m.npz", "--json")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    ds = load_bundled()
    expected = evaluate(loaded, images_to_float(ds.test_images), ds.test_labels)
    assert json.loads(result.stdout)["loss"] == expected.loss
    drawn_one(tmp_path / "one.png")
    result = run_cli(tmp_path, "predict", "--checkpoint", "m.npz", "one.png", "--json")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["predictions"][0]["top"]) == 3


def test_train_with_a_preset_name_as_arch_uses_that_presets_settings(tmp_path):
    result = run_cli(tmp_path, "train", "--arch", "tiny", "--limit", "64", "--out", "t.npz",
                     "--no-progress")
    assert result.returncode == 0, result.stderr
    meta = read_checkpoint_metadata(tmp_path / "t.npz")
    assert meta["preset"] == "tiny" and meta["arch"] == "conv6x5 relu maxpool fc10"
    assert meta["training"]["lr"] == 0.05 and meta["epochs_trained"] == 1


def test_a_bad_arch_is_one_line_naming_the_token(tmp_path):
    result = run_cli(tmp_path, "train", "--arch", "conv8x3 relu maxpool maxpool fc10",
                     "--out", "m.npz")
    assert_one_line_error(result, "--arch", "token 4 'maxpool'", "13x13")
    assert not (tmp_path / "m.npz").exists()
    result = run_cli(tmp_path, "eval", "--arch", "fc10 relu")
    assert_one_line_error(result, "token 2 'relu'", "nothing may follow the last fc")


def test_train_with_fewer_class_scores_than_the_data_has_is_one_line(tmp_path):
    # fc5 parses (a valid network of 5 classes) but cannot learn ten digits: before this was
    # checked, training crashed with an IndexError traceback in the loss.
    result = run_cli(tmp_path, "train", "--arch", "conv4x3 relu maxpool fc5", "--limit", "50",
                     "--out", "m.npz", "--no-progress")
    assert_one_line_error(result, "'fc5' gives 5 class scores", "labels need 10",
                          "end it with fc10")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "m.npz").exists()


def test_a_plain_state_dict_warns_which_arch_it_assumed_and_arch_or_preset_fix_it(tmp_path):
    seed = build_network("seed", seed=1)
    np.savez(tmp_path / "state_dict.npz", **seed.copy_params())
    ds = load_bundled()
    truth = evaluate(seed, images_to_float(ds.test_images), ds.test_labels).loss

    guessed = run_cli(tmp_path, "eval", "--checkpoint", "state_dict.npz", "--json")
    assert guessed.returncode == 0, guessed.stderr
    warning = guessed.stderr.strip().splitlines()
    assert len(warning) == 1 and warning[0].startswith("cnnviz: warning: state_dict.npz holds "
                                                       "no architecture")
    assert "assumed 'conv20x5 relu maxpool conv50x5 relu maxpool fc500 relu fc10'" in warning[0]
    assert "--arch" in warning[0]
    assert json.loads(guessed.stdout)["loss"] != truth      # a sigmoid net read as ReLU

    for option in (["--preset", "seed"], ["--arch", seed.arch]):
        told = run_cli(tmp_path, "eval", "--checkpoint", "state_dict.npz", "--json", *option)
        assert told.returncode == 0 and told.stderr == "", told.stderr
        assert json.loads(told.stdout)["loss"] == truth


def test_arch_that_contradicts_the_checkpoint_is_refused(tmp_path):
    build_network("tiny").save(tmp_path / "tiny.npz")
    result = run_cli(tmp_path, "eval", "--checkpoint", "tiny.npz", "--preset", "lenet")
    assert_one_line_error(result, "tiny.npz", "stores the architecture 'conv6x5 relu maxpool fc10'")
