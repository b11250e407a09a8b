"""Watch one digit learn: a bounded history of the conv weights and of the probe's probabilities.

Pure NumPy (no Qt). ``ProbeTimeline`` keeps two things while training runs:

* **weight snapshots**: at each ``record`` a COPY of every conv layer's parameters (``keys``,
  from ``conv_param_keys(net.describe())``: for LeNet ``conv1.weight (20,1,5,5)``,
  ``conv1.bias``, ``conv2.weight (50,20,5,5)``, ``conv2.bias``, ~104 KB; the fc layers, ~1.6
  MB, are deliberately not kept). They are enough to replay the feature maps of ANY probe
  digit and the filters at that step (``cnnviz.explain.replay_trace``). A network without
  conv layers keeps empty snapshots: the steps and the curve still work.
* **the probability curve**: the probe's ``(classes,)`` probabilities at each recorded step,
  for the plot. It belongs to one probe: ``restart_curve`` (a new probe) empties it, while the
  weight snapshots stay.

Both are bounded. When ``capacity`` snapshots are held, the older half is thinned to about
half as many, evenly spaced in steps (the very first kept; see ``thin_older_half``), so
recent history stays dense, the whole run stays covered and memory stays below ``capacity``
snapshots whatever the length of the run. The
curve is thinned the same way with its own (larger, it is tiny) capacity.

A step lower than the newest recorded one means a new run started: everything is cleared,
so steps are always strictly increasing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..explain.replay_trace import conv_param_keys

DEFAULT_CAPACITY = 400          # ~41 MB of LeNet conv weights at most
MEMORY_BUDGET = 48_000_000      # bytes of weight snapshots a timeline may hold (big convs)
DENSE_STEPS = 300               # every step is recorded up to here


def timeline_keys(net) -> tuple[str, ...]:
    """The parameters a timeline keeps for ``net``: every conv layer's (see module doc)."""
    return conv_param_keys(net.describe())


