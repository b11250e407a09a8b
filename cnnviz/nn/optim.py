"""Stochastic gradient descent with momentum and L2 weight decay.

For every parameter ``w`` with gradient ``g``:

    v <- momentum * v + g + weight_decay * w    (weight_decay * w: the gradient of
    w <- w - lr * v                              (weight_decay / 2) * ||w||^2)

With ``momentum = 0`` this is plain SGD. ``lr`` and ``momentum`` may change between steps.

A network keeps all its parameters in one flat array and its gradients in another (see
``cnnviz.nn.network``); when the arrays handed in tile such buffers, one step is a handful
of operations on the whole buffers instead of a handful per parameter. Any other dict of
arrays is updated one parameter at a time, with the same arithmetic.
"""

from __future__ import annotations

import numpy as np

from .blas import axpby


def _flat_base(arrays: list[np.ndarray]) -> tuple[np.ndarray, list[int]] | None:
    """``(buffer, offsets)`` when every array is a C-contiguous view of the same 1-D buffer
    and together they cover it exactly; else None. ``offsets`` are in elements."""
    if not arrays:
        return None
    base = arrays[0].base
    if base is None or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    start = base.__array_interface__["data"][0]
    offsets, covered = [], 0
    for a in arrays:
        if a.base is not base or not a.flags.c_contiguous or a.dtype != base.dtype:
            return None
        offsets.append((a.__array_interface__["data"][0] - start) // base.itemsize)
        covered += a.size
    return (base, offsets) if covered == base.size else None


class SGD:
    def __init__(self, params: dict[str, np.ndarray], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        self.params = params
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        flat = _flat_base(list(params.values()))
        if flat is not None:
            # Velocity laid out like the parameters: v_flat[i] belongs to w_flat[i].
            self._flat_w, self._offsets = flat
            self._flat_v = np.zeros_like(self._flat_w)
            self.velocity = {name: self._flat_v[o:o + p.size].reshape(p.shape)
                             for (name, p), o in zip(params.items(), self._offsets)}
        else:
            self._flat_w = self._flat_v = self._offsets = None
            self.velocity = {name: np.zeros_like(p) for name, p in params.items()}
        # Reusable scratch (allocating ~1.6 MB for fc1 every step costs more than the
        # arithmetic): one flat array, or one per parameter.
        self._scratch = ({name: np.empty_like(p) for name, p in params.items()}
                         if flat is None else np.empty_like(self._flat_w))

    def _flat_grads(self, grads: dict[str, np.ndarray]) -> np.ndarray | None:
        """The flat buffer behind ``grads`` if it lines up with the flat parameters."""
        if self._flat_w is None:
            return None
        flat = _flat_base([grads[name] for name in self.params])
        if flat is None or flat[1] != self._offsets or flat[0].dtype != self._flat_w.dtype:
            return None
        return flat[0]

    def step(self, grads: dict[str, np.ndarray]) -> None:
        """Update every parameter in place from ``grads`` (same keys and shapes as params)."""
        flat_g = self._flat_grads(grads)
        if flat_g is not None:
            self._update(self._flat_w, flat_g, self._flat_v, self._scratch)
            return
        scratch = self._scratch
        for name, w in self.params.items():
            s = scratch[name] if isinstance(scratch, dict) else scratch[:w.size].reshape(w.shape)
            self._update(w, grads[name], self.velocity[name], s)

    def _update(self, w: np.ndarray, g: np.ndarray, v: np.ndarray, scratch: np.ndarray) -> None:
        """One step for one parameter ``w`` (or the flat buffer of all of them), in place:
        three fused ``y <- a x + b y`` updates (see ``cnnviz.nn.blas``)."""
        w, g, v, scratch = w.reshape(-1), g.reshape(-1), v.reshape(-1), scratch.reshape(-1)
        if self.momentum:
            axpby(1.0, g, self.momentum, v, scratch)          # v = momentum * v + g
        else:
            np.copyto(v, g)
        if self.weight_decay:
            axpby(self.weight_decay, w, 1.0, v, scratch)      # v += weight_decay * w
        axpby(-self.lr, v, 1.0, w, scratch)                   # w -= lr * v

    def reset(self) -> None:
        for v in self.velocity.values():
            v.fill(0)
