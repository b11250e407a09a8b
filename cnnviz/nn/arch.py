"""The architecture text: one line that says what the network is, and its shape inference.

Tokens, separated by spaces (or commas), in the order the data flows::

    conv<F>x<K>[p<P>][s<S>]   F filters of K x K, zero padding P (default 0), stride S (default 1)
    relu  sigmoid  tanh       activations
    maxpool  avgpool          2 x 2 windows, stride 2 (the input's height and width must be even)
    dropout<P>                inverted dropout of P percent (1-99), active only while training
    fc<N>                     fully connected layer of N units

A flatten is implied before the first ``fc``; the last token must be an ``fc``: its units
are the class scores (a softmax is implied after it). Example, the ``lenet`` preset::

    conv20x5 relu maxpool conv50x5 relu maxpool fc500 relu fc10

``parse_arch(text)`` checks the text against the input shape ``(1, 28, 28)`` and returns an
``Architecture``: the canonical text and one ``LayerInfo`` per layer (name, kind, output
shape, parameter shapes). Anything wrong raises ``ArchitectureError`` naming the token.

Layer names: ``conv`` and ``fc`` layers are numbered by kind (``conv1``, ``conv2``, ``fc1``),
exactly like the parameters of PyTorch's ``state_dict`` for the same network; activations are
numbered together in order and named by their kind (``relu1 relu2 sigmoid3``); pools likewise
(``pool1`` for a max-pool, ``avgpool2``), dropouts ``dropout1``...; the implied flatten is
``flatten``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

#: One example's input: (channels, height, width).
INPUT_SHAPE = (1, 28, 28)
#: A network larger than this is refused before anything is allocated.
MAX_PARAMETERS = 20_000_000

#: The layer kinds by family: code outside the engine reads these (never its own lists), so
#: a new kind added here reaches every view that walks ``describe()``.
ACTIVATIONS = ("relu", "sigmoid", "tanh")
POOLS = ("maxpool", "avgpool")

#: A new layer of each kind as an editor adds it.
DEFAULT_TOKENS = {"conv": "conv8x3p1", "relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh",
                  "maxpool": "maxpool", "avgpool": "avgpool", "dropout": "dropout25",
                  "fc": "fc64"}

#: Named architectures (the training presets in ``presets.py`` use these).
ARCH_PRESETS: dict[str, str] = {
    "lenet": "conv20x5 relu maxpool conv50x5 relu maxpool fc500 relu fc10",
    "seed": "conv20x5 relu maxpool conv50x5 relu maxpool fc500 sigmoid fc10",
    "tiny": "conv6x5 relu maxpool fc10",
    "padded": "conv8x3p1 relu maxpool conv16x3p1 relu maxpool fc64 relu fc10",
    "deep": "conv8x3p1 relu conv8x3p1 relu maxpool conv16x3p1 relu maxpool dropout25 fc64 relu "
            "fc10",
}

_TOKEN_FORMS = ("conv<F>x<K>[p<P>][s<S>]", "relu", "sigmoid", "tanh", "maxpool", "avgpool",
                "dropout<P>", "fc<N>")
_CONV = re.compile(r"conv(\d+)x(\d+)(?:p(\d+))?(?:s(\d+))?")
_FC = re.compile(r"fc(\d+)")
_DROPOUT = re.compile(r"dropout(\d+)")


class ArchitectureError(ValueError):
    """Architecture text that cannot be built. ``token`` and ``position`` (1-based index of
    the token in the text) name the culprit when there is one; ``start``/``end`` are its
    character offsets in the text, for an editor to underline; ``layers`` holds the layers
    that parsed before the problem (``LayerInfo``), so an editor can still show them."""

    def __init__(self, message: str, token: str | None = None, position: int | None = None,
                 start: int | None = None, end: int | None = None, layers=()) -> None:
        if token is not None:
            message = f"token {position} '{token}': {message}"
        super().__init__(message)
        self.token, self.position, self.start, self.end = token, position, start, end
        self.layers: tuple[LayerInfo, ...] = tuple(layers)


@dataclass(frozen=True)
class LayerInfo:
    """One layer of a network as the views and the CLI see it.

    ``kind`` is the layer's kind as in a trace (``input conv relu sigmoid tanh maxpool avgpool
    dropout flatten dense softmax``); ``output_shape`` is one example's, ``(C, H, W)`` or
    ``(N,)`` without the batch axis; ``params`` lists ``(state_dict name, shape)`` pairs;
    ``input`` is the name of the layer it reads (None for the input) and ``input_shape`` the
    shape it reads. ``token`` and
    ``position`` (1-based) point back into the architecture text; conv and pool layers carry
    ``kernel_size``, ``stride`` and ``padding``; dropout its ``rate`` in [0, 1).
    """

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: tuple[tuple[str, tuple[int, ...]], ...] = ()
    input: str | None = None
    input_shape: tuple[int, ...] | None = None
    token: str = ""
    position: int | None = None
    kernel_size: int | None = None
    stride: int | None = None
    padding: int | None = None
    rate: float | None = None

    @property
    def parameter_count(self) -> int:
        total = 0
        for _, shape in self.params:
            n = 1
            for d in shape:
                n *= d
            total += n
        return total


@dataclass(frozen=True)
class Architecture:
    """A parsed, shape-checked architecture: canonical ``text`` and its ``layers``."""

    text: str
    layers: tuple[LayerInfo, ...]
    input_shape: tuple[int, int, int] = INPUT_SHAPE

    @property
    def classes(self) -> int:
        """How many class scores the last ``fc`` gives."""
        return self.layers[-1].output_shape[0]

    @property
    def image_size(self) -> int:
        return self.input_shape[1]

    @property
    def parameter_count(self) -> int:
        return sum(layer.parameter_count for layer in self.layers)

    def to_json(self) -> str:
        """The config a checkpoint stores: ``{"arch": text}`` as JSON."""
        return json.dumps({"arch": self.text})

    def __str__(self) -> str:
        return self.text


def _tokenize(text: str) -> list[tuple[str, int, int]]:
    """``[(token, start, end)]``: lower-cased words split at spaces and commas."""
    return [(m.group().lower(), m.start(), m.end()) for m in re.finditer(r"[^\s,]+", text)]


def split_tokens(text: str) -> list[str]:
    """The tokens of ``text`` as typed (lower-cased), e.g. for an editor's add/remove/move."""
    return [tok for tok, _, _ in _tokenize(text)]


