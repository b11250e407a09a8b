"""The CNN engine, in pure NumPy: layers, the network, loss, optimizer and checkpoints."""

from .arch import ARCH_PRESETS, Architecture, ArchitectureError, LayerInfo, parse_arch
from .checkpoint import CheckpointError, load_checkpoint, read_checkpoint_metadata, save_checkpoint
from .layers import (AvgPool2D, Conv2D, Dense, Dropout, Flatten, Layer, MaxPool2D, ReLU, Sigmoid,
                     Tanh)
from .loss import log_softmax, softmax, softmax_cross_entropy
from .network import LayerOutput, Network, Trace, build_network
from .optim import SGD
from .presets import PRESETS, NetworkConfig, Preset, TrainConfig, get_preset

__all__ = [
    "ARCH_PRESETS", "Architecture", "ArchitectureError", "AvgPool2D", "Dropout", "LayerInfo",
    "Tanh", "parse_arch", "CheckpointError", "Conv2D", "Dense", "Flatten", "Layer", "LayerOutput", "MaxPool2D",
    "Network", "NetworkConfig", "PRESETS", "Preset", "ReLU", "SGD", "Sigmoid", "Trace",
    "TrainConfig", "build_network", "get_preset", "load_checkpoint", "log_softmax",
    "read_checkpoint_metadata", "save_checkpoint", "softmax", "softmax_cross_entropy",
]
