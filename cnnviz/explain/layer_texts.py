"""What each layer does, in words and as a formula, for the layer inspector (no Qt).

Every text is built from one ``describe()`` record (``cnnviz.nn.arch.LayerInfo``: kind,
shapes, kernel size, stride, padding, dropout rate), so a 3x3 padded conv, a strided conv,
an average pool or a dropout are described as they are, not as LeNet's layers.
"""

from __future__ import annotations

import numpy as np

TITLES = {"relu": "ReLU", "sigmoid": "sigmoid", "tanh": "tanh"}


def display_name(name: str, kind: str) -> str:
    """The schematic's label: activations by their function, other layers by their name."""
    return TITLES.get(kind, name)


def shape_text(shape) -> str:
    return " × ".join(str(s) for s in shape)


def _conv_read(info, html: bool) -> str:
    """``x[c,i+u,j+v]``, or with stride/padding ``xp[c,2i+u,2j+v]``."""
    s, p = info.stride or 1, info.padding or 0
    at = (lambda v: f"{s}{v}" if s > 1 else v)
    x = "xp" if p else "x"
    if html:
        return f"{x}[c, {at('i')}+u, {at('j')}+v]"
    return f"{x}[c,{at('i')}+u,{at('j')}+v]"


def formula(info, html: bool = False) -> str:
    """The layer's formula as plain text (``html=False``, with ``_`` and ``^``) or rich text."""
    kind = info.kind
    if kind == "conv":
        sums = ("Σ<sub>c</sub> Σ<sub>u</sub> Σ<sub>v</sub> " if html else "Σ_c Σ_u Σ_v ")
        return f"out[f,i,j] = b[f] + {sums}w[f,c,u,v] · {_conv_read(info, html)}"
    if kind in ("maxpool", "avgpool"):
        k, s = info.kernel_size or 2, info.stride or info.kernel_size or 2
        what = "max" if kind == "maxpool" else "mean"
        return (f"out[c,i,j] = {what} over the {k}×{k} window "
                f"x[c, {s}i..{s}i+{k - 1}, {s}j..{s}j+{k - 1}]")
    if kind == "sigmoid":
        return "out = 1 / (1 + e<sup>−x</sup>)" if html else "out = 1 / (1 + e^(−x))"
    if kind == "softmax":
        return ("p<sub>k</sub> = e<sup>z<sub>k</sub></sup> / Σ<sub>j</sub> e<sup>z<sub>j</sub>"
                "</sup>" if html else "p_k = e^(z_k) / Σ_j e^(z_j)")
    return {"input": "x[i,j] = pixel / 255", "relu": "out = max(0, x)",
            "tanh": "out = tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x))",
            "dropout": "out = x (while training: 0 with probability p, else x / (1 − p))",
            "flatten": "out[c·H·W + i·W + j] = x[c,i,j]",
            "dense": "y = W x + b"}.get(kind, "")


def _conv_body(info) -> str:
    k, s, p = info.kernel_size, info.stride or 1, info.padding or 0
    ins, outs = shape_text(info.input_shape), shape_text(info.output_shape)
    c_in, c_out = info.input_shape[0], info.output_shape[0]
    body = (f"A <b>convolution</b>. Each of the {c_out} filters is a small {k}×{k} grid of "
            f"weights per input channel ({c_in} here). The filter slides over the input; at "
            f"every position it multiplies the {k}×{k} patch under it by its weights, adds "
            "everything up (over all input channels too) and adds a bias. A big positive "
            "result means <i>the pattern the filter looks for is here</i>. ")
    if p:
        body += (f"The input gets a border of {p} zero{'s' if p > 1 else ''} on every side "
                 "(padding, xp above), so windows at the edge still fit. ")
    if s > 1:
        body += f"The filter jumps {s} pixels at a time (stride {s}). "
    if p == 0 and s == 1:
        body += f"No padding, so the maps shrink by {k - 1}: {ins} → {outs}. "
    else:
        body += f"The maps go from {ins} to {outs}. "
    return body + "Hover a pixel to see the patch it looked at."


