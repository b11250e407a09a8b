"""The layers of the network, each with its forward and backward pass side by side.

Every layer follows one small protocol:

* ``forward(x)`` computes the output and caches what ``backward`` will need;
* ``backward(dout)`` takes the gradient of the loss with respect to the output and returns
  the gradient with respect to the input, storing parameter gradients in ``self.grads``;
* ``params`` and ``grads`` map short names (``"weight"``, ``"bias"``) to arrays.

Images flow as ``(N, C, H, W)`` arrays: N images, C channels, H rows, W columns.

How it is made fast (the arithmetic is the textbook one; only the memory layout differs):

* Channels last in memory. A conv writes its output as ``(N, H, W, C)`` and hands on the
  ``(N, C, H, W)`` *view* ``.transpose(0, 3, 1, 2)``: the shape every caller sees is NCHW,
  but ReLU, max-pool and the next conv work on contiguous NHWC memory, where one window row
  of all channels (``K * C`` numbers) is contiguous. No layer ever copies between layouts.
* Buffers are reused. Each layer keeps its outputs, gradients and scratch arrays
  (``self._buffer``) and rewrites them while the batch shape stays the same: allocating
  megabytes every step costs more than the arithmetic (fresh pages are zeroed by the OS).
  So an array returned by ``forward``/``backward`` is valid until that layer's next pass;
  ``Network.forward``/``trace`` return copies. The pool mask is the exception: a fresh array
  every forward, since the app's views keep it.
* Few, large matrix products with ``out=``: the conv's bias rides along as a column of ones
  in the im2col matrix, so the forward product adds it and the weight-gradient product sums
  it; the input gradient is K products, one per window column, each small enough to stay
  in cache while its col2im adds run. The first conv computes no input gradient.
* Dense layers multiply with the weight matrix in its own memory order (BLAS is much slower
  here when it has to read a large operand transposed at small batch sizes).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided


class Layer:
    """Base class: a layer without parameters."""

    kind = "layer"

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._buffers: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of one example's output, given one example's input shape (no batch axis)."""
        return input_shape

    def release_buffers(self) -> None:
        """Drop the reusable arrays (and what a backward pass would need): after a pass over
        a big batch, such as an evaluation in chunks of 500, they would hold memory."""
        self._buffers.clear()
        for name in self._RELEASE:
            setattr(self, name, None)

    _RELEASE: tuple[str, ...] = ()          # attributes that refer to buffers

    def _buffer(self, key: str, shape: tuple[int, ...], dtype, fill=None) -> np.ndarray:
        """The layer's array ``key`` of ``shape``: the same memory on every call while the
        shape and dtype stay the same. ``fill`` sets every entry when it is (re)made."""
        dtype = np.dtype(dtype)
        sig = (tuple(shape), dtype)
        held = self._buffers.get(key)
        if held is None or held[0] != sig:
            buf = np.empty(shape, dtype) if fill is None else np.full(shape, fill, dtype)
            held = self._buffers[key] = (sig, buf)
        return held[1]

    def _buffer_like(self, key: str, x: np.ndarray, dtype=None, fill=None) -> np.ndarray:
        """Like ``_buffer`` with ``x``'s shape and memory order (an NHWC-backed view gets an
        NHWC-backed buffer), and ``x``'s dtype unless ``dtype`` is given."""
        dtype = np.dtype(dtype or x.dtype)
        sig = (x.shape, x.strides, x.dtype, dtype)
        held = self._buffers.get(key)
        if held is None or held[0] != sig:
            buf = np.empty_like(x, dtype=dtype)
            if fill is not None:
                buf.fill(fill)
            held = self._buffers[key] = (sig, buf)
        return held[1]

    def _grad(self, name: str, dtype) -> np.ndarray:
        """``self.grads[name]``, shaped like ``params[name]``, made once and then rewritten."""
        grad = self.grads.get(name)
        if grad is None or grad.dtype != dtype:
            grad = self.grads[name] = np.empty(self.params[name].shape, dtype)
        return grad

    def _contiguous(self, key: str, x: np.ndarray) -> np.ndarray:
        """``x`` itself if C-contiguous, else its copy in the reusable buffer ``key``."""
        if x.flags.c_contiguous:
            return x
        buf = self._buffer(key, x.shape, x.dtype)
        np.copyto(buf, x)
        return buf


