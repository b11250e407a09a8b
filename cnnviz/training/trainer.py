"""The training loop, one mini-batch per call, so a GUI worker can pause, step and stop.

    trainer = Trainer(net, train_images, train_labels, test_images, test_labels, config)
    while not trainer.finished:
        result = trainer.step()          # exactly one mini-batch
        if result.epoch is not None:     # the batch closed an epoch: held-out evaluation
            print(result.epoch.test_accuracy)

Images are ``(N, 1, 28, 28)`` float in [0, 1]; labels ``(N,)`` integers. Shuffling uses the
config's seed, so the same seed gives the same run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..nn.network import Network
from ..nn.optim import SGD
from ..nn.presets import TrainConfig
from .dead_run import DeadRunWatch
from .divergence import DivergenceGuard
from .evaluate import EvalResult, evaluate


class DivergenceError(RuntimeError):
    """The run blew up (see ``divergence.DivergenceGuard``); the step was not applied and the
    network holds the last good weights (from step ``kept_step``)."""

    verb = "diverged"

    def __init__(self, lr: float, step: int, loss: float, reason: str | None = None,
                 kept_step: int | None = None) -> None:
        self.lr, self.step, self.loss, self.kept_step = lr, step, loss, kept_step
        self.suggested_lr = min(lr / 10, 0.01)
        self.reason = reason = reason or f"the loss became {loss}"
        kept = ("the weights from before this step are kept" if kept_step is None
                else f"the last good weights (step {kept_step}) are back")
        super().__init__(
            f"training diverged at step {step} with learning rate {lr:g}: {reason}; {kept}. "
            f"Try a lower learning rate, e.g. {self.suggested_lr:g}.")


class DeadRunError(DivergenceError):
    """The run stopped learning (see ``dead_run.DeadRunWatch``): its loss sits at a guess's
    and its accuracy at chance. The step was applied and counted (``result``: its
    ``StepResult``); the weights are the run's own (no earlier ones were better known)."""

    verb = "stopped learning"

    def __init__(self, lr: float, step: int, loss: float, reason: str, result=None) -> None:
        RuntimeError.__init__(self)
        self.lr, self.step, self.loss, self.kept_step = lr, step, loss, None
        self.suggested_lr = lr / 10
        self.reason, self.result = reason, result
        self.args = (f"training stopped learning at step {step} with learning rate {lr:g}: "
                     f"{reason}. The learning rate is probably too high: press Reset for "
                     f"fresh weights and try a lower one, e.g. {self.suggested_lr:g}.",)


def _check_classes(net: Network, *label_sets: np.ndarray) -> None:
    """A network with fewer class scores than the labels need (``fc64 relu fc5`` for ten
    digits) is refused with a message naming its last layer, not an IndexError mid-step."""
    needed = max((int(np.max(labels)) + 1 for labels in label_sets if len(labels)), default=0)
    if net.classes < needed:
        last = [info for info in net.describe() if info.kind == "dense"][-1]
        raise ValueError(f"the network's last layer '{last.token or last.name}' gives "
                         f"{net.classes} class scores, but the labels need {needed}: end it "
                         f"with fc{needed}")


@dataclass(frozen=True)
class BatchEvent:
    """One mini-batch done. ``epoch_progress`` is fractional epochs since the start."""

    step: int               # batches done since the start, 1-based after the first
    epoch: int              # 0-based epoch this batch belonged to
    batch: int              # 0-based batch index within the epoch
    batches_per_epoch: int
    loss: float             # mean cross-entropy of the batch, before the update
    accuracy: float         # fraction of the batch classified right, before the update
    images_per_second: float
    lr: float
    batch_size: int

    @property
    def epoch_progress(self) -> float:
        return self.epoch + (self.batch + 1) / self.batches_per_epoch


@dataclass(frozen=True)
class EpochEvent:
    """One epoch done: training averages over its batches and the held-out evaluation."""

    epoch: int              # 0-based
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    images_per_second: float
    seconds: float
    evaluation: EvalResult


@dataclass(frozen=True)
class StepResult:
    batch: BatchEvent
    epoch: EpochEvent | None


