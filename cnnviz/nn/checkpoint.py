"""Checkpoints: a network's parameters in an ``.npz`` file, read without pickle.

Layout of the file (all plain arrays, so ``allow_pickle=False`` reads it):

* one array per parameter, named like PyTorch's ``state_dict`` (``conv1.weight`` ...);
* ``__format_version__``: a 0-d integer array (currently 1);
* ``__config__``: a 0-d string array holding the ``NetworkConfig`` as JSON;
* ``__metadata__`` (optional): a 0-d string array of JSON (epochs trained, accuracy, ...).

A plain ``np.savez(path, **state_dict)`` of the same network's PyTorch weights, with no
config, loads too: the architecture is inferred from the shapes.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .network import Network, build_network
from .presets import NetworkConfig
from .safe_npz import UnsafeNpzError, read_npz
from .stale_temp import TEMP_SUFFIX, remove_stale_temp_files, temp_prefix

FORMAT_VERSION = 1
_VERSION_KEY, _CONFIG_KEY, _METADATA_KEY = "__format_version__", "__config__", "__metadata__"


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used; the message names the file and the problem."""


def save_checkpoint(net: Network, path, metadata: dict | None = None) -> None:
    """Write ``net`` to ``path`` (``.npz``) atomically: a temp file, then a rename."""
    path = Path(path)
    arrays = dict(net.params)
    arrays[_VERSION_KEY] = np.array(FORMAT_VERSION)
    arrays[_CONFIG_KEY] = np.array(net.config.to_json())
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


def load_checkpoint(path, dtype=np.float32) -> Network:
    """Load a network from an ``.npz`` checkpoint; raises ``CheckpointError`` on any problem."""
    path = Path(path)
    arrays, _ = _read_arrays(path)
    version = arrays.pop(_VERSION_KEY, None)
    if version is not None and int(version) > FORMAT_VERSION:
        raise CheckpointError(f"{path.name}: format version {int(version)} is newer than this "
                              f"cnnviz understands ({FORMAT_VERSION}); upgrade cnnviz")
    raw_config = arrays.pop(_CONFIG_KEY, None)
    arrays.pop(_METADATA_KEY, None)
    try:
        config = (NetworkConfig.from_dict(json.loads(str(raw_config))) if raw_config is not None
                  else _infer_config(arrays))
        net = build_network(config=config, dtype=dtype)
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


def _infer_config(arrays: dict[str, np.ndarray]) -> NetworkConfig:
    """Architecture from parameter shapes, for a bare ``state_dict`` saved with ``np.savez``."""
    try:
        conv1, conv2, fc1, fc2 = (arrays[f"{n}.weight"].shape for n in ("conv1", "conv2", "fc1", "fc2"))
    except KeyError as exc:
        raise ValueError(f"missing parameter {exc.args[0]} (and no config to say what it should be)")
    return NetworkConfig(conv1_channels=conv1[0], conv2_channels=conv2[0], kernel_size=conv1[-1],
                         hidden_units=fc1[0], classes=fc2[0])