def capacity_for(net, budget: int = MEMORY_BUDGET, most: int = DEFAULT_CAPACITY) -> int:
    """How many snapshots of ``net``'s conv weights fit ``budget`` bytes (4 to ``most``)."""
    params = net.params
    nbytes = sum(params[k].nbytes for k in timeline_keys(net))
    return int(min(most, max(4, budget // max(1, nbytes))))


def wants_step(step: int, dense: int = DENSE_STEPS) -> bool:
    """Whether the training worker records step ``step`` (1-based) for the timeline: every
    step of the first ``dense``, then every 2nd up to ``2 * dense``, every 4th up to
    ``4 * dense``, ... A network learns most in its first few hundred steps, so that is
    where one digit's probabilities move and where the curve needs its points; later ones
    are thinned, and ``ProbeTimeline``'s capacity bounds the total."""
    step = int(step)
    if step <= dense:
        return step >= 1
    stride = 1 << max(0, (step - 1) // dense).bit_length()
    return step % stride == 0
DEFAULT_CURVE_CAPACITY = 2000


@dataclass(frozen=True, eq=False)
class WeightSnapshot:
    """The conv parameters after ``step`` mini-batches (arrays are private, read-only copies)."""

    step: int
    epoch_progress: float
    params: dict[str, np.ndarray]

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.params.values())


def thin_older_half(steps) -> list[int]:
    """Indices to keep when thinning: the newer half whole, the older half cut to about half
    as many, evenly spaced in steps (its first one always kept).

    On evenly spaced steps this drops every other one of the older half
    (``[0..9] -> [0, 2, 4, 5, 6, 7, 8, 9]``). Spacing by step rather than by position
    matters on the second and later thinnings: the older half then mixes sparse old
    snapshots with denser newer ones, and dropping every other one by position would thin
    the oldest part again and again until the start of the run was lost. Choosing by step
    removes the denser ones first, so the whole run stays covered.
    """
    steps = np.asarray(steps, dtype=np.float64)
    half = len(steps) // 2
    if half < 2:
        return list(range(len(steps)))
    older = steps[:half]
    target = (half + 1) // 2
    spacing = (older[-1] - older[0]) / max(target - 1, 1)
    kept, last = [0], older[0]
    for i in range(1, half):
        if len(kept) < target and older[i] >= last + spacing * (1 - 1e-9):
            kept.append(i)
            last = older[i]
    return kept + list(range(half, len(steps)))


class ProbeTimeline:
    """Bounded weight snapshots plus the current probe's probability curve (see module doc).

    ``keys``: the parameter names each snapshot copies (``timeline_keys(net)``).
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY, keys: tuple[str, ...] = (),
                 curve_capacity: int = DEFAULT_CURVE_CAPACITY) -> None:
        if capacity < 4 or curve_capacity < 4:
            raise ValueError("a timeline needs a capacity of at least 4")
        self.capacity = int(capacity)
        self.curve_capacity = int(curve_capacity)
        self.keys = tuple(keys)
        self.snapshots: list[WeightSnapshot] = []
        self._curve_steps: list[int] = []
        self._curve_epochs: list[float] = []
        self._curve_probs: list[np.ndarray] = []

    # -- recording ---------------------------------------------------------------------------
    def record(self, step: int, epoch_progress: float, params: dict[str, np.ndarray],
               probabilities: np.ndarray | None) -> None:
        """Keep a copy of ``params``' ``keys`` (the conv weights) at ``step`` and the probe's probabilities.

        ``params`` may hold every layer; only ``self.keys`` are copied. ``probabilities``
        ``(classes,)`` is the probe's prediction with these weights (None: weights only).
        Recording the newest step again replaces it.
        """
        step = int(step)
        if self.snapshots and step < self.snapshots[-1].step:
            self.clear()                       # a new run restarted the step counter
        missing = [k for k in self.keys if k not in params]
        if missing:
            raise ValueError(f"timeline: parameters missing: {', '.join(missing)}")
        kept = {}
        for key in self.keys:
            array = np.array(params[key], copy=True)
            array.flags.writeable = False
            kept[key] = array
        snapshot = WeightSnapshot(step, float(epoch_progress), kept)
        if self.snapshots and self.snapshots[-1].step == step:
            self.snapshots[-1] = snapshot
        else:
            if len(self.snapshots) >= self.capacity:
                keep = thin_older_half([s.step for s in self.snapshots])
                self.snapshots = [self.snapshots[i] for i in keep]
            self.snapshots.append(snapshot)
        if probabilities is not None:
            self.add_point(step, epoch_progress, probabilities)

    def add_point(self, step: int, epoch_progress: float, probabilities: np.ndarray) -> None:
        """Add one point ``(step, probabilities (classes,))`` to the probe's curve."""
        step = int(step)
        probs = np.array(probabilities, dtype=np.float32, copy=True).reshape(-1)
        if self._curve_steps and step < self._curve_steps[-1]:
            self.restart_curve()
        if self._curve_steps and self._curve_steps[-1] == step:
            self._curve_probs[-1], self._curve_epochs[-1] = probs, float(epoch_progress)
            return
        if len(self._curve_steps) >= self.curve_capacity:
            keep = thin_older_half(self._curve_steps)
            self._curve_steps = [self._curve_steps[i] for i in keep]
            self._curve_epochs = [self._curve_epochs[i] for i in keep]
            self._curve_probs = [self._curve_probs[i] for i in keep]
        self._curve_steps.append(step)
        self._curve_epochs.append(float(epoch_progress))
        self._curve_probs.append(probs)

    def restart_curve(self) -> None:
        """Forget the probability curve (it was another probe's); weight snapshots stay."""
        self._curve_steps, self._curve_epochs, self._curve_probs = [], [], []

    def clear(self) -> None:
        self.snapshots = []
        self.restart_curve()

    def reset_for(self, keys: tuple[str, ...], capacity: int) -> None:
        """Empty the store and keep ``keys`` from now on, at most ``capacity`` snapshots
        (another network: ``timeline_keys(net)``, ``capacity_for(net)``)."""
        if capacity < 4:
            raise ValueError("a timeline needs a capacity of at least 4")
        self.keys, self.capacity = tuple(keys), int(capacity)
        self.clear()

    # -- reading -----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.snapshots)

    def __getitem__(self, index: int) -> WeightSnapshot:
        return self.snapshots[index]

    @property
    def steps(self) -> np.ndarray:
        """``(S,)`` int64 step of every kept weight snapshot, increasing."""
        return np.array([s.step for s in self.snapshots], dtype=np.int64)

    def index_of_step(self, step: int) -> int | None:
        """Index of the kept snapshot nearest ``step`` (None when empty)."""
        if not self.snapshots:
            return None
        return int(np.abs(self.steps - int(step)).argmin())

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        """``(steps (M,), probabilities (M, classes))`` of the current probe's curve."""
        if not self._curve_steps:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
        return np.array(self._curve_steps, np.int64), np.stack(self._curve_probs)

    def curve_epochs(self) -> np.ndarray:
        """``(M,)`` fractional epoch of each curve point."""
        return np.array(self._curve_epochs, np.float64)

    @property
    def memory_bytes(self) -> int:
        """Bytes held by the kept arrays (weights and curve), not counting Python overhead."""
        weights = sum(s.nbytes for s in self.snapshots)
        return weights + sum(p.nbytes for p in self._curve_probs) + 16 * len(self._curve_steps)
