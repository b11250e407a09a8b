"""Train several architectures side by side on the same data, seed and batch order.

    comparison = Comparison(["conv4x5 relu maxpool fc10", "fc32 relu fc10"],
                            train_images, train_labels, test_images, test_labels, config)
    while not comparison.finished:
        comparison.step()               # one mini-batch of every model still training
    for run in comparison.runs:
        print(run.arch, run.parameter_count, run.images_per_second, run.final_accuracy)

What makes the comparison fair:

* every model gets fresh weights from the same ``config.seed`` and its own ``Trainer`` with
  the same ``TrainConfig`` (batch size, learning rate and schedule, momentum, weight decay);
  a ``Trainer`` shuffles with that seed, so every model sees the same images in the same
  batches in the same order;
* the models take turns, one mini-batch each (one thread), so their images/s are measured
  under the same machine load rather than racing each other for the cores;
* held-out accuracy is measured at the same points for all: before training (step 0), and
  ``evaluations_per_epoch`` times an epoch, the last at the epoch's end (the trainer's own
  evaluation). A mid-epoch evaluation does not change the training: the loss curve is the
  same for any ``evaluations_per_epoch``.

A model whose run diverges (``DivergenceError``) stops there with its reason in
``ModelRun.diverged``; the others go on. Images are ``(N, 1, 28, 28)`` float in [0, 1],
labels ``(N,)`` integers, as for ``Trainer``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..nn.arch import Architecture, ArchitectureError, resolve_arch
from ..nn.network import build_network
from ..nn.presets import TrainConfig
from .classes import class_count_problem, classes_needed, last_dense_token
from .evaluate import evaluate
from .trainer import DivergenceError, StepResult, Trainer


@dataclass
class ModelRun:
    """What one architecture did in a comparison. Curves are lists that grow as it trains.

    ``batch_x`` and ``batch_loss``: per mini-batch, x in epochs (fractional) and the batch's
    cross-entropy before its update; ``eval_x``, ``eval_accuracy``, ``eval_loss``: the held-out
    set at the evaluation points (x = 0 before training).
    """

    arch: str
    parameter_count: int
    batch_x: list[float] = field(default_factory=list)
    batch_loss: list[float] = field(default_factory=list)
    eval_x: list[float] = field(default_factory=list)
    eval_accuracy: list[float] = field(default_factory=list)
    eval_loss: list[float] = field(default_factory=list)
    images: int = 0                  # images trained on
    train_seconds: float = 0.0       # time inside its training steps (not the evaluations)
    diverged: str | None = None      # why its run stopped early, if it blew up

    @property
    def images_per_second(self) -> float:
        """Training throughput: images trained / seconds spent training them (nan before
        the first batch)."""
        return self.images / self.train_seconds if self.train_seconds > 0 else math.nan

    @property
    def final_accuracy(self) -> float:
        """The newest held-out accuracy (nan before any evaluation)."""
        return self.eval_accuracy[-1] if self.eval_accuracy else math.nan

    @property
    def final_loss(self) -> float:
        return self.eval_loss[-1] if self.eval_loss else math.nan

    @property
    def status(self) -> str:
        return "diverged" if self.diverged else "trained"

    def copy(self) -> "ModelRun":
        """An independent copy (for handing to another thread)."""
        return ModelRun(self.arch, self.parameter_count, list(self.batch_x),
                        list(self.batch_loss), list(self.eval_x), list(self.eval_accuracy),
                        list(self.eval_loss), self.images, self.train_seconds, self.diverged)

    def to_dict(self) -> dict:
        return {"arch": self.arch, "parameters": self.parameter_count,
                "images_per_second": _finite_or_none(self.images_per_second),
                "final_accuracy": _finite_or_none(self.final_accuracy),
                "final_loss": _finite_or_none(self.final_loss),
                "diverged": self.diverged, "batches": len(self.batch_loss),
                "batch_x": self.batch_x, "batch_loss": self.batch_loss,
                "eval_x": self.eval_x, "eval_accuracy": self.eval_accuracy,
                "eval_loss": self.eval_loss}


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def parse_architectures(specs: Sequence[str | Architecture]) -> list[Architecture]:
    """Each of ``specs`` (architecture text, a preset name, or parsed already) parsed; the
    error of a bad one names which architecture (1-based) and the token."""
    parsed = []
    for index, spec in enumerate(specs, 1):
        if isinstance(spec, Architecture):
            parsed.append(spec)
            continue
        try:
            parsed.append(resolve_arch(spec))
        except ArchitectureError as exc:
            prefix = f"architecture {index} ({spec.strip()!r})" if len(specs) > 1 \
                else f"architecture {spec.strip()!r}"
            raise ArchitectureError(f"{prefix}: {exc}") from None
    return parsed


class Comparison:
    """Trains ``archs`` (texts or parsed ``Architecture``) in turns; see the module doc.

    ``should_stop`` (optional) is asked between the chunks of every evaluation: True raises
    ``TrainingInterrupted`` from ``step()`` (a stop must not wait for a 10,000-image pass).
    """

    def __init__(self, archs: Sequence[str | Architecture], train_images: np.ndarray,
                 train_labels: np.ndarray, test_images: np.ndarray, test_labels: np.ndarray,
                 config: TrainConfig, evaluations_per_epoch: int = 1,
                 should_stop: Callable[[], bool] | None = None) -> None:
        if not archs:
            raise ValueError("nothing to compare: give at least one architecture")
        if evaluations_per_epoch < 1:
            raise ValueError(f"evaluations per epoch must be at least 1, "
                             f"got {evaluations_per_epoch}")
        architectures = parse_architectures(archs)
        classes = classes_needed(train_labels, test_labels)
        for index, arch in enumerate(architectures, 1):
            problem = class_count_problem(arch.classes, classes, last_dense_token(arch.layers))
            if problem:
                raise ValueError(f"architecture {index} ({arch.text!r}): {problem}")
        self.config = config
        self.should_stop = should_stop
        self.test_images, self.test_labels = test_images, np.asarray(test_labels, np.int64)
        self.trainers: list[Trainer] = []
        self.runs: list[ModelRun] = []
        for arch in architectures:
            net = build_network(arch, seed=config.seed)
            trainer = Trainer(net, train_images, train_labels, test_images, test_labels, config)
            trainer.should_stop = self._should_stop
            self.trainers.append(trainer)
            self.runs.append(ModelRun(net.arch, net.parameter_count))
        bpe = self.trainers[0].batches_per_epoch
        per_epoch = min(evaluations_per_epoch, bpe)
        # batch numbers within an epoch (1-based) after which the held-out set is evaluated;
        # the last is the epoch's end, evaluated by the trainer itself
        self.evaluation_batches = sorted({math.ceil(k * bpe / per_epoch)
                                          for k in range(1, per_epoch + 1)})
        self._started = False

    def _should_stop(self) -> bool:
        return bool(self.should_stop and self.should_stop())

    @property
    def batches_per_epoch(self) -> int:
        return self.trainers[0].batches_per_epoch

    @property
    def total_steps(self) -> int:
        return self.trainers[0].total_steps

    @property
    def finished(self) -> bool:
        """Every model trained all its epochs or diverged."""
        return all(self._done(i) for i in range(len(self.runs)))

    def _done(self, index: int) -> bool:
        return self.runs[index].diverged is not None or self.trainers[index].finished

    @property
    def step_count(self) -> int:
        """Mini-batches done by the model furthest along."""
        return max(t.step_count for t in self.trainers)

    def start(self) -> None:
        """Evaluate every model before training (the curves' x = 0 point). ``step()`` does
        this itself the first time; call it to show the starting point sooner."""
        if self._started:
            return
        for trainer, run in zip(self.trainers, self.runs):
            self._evaluate(trainer, run, 0.0)
        self._started = True

    def step(self) -> list[StepResult | None]:
        """One mini-batch of every model still training, in order; ``None`` for a model that
        is done (finished or diverged)."""
        self.start()
        results: list[StepResult | None] = []
        for index, (trainer, run) in enumerate(zip(self.trainers, self.runs)):
            if self._done(index):
                results.append(None)
                continue
            try:
                result = trainer.step()
            except DivergenceError as exc:
                run.diverged = str(exc)
                results.append(None)
                continue
            self._record(trainer, run, result)
            results.append(result)
        return results

    def run(self, on_step: Callable[["Comparison"], None] | None = None) -> list[ModelRun]:
        """Train to the end; ``on_step(self)`` after each round of batches."""
        while not self.finished:
            self.step()
            if on_step is not None:
                on_step(self)
        return self.runs

    def _record(self, trainer: Trainer, run: ModelRun, result: StepResult) -> None:
        b = result.batch
        run.batch_x.append(b.epoch_progress)
        run.batch_loss.append(b.loss)
        run.images += b.batch_size
        run.train_seconds += b.batch_size / b.images_per_second
        if result.epoch is not None:            # the trainer evaluated at the epoch's end
            run.eval_x.append(float(b.epoch + 1))
            run.eval_accuracy.append(result.epoch.test_accuracy)
            run.eval_loss.append(result.epoch.test_loss)
        elif b.batch + 1 in self.evaluation_batches:
            self._evaluate(trainer, run, b.epoch_progress)

    def _evaluate(self, trainer: Trainer, run: ModelRun, x: float) -> None:
        with np.errstate(over="ignore", invalid="ignore"):
            result = evaluate(trainer.net, self.test_images, self.test_labels,
                              should_stop=self._should_stop)
        run.eval_x.append(x)
        run.eval_accuracy.append(result.accuracy)
        run.eval_loss.append(result.loss)

    def to_dict(self) -> dict:
        """The settings and every model's run (JSON-ready)."""
        c = self.config
        return {"training": {k: getattr(c, k) for k in (
                    "epochs", "batch_size", "lr", "momentum", "weight_decay", "lr_schedule",
                    "lr_decay", "lr_decay_every", "lr_floor", "seed")},
                "n_train": int(len(self.trainers[0].train_labels)),
                "n_test": int(len(self.test_labels)),
                "batches_per_epoch": self.batches_per_epoch,
                "models": [run.to_dict() for run in self.runs]}
