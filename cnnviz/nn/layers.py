"""The layers of the network, each with its forward and backward pass side by side.

Every layer follows one small protocol:

* ``forward(x)`` computes the output and caches what ``backward`` will need;
* ``backward(dout)`` takes the gradient of the loss with respect to the output and returns
  the gradient with respect to the input, storing parameter gradients in ``self.grads``;
* ``params`` and ``grads`` map short names (``"weight"``, ``"bias"``) to arrays.

Images flow as ``(N, C, H, W)`` arrays: N images, C channels, H rows, W columns.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class Layer:
    """Base class: a layer without parameters."""

    kind = "layer"

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of one example's output, given one example's input shape (no batch axis)."""
        return input_shape


class Conv2D(Layer):
    """A 2-D convolution (strictly: cross-correlation) with zero padding, stride and bias.

    ``out[n, f, i, j] = bias[f] + sum_{c, u, v} weight[f, c, u, v] * xp[n, c, s*i + u, s*j + v]``
    where ``xp`` is the input with ``padding`` zeros added on every side and ``s = stride``.

    Parameters: ``weight (F, C, K, K)``, ``bias (F,)``. Input ``(N, C, H, W)``, output
    ``(N, F, OH, OW)`` with ``OH = (H + 2 * padding - K) // stride + 1`` (and OW alike).

    Implemented with im2col: every K x K window of the input becomes one row of a matrix
    ``cols (N * OH * OW, C * K * K)``, so the forward pass, the weight gradient and the
    input gradient are each a single matrix product.
    """

    kind = "conv"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 rng: np.random.Generator, dtype=np.float32, *, padding: int = 0,
                 stride: int = 1) -> None:
        super().__init__()
        if int(padding) != padding or padding < 0:
            raise ValueError(f"conv padding must be a whole number >= 0, got {padding}")
        if int(stride) != stride or stride < 1:
            raise ValueError(f"conv stride must be a whole number >= 1, got {stride}")
        fan_in = in_channels * kernel_size * kernel_size
        # He-normal initialisation: keeps the variance of ReLU activations stable with depth.
        weight = rng.standard_normal((out_channels, in_channels, kernel_size, kernel_size))
        self.params["weight"] = (weight * np.sqrt(2.0 / fan_in)).astype(dtype)
        self.params["bias"] = np.zeros(out_channels, dtype=dtype)
        self.kernel_size = kernel_size
        self.padding = int(padding)
        self.stride = int(stride)
        self.needs_input_grad = True
        self._cols: np.ndarray | None = None
        self._input_shape: tuple[int, ...] | None = None

    def _out_size(self, size: int) -> int:
        span = size + 2 * self.padding - self.kernel_size
        if span < 0:
            raise ValueError(f"conv kernel {self.kernel_size} is larger than its padded "
                             f"input {size + 2 * self.padding}")
        return span // self.stride + 1

    def output_shape(self, input_shape):
        c, h, w = input_shape
        return (self.params["weight"].shape[0], self._out_size(h), self._out_size(w))

    def forward(self, x: np.ndarray) -> np.ndarray:
        weight, bias = self.params["weight"], self.params["bias"]
        n, c, h, w = x.shape
        f, _, k, _ = weight.shape
        p, s = self.padding, self.stride
        oh, ow = self._out_size(h), self._out_size(w)
        if p:
            x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        windows = sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::s, ::s]  # (N,C,OH,OW,K,K)
        cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * k * k)
        out = cols @ weight.reshape(f, c * k * k).T                    # (N*OH*OW, F)
        out += bias
        self._cols, self._input_shape = cols, (n, c, h, w)
        return out.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)         # (N, F, OH, OW)

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        weight = self.params["weight"]
        n, c, h, w = self._input_shape
        f, _, k, _ = weight.shape
        p, s = self.padding, self.stride
        oh, ow = dout.shape[2], dout.shape[3]
        dout_rows = dout.transpose(0, 2, 3, 1).reshape(n * oh * ow, f)  # (N*OH*OW, F)
        self.grads["weight"] = (dout_rows.T @ self._cols).reshape(weight.shape)
        self.grads["bias"] = dout_rows.sum(axis=0)
        if not self.needs_input_grad:
            return None
        dcols = (dout_rows @ weight.reshape(f, c * k * k)).reshape(n, oh, ow, c, k, k)
        # col2im: every window adds its gradient back onto the (padded) pixels it covered.
        # A loop over the K*K kernel offsets, each a whole-array strided add.
        dx = np.zeros((n, h + 2 * p, w + 2 * p, c), dtype=dout.dtype)
        for u in range(k):
            for v in range(k):
                dx[:, u:u + s * (oh - 1) + 1:s, v:v + s * (ow - 1) + 1:s, :] += dcols[:, :, :, :, u, v]
        return dx[:, p:p + h, p:p + w, :].transpose(0, 3, 1, 2)


class ReLU(Layer):
    """``out = max(x, 0)``; the gradient passes only where the input was positive."""

    kind = "relu"

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._positive = x > 0
        return np.maximum(x, 0)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self._positive


class Sigmoid(Layer):
    """``out = 1 / (1 + exp(-x))``; ``d out / d x = out * (1 - out)``."""

    kind = "sigmoid"

    def forward(self, x: np.ndarray) -> np.ndarray:
        # exp of a large negative number overflows to inf; split by sign to stay finite.
        e = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        self._out = out
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self._out * (1 - self._out)