def _int(value: str | None, default: int) -> int:
    return default if value is None else int(value)


def parse_arch(text: str, input_shape: tuple[int, int, int] = INPUT_SHAPE,
               max_parameters: int = MAX_PARAMETERS) -> Architecture:
    """Parse and shape-check ``text``; raises ``ArchitectureError`` naming the bad token."""
    if not isinstance(text, str):
        raise ArchitectureError(f"expected architecture text, got {type(text).__name__}")
    tokens = _tokenize(text)
    if not tokens:
        raise ArchitectureError("empty architecture: write layers such as "
                                "'conv8x3 relu maxpool fc10'")
    fc_positions = [i for i, (tok, _, _) in enumerate(tokens) if _FC.fullmatch(tok)]

    layers: list[LayerInfo] = []
    canonical: list[str] = []
    counts = {"conv": 0, "fc": 0, "act": 0, "pool": 0, "dropout": 0}
    shape: tuple[int, ...] = tuple(input_shape)
    previous = "input"
    for index, (tok, start, end) in enumerate(tokens):
        position = index + 1

        def fail(message: str) -> ArchitectureError:
            return ArchitectureError(message, tok, position, start, end, layers)

        flat = len(shape) == 1
        if m := _CONV.fullmatch(tok):
            f, k = int(m.group(1)), int(m.group(2))
            p, s = _int(m.group(3), 0), _int(m.group(4), 1)
            if flat:
                raise fail("a convolution cannot follow an fc layer (convolutions come first)")
            if f < 1 or k < 1 or s < 1:
                raise fail("filters, kernel size and stride must be at least 1")
            if p >= k:
                raise fail(f"padding {p} must be smaller than the kernel size {k}")
            c, h, w = shape
            if k > h + 2 * p or k > w + 2 * p:
                raise fail(f"a {k}x{k} kernel does not fit its {h}x{w} input"
                           + (f" padded to {h + 2 * p}x{w + 2 * p}" if p else ""))
            oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            counts["conv"] += 1
            name = f"conv{counts['conv']}"
            out = (f, oh, ow)
            info = LayerInfo(name, "conv", out,
                             ((f"{name}.weight", (f, c, k, k)), (f"{name}.bias", (f,))),
                             previous, shape, tok, position, kernel_size=k, stride=s, padding=p)
            canonical.append(f"conv{f}x{k}" + (f"p{p}" if p else "") + (f"s{s}" if s != 1 else ""))
        elif tok in ACTIVATIONS:
            counts["act"] += 1
            name, out = f"{tok}{counts['act']}", shape
            info = LayerInfo(name, tok, out, (), previous, shape, tok, position)
            canonical.append(tok)
        elif tok in POOLS:
            if flat:
                raise fail("pooling cannot follow an fc layer")
            c, h, w = shape
            if h % 2 or w % 2:
                raise fail(f"2x2 pooling needs an even height and width, but its input is "
                           f"{c}@{h}x{w}" + (" (a map shrunk to nothing)" if h < 2 or w < 2 else
                                             "; change a kernel size or padding before it"))
            counts["pool"] += 1
            name = ("pool" if tok == "maxpool" else "avgpool") + str(counts["pool"])
            out = (c, h // 2, w // 2)
            info = LayerInfo(name, tok, out, (), previous, shape, tok, position,
                             kernel_size=2, stride=2, padding=0)
            canonical.append(tok)
        elif m := _DROPOUT.fullmatch(tok):
            percent = int(m.group(1))
            if not 1 <= percent <= 99:
                raise fail(f"dropout is a percentage from 1 to 99, got {percent}")
            counts["dropout"] += 1
            name, out = f"dropout{counts['dropout']}", shape
            info = LayerInfo(name, "dropout", out, (), previous, shape, tok, position,
                             rate=percent / 100)
            canonical.append(f"dropout{percent}")
        elif m := _FC.fullmatch(tok):
            units = int(m.group(1))
            if units < 1:
                raise fail("an fc layer needs at least 1 unit")
            if not flat:
                size = shape[0] * shape[1] * shape[2]
                layers.append(LayerInfo("flatten", "flatten", (size,), (), previous, shape,
                                        tok, position))
                previous, shape = "flatten", (size,)
            counts["fc"] += 1
            name = f"fc{counts['fc']}"
            out = (units,)
            info = LayerInfo(name, "dense", out,
                             ((f"{name}.weight", (units, shape[0])), (f"{name}.bias", (units,))),
                             previous, shape, tok, position)
            canonical.append(f"fc{units}")
        else:
            raise fail(_unknown_token_message(tok))
        layers.append(info)
        previous, shape = info.name, info.output_shape

    last_tok, last_start, last_end = tokens[-1]
    # Checked after every token: a malformed token is the first thing to fix (while typing
    # "conv8x3 relu conv", the complaint is about "conv", not about the missing fc).
    if not fc_positions:
        raise ArchitectureError("the last layer must be an fc<N> giving the class scores, "
                                "e.g. fc10 (no fc layer found)", last_tok, len(tokens),
                                last_start, last_end, layers)
    if fc_positions[-1] != len(tokens) - 1:
        raise ArchitectureError("nothing may follow the last fc: it gives the class scores "
                                "(the softmax is implied)", last_tok, len(tokens), last_start,
                                last_end, layers)
    classes = layers[-1].output_shape[0]
    if classes < 2:
        raise ArchitectureError(f"the last fc gives the class scores and needs at least 2 "
                                f"units, got {classes}", last_tok, len(tokens), last_start,
                                last_end, layers)
    arch = Architecture(" ".join(canonical), tuple(layers), tuple(input_shape))
    total = arch.parameter_count
    if total > max_parameters:
        biggest = max((l for l in layers if l.params), key=lambda l: l.parameter_count)
        raise ArchitectureError(
            f"the network would have {total:,} parameters, more than cnnviz allows "
            f"({max_parameters:,}); this layer alone has {biggest.parameter_count:,}",
            biggest.token, biggest.position, *_span(tokens, biggest.position), layers)
    return arch


def _span(tokens, position: int | None) -> tuple[int | None, int | None]:
    if position is None:
        return None, None
    _, start, end = tokens[position - 1]
    return start, end


def _unknown_token_message(tok: str) -> str:
    hint = ""
    if tok.startswith("conv"):
        hint = " (a convolution is conv<F>x<K>, e.g. conv8x3, conv8x3p1 or conv8x3p1s2)"
    elif tok.startswith(("fc", "dense", "linear")):
        hint = " (a fully connected layer is fc<N>, e.g. fc64)"
    elif tok.startswith("dropout"):
        hint = " (dropout is dropout<P> with P in percent, e.g. dropout25)"
    elif tok.startswith(("pool", "max", "avg")):
        hint = " (pooling is maxpool or avgpool)"
    if tok in ("softmax", "flatten"):
        return f"'{tok}' is implied; leave it out"
    return f"unknown layer{hint}; known: {' '.join(_TOKEN_FORMS)}"


def resolve_arch(spec: str) -> Architecture:
    """``spec`` is a preset name (``lenet``) or architecture text; returns it parsed."""
    key = spec.strip().lower() if isinstance(spec, str) else spec
    if key in ARCH_PRESETS:
        return parse_arch(ARCH_PRESETS[key])
    if isinstance(key, str) and key.isalpha() and key not in ACTIVATIONS + ("maxpool", "avgpool"):
        raise ArchitectureError(f"unknown preset {spec!r}; choose one of: "
                                f"{', '.join(ARCH_PRESETS)}, or write an architecture such as "
                                "'conv8x3 relu maxpool fc10'")
    return parse_arch(spec)


def format_arch(layers) -> str:
    """The canonical text of ``layers`` (``LayerInfo`` records; the implied flatten is
    skipped)."""
    return " ".join(layer.token and _canonical_token(layer) for layer in layers
                    if layer.kind not in ("flatten", "input", "softmax"))


def _canonical_token(layer: LayerInfo) -> str:
    if layer.kind == "conv":
        f = layer.output_shape[0]
        return (f"conv{f}x{layer.kernel_size}" + (f"p{layer.padding}" if layer.padding else "")
                + (f"s{layer.stride}" if layer.stride != 1 else ""))
    if layer.kind == "dense":
        return f"fc{layer.output_shape[0]}"
    if layer.kind == "dropout":
        return f"dropout{round(layer.rate * 100)}"
    return layer.kind
