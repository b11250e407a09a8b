"""Command-line arguments shared by the commands that train: their value checks and the run
settings ``train`` and ``compare`` both take (epochs, batch size, rate, data, seed, limit,
threads), declared once so the two commands cannot drift apart."""

from __future__ import annotations

import argparse
import math


def preset_names() -> list[str]:
    from cnnviz.nn import PRESETS

    return list(PRESETS)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value:g}")
    return value


def non_negative_float(text: str) -> float:
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value:g}")
    return value


def fraction(text: str) -> float:
    value = finite_float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value:g}")
    return value


def add_schedule_arguments(parser: argparse.ArgumentParser) -> None:
    """--epochs, --batch-size and --lr: each overrides the preset's value when given."""
    parser.add_argument("--epochs", type=positive_int, help="epochs to train (preset's default)")
    parser.add_argument("--batch-size", type=positive_int, help="images per mini-batch")
    parser.add_argument("--lr", type=positive_float, help="learning rate")


def add_data_arguments(parser: argparse.ArgumentParser, seed_of: str) -> None:
    """--data, --seed (of ``seed_of``) and --limit."""
    parser.add_argument("--data", default="bundled", metavar="bundled|mnist|DIR",
                        help="dataset: the bundled 9,000/1,000 digits (default), the "
                             "downloaded full MNIST, or a folder of the four standard IDX "
                             "files")
    parser.add_argument("--seed", type=int, default=0,
                        help=f"seed of {seed_of} and of the shuffling (default: 0)")
    parser.add_argument("--limit", type=positive_int, metavar="N",
                        help="train on only the first N training images (quick experiments, "
                             "tests)")


def add_threads_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=positive_int, metavar="N",
                        help="BLAS threads (default: the CPUs other programs leave free, "
                             "re-checked every few seconds)")
