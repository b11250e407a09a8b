"""Comparing architectures headless (cnnviz.training.compare) and ``cnnviz compare``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnnviz.nn import build_network
from cnnviz.nn.arch import ArchitectureError
from cnnviz.nn.presets import TrainConfig
from cnnviz.training import Trainer
from cnnviz.training.compare import Comparison
from test_cli import assert_one_line_error, run_cli

CONV = "conv4x5 relu maxpool fc10"
DENSE = "fc32 relu fc10"
CONFIG = TrainConfig(epochs=2, batch_size=10, lr=0.05, momentum=0.9, seed=3)


def digits(n_train=60, n_test=30, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n_train + n_test, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, n_train + n_test)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def described_parameters(arch: str) -> int:
    return sum(info.parameter_count for info in build_network(arch).describe())


def test_the_same_architecture_twice_gives_identical_curves():
    comparison = Comparison([CONV, CONV], *digits(), CONFIG, evaluations_per_epoch=3)
    a, b = comparison.run()
    assert len(a.batch_loss) == 2 * 6 and a.batch_loss == b.batch_loss
    assert a.batch_x == b.batch_x
    assert a.eval_accuracy == b.eval_accuracy and a.eval_loss == b.eval_loss
    # before training, then 3 per epoch, the last at each epoch's end
    assert a.eval_x == pytest.approx([0, 1 / 3, 2 / 3, 1, 4 / 3, 5 / 3, 2])
    for trainer in comparison.trainers[1:]:
        for key, value in comparison.trainers[0].net.params.items():
            np.testing.assert_array_equal(trainer.net.params[key], value)


def test_the_curves_equal_a_plain_trainer_run_and_do_not_depend_on_evaluations():
    data = digits()
    once = Comparison([CONV, DENSE], *data, CONFIG, evaluations_per_epoch=1).run()
    often = Comparison([CONV, DENSE], *data, CONFIG, evaluations_per_epoch=6).run()
    for a, b in zip(once, often):
        assert a.batch_loss == b.batch_loss           # evaluating mid-epoch trains nothing
        assert a.eval_accuracy == [b.eval_accuracy[i] for i in (0, 6, 12)]
    trainer = Trainer(build_network(DENSE, seed=CONFIG.seed), *data, CONFIG)
    alone = [trainer.step().batch.loss for _ in range(trainer.total_steps)]
    assert once[1].batch_loss == alone


def test_every_model_sees_the_same_batches_in_the_same_order():
    comparison = Comparison([CONV, DENSE, "tiny"], *digits(), CONFIG)
    seen = [[] for _ in comparison.trainers]
    while not comparison.finished:
        for order, trainer in zip(seen, comparison.trainers):
            if not trainer.finished:
                order.append(trainer.next_batch_indices().copy())
        comparison.step()
    assert len(seen[0]) == comparison.total_steps == 12
    for order in seen[1:]:
        assert len(order) == len(seen[0])
        for first, other in zip(seen[0], order):
            np.testing.assert_array_equal(first, other)
    # and a different seed shuffles differently
    other = Comparison([CONV], *digits(), TrainConfig(epochs=1, batch_size=10, seed=4))
    assert not np.array_equal(other.trainers[0].next_batch_indices(), seen[0][0])


def test_parameter_counts_and_throughput_are_reported():
    runs = Comparison([CONV, DENSE], *digits(), CONFIG).run()
    assert [r.parameter_count for r in runs] == [described_parameters(CONV),
                                                 described_parameters(DENSE)]
    assert [r.arch for r in runs] == [CONV, DENSE]
    for run in runs:
        assert run.images == 2 * 60 and run.images_per_second > 0
        assert 0 <= run.final_accuracy <= 1 and run.diverged is None


def test_a_diverging_model_stops_and_the_other_trains_on():
    # a huge learning rate blows up the deep dense net; the tiny conv survives it longer,
    # but whatever happens, a blown-up run is reported, not raised
    config = TrainConfig(epochs=2, batch_size=10, lr=80.0, momentum=0.9, seed=0)
    comparison = Comparison([DENSE, "fc64 relu fc64 relu fc10"], *digits(), config)
    runs = comparison.run()
    assert comparison.finished
    assert any(r.diverged for r in runs)
    for run in runs:
        if run.diverged:
            assert "diverged" in run.diverged and len(run.batch_loss) < 12
        else:
            assert len(run.batch_loss) == 12


def test_bad_architectures_name_which_one_and_the_token():
    with pytest.raises(ArchitectureError, match=r"architecture 2 .*token 2 'rleu'"):
        Comparison([CONV, "fc32 rleu fc10"], *digits(), CONFIG)
    with pytest.raises(ValueError, match="gives 5 class scores.*fc10"):
        Comparison([CONV, "fc32 relu fc5"], *digits(), CONFIG)


def test_cli_prints_a_side_by_side_table(tmp_path):
    result = run_cli(tmp_path, "compare", "--arch", CONV, "--arch", DENSE, "--limit", "64",
                     "--epochs", "1", "--batch-size", "16")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert "64 images" in lines[0] and "batch 16" in lines[0]
    header, conv_row, dense_row = lines[1:]
    assert header.split()[:4] == ["architecture", "parameters", "images/s", "held-out"]
    assert conv_row.startswith(CONV) and f"{described_parameters(CONV):,}" in conv_row
    assert dense_row.startswith(DENSE) and f"{described_parameters(DENSE):,}" in dense_row
    assert "4 batches" in conv_row and "%" in dense_row


def test_cli_json_has_the_curves_and_one_arch_compares_with_the_preset(tmp_path):
    result = run_cli(tmp_path, "compare", "--arch", DENSE, "--preset", "tiny", "--limit", "40",
                     "--batch-size", "20", "--evaluations", "2", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    baseline, challenger = report["models"]
    assert baseline["arch"] == build_network("tiny").arch
    assert challenger["arch"] == DENSE and challenger["parameters"] == described_parameters(DENSE)
    assert report["training"]["batch_size"] == 20 and report["n_train"] == 40
    for model in report["models"]:
        assert len(model["batch_loss"]) == 2 and model["eval_x"] == [0.0, 0.5, 1.0]
        assert model["images_per_second"] > 0


def test_cli_bad_arch_is_one_line_naming_the_token(tmp_path):
    result = run_cli(tmp_path, "compare", "--arch", CONV, "--arch", "conv8x3 relu pool fc10")
    assert_one_line_error(result, "--arch", "token 3 'pool'")
    result = run_cli(tmp_path, "compare", "--arch", "fc32 relu fc5", "--limit", "10")
    assert_one_line_error(result, "architecture 2", "5 class scores")
