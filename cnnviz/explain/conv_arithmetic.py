"""One output pixel of a convolution, taken apart into the arithmetic a student can check.

For conv layer ``L`` with kernel ``K``, stride ``S`` and zero padding ``P``::

    out[f, i, j] = bias[f] + sum_{c, u, v} weight[f, c, u, v] * xp[c, S*i + u, S*j + v]

where ``xp`` is the layer's input with ``P`` zeros added on every side. ``explain_pixel``
returns the ``K x K`` window of ``xp`` (zeros where it lies on the border), the kernel, their
element-wise products, each input channel's sum of products, and the sum plus bias; it also
follows the pixel through the activation and the pool right after the conv when there are
some. Everything is read from ``net.describe()``, the parameters and a trace; no layer is
named or found by position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..nn.arch import ACTIVATIONS as ACTIVATION_KINDS, POOLS as POOL_KINDS

ACTIVATION_TITLES = {"relu": "ReLU", "sigmoid": "sigmoid", "tanh": "tanh"}


@dataclass(frozen=True)
class PoolStep:
    """Where a conv pixel goes in the pool after it: ``cell`` of pool layer ``name``.

    ``is_winner`` is the max-pool's verdict (None for an average pool).
    """

    name: str
    kind: str
    cell: tuple[int, int]
    window: int
    stride: int
    value: float
    is_winner: bool | None


@dataclass(frozen=True)
class ConvPixel:
    """One output pixel ``(channel, row, col)`` of conv layer ``layer``, taken apart.

    ``patch``, ``kernel``, ``products``: ``(C, K, K)`` with C the layer's input channels;
    ``border (K, K)`` is True where the window lies on the zero padding (the patch is 0
    there); ``contributions (C,)`` the per-channel sums of products. ``top``/``left`` are
    the window's first row/column in the unpadded input (negative on the border).
    """

    layer: str
    channel: int
    row: int
    col: int
    input_name: str
    kernel_size: int
    stride: int
    padding: int
    top: int
    left: int
    patch: np.ndarray
    border: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    contributions: np.ndarray
    bias: float
    pre_activation: float          # sum of products + bias, computed here
    engine_output: float           # the engine's own output at the pixel
    activation_name: str | None    # the activation right after the conv, if any
    activation_kind: str | None
    activation: float | None       # its output at the pixel
    pool: PoolStep | None          # the pool after the conv (and its activation), if any

    @property
    def products_sum(self) -> float:
        return float(self.contributions.sum())

    @property
    def output(self) -> float:
        """The value the next layer passes on: after the activation if there is one."""
        return self.activation if self.activation is not None else self.pre_activation

    @property
    def pool_name(self) -> str | None:
        return self.pool.name if self.pool else None

    @property
    def pool_cell(self) -> tuple[int, int] | None:
        return self.pool.cell if self.pool else None

    @property
    def pool_value(self) -> float | None:
        return self.pool.value if self.pool else None

    @property
    def is_winner(self) -> bool | None:
        return self.pool.is_winner if self.pool else None

    @property
    def shown_name(self) -> str:
        """The layer whose map shows the pixel: the activation's, else the conv's own."""
        return self.activation_name or self.layer


def conv_layers(net) -> list:
    """Every conv layer's record (``cnnviz.nn.arch.LayerInfo``) of ``net``, in order."""
    return [info for info in net.describe() if info.kind == "conv"]


def conv_layer(net, name: str):
    """The record of conv layer ``name``; a ``ValueError`` naming the choices otherwise."""
    layers = conv_layers(net)
    for info in layers:
        if info.name == name:
            return info
    if not layers:
        raise ValueError("this network has no convolution layer")
    raise ValueError(f"{name!r} is not a convolution layer; the network's are "
                     f"{', '.join(i.name for i in layers)}")


def padded(x: np.ndarray, padding: int) -> np.ndarray:
    """``x (C, H, W)`` with ``padding`` zeros on every side: ``(C, H + 2P, W + 2P)``."""
    if padding == 0:
        return x
    return np.pad(x, ((0, 0), (padding, padding), (padding, padding)))


def followers(net, layer: str) -> tuple:
    """``(activation record or None, pool record or None)`` that process ``layer``'s output
    next, read from the ``input`` links of ``net.describe()`` (dropouts pass through)."""
    by_input: dict[str, list] = {}
    for info in net.describe():
        if info.input is not None:
            by_input.setdefault(info.input, []).append(info)

    def next_of(name: str):
        for info in by_input.get(name, []):
            if info.kind == "dropout":
                return next_of(info.name)
            return info
        return None

    activation = pool = None
    step = next_of(layer)
    if step is not None and step.kind in ACTIVATION_KINDS:
        activation, step = step, next_of(step.name)
    if step is not None and step.kind in POOL_KINDS:
        pool = step
    return activation, pool


def check_pixel(net, layer: str, channel: int, row: int, col: int) -> str | None:
    """Why ``(channel, row, col)`` is not a pixel of conv layer ``layer`` (None if it is)."""
    try:
        info = conv_layer(net, layer)
    except ValueError as exc:
        return str(exc)
    c, h, w = info.output_shape
    if not (0 <= channel < c and 0 <= row < h and 0 <= col < w):
        return (f"{layer} has no pixel (channel {channel}, row {row}, col {col}); "
                f"its output is {c} x {h} x {w}.")
    return None


