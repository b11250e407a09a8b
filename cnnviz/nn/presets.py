"""Named configurations: the network's architecture (text, see ``arch.py``) and how to train it.

* ``lenet`` (the default): ReLU everywhere, SGD with momentum, tuned to learn the bundled
  9,000 digits fast (97 %+ held-out accuracy within 3 epochs).
* ``classroom``: ``lenet`` whose conv1 filters start 10x smaller and learn at lr 0.03, so
  their structure visibly forms in the first epoch (with ``lenet`` they look the same before
  and after training: He-initialised noise dominates what one epoch adds).
* ``seed``: the reference article ("CNN implementation with just numpy") as published: a
  sigmoid hidden layer, plain SGD at learning rate 0.005, L2 weight decay 1e-4, the learning
  rate multiplied by 0.9 every 10 epochs, batch 5, 50 epochs.
* ``tiny``: one small convolution, trains in seconds; ``padded``: two padded 3x3
  convolutions; ``deep``: three padded 3x3 convolutions and dropout.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

from .arch import ARCH_PRESETS, Architecture, parse_arch

from .schedule import lr_at


@dataclass(frozen=True)
class NetworkConfig:
    """The LeNet-shaped configuration older checkpoints store (before architecture text):
    conv(c1@KxK) -> act -> pool -> conv(c2@KxK) -> act -> pool -> fc -> act -> fc."""

    conv1_channels: int = 20
    conv2_channels: int = 50
    kernel_size: int = 5
    hidden_units: int = 500
    classes: int = 10
    image_size: int = 28
    conv_activation: str = "relu"
    hidden_activation: str = "relu"   # "relu" or "sigmoid"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def arch_text(self) -> str:
        """The same network as architecture text."""
        k, act = self.kernel_size, self.conv_activation
        return (f"conv{self.conv1_channels}x{k} {act} maxpool conv{self.conv2_channels}x{k} "
                f"{act} maxpool fc{self.hidden_units} {self.hidden_activation} fc{self.classes}")

    @classmethod
    def from_dict(cls, data: dict) -> "NetworkConfig":
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown network config keys: {sorted(unknown)}")
        return cls(**data)


@dataclass(frozen=True)
class TrainConfig:
    """How to train: SGD with momentum, L2 weight decay and a learning-rate schedule.

    ``lr_schedule = "cosine"``: the rate falls smoothly, batch by batch, from ``lr`` to
    ``lr * lr_floor`` at the end of the run's ``epochs`` (so it keeps learning however many
    epochs are asked for). ``"step"``: in epoch ``e`` (0-based) it is
    ``lr * lr_decay ** (e // lr_decay_every)``. See ``cnnviz.nn.schedule``.
    """

    epochs: int = 3
    batch_size: int = 32
    lr: float = 0.02
    momentum: float = 0.9
    weight_decay: float = 1e-4
    lr_decay: float = 0.5
    lr_decay_every: int = 1
    seed: int = 0
    lr_schedule: str = "step"       # "step" or "cosine"
    lr_floor: float = 0.05          # the lowest rate, as a fraction of lr (both schedules)

    def lr_at_epoch(self, epoch: float, base_lr: float | None = None) -> float:
        """The rate at ``epoch`` (fractional: 1.5 = half-way through the second epoch)."""
        return lr_at(self, epoch, self.lr if base_lr is None else base_lr)

    def with_overrides(self, **changes) -> "TrainConfig":
        """A copy with the given fields changed; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    arch: str            # architecture text
    training: TrainConfig
    # (parameter name, factor): fresh weights of this preset are scaled so at the start
    init_scales: tuple[tuple[str, float], ...] = ()

    @property
    def network(self) -> Architecture:
        """The parsed architecture."""
        return parse_arch(self.arch)


PRESETS: dict[str, Preset] = {
    "lenet": Preset(
        name="lenet",
        description="ReLU everywhere, SGD with momentum: learns the bundled digits in minutes",
        arch=ARCH_PRESETS["lenet"],
        # A cosine fall to 5 % over the epochs asked for: it keeps learning in a long run,
        # where halving every epoch left 3.6e-14 by epoch 40.
        training=TrainConfig(epochs=3, batch_size=32, lr=0.02, momentum=0.9,
                             weight_decay=1e-4, lr_decay=0.5, lr_decay_every=1,
                             lr_schedule="cosine", lr_floor=0.05),
    ),
    "classroom": Preset(
        name="classroom",
        description="lenet for a lesson: small starting conv1 filters take visible shape in "
                    "the first epoch",
        arch=ARCH_PRESETS["lenet"],
        # conv1 x0.1 at the start, lr 0.03: measured after one epoch from seed 0, 70 % of
        # the conv1 pixels change colour by more than 10 % of the range (lenet: 3 %), and
        # held-out accuracy is ~94 % after one epoch
        training=TrainConfig(epochs=3, batch_size=32, lr=0.03, momentum=0.9,
                             weight_decay=1e-4, lr_decay=0.5, lr_decay_every=1,
                             lr_schedule="cosine", lr_floor=0.05),
        init_scales=(("conv1.weight", 0.1),),
    ),
    "seed": Preset(
        name="seed",
        description="the reference article: sigmoid hidden layer, SGD lr 0.005, batch 5, 50 epochs",
        arch=ARCH_PRESETS["seed"],
        training=TrainConfig(epochs=50, batch_size=5, lr=0.005, momentum=0.0,
                             weight_decay=1e-4, lr_decay=0.9, lr_decay_every=10),
    ),
    "tiny": Preset(
        name="tiny",
        description="one small convolution (6 filters of 5x5) and one fc: trains in seconds",
        arch=ARCH_PRESETS["tiny"],
        training=TrainConfig(epochs=1, batch_size=32, lr=0.05, momentum=0.9,
                             weight_decay=1e-4, lr_decay=0.5, lr_decay_every=1),
    ),
    "padded": Preset(
        name="padded",
        description="two padded 3x3 convolutions (8 and 16 filters), fc64: small and quick",
        arch=ARCH_PRESETS["padded"],
        # Measured 97.0, 97.2, 97.7 % held-out after 2 epochs (seeds 0, 1, 2); batch 32 at
        # lr 0.02-0.05 stayed near 96 %.
        training=TrainConfig(epochs=2, batch_size=4, lr=0.005, momentum=0.9,
                             weight_decay=1e-4, lr_decay=0.3, lr_decay_every=1),
    ),
    "deep": Preset(
        name="deep",
        description="three padded 3x3 convolutions, dropout before the fc layers",
        arch=ARCH_PRESETS["deep"],
        training=TrainConfig(epochs=3, batch_size=32, lr=0.02, momentum=0.9,
                             weight_decay=1e-4, lr_decay=0.5, lr_decay_every=1),
    ),
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None