class Trainer:
    """Trains ``net`` in place with SGD, one mini-batch per ``step()``.

    Holds the optimizer (momentum buffers), the shuffled order of the current epoch and the
    epoch's running sums. ``train_images (N, 1, 28, 28)`` float in [0, 1], ``train_labels
    (N,)``; the test pair is evaluated at the end of every epoch.
    """

    def __init__(self, net: Network, train_images: np.ndarray, train_labels: np.ndarray,
                 test_images: np.ndarray, test_labels: np.ndarray, config: TrainConfig) -> None:
        if len(train_images) != len(train_labels) or len(test_images) != len(test_labels):
            raise ValueError("images and labels differ in length")
        if config.batch_size < 1 or config.epochs < 1:
            raise ValueError("batch size and epochs must be at least 1")
        if not (config.lr > 0 and math.isfinite(config.lr)):
            raise ValueError(f"learning rate must be a positive number, got {config.lr}")
        _check_classes(net, train_labels, test_labels)
        self.net = net
        self.train_images, self.train_labels = train_images, np.asarray(train_labels, np.int64)
        self.test_images, self.test_labels = test_images, np.asarray(test_labels, np.int64)
        self.config = config
        self.base_lr = config.lr
        self.guard = DivergenceGuard(classes=net.config.classes)
        self.dead_watch = DeadRunWatch(classes=net.config.classes)
        self.dead_watch.start(net.params)
        self.optimizer = SGD(net.params, lr=config.lr_at_epoch(0), momentum=config.momentum,
                             weight_decay=config.weight_decay)
        self._rng = np.random.default_rng(config.seed)
        self.batches_per_epoch = math.ceil(len(train_images) / config.batch_size)
        self.epoch = 0
        self.batch = 0
        self.step_count = 0
        self._order = self._rng.permutation(len(train_images))
        self._epoch_sums = [0.0, 0.0, 0, 0.0]    # loss*n, correct, images, seconds
        self.history: list[EpochEvent] = []
        # asked between chunks of the epoch-end evaluation: True raises TrainingInterrupted
        self.should_stop: Callable[[], bool] | None = None
        # Called after every step as ``o.after_step(trainer, result)`` and on a changed
        # setting as ``o.settings_changed(trainer, lr=...)`` (e.g. a ``RunRecorder``).
        self.observers: list = []

    # -- live settings (apply from the next batch) -------------------------------------
    def set_learning_rate(self, lr: float) -> None:
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError(f"learning rate must be a positive number, got {lr}")
        self.base_lr = lr
        self.guard.restart()
        self.dead_watch.restart()
        self._notify(lr=lr)

    def set_momentum(self, momentum: float) -> None:
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.optimizer.momentum = momentum
        self._notify(momentum=momentum)

    def _notify(self, **changes) -> None:
        for observer in self.observers:
            observer.settings_changed(self, **changes)

    @property
    def current_lr(self) -> float:
        """The rate the next batch trains with (the schedule at this point of the run)."""
        return self.config.lr_at_epoch(self.epoch + self.batch / self.batches_per_epoch,
                                       self.base_lr)

    @property
    def finished(self) -> bool:
        return self.epoch >= self.config.epochs

    @property
    def total_steps(self) -> int:
        return self.batches_per_epoch * self.config.epochs

    def next_batch_indices(self) -> np.ndarray:
        """Indices into the training set of the batch the next ``step()`` will use."""
        b = self.config.batch_size
        return self._order[self.batch * b:(self.batch + 1) * b]

    # -- one mini-batch ----------------------------------------------------------------
    def step(self, output_grads: dict | None = None, pool_masks: dict | None = None
             ) -> StepResult:
        """Train on exactly one mini-batch; at the end of an epoch also evaluate.

        Raises ``DivergenceError`` if the run blows up (a loss or gradient not finite, the
        loss far above its start for several batches, the weights growing without bound):
        the step is not counted and the network is put back to the last good weights.
        Raises ``DeadRunError`` (a ``DivergenceError``) after the step if the run has stopped
        learning (``dead_run.DeadRunWatch``): the step counts, ``exc.result`` is its result.
        """
        if self.finished:
            raise RuntimeError("training already finished all its epochs")
        start = time.perf_counter()
        indices = self.next_batch_indices()
        x, y = self.train_images[indices], self.train_labels[indices]
        self.optimizer.lr = self.current_lr
        # A diverging run overflows on its way to NaN; it is reported below, not warned about.
        self.net.training = True        # dropout layers drop only here
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                loss, grads = self.net.loss_and_grads(x, y, output_grads=output_grads,
                                                      pool_masks=pool_masks)
        finally:
            self.net.training = False
        step = self.step_count + 1
        if not math.isfinite(loss) or not all(np.isfinite(g).all() for g in grads.values()):
            raise DivergenceError(self.base_lr, step, loss)
        reason = self.guard.check_loss(loss, self.net.params, step)
        if reason is None:
            correct = int((self.net.last_logits.argmax(axis=1) == y).sum())
            with np.errstate(over="ignore", invalid="ignore"):
                self.optimizer.step(grads)
            reason = self.guard.check_weights(self.net.params)
        if reason is not None:
            kept = self.guard.restore(self.net.params)
            self.optimizer.reset()          # the momentum would carry the blow-up on
            raise DivergenceError(self.base_lr, step, loss, reason, kept)
        seconds = time.perf_counter() - start
        self.step_count += 1
        sums = self._epoch_sums
        sums[0] += loss * len(y)
        sums[1] += correct
        sums[2] += len(y)
        sums[3] += seconds
        event = BatchEvent(step=self.step_count, epoch=self.epoch, batch=self.batch,
                           batches_per_epoch=self.batches_per_epoch, loss=loss,
                           accuracy=correct / len(y), images_per_second=len(y) / seconds,
                           lr=self.optimizer.lr, batch_size=len(y))
        self.batch += 1
        epoch_event = self._finish_epoch() if self.batch == self.batches_per_epoch else None
        result = StepResult(event, epoch_event)
        for observer in self.observers:
            observer.after_step(self, result)
        dead = self.dead_watch.check_batch(loss, correct / len(y), self.net.params)
        if dead is None and epoch_event is not None:
            dead = self.dead_watch.check_epoch(epoch_event.test_loss, epoch_event.test_accuracy,
                                               self.net.params)
        if dead is not None:
            self.dead_watch.restart()          # warned once; resumed, it is watched afresh
            raise DeadRunError(self.base_lr, self.step_count, loss, dead, result)
        return result

    def _finish_epoch(self) -> EpochEvent:
        loss_sum, correct, seen, seconds = self._epoch_sums
        result = evaluate(self.net, self.test_images, self.test_labels,
                          should_stop=self.should_stop)
        event = EpochEvent(epoch=self.epoch, train_loss=loss_sum / seen,
                           train_accuracy=correct / seen, test_loss=result.loss,
                           test_accuracy=result.accuracy, images_per_second=seen / seconds,
                           seconds=seconds, evaluation=result)
        self.history.append(event)
        self.epoch += 1
        self.batch = 0
        self._epoch_sums = [0.0, 0.0, 0, 0.0]
        self._order = self._rng.permutation(len(self.train_images))
        return event
