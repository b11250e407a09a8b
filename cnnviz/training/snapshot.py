"""The immutable snapshot of a training run that crosses from the worker thread to the UI.

Pure NumPy. Every array in a snapshot is a copy the worker made, so the worker can keep
updating its own weights in place while the UI draws the snapshot's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The run's state after ``step`` mini-batches.

    params: name -> array copied from the worker's network (PyTorch names and shapes).
    steps, epoch_progress, losses: ``(B,)`` arrays of the batches finished since the previous
        snapshot: global step number, fractional epochs since the start, batch loss.
    epoch, batch: 0-based position of the NEXT batch; ``batches_per_epoch``, ``total_steps``.
    images_per_second: recent training throughput; ``lr``: the learning rate in use;
    eta_seconds: estimated time to finish all epochs (``nan`` when unknown).
    detail_follows: a single Step's snapshot, whose ``StepDetail`` the worker sends right
        after it: the two are shown together, never the weights alone first.
    """

    params: dict[str, np.ndarray]
    steps: np.ndarray
    epoch_progress: np.ndarray
    losses: np.ndarray
    step: int
    epoch: int
    batch: int
    batches_per_epoch: int
    total_steps: int
    images_per_second: float
    lr: float
    eta_seconds: float
    finished: bool = False
    detail_follows: bool = False
    extra: dict = field(default_factory=dict)

    @classmethod
    def create(cls, params: dict[str, np.ndarray], steps, epoch_progress, losses,
               **info) -> "Snapshot":
        """Build a snapshot, copying and freezing every array it is given."""
        return cls(params={k: _frozen(v) for k, v in params.items()},
                   steps=_frozen(np.asarray(steps, np.int64)),
                   epoch_progress=_frozen(np.asarray(epoch_progress, np.float64)),
                   losses=_frozen(np.asarray(losses, np.float64)), **info)

    @property
    def progress(self) -> float:
        """Fraction of all planned steps done, in [0, 1]."""
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0

    @property
    def position(self) -> float:
        """Epochs trained after the last finished batch (fractional; x of the loss plot)."""
        return self.epoch + self.batch / max(1, self.batches_per_epoch)


@dataclass(frozen=True, eq=False)
class StepDetail:
    """What one single step (the Step button) did, for the "one step" explainer.

    indices: ``(B,)`` training-set indices of the batch; labels ``(B,)``;
    loss_before / loss_after: the batch's mean loss before and after the update;
    params_before / params_after: name -> copies of the weights around the update;
    output_grads: layer name -> d loss / d output ``(B, ...)`` for the batch (copies).
    images: ``(B, 1, 28, 28)`` the batch's inputs; logits_before / logits_after: ``(B, classes)``
    the network's logits for the batch with the weights before / after the update;
    pool_masks: max-pool layer name -> ``(B, C, H, W)`` bool, the winner of every 2 x 2
    window in the step's own forward pass (the one its backward routed through).
    """

    step: int
    indices: np.ndarray
    labels: np.ndarray
    loss_before: float
    loss_after: float
    params_before: dict[str, np.ndarray]
    params_after: dict[str, np.ndarray]
    output_grads: dict[str, np.ndarray]
    images: np.ndarray | None = None
    logits_before: np.ndarray | None = None
    logits_after: np.ndarray | None = None
    pool_masks: dict[str, np.ndarray] = field(default_factory=dict)

    def delta(self, name: str) -> np.ndarray:
        """``params_after[name] - params_before[name]`` (the weight change)."""
        return self.params_after[name] - self.params_before[name]


def detailed_step(trainer) -> tuple:
    """Train ``trainer`` on exactly one mini-batch and record what that did.

    Returns ``(StepResult, StepDetail)``: the trainer's own result and, for the "one step"
    explainer, the batch, the weights before and after, the loss and logits before and after
    (the "after" ones from a second forward pass with the updated weights) and every layer's
    output gradient. Every array in the detail is a copy.
    """
    from ..nn.loss import softmax_cross_entropy

    net = trainer.net
    indices = trainer.next_batch_indices().copy()
    labels = trainer.train_labels[indices].copy()
    before = net.copy_params()
    grads: dict = {}
    masks: dict = {}
    result = trainer.step(grads, masks)
    logits_before = np.array(net.last_logits, copy=True)
    x = np.array(trainer.train_images[indices], copy=True)
    logits_after = np.array(net.forward(x), copy=True)
    loss_after, _ = softmax_cross_entropy(logits_after, labels.astype(np.int64))
    detail = StepDetail(
        step=trainer.step_count, indices=indices, labels=labels,
        loss_before=float(result.batch.loss), loss_after=float(loss_after),
        params_before=before, params_after=net.copy_params(),
        output_grads={k: np.array(v, copy=True) for k, v in grads.items()},
        images=x, logits_before=logits_before, logits_after=logits_after,
        pool_masks={k: np.array(v, copy=True) for k, v in masks.items()})
    return result, detail
