"""Checkpoints: a network's parameters in an ``.npz`` file, read without pickle.

Layout of the file (all plain arrays, so ``allow_pickle=False`` reads it):

* one array per parameter, named like PyTorch's ``state_dict`` (``conv1.weight`` ...);
* ``__format_version__``: a 0-d integer array (currently 2);
* ``__config__``: a 0-d string array of JSON, ``{"arch": "conv20x5 relu maxpool ..."}``
  (version 1 stored the LeNet-only ``NetworkConfig`` fields instead; those still load);
* ``__metadata__`` (optional): a 0-d string array of JSON (epochs trained, accuracy, ...).

A plain ``np.savez(path, **state_dict)`` of PyTorch weights has no config: pass ``arch``
(text or a preset name). Without it the architecture is guessed from the shapes (ReLU
activations, a 2x2 max-pool after each conv) and an ``AssumedArchitectureWarning`` says so:
the shapes cannot tell a sigmoid from a ReLU.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np

from .arch import ArchitectureError, parse_arch, resolve_arch
from .network import Network, build_network
from .presets import NetworkConfig
from .safe_npz import UnsafeNpzError, read_npz
from .stale_temp import TEMP_SUFFIX, remove_stale_temp_files, temp_prefix

FORMAT_VERSION = 2
_VERSION_KEY, _CONFIG_KEY, _METADATA_KEY = "__format_version__", "__config__", "__metadata__"


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used; the message names the file and the problem."""


class AssumedArchitectureWarning(UserWarning):
    """A checkpoint without an architecture was loaded with one guessed from its shapes."""


def save_checkpoint(net: Network, path, metadata: dict | None = None) -> None:
    """Write ``net`` to ``path`` (``.npz``) atomically: a temp file, then a rename."""
    path = Path(path)
    arrays = dict(net.params)
    arrays[_VERSION_KEY] = np.array(FORMAT_VERSION)
    arrays[_CONFIG_KEY] = np.array(net.architecture.to_json())
    if metadata:
        arrays[_METADATA_KEY] = np.array(json.dumps(metadata, sort_keys=True))
    directory = path.parent if str(path.parent) else Path(".")
    remove_stale_temp_files(path)             # left by a save that was killed
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=TEMP_SUFFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.chmod(tmp, 0o666 & ~_current_umask())   # mkstemp makes 0600; a model is no secret
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_checkpoint_metadata(path) -> dict:
    """The JSON metadata stored with a checkpoint (empty if none)."""
    arrays, _ = _read_arrays(Path(path))
    raw = arrays.get(_METADATA_KEY)
    return json.loads(str(raw)) if raw is not None else {}


# members every training recording has (cnnviz.training.recording), and no checkpoint has
_RECORDING_KEYS = frozenset({"header", "format_version"})


def load_checkpoint(path, dtype=np.float32, arch: str | None = None) -> Network:
    """Load a network from an ``.npz`` checkpoint; raises ``CheckpointError`` on any problem.

    ``arch`` (architecture text or a preset name) is needed only for a file without a
    config (a plain ``state_dict``); for a cnnviz checkpoint it must match the stored one.
    """
    path = Path(path)
    arrays, _ = _read_arrays(path)
    if _RECORDING_KEYS <= arrays.keys() and _CONFIG_KEY not in arrays:
        raise CheckpointError(f"{path.name}: is a training recording (.cnnrun), not a model; "
                              "open it with `cnnviz replay RUN` or File > Open recording")
    version = arrays.pop(_VERSION_KEY, None)
    if version is not None and int(version) > FORMAT_VERSION:
        raise CheckpointError(f"{path.name}: format version {int(version)} is newer than this "
                              f"cnnviz understands ({FORMAT_VERSION}); upgrade cnnviz")
    raw_config = arrays.pop(_CONFIG_KEY, None)
    arrays.pop(_METADATA_KEY, None)
    try:
        given = resolve_arch(arch) if arch is not None else None
    except ArchitectureError as exc:
        raise CheckpointError(f"{path.name}: bad architecture given: {exc}") from None
    try:
        if raw_config is not None:
            stored = _stored_arch(json.loads(str(raw_config)))
            if given is not None and given.text != stored.text:
                raise CheckpointError(f"{path.name}: stores the architecture '{stored.text}', "
                                      f"not '{given.text}'")
        else:
            stored = given if given is not None else _infer_arch(arrays, path.name)
        net = build_network(config=stored, dtype=dtype)
    except CheckpointError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise CheckpointError(f"{path.name}: bad network config: {exc}") from None
    expected = net.params
    missing = sorted(set(expected) - set(arrays))
    if missing:
        raise CheckpointError(f"{path.name}: missing parameter(s): {', '.join(missing)}")
    unexpected = sorted(set(arrays) - set(expected))
    if unexpected:
        raise CheckpointError(f"{path.name}: unexpected array(s): {', '.join(unexpected)}")
    for name, target in expected.items():
        source = arrays[name]
        if source.shape != target.shape:
            raise CheckpointError(f"{path.name}: {name} has shape {source.shape}, "
                                  f"expected {target.shape}")
        if not np.issubdtype(source.dtype, np.number):
            raise CheckpointError(f"{path.name}: {name} is not numeric (dtype {source.dtype})")
        if not np.all(np.isfinite(source)):
            raise CheckpointError(f"{path.name}: {name} contains NaN or infinite values")
        target[...] = source
    return net