def explain_pixel(net, trace, layer: str, channel: int, row: int, col: int) -> ConvPixel:
    """Take apart ``trace[layer].output[0, channel, row, col]`` using ``net``'s parameters.

    ``trace`` is ``net.trace(x)`` for one image (the first of the batch is explained).
    Raises ``ValueError`` naming the problem for a layer that is not a conv or a pixel
    outside its output.
    """
    problem = check_pixel(net, layer, channel, row, col)
    if problem:
        raise ValueError(problem)
    info = conv_layer(net, layer)
    k, s, p = info.kernel_size, info.stride or 1, info.padding or 0
    x = trace[info.input].output[0].astype(np.float64)                     # (C, H, W)
    top, left = row * s - p, col * s - p
    window = padded(x, p)[:, top + p:top + p + k, left + p:left + p + k]   # (C, K, K)
    rows = np.arange(top, top + k)[:, None]
    cols = np.arange(left, left + k)[None, :]
    border = (rows < 0) | (rows >= x.shape[1]) | (cols < 0) | (cols >= x.shape[2])
    params = net.params
    (weight_key, _), (bias_key, _) = info.params                           # weight, bias
    kernel = params[weight_key][channel].astype(np.float64)                # (C, K, K)
    bias = float(params[bias_key][channel])
    products = window * kernel
    contributions = products.sum(axis=(1, 2))

    act_info, pool_info = followers(net, layer)
    act_name = act_info.name if act_info else None
    activation = (float(trace[act_name].output[0, channel, row, col]) if act_name else None)
    pool = _pool_step(trace, pool_info, channel, row, col) if pool_info else None
    return ConvPixel(
        layer=layer, channel=int(channel), row=int(row), col=int(col), input_name=info.input,
        kernel_size=k, stride=s, padding=p, top=top, left=left, patch=window, border=border,
        kernel=kernel, products=products, contributions=contributions, bias=bias,
        pre_activation=float(contributions.sum()) + bias,
        engine_output=float(trace[layer].output[0, channel, row, col]),
        activation_name=act_name, activation_kind=act_info.kind if act_info else None,
        activation=activation, pool=pool)


def _pool_step(trace, info, channel: int, row: int, col: int) -> PoolStep | None:
    """The pool cell that reads pixel ``(row, col)``; None if the pixel falls outside every
    window (a map one pixel larger than the pool's windows cover)."""
    size, stride = info.kernel_size or 2, info.stride or info.kernel_size or 2
    cell = (row // stride, col // stride)
    _, h, w = info.output_shape
    if cell[0] >= h or cell[1] >= w or row - cell[0] * stride >= size \
            or col - cell[1] * stride >= size:
        return None
    out = trace[info.name]
    winner = None
    if info.kind == "maxpool" and out.mask is not None:
        winner = bool(out.mask[0, channel, row, col])
    return PoolStep(info.name, info.kind, cell, size, stride,
                    float(out.output[0, channel, cell[0], cell[1]]), winner)


def formula_text(e: ConvPixel) -> str:
    """The one-line story with the actual numbers."""
    total = ("Σ products" if len(e.contributions) == 1
             else f"Σ over {len(e.contributions)} channels")
    bias = f"{e.bias:.3f}" if e.bias >= 0 else f"({e.bias:.3f})"
    text = f"{total} = {e.products_sum:.3f} + bias {bias} = {e.pre_activation:.3f}"
    if e.activation_kind is not None:
        title = ACTIVATION_TITLES.get(e.activation_kind, e.activation_kind)
        text += f" → {title} → {e.activation:.3f}"
    if e.pool is not None:
        pool = e.pool
        if pool.kind == "maxpool":
            outcome = ("winner" if pool.is_winner
                       else f"not the max (the cell keeps {pool.value:.3f})")
        else:
            outcome = f"averaged into {pool.value:.3f}"
        text += f" → {pool.name} cell {pool.cell}: {outcome}"
    return text


def detail_text(e: ConvPixel) -> str:
    """The sentences under the formula: where the pixel's window is, the engine's own value,
    what the pool does with it."""
    window = (f"Its {e.kernel_size}x{e.kernel_size} window starts at row {e.top}, col {e.left} "
              f"of {e.input_name}")
    if e.stride > 1:
        window += f" (stride {e.stride}: output ({e.row}, {e.col}) reads from "\
                  f"({e.stride}·{e.row} − {e.padding}, {e.stride}·{e.col} − {e.padding}))"
    window += "."
    if e.border.any():
        window += (f" {int(e.border.sum())} of its {e.kernel_size * e.kernel_size} cells lie on "
                   f"the zero border (padding {e.padding}): they add 0.")
    text = (f"{e.layer} output at channel {e.channel}, row {e.row}, col {e.col} computed by the "
            f"network: {e.engine_output:.5f} (here: {e.pre_activation:.5f}). {window}")
    if e.pool is not None:
        p = e.pool
        if p.kind == "maxpool":
            text += (f" The white square is the {p.window}x{p.window} window of {p.name} cell "
                     f"{p.cell}; only its largest value ({p.value:.3f}) passes on.")
        else:
            text += (f" The white square is the {p.window}x{p.window} window of {p.name} cell "
                     f"{p.cell}; their mean ({p.value:.3f}) passes on.")
    return text
