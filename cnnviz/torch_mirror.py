"""The same network in PyTorch, for comparisons only (``cnnviz bench``,
``scripts/compare_with_torch.py``). PyTorch is never a dependency: import this module only
after checking that ``import torch`` works.
"""

from __future__ import annotations

import numpy as np


def torch_model(net):
    """A ``torch.nn.Sequential`` equal to ``net`` (a ``cnnviz.nn.Network``), holding a copy
    of its weights. Modules are named like cnnviz's layers, so the ``state_dict`` keys
    (``conv1.weight``, ``fc1.bias``...) are exactly ``net.params``' names."""
    import torch
    from torch import nn

    simple = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "flatten": nn.Flatten}
    model = nn.Sequential()
    for info in net.describe():
        if info.kind in ("input", "softmax"):
            continue
        if info.kind == "conv":
            module = nn.Conv2d(info.input_shape[0], info.output_shape[0], info.kernel_size,
                               stride=info.stride, padding=info.padding)
        elif info.kind == "dense":
            module = nn.Linear(info.input_shape[0], info.output_shape[0])
        elif info.kind == "maxpool":
            module = nn.MaxPool2d(2)
        elif info.kind == "avgpool":
            module = nn.AvgPool2d(2)
        elif info.kind == "dropout":
            module = nn.Dropout(info.rate)
        else:
            module = simple[info.kind]()
        model.add_module(info.name, module)
    dtype = torch.float64 if net.dtype == np.float64 else torch.float32
    model.to(dtype)
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in net.params.items()})
    return model