def explanation_html(info) -> str:
    """A student-level explanation of one layer (a ``describe()`` record) with its formula."""
    kind = info.kind
    ins = shape_text(info.input_shape) if info.input_shape else ""
    outs = shape_text(info.output_shape)
    if kind == "input":
        body = (f"The digit the network looks at: {outs} numbers, one per pixel, from 0 "
                "(black) to 1 (white ink). Everything the network decides starts here.")
    elif kind == "conv":
        body = _conv_body(info)
    elif kind == "relu":
        body = ("The <b>ReLU</b> keeps positive values and turns negative ones into 0: "
                "“the pattern is here, this strongly” or “not here”. Without such a bend, "
                "stacking layers would just be one big linear function.")
    elif kind == "sigmoid":
        body = ("The <b>sigmoid</b> squashes every value into (0, 1): large negative → near 0, "
                "large positive → near 1.")
    elif kind == "tanh":
        body = ("The <b>tanh</b> squashes every value into (−1, 1): large negative → near −1, "
                "large positive → near 1, and 0 stays 0.")
    elif kind in ("maxpool", "avgpool"):
        k = info.kernel_size or 2
        if kind == "maxpool":
            body = (f"<b>Max pooling</b> cuts every map into {k}×{k} windows and keeps only the "
                    f"largest value of each: {ins} → {outs}. The map gets {k * k} times "
                    "smaller, keeps where the strong responses are (roughly) and forgets exact "
                    "positions, so a slightly shifted digit looks the same. In training, the "
                    "gradient flows back only to the winning pixel of each window.")
        else:
            body = (f"<b>Average pooling</b> cuts every map into {k}×{k} windows and keeps "
                    f"their mean: {ins} → {outs}. The map gets {k * k} times smaller and "
                    "smoother; in training every pixel of a window gets an equal share of the "
                    "gradient.")
    elif kind == "dropout":
        rate = round(100 * (info.rate or 0))
        body = (f"<b>Dropout</b>: while training, each of the {outs} values is set to 0 with "
                f"probability {rate}% (the rest are scaled up to keep the total), so no unit "
                "can rely on one other. When the network is used, as here, it passes "
                "everything through unchanged.")
    elif kind == "flatten":
        body = (f"<b>Flatten</b> lays the {ins} maps out as one long list of {outs} numbers "
                "(channel by channel, row by row) so a dense layer can read them all.")
    elif kind == "dense":
        body = (f"A <b>dense</b> (fully connected) layer: each of the {outs} outputs is a "
                f"weighted sum of all {ins} inputs plus a bias. W is a matrix of "
                f"{outs} × {ins} weights; each row is one output's recipe.")
    elif kind == "softmax":
        n = info.output_shape[0]
        body = (f"The <b>softmax</b> turns the {n} scores z (logits) into probabilities: "
                "each is made positive by e<sup>z</sup> and divided by the total, so they add "
                "up to 1. The biggest one is the network's answer.")
    else:
        body = ""
    rich = formula(info, html=True)
    return (f"<h3>{info.name} <span style='font-weight:normal'>— output {outs}</span></h3>"
            f"<p>{body}</p>"
            + (f"<p style='font-size:large; font-family:serif'><b>{rich}</b></p>" if rich else ""))


def parameters_html(params: dict[str, np.ndarray]) -> str:
    """A layer's parameters ``{short name: array}``, one line each: name, shape and count,
    then min / max / mean (wrapping where the column is narrow: a table would set the dock's
    width). The total is ``parameters_total``."""
    if not params:
        return "<p><i>No learned parameters: this step is fixed arithmetic.</i></p>"
    return "<br>".join(
        f"<b>{key}</b> {'×'.join(map(str, v.shape))} = {v.size:,}: "
        f"min {float(v.min()):+.3f}, max {float(v.max()):+.3f}, mean {float(v.mean()):+.3f}"
        for key, v in params.items())


def parameters_total(params: dict[str, np.ndarray]) -> str:
    """"520 learned numbers" (or "none") for the parameters' heading."""
    total = sum(v.size for v in params.values())
    return f"{total:,} learned numbers" if total else "none"


def layer_params(net, info) -> dict[str, np.ndarray]:
    """``{"weight": array, "bias": array}`` of a record's parameters (empty for none)."""
    values = net.params
    return {key.rsplit(".", 1)[-1]: values[key] for key, _ in info.params}


def window_text(info, source: str, channels: int, window, input_hw) -> str:
    """Where an output pixel of ``info`` reads on its input ``source`` (``window``: a
    ``receptive_field.Window``; ``input_hw``: the input's height and width)."""
    if window.size == 1:
        return f" — from the same pixel of {source}"
    top, left, bottom, right = window.clipped(*input_hw)
    where = (f"all {channels} channels of " if info.kind == "conv" and channels > 1 else "")
    text = f" — reads rows {top}–{bottom}, cols {left}–{right} of {where}{source}"
    border = window.border_cells(*input_hw)
    if border:
        text += f" (+ {border} zero-border pixels)"
    return text