def _product(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``a @ b`` into ``out``, for a weight gradient ``(OUT, rows) @ (rows, IN)``.

    With one row (one example, one output pixel) it is an outer product, and NumPy's matmul
    does not hand a product over a length-1 axis to BLAS: its own loop took 400 us for fc1's
    weight gradient at batch 1, the broadcast multiply below 85 us.
    """
    if a.shape[1] == 1:
        return np.multiply(a, b, out=out)
    return np.matmul(a, b, out=out)


def _channels_last(x: np.ndarray) -> np.ndarray:
    """``x (N, C, H, W)`` as an ``(N, H, W, C)`` view (contiguous if x is NHWC in memory)."""
    return x.transpose(0, 2, 3, 1)


class Conv2D(Layer):
    """A 2-D convolution (strictly: cross-correlation) with zero padding, stride and bias.

    ``out[n, f, i, j] = bias[f] + sum_{c, u, v} weight[f, c, u, v] * xp[n, c, s*i + u, s*j + v]``
    where ``xp`` is the input with ``padding`` zeros added on every side and ``s = stride``.

    Parameters: ``weight (F, C, K, K)``, ``bias (F,)``. Input ``(N, C, H, W)``, output
    ``(N, F, OH, OW)`` with ``OH = (H + 2 * padding - K) // stride + 1`` (and OW alike).

    Implemented with im2col: every K x K window of the input becomes one row of a matrix
    ``cols (N * OH * OW, K * K * C + 1)`` (window pixels in (row, column, channel) order, then
    a 1 for the bias), so the forward pass, the weight gradient and the input gradient are
    each a single matrix product.
    """

    kind = "conv"
    _RELEASE = ("_cols",)

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

    def _weight_matrix(self, dtype) -> np.ndarray:
        """``(F, K * K * C + 1)``: each filter in the column order of ``cols``, then its bias."""
        weight, bias = self.params["weight"], self.params["bias"]
        f, c, k, _ = weight.shape
        wmat = self._buffer("wmat", (f, k * k * c + 1), dtype)
        np.copyto(wmat[:, :-1].reshape(f, k, k, c), weight.transpose(0, 2, 3, 1))
        wmat[:, -1] = bias
        return wmat

    def forward(self, x: np.ndarray) -> np.ndarray:
        n, c, h, w = x.shape
        f, _, k, _ = self.params["weight"].shape
        p, s = self.padding, self.stride
        oh, ow = self._out_size(h), self._out_size(w)
        dtype = np.result_type(x.dtype, self.params["weight"].dtype)
        xh = _channels_last(x)
        if p or not xh.flags.c_contiguous or xh.dtype != dtype:
            # The padded input, NHWC; its zero border is written once, when it is made.
            padded = self._buffer("padded", (n, h + 2 * p, w + 2 * p, c), dtype, fill=0)
            padded[:, p:p + h, p:p + w, :] = xh
            xh = padded
        sn, sh, sw, _ = xh.strides        # contiguous: a pixel's C numbers, then the next
        kkc = k * k * c
        if c > 1:
            # Every window as one view (N, OH, OW, K, K*C): for a window row u, the K pixels
            # of all C channels lie side by side in NHWC memory, so the copy below moves K*C
            # contiguous numbers at a time.
            windows = as_strided(xh, (n, oh, ow, k, k * c),
                                 (sn, s * sh, s * sw, sh, xh.itemsize), writeable=False)
            cols = self._buffer("cols", (n * oh * ow, kkc + 1), dtype, fill=1)  # last: 1s
            cols[:, :kkc].reshape(n, oh, ow, k, k * c)[...] = windows
        else:
            # One channel (a first conv on grey images): a window row would be only K
            # numbers, and copying 5 at a time was 5x slower than this. Here the matrix is
            # stored transposed, (K*K + 1, N*OH*OW), so window pixel (u, v) of all output
            # positions is one row, copied OW neighbouring pixels at a time; `cols` is its
            # .T view (BLAS reads either memory order at the same speed).
            windows = as_strided(xh, (k, k, n, oh, ow), (sh, sw, sn, s * sh, s * sw),
                                 writeable=False)
            cols_t = self._buffer("cols_t", (kkc + 1, n * oh * ow), dtype, fill=1)
            cols_t[:kkc].reshape(k, k, n, oh, ow)[...] = windows
            cols = cols_t.T
        out = self._buffer("out", (n * oh * ow, f), dtype)
        np.matmul(cols, self._weight_matrix(dtype).T, out=out)           # bias included
        self._cols, self._input_shape = cols, (n, c, h, w)
        return out.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)          # (N, F, OH, OW)

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        weight = self.params["weight"]
        n, c, h, w = self._input_shape
        f, _, k, _ = weight.shape
        p, s = self.padding, self.stride
        oh, ow = dout.shape[2], dout.shape[3]
        cols = self._cols
        dout_rows = self._contiguous("dout_rows", _channels_last(dout)).reshape(n * oh * ow, f)
        # One product gives the weight gradient and, from the column of ones, the bias's.
        dwb = self._buffer("dwb", (f, cols.shape[1]), cols.dtype)
        _product(dout_rows.T, cols, out=dwb)
        np.copyto(self._grad("weight", dwb.dtype),
                  dwb[:, :-1].reshape(f, k, k, c).transpose(0, 3, 1, 2))
        np.copyto(self._grad("bias", dwb.dtype), dwb[:, -1])
        if not self.needs_input_grad:
            return None           # the first layer: nobody needs d loss / d image
        # The input gradient, with col2im: every window adds its gradient back onto the
        # (padded) pixels it covered. In two passes of K adds each instead of K*K: first
        # along the width, one window column v at a time, then along the height. For one v,
        # a product with that column's weights (F, K*C) gives every window's gradient as a
        # contiguous (N, OH, OW, K*C) block that adds onto `rows` in whole rows, and is
        # small enough to stay in cache (one big (N*OH*OW, K*K*C) product would not).
        hp, wp = h + 2 * p, w + 2 * p
        # rows[n, i, x, u, c]: the gradient that output row i sends, through window row u,
        # to padded column x.
        rows = self._buffer("col2im_rows", (n, oh, wp, k * c), cols.dtype)
        rows.fill(0)
        w_v = self._buffer("w_v", (k, f, k, c), cols.dtype)       # w_v[v] = weight[:, :, :, v]
        np.copyto(w_v, weight.transpose(3, 0, 2, 1))                # (v, F, u, C)
        dwin = self._buffer("dwindows", (n * oh * ow, k * c), cols.dtype)
        for v in range(k):
            np.matmul(dout_rows, w_v[v].reshape(f, k * c), out=dwin)
            rows[:, :, v:v + s * (ow - 1) + 1:s, :] += dwin.reshape(n, oh, ow, k * c)
        rows = rows.reshape(n, oh, wp, k, c)
        dx = self._buffer("dx", (n, hp, wp, c), cols.dtype)
        dx.fill(0)
        for u in range(k):
            dx[:, u:u + s * (oh - 1) + 1:s, :, :] += rows[:, :, :, u, :]
        return dx[:, p:p + h, p:p + w, :].transpose(0, 3, 1, 2)


class ReLU(Layer):
    """``out = max(x, 0)``; the gradient passes only where the input was positive."""

    kind = "relu"
    _RELEASE = ("_positive",)

    def forward(self, x: np.ndarray) -> np.ndarray:
        # Against an array of zeros, not the scalar 0: NumPy's maximum with a broadcast
        # scalar runs about 3x slower here. Both buffers keep x's memory order.
        zeros = self._buffer_like("zeros", x, fill=0)
        self._positive = np.greater(x, zeros, out=self._buffer_like("positive", x, bool))
        return np.maximum(x, zeros, out=self._buffer_like("out", x))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return np.multiply(dout, self._positive, out=self._buffer_like("dx", dout))


class Sigmoid(Layer):
    """``out = 1 / (1 + exp(-x))``; ``d out / d x = out * (1 - out)``."""

    kind = "sigmoid"
    _RELEASE = ("_out",)

    def forward(self, x: np.ndarray) -> np.ndarray:
        # exp of a large negative number overflows to inf; split by sign to stay finite.
        e = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        self._out = out
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self._out * (1 - self._out)


class _Pool2x2(Layer):
    """What the 2x2, stride-2 pools share: ``(C, H, W) -> (C, H/2, W/2)``, H and W even."""

    def output_shape(self, input_shape):
        c, h, w = input_shape
        return (c, h // 2, w // 2)

    def _check_even(self, x: np.ndarray) -> None:
        h, w = x.shape[2:]
        if h % 2 or w % 2:
            raise ValueError(f"{type(self).__name__} needs even height and width, got {h}x{w}")


class MaxPool2D(_Pool2x2):
    """Max pooling over non-overlapping 2 x 2 windows (stride 2).

    Input ``(N, C, H, W)`` with even H and W, output ``(N, C, H/2, W/2)``. ``mask (N, C, H, W)``
    is True at the one pixel of every window that won (the first one in reading order when
    several tie): how backprop routes the gradient, and what the app draws. It is a fresh
    array for every forward, built when first read (training never reads it: backward uses
    the two comparisons it is made of).
    """

    kind = "maxpool"

    def __init__(self) -> None:
        super().__init__()
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_even(x)
        n, c, h, w = x.shape
        xh = self._contiguous("input", _channels_last(x))
        # In NHWC memory the two pixels of a window row are neighbouring runs of C numbers:
        # first the max of each pair in a row (left wins ties), then of the window's two rows
        # (top wins ties): that is exactly "first in reading order".
        pairs = xh.reshape(n, h, w // 2, 2 * c)
        left, right = pairs[..., :c], pairs[..., c:]
        row_max = self._buffer("row_max", (n, h, w // 2, c), x.dtype)
        self._left_won = self._buffer("left_won", (n, h, w // 2, c), bool)
        np.maximum(left, right, out=row_max)
        np.greater_equal(left, right, out=self._left_won)
        rows = row_max.reshape(n, h // 2, 2, (w // 2) * c)
        out = self._buffer("out", (n, h // 2, w // 2, c), x.dtype)
        self._top_won = self._buffer("top_won", (n, h // 2, w // 2, c), bool)
        np.maximum(rows[:, :, 0], rows[:, :, 1], out=out.reshape(n, h // 2, -1))
        np.greater_equal(rows[:, :, 0], rows[:, :, 1], out=self._top_won.reshape(n, h // 2, -1))
        self._mask = None
        return out.transpose(0, 3, 1, 2)

    @property
    def mask(self) -> np.ndarray:
        """``(N, C, H, W)`` bool: the winner of every window in the last forward."""
        if self._mask is None:
            n, h, w2, c = self._left_won.shape
            mask = np.empty((n, h, 2 * w2, c), bool)
            m = mask.reshape(n, h // 2, 2, w2, 2, c)      # (.., row in window, .., column, ..)
            top, left = self._top_won, self._left_won.reshape(n, h // 2, 2, w2, c)
            np.logical_and(top, left[:, :, 0], out=m[:, :, 0, :, 0])     # top-left
            np.greater(top, left[:, :, 0], out=m[:, :, 0, :, 1])         # top, not left
            np.less(top, left[:, :, 1], out=m[:, :, 1, :, 0])            # left, not top
            np.logical_or(top, left[:, :, 1], out=m[:, :, 1, :, 1])      # neither
            np.logical_not(m[:, :, 1, :, 1], out=m[:, :, 1, :, 1])
            # Handed out C-contiguous in (N, C, H, W) order: views pass it on to Qt.
            self._mask = np.ascontiguousarray(mask.transpose(0, 3, 1, 2))
        return self._mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        n, c, h2, w2 = dout.shape
        dh = _channels_last(dout)                                     # (N, H/2, W/2, C)
        # The gradient retraces the two comparisons: to the winning row of each window
        # (the other row gets dout - dout = 0), then to the winning pixel of that row.
        rows = self._buffer("d_rows", (n, h2, 2, w2, c), dout.dtype)  # = (N, H, W/2, C)
        np.multiply(dh, self._top_won, out=rows[:, :, 0])
        np.subtract(dh, rows[:, :, 0], out=rows[:, :, 1])
        rows = rows.reshape(n, 2 * h2, w2, c)
        dx = self._buffer("dx", (n, 2 * h2, w2, 2, c), dout.dtype)    # = (N, H, W, C)
        np.multiply(rows, self._left_won, out=dx[:, :, :, 0])
        np.subtract(rows, dx[:, :, :, 0], out=dx[:, :, :, 1])
        return dx.reshape(n, 2 * h2, 2 * w2, c).transpose(0, 3, 1, 2)


class Flatten(Layer):
    """``(N, C, H, W) -> (N, C * H * W)`` in (C, H, W) order, as PyTorch flattens."""

    kind = "flatten"

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._input_shape = x.shape
        if x.flags.c_contiguous:
            return x.reshape(x.shape[0], -1)
        # An NHWC-backed view: one small copy into (C, H, W) order.
        out = self._buffer("out", (x.shape[0], math.prod(x.shape[1:])), x.dtype)
        np.copyto(out.reshape(x.shape), x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(self._input_shape)


class Dense(Layer):
    """A fully connected layer: ``out = x @ weight.T + bias``.

    Parameters: ``weight (OUT, IN)`` (PyTorch's layout), ``bias (OUT,)``. Input ``(N, IN)``,
    output ``(N, OUT)``.
    """

    kind = "dense"
    _RELEASE = ("_x",)

    def __init__(self, in_features: int, out_features: int, rng: np.random.Generator,
                 dtype=np.float32) -> None:
        super().__init__()
        weight = rng.standard_normal((out_features, in_features)) * np.sqrt(2.0 / in_features)
        self.params["weight"] = weight.astype(dtype)
        self.params["bias"] = np.zeros(out_features, dtype=dtype)

    def output_shape(self, input_shape):
        return (self.params["weight"].shape[0],)

    def forward(self, x: np.ndarray) -> np.ndarray:
        weight, bias = self.params["weight"], self.params["bias"]
        self._x = x
        # Computed transposed, out.T = weight @ x.T, into an (OUT, N) buffer: BLAS then
        # streams the big weight matrix in its own memory order (about 2x faster than
        # x @ weight.T at batch 5 here). The (N, OUT) result is that buffer's .T view.
        out_t = self._buffer("out_t", (weight.shape[0], x.shape[0]), np.result_type(x, weight))
        np.matmul(weight, x.T, out=out_t)
        out_t += bias[:, None]
        return out_t.T

    def backward(self, dout: np.ndarray) -> np.ndarray:
        weight = self.params["weight"]
        _product(dout.T, self._x, out=self._grad("weight", dout.dtype))
        np.sum(dout, axis=0, out=self._grad("bias", dout.dtype))
        dx = self._buffer("dx", (dout.shape[0], weight.shape[1]), dout.dtype)
        return np.matmul(dout, weight, out=dx)


class Tanh(Layer):
    """``out = tanh(x)``; ``d out / d x = 1 - out ** 2``."""

    kind = "tanh"

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._out = np.tanh(x)
        return self._out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (1 - self._out * self._out)


class AvgPool2D(_Pool2x2):
    """Average pooling over non-overlapping 2 x 2 windows (stride 2).

    Input ``(N, C, H, W)`` with even H and W, output ``(N, C, H/2, W/2)``:
    ``out[n, c, i, j] = mean(x[n, c, 2i:2i+2, 2j:2j+2])``. Backward hands every pixel of a
    window a quarter of its output's gradient.
    """

    kind = "avgpool"

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_even(x)
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