def _read_arrays(path: Path) -> tuple[dict[str, np.ndarray], None]:
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    try:
        # Look at the magic bytes first: np.load returns a bare ndarray for an .npy (not a
        # context manager) and reports any non-zip, non-npy file as "pickled" data.
        with open(path, "rb") as f:
            magic = f.read(6)
        if magic.startswith(b"\x93NUMPY"):
            raise CheckpointError(f"{path.name}: not an .npz archive (a single .npy array)")
        if not magic.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            raise CheckpointError(f"{path.name}: not an .npz archive (not a zip file)")
        return read_npz(path), None
    except CheckpointError:
        raise
    except UnsafeNpzError as exc:
        raise CheckpointError(f"{path.name}: {exc}") from None
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise CheckpointError(f"{path.name}: contains pickled data, which cnnviz refuses "
                                  "to load (it could run code)") from None
        raise CheckpointError(f"{path.name}: not a valid .npz checkpoint ({exc})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise CheckpointError(f"{path.name}: not a valid .npz checkpoint ({exc})") from None


def _stored_arch(config):
    """The ``Architecture`` of a checkpoint's JSON config (version 2, or version 1's fields)."""
    if not isinstance(config, dict):
        raise ValueError("the config is not a JSON object")
    if "arch" in config:
        if not isinstance(config["arch"], str):
            raise ValueError("'arch' is not text")
        return parse_arch(config["arch"])
    return parse_arch(NetworkConfig.from_dict(config).arch_text())


def _infer_arch(arrays: dict[str, np.ndarray], filename: str):
    """Guess the architecture of a bare ``state_dict`` from its parameter shapes (ReLU
    everywhere; each conv followed by a 2x2 max-pool, or by none, or padded "same"), and
    warn that it was guessed."""
    convs, fcs = _numbered(arrays, "conv"), _numbered(arrays, "fc")
    if not fcs:
        raise ValueError("no fc1.weight (and no config to say what the network is)")
    if any(len(s) != 4 or s[2] != s[3] for s in convs) or any(len(s) != 2 for s in fcs):
        raise ValueError("parameter shapes that no conv or fc layer has")
    hidden = " ".join(f"fc{s[0]} relu" for s in fcs[:-1])
    candidates = []
    for conv_tail, padded in ((" relu maxpool", False), (" relu", False), (" relu maxpool", True)):
        convs_text = " ".join(f"conv{s[0]}x{s[2]}" + (f"p{s[2] // 2}" if padded and s[2] > 1
                                                        else "") + conv_tail for s in convs)
        candidates.append(" ".join(t for t in (convs_text, hidden, f"fc{fcs[-1][0]}") if t))
    mismatch = None
    for text in candidates:
        try:
            arch = parse_arch(text)
        except ArchitectureError as exc:
            mismatch = mismatch or f"'{text}' is not valid ({exc})"
            continue
        wrong = [(name, shape) for layer in arch.layers for name, shape in layer.params
                 if arrays.get(name) is None or arrays[name].shape != shape]
        if not wrong:
            warnings.warn(f"{filename} holds no architecture (a plain state_dict); assumed "
                          f"'{arch.text}'. Pass --arch (or --preset) if it was trained with "
                          "other activations or pooling, e.g. the sigmoid 'seed' network",
                          AssumedArchitectureWarning, stacklevel=3)
            return arch
        name, shape = wrong[0]
        found = f"has shape {arrays[name].shape}" if name in arrays else "is missing"
        mismatch = mismatch or f"{name} {found}, but the guessed '{text}' needs {shape}"
    raise ValueError(f"no architecture could be guessed from the parameter shapes: {mismatch}; "
                     "say which it is (--arch \"conv20x5 relu maxpool ...\")")


def _numbered(arrays: dict[str, np.ndarray], prefix: str) -> list[tuple[int, ...]]:
    """Shapes of ``<prefix>1.weight``, ``<prefix>2.weight``, ... while they exist."""
    shapes = []
    while (weight := arrays.get(f"{prefix}{len(shapes) + 1}.weight")) is not None:
        shapes.append(weight.shape)
    return shapes
