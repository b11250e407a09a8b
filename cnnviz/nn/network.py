"""The network: an ordered list of named layers with PyTorch-style parameter names.

A network is built from its architecture text (see ``cnnviz.nn.arch``)::

    build_network("conv20x5 relu maxpool conv50x5 relu maxpool fc500 relu fc10")  # or "lenet"

    input (N,1,28,28) -> conv1 (N,20,24,24) -> relu1 -> pool1 (N,20,12,12)
      -> conv2 (N,50,8,8) -> relu2 -> pool2 (N,50,4,4) -> flatten (N,800)
      -> fc1 (N,500) -> relu3 -> fc2 (N,10) -> softmax

Parameters are named like PyTorch's ``state_dict`` for the same net, numbered by kind:
``conv1.weight (20,1,5,5)``, ``conv1.bias (20,)``, ``conv2.weight (50,20,5,5)``, ...,
``fc1.weight (500,800)``, ``fc1.bias (500,)``, ``fc2.weight (10,500)``, ``fc2.bias (10,)``.
``net.describe()`` lists every layer (name, kind, shapes, what it reads): the one place the
rest of cnnviz learns the network's structure from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arch import Architecture, LayerInfo, parse_arch, resolve_arch
from .layers import (AvgPool2D, Conv2D, Dense, Dropout, Flatten, Layer, MaxPool2D, ReLU, Sigmoid,
                     Tanh)
from .loss import softmax, softmax_cross_entropy
from .presets import PRESETS, NetworkConfig, get_preset

_ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}


@dataclass(frozen=True)
class LayerOutput:
    """One step of a trace: a layer's name, kind, and its output for the traced batch.

    ``mask`` is set for max-pool layers only: ``(N, C, H, W)`` booleans at the *pre-pool*
    resolution, True at the pixel that won each 2 x 2 window.
    """

    name: str
    kind: str
    output: np.ndarray
    mask: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.output.shape


class Trace:
    """Every layer's output for one batch, in order, from ``input`` to ``softmax``.

    Index by position or by name: ``trace["pool1"].mask``; iterate for the whole path.
    """

    def __init__(self, outputs: list[LayerOutput]) -> None:
        self.outputs = outputs
        self._by_name = {o.name: o for o in outputs}

    def __iter__(self):
        return iter(self.outputs)

    def __len__(self) -> int:
        return len(self.outputs)

    def __getitem__(self, key: int | str) -> LayerOutput:
        return self.outputs[key] if isinstance(key, int) else self._by_name[key]

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    @property
    def names(self) -> list[str]:
        return [o.name for o in self.outputs]

    @property
    def probabilities(self) -> np.ndarray:
        """``(N, classes)`` softmax output."""
        return self.outputs[-1].output


class Network:
    """An ordered list of ``(name, layer)`` pairs plus the ``Architecture`` that built it.

    ``config`` is the same ``Architecture`` (its older name); ``arch`` is its text.
    """

    def __init__(self, layers: list[tuple[str, Layer]], architecture: Architecture,
                 rng: np.random.Generator | None = None) -> None:
        self.layers = layers
        if not isinstance(architecture, Architecture):      # hand-built layers: describe them
            architecture = parse_arch(_arch_text_of(layers))
        self.architecture = self.config = architecture
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.dtype = next(l.params["weight"].dtype for _, l in layers if l.params)
        _pack_params(layers)

    @property
    def arch(self) -> str:
        """The architecture text, e.g. ``"conv8x3p1 relu maxpool fc10"``."""
        return self.architecture.text

    @property
    def classes(self) -> int:
        return self.architecture.classes

    def describe(self) -> tuple[LayerInfo, ...]:
        """One record per step of a trace: ``input``, every layer, ``softmax``.

        ``describe()[i]`` matches ``trace(x)[i]``; see ``cnnviz.nn.arch.LayerInfo``.
        """
        arch = self.architecture
        last = arch.layers[-1]
        return ((LayerInfo("input", "input", arch.input_shape),) + arch.layers
                + (LayerInfo("softmax", "softmax", last.output_shape, (), last.name,
                             last.output_shape),))

    # -- training mode ----------------------------------------------------------------------
    @property
    def training(self) -> bool:
        """True while dropout layers drop (a training step); False for inference."""
        return any(getattr(layer, "training", False) for _, layer in self.layers)

    @training.setter
    def training(self, on: bool) -> None:
        for _, layer in self.layers:
            if isinstance(layer, Dropout):
                layer.training = bool(on)

    # -- parameters ---------------------------------------------------------------------
    @property
    def params(self) -> dict[str, np.ndarray]:
        """``name -> array`` in PyTorch's naming (``"conv1.weight"``); the live arrays."""
        return {f"{name}.{key}": value
                for name, layer in self.layers for key, value in layer.params.items()}

    def grads(self) -> dict[str, np.ndarray]:
        """Gradients from the last backward pass, keyed like ``params``."""
        return {f"{name}.{key}": value
                for name, layer in self.layers for key, value in layer.grads.items()}

    def copy_params(self) -> dict[str, np.ndarray]:
        """A deep copy of every parameter: safe to hand to another thread."""
        return {name: value.copy() for name, value in self.params.items()}

    def load_params(self, params: dict[str, np.ndarray]) -> None:
        """Copy ``params`` into the network in place, checking names and shapes."""
        own = self.params
        missing = sorted(set(own) - set(params))
        if missing:
            raise ValueError(f"missing parameters: {', '.join(missing)}")
        for name, target in own.items():
            source = np.asarray(params[name])
            if source.shape != target.shape:
                raise ValueError(f"{name} has shape {source.shape}, expected {target.shape}")
            target[...] = source

    @property
    def parameter_count(self) -> int:
        return sum(v.size for v in self.params.values())

    def layer(self, name: str) -> Layer:
        for layer_name, layer in self.layers:
            if layer_name == name:
                return layer
        raise KeyError(name)

    def output_shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        """``[(layer name, shape of one example's output)]``, from the input to the softmax."""
        return [(info.name, info.output_shape) for info in self.describe()]

    # -- forward and backward -------------------------------------------------------------
    def _check_input(self, x: np.ndarray) -> np.ndarray:
        shape = self.architecture.input_shape
        x = np.asarray(x)
        if x.ndim != 4 or x.shape[1:] != shape:
            raise ValueError(f"expected images of shape (N, {', '.join(map(str, shape))}), "
                             f"got {x.shape}")
        return x.astype(self.dtype, copy=False)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        """The logits in the last layer's own buffer (rewritten by its next forward)."""
        out = self._check_input(x)
        for _, layer in self.layers:
            out = layer.forward(out)
        return out

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Logits ``(N, classes)`` for images ``x (N, 1, 28, 28)`` in [0, 1] (a new array)."""
        return self._forward(x).copy()

    def release_buffers(self) -> None:
        """Free every layer's reusable arrays (see ``Layer.release_buffers``)."""
        for _, layer in self.layers:
            layer.release_buffers()

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities ``(N, classes)``."""
        return softmax(self.forward(x))

    def trace(self, x: np.ndarray) -> Trace:
        """Every layer's output for ``x (N, 1, 28, 28)``, from the input to the softmax.

        Pool layers also carry their argmax mask at the pre-pool resolution.
        """
        out = self._check_input(x)
        outputs = [LayerOutput("input", "input", out)]
        for name, layer in self.layers:
            out = layer.forward(out)
            mask = layer.mask if isinstance(layer, MaxPool2D) else None
            # A copy: the layer rewrites its output buffer on its next forward.
            outputs.append(LayerOutput(name, layer.kind, out.copy(), mask))
        outputs.append(LayerOutput("softmax", "softmax", softmax(out)))
        return Trace(outputs)

    def backward(self, dlogits: np.ndarray, need_input_grad: bool = False,
                 output_grads: dict[str, np.ndarray] | None = None) -> np.ndarray | None:
        """Backpropagate ``d loss / d logits (N, classes)`` through the cached forward pass.

        Fills every layer's ``grads``. If ``output_grads`` is a dict, it receives the gradient
        of the loss with respect to each layer's output, keyed by layer name. Returns the
        gradient with respect to the input when ``need_input_grad``. Gradients live in the
        layers' reused buffers: valid until the next backward pass (copy to keep them).
        """
        first = self.layers[0][1]
        if isinstance(first, Conv2D):
            first.needs_input_grad = need_input_grad
        grad = dlogits
        for name, layer in reversed(self.layers):
            if output_grads is not None:     # C-ordered copies: the layers reuse their buffers
                output_grads[name] = np.array(grad, order="C", copy=True)
            grad = layer.backward(grad)
        if isinstance(first, Conv2D):
            first.needs_input_grad = True
        return grad

    def loss_and_grads(self, x: np.ndarray, labels: np.ndarray,
                       output_grads: dict[str, np.ndarray] | None = None,
                       pool_masks: dict[str, np.ndarray] | None = None
                       ) -> tuple[float, dict[str, np.ndarray]]:
        """Mean cross-entropy over the batch and its gradient for every parameter.

        ``x (N, 1, 28, 28)``, ``labels (N,)`` integers. The gradients have the same keys and
        shapes as ``params``, hold no weight decay and are rewritten by the next backward
        pass; ``self.last_logits`` keeps the batch's
        logits ``(N, classes)``. Pass a dict as ``output_grads`` to
        also receive each layer's output gradient (the app's "one step" explainer uses it),
        and as ``pool_masks`` to receive each max-pool layer's winners in this very pass
        (name -> ``(N, C, H, W)`` bool at the pre-pool resolution, as in ``trace``).
        """
        logits = self._forward(x)
        self.last_logits = logits.copy()
        if pool_masks is not None:
            pool_masks.update({name: layer.mask for name, layer in self.layers
                               if isinstance(layer, MaxPool2D)})
        loss, dlogits = softmax_cross_entropy(logits, np.asarray(labels))
        self.backward(dlogits, output_grads=output_grads)
        return loss, self.grads()

    def input_gradient(self, x: np.ndarray, class_index: int | np.ndarray) -> np.ndarray:
        """Saliency: ``d logit[class] / d x`` for every input pixel, shape like ``x``.

        ``class_index`` is one class for the whole batch or one per image ``(N,)``.
        """
        logits = self._forward(x)
        dlogits = np.zeros_like(logits)
        dlogits[np.arange(len(logits)), class_index] = 1
        return self.backward(dlogits, need_input_grad=True).copy()

    # -- persistence ----------------------------------------------------------------------
    def save(self, path, metadata: dict | None = None) -> None:
        """Write an ``.npz`` checkpoint atomically (see ``cnnviz.nn.checkpoint``)."""
        from .checkpoint import save_checkpoint
        save_checkpoint(self, path, metadata)


def build_network(arch: str | Architecture = "lenet", seed: int = 0, dtype=np.float32,
                  config: NetworkConfig | Architecture | str | None = None) -> Network:
    """A freshly initialised network for ``arch``: architecture text or a preset name.

    ``build_network("conv8x3p1 relu maxpool fc10")``, ``build_network("lenet")``. ``config``
    (an ``Architecture``, its text, or a legacy ``NetworkConfig``) overrides ``arch``.
    ``seed`` fixes the initial weights (and the dropout masks); ``dtype`` is float32 by
    default, float64 for gradient checks. Raises ``ArchitectureError`` (a ``ValueError``)
    for text that does not describe a valid network.
    """
    spec = config if config is not None else arch
    scales = ()
    if isinstance(spec, str) and spec.strip().lower() in PRESETS:
        preset = get_preset(spec.strip().lower())
        spec, scales = preset.arch, preset.init_scales
    if isinstance(spec, NetworkConfig):
        spec = spec.arch_text()
    if isinstance(spec, Architecture):
        architecture = spec
    elif isinstance(spec, str):
        architecture = resolve_arch(spec)
    else:
        raise TypeError(f"expected architecture text or a preset name, got {type(spec).__name__}")
    rng = np.random.default_rng(seed)
    infos = architecture.layers
    layers: list[tuple[str, Layer]] = []
    for index, info in enumerate(infos):
        if info.kind == "conv":
            c = info.input_shape[0]
            layer = Conv2D(c, info.output_shape[0], info.kernel_size, rng, dtype,
                           padding=info.padding, stride=info.stride)
        elif info.kind == "dense":
            layer = Dense(info.input_shape[0], info.output_shape[0], rng, dtype)
        elif info.kind in _ACTIVATIONS:
            layer = _ACTIVATIONS[info.kind]()
        elif info.kind == "maxpool":
            layer = MaxPool2D()
        elif info.kind == "avgpool":
            layer = AvgPool2D()
        elif info.kind == "dropout":
            layer = Dropout(info.rate, rng)
        elif info.kind == "flatten":
            layer = Flatten()
        else:      # pragma: no cover - parse_arch makes only the kinds above
            raise ValueError(f"unknown layer kind {info.kind!r}")
        if layer.params and _next_activation(infos, index) in ("sigmoid", "tanh"):
            # Glorot's variance 2 / (fan_in + fan_out) suits a saturating activation better
            # than He's 2 / fan_in.
            weight = layer.params["weight"]
            fan_in = weight[0].size
            fan_out = weight.shape[0] * weight[0, 0].size
            weight *= np.sqrt(fan_in / (fan_in + fan_out))
        layers.append((info.name, layer))
    net = Network(layers, architecture, rng)
    for key, factor in scales:          # a preset's own starting scale (e.g. classroom)
        net.params[key] *= factor
    return net


def _pack_params(layers: list[tuple[str, Layer]]) -> None:
    """Move every parameter into one flat array, and every gradient into another, leaving
    views of them in the layers (same shapes, same names).

    Nothing about a layer changes; the point is the optimizer: ``SGD`` sees that the arrays
    tile one buffer and updates all of them with a few whole-buffer operations instead of a
    few per parameter (at batch 5 the per-parameter loop was about a sixth of a step).
    Parameters of mixed dtypes stay as they are.
    """
    arrays = [(layer, key, value) for _, layer in layers for key, value in layer.params.items()]
    if not arrays or len({value.dtype for _, _, value in arrays}) != 1:
        return
    dtype = arrays[0][2].dtype
    size = sum(value.size for _, _, value in arrays)
    flat_params, flat_grads = np.empty(size, dtype), np.zeros(size, dtype)
    start = 0
    for layer, key, value in arrays:
        stop = start + value.size
        view = flat_params[start:stop].reshape(value.shape)
        view[...] = value
        layer.params[key] = view
        layer.grads[key] = flat_grads[start:stop].reshape(value.shape)
        start = stop


def _arch_text_of(layers: list[tuple[str, Layer]]) -> str:
    """The architecture text of hand-built ``layers`` (the flatten is implied)."""
    tokens = []
    for _, layer in layers:
        if isinstance(layer, Conv2D):
            f, _, k, _ = layer.params["weight"].shape
            tokens.append(f"conv{f}x{k}" + (f"p{layer.padding}" if layer.padding else "")
                          + (f"s{layer.stride}" if layer.stride != 1 else ""))
        elif isinstance(layer, Dense):
            tokens.append(f"fc{layer.params['weight'].shape[0]}")
        elif isinstance(layer, Dropout):
            tokens.append(f"dropout{round(layer.rate * 100)}")
        elif not isinstance(layer, Flatten):
            tokens.append(layer.kind)
    return " ".join(tokens)


def _next_activation(infos: tuple[LayerInfo, ...], index: int) -> str | None:
    """The kind of the first activation after layer ``index`` (None if a weighted layer or
    the end comes first)."""
    for info in infos[index + 1:]:
        if info.kind in _ACTIVATIONS:
            return info.kind
        if info.params:
            return None
    return None