class MaxPool2D(Layer):
    """Max pooling over non-overlapping 2 x 2 windows (stride 2).

    Input ``(N, C, H, W)`` with even H and W, output ``(N, C, H/2, W/2)``. The layer keeps
    ``mask (N, C, H, W)``: True at the one pixel of every window that won (the first one in
    reading order when several tie). That mask is how backprop routes the gradient, and it
    is what the app draws.
    """

    kind = "maxpool"

    def output_shape(self, input_shape):
        c, h, w = input_shape
        return (c, h // 2, w // 2)

    def forward(self, x: np.ndarray) -> np.ndarray:
        n, c, h, w = x.shape
        if h % 2 or w % 2:
            raise ValueError(f"MaxPool2D needs even height and width, got {h}x{w}")
        # The four corners of every window, as strided views: top-left, top-right, ...
        corners = (x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2], x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2])
        out = np.maximum(np.maximum(corners[0], corners[1]), np.maximum(corners[2], corners[3]))
        mask = np.zeros(x.shape, dtype=bool)
        taken = np.zeros(out.shape, dtype=bool)
        for (du, dv), corner in zip(((0, 0), (0, 1), (1, 0), (1, 1)), corners):
            wins = (corner == out) & ~taken
            mask[:, :, du::2, dv::2] = wins
            taken |= wins
        self.mask = mask
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = np.zeros(self.mask.shape, dtype=dout.dtype)
        for du in (0, 1):
            for dv in (0, 1):
                dx[:, :, du::2, dv::2] = dout * self.mask[:, :, du::2, dv::2]
        return dx


class Flatten(Layer):
    """``(N, C, H, W) -> (N, C * H * W)`` in (C, H, W) order, as PyTorch flattens."""

    kind = "flatten"

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._input_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(self._input_shape)


class Dense(Layer):
    """A fully connected layer: ``out = x @ weight.T + bias``.

    Parameters: ``weight (OUT, IN)`` (PyTorch's layout), ``bias (OUT,)``. Input ``(N, IN)``,
    output ``(N, OUT)``.
    """

    kind = "dense"

    def __init__(self, in_features: int, out_features: int, rng: np.random.Generator,
                 dtype=np.float32) -> None:
        super().__init__()
        weight = rng.standard_normal((out_features, in_features)) * np.sqrt(2.0 / in_features)
        self.params["weight"] = weight.astype(dtype)
        self.params["bias"] = np.zeros(out_features, dtype=dtype)

    def output_shape(self, input_shape):
        return (self.params["weight"].shape[0],)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return x @ self.params["weight"].T + self.params["bias"]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.grads["weight"] = dout.T @ self._x
        self.grads["bias"] = dout.sum(axis=0)
        return dout @ self.params["weight"]


class Tanh(Layer):
    """``out = tanh(x)``; ``d out / d x = 1 - out ** 2``."""

    kind = "tanh"

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._out = np.tanh(x)
        return self._out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (1 - self._out * self._out)


class AvgPool2D(Layer):
    """Average pooling over non-overlapping 2 x 2 windows (stride 2).

    Input ``(N, C, H, W)`` with even H and W, output ``(N, C, H/2, W/2)``:
    ``out[n, c, i, j] = mean(x[n, c, 2i:2i+2, 2j:2j+2])``. Backward hands every pixel of a
    window a quarter of its output's gradient.
    """

    kind = "avgpool"

    def output_shape(self, input_shape):
        c, h, w = input_shape
        return (c, h // 2, w // 2)

    def forward(self, x: np.ndarray) -> np.ndarray:
        n, c, h, w = x.shape
        if h % 2 or w % 2:
            raise ValueError(f"AvgPool2D needs even height and width, got {h}x{w}")
        self._input_shape = x.shape
        return (x[:, :, 0::2, 0::2] + x[:, :, 0::2, 1::2]
                + x[:, :, 1::2, 0::2] + x[:, :, 1::2, 1::2]) * x.dtype.type(0.25)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = np.empty(self._input_shape, dtype=dout.dtype)
        quarter = dout * dout.dtype.type(0.25)
        for du in (0, 1):
            for dv in (0, 1):
                dx[:, :, du::2, dv::2] = quarter
        return dx


class Dropout(Layer):
    """Inverted dropout: while training, each value is zeroed with probability ``rate`` and
    the survivors are scaled by ``1 / (1 - rate)``, so nothing changes at inference time.

    ``training`` is False by default (inference: the identity); the network switches it on
    for a training step. The keep-mask ``(N, ...)`` comes from ``rng`` (the network's, so a
    seeded network drops the same units every run) and is kept for backward.
    """

    kind = "dropout"

    def __init__(self, rate: float, rng: np.random.Generator) -> None:
        super().__init__()
        if not 0 <= rate < 1:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.rng = rng
        self.training = False
        self._scale: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self.training or self.rate == 0:
            self._scale = None
            return x
        keep = self.rng.random(x.shape) >= self.rate
        self._scale = keep.astype(x.dtype) * x.dtype.type(1 / (1 - self.rate))
        return x * self._scale

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout if self._scale is None else dout * self._scale
