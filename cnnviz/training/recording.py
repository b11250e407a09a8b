"""Recordings of training runs (``.cnnrun``): weights over time, every batch's loss, epochs.

A recording is one file, a zip of ``.npy`` members (so ``np.load(path, allow_pickle=False)``
opens a cleanly written one like any ``.npz``):

* ``format_version.npy``: 0-d int (``FORMAT_VERSION``); ``header.npy``: 0-d JSON string with
  the architecture, the parameter layout, the weights' dtype, the data set's identity (name
  and SHA-256 of the arrays the trainer used), the seed and the training settings;
* ``weights/s00000042.npy``: ``(P,)`` every parameter after step 42, flattened in the header's
  order (step 0 = the initial weights);
* ``losses/c000003.npy``: ``(B, 4)`` float64 rows ``(step, epoch progress, loss, lr)``;
* ``epochs/e0002.npy`` (JSON metrics of epoch 2), ``epochs/e0002_predictions.npy`` ``(N,)``
  and ``epochs/e0002_probabilities.npy`` ``(N, classes)`` float16: the held-out evaluation;
* ``events/v000001.npy``: JSON of a setting changed while training (``lr``, ``momentum``);
* ``end.npy``: JSON written when the run ends normally.

Weights are stored as float16 by default: a relative error of at most 2**-11 (0.05 %), far
below one grey level of an 8-bit screen (0.4 % of a colour scale), so no view can tell
them apart; ``dtype=np.float32`` keeps them exact.

Schedule (``RecordingSchedule``): every step for the first 100 steps, then the gap between
recorded steps grows with the square of the step (``ceil(2 (step / 100)**2)``), so a run of
any length holds at most about 150 weight snapshots (plus its last step): ~130 MB for lenet
in float16.

Writing (``RunRecorder``) is incremental and crash-safe: after each batch of members the
writer appends a fresh zip central directory and flushes, and the next write starts over
that directory. The reader never trusts the directory: it walks the members' local headers
from the start and checks each one's CRC, so a file cut anywhere (a crash, Ctrl-C, a full
disk) gives back every member completed before the cut.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import struct
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from ..nn.network import Network, build_network
from ..nn.presets import NetworkConfig
from ..nn.safe_npz import read_npy_bytes
from .evaluate import EvalResult

FORMAT_VERSION = 1
SUFFIX = ".cnnrun"
_LOCAL = struct.Struct("<4s5H3L2H")         # zip local file header (30 bytes)
_CENTRAL = struct.Struct("<4s6H3L5H2L")     # central directory entry (46 bytes)
_END = struct.Struct("<4s4H2LH")            # end of central directory (22 bytes)
_LOSS_FLUSH = 50                            # write pending batch losses at least this often


class RecordingError(ValueError):
    """A recording that cannot be used; the message names the file and the problem."""


# -- the schedule ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordingSchedule:
    """Which steps keep full weights: every step up to ``dense_steps``, then gaps growing
    with the square of the step, so at most about ``dense_steps + late_points`` snapshots."""

    dense_steps: int = 100
    late_points: int = 50

    def gap(self, step: int) -> int:
        """Steps from a recorded ``step`` to the next recorded one."""
        if step < self.dense_steps:
            return 1
        ratio = self.dense_steps / self.late_points
        return max(1, math.ceil(ratio * (step / self.dense_steps) ** 2))

    def steps(self, last_step: int) -> list[int]:
        """The recorded steps of a run of ``last_step`` steps (its last step included)."""
        out, step = [], 0
        while step < last_step:
            out.append(step)
            step += self.gap(step)
        out.append(last_step)
        return out


# -- dataset identity ---------------------------------------------------------------------------
def dataset_identity(name: str, *arrays: np.ndarray) -> dict:
    """``{"name", "sha256", "sizes"}``: the name and a checksum of the arrays' bytes."""
    digest = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        digest.update(f"{a.dtype.str}{a.shape}".encode())
        digest.update(memoryview(a).cast("B"))
    return {"name": name, "sha256": digest.hexdigest(), "sizes": [int(len(a)) for a in arrays]}


def architecture_of(net: Network) -> dict:
    """The network's architecture for the header: its ``arch`` text when it has one, else
    its preset config."""
    out = {}
    arch = getattr(net, "arch", None)
    if isinstance(arch, str) and arch:
        out["arch"] = arch
    config = getattr(net, "config", None)
    if isinstance(config, NetworkConfig):
        out["config"] = json.loads(config.to_json())
    if not out:
        raise ValueError("the network has neither an architecture text nor a preset config")
    return out


def network_from_architecture(arch: dict) -> Network:
    """A fresh network of the recorded architecture (raises ``ValueError`` if unknown)."""
    if "arch" in arch:
        try:
            return build_network(arch=arch["arch"])          # type: ignore[call-arg]
        except TypeError:
            if "config" not in arch:
                raise ValueError("this recording's architecture text needs a newer cnnviz")
    return build_network(config=NetworkConfig.from_dict(arch["config"]))


# -- zip members ---------------------------------------------------------------------------------
def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()


def _json_member(data: dict) -> bytes:
    return _npy_bytes(np.array(json.dumps(data, sort_keys=True)))


def _dos_time(t: float) -> tuple[int, int]:
    y, mo, d, h, mi, s = time.localtime(t)[:6]
    return (h << 11) | (mi << 5) | (s // 2), (max(0, y - 1980) << 9) | (mo << 5) | d


class _ZipAppender:
    """A stored (uncompressed) zip written member by member to an open file. ``commit()``
    appends the central directory and flushes; the next member overwrites that directory."""

    def __init__(self, f) -> None:
        self.f = f
        self.entries: list[tuple[bytes, int, int, int]] = []    # name, crc, size, offset
        self.end = 0                                            # where the next member goes

    def add(self, name: str, data: bytes) -> None:
        raw = name.encode()
        crc = zlib.crc32(data)
        t, d = _dos_time(time.time())
        header = _LOCAL.pack(b"PK\x03\x04", 20, 0, 0, t, d, crc, len(data), len(data),
                             len(raw), 0)
        self.f.seek(self.end)
        self.f.write(header + raw)
        self.f.write(data)
        self.entries.append((raw, crc, len(data), self.end))
        self.end += len(header) + len(raw) + len(data)

    def commit(self) -> None:
        t, d = _dos_time(time.time())
        directory = bytearray()
        for raw, crc, size, offset in self.entries:
            directory += _CENTRAL.pack(b"PK\x01\x02", 20, 20, 0, 0, t, d, crc, size, size,
                                       len(raw), 0, 0, 0, 0, 0, offset) + raw
        n = len(self.entries)
        directory += _END.pack(b"PK\x05\x06", 0, 0, n, n, len(directory), self.end, 0)
        self.f.seek(self.end)
        self.f.write(directory)
        self.f.truncate()
        self.f.flush()


# -- writing ------------------------------------------------------------------------------------
class RunRecorder:
    """Records a ``Trainer``'s run into ``path`` (``.cnnrun``) as it trains.

        recorder = RunRecorder(path, trainer, dataset_name="bundled")   # writes step 0
        trainer.observers.append(recorder)                              # then every step
        ...
        recorder.close(completed=True)

    The file appears at ``path`` (replacing an older one) once its header and initial
    weights are written. A write error (a full disk) stops the recording, never the
    training: ``error`` then holds the message and everything written before stays readable.
    """

    def __init__(self, path, trainer, dataset_name: str = "unknown",
                 dtype=np.float16, schedule: RecordingSchedule | None = None,
                 extra: dict | None = None) -> None:
        self.path = Path(path)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float16, np.float32):
            raise ValueError(f"weights are recorded as float16 or float32, not {self.dtype}")
        self.schedule = schedule or RecordingSchedule()
        self.error: str | None = None
        self.closed = False
        net, config = trainer.net, trainer.config
        self._names = list(net.params)
        self._pending: list[tuple[float, float, float, float]] = []
        self._chunks = self._events = 0
        self._last_weights = -1
        self._next_weights = 0
        header = {
            "format": "cnnviz-recording", "version": FORMAT_VERSION,
            "cnnviz_version": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "architecture": architecture_of(net),
            "params": [[n, list(v.shape)] for n, v in net.params.items()],
            "weights_dtype": self.dtype.name,
            "dataset": dataset_identity(dataset_name, trainer.train_images,
                                        trainer.train_labels, trainer.test_images,
                                        trainer.test_labels),
            "seed": int(config.seed),
            "training": {k: getattr(config, k) for k in (
                "epochs", "batch_size", "lr", "momentum", "weight_decay", "lr_decay",
                "lr_decay_every", "seed")},
            "batches_per_epoch": trainer.batches_per_epoch,
            "total_steps": trainer.total_steps,
            "schedule": {"dense_steps": self.schedule.dense_steps,
                         "late_points": self.schedule.late_points},
            **(extra or {}),
        }
        directory = self.path.parent if str(self.path.parent) else Path(".")
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".partial",
                                   dir=directory)
        try:
            self._file = os.fdopen(fd, "w+b")
            self._zip = _ZipAppender(self._file)
            self._zip.add("format_version.npy", _npy_bytes(np.array(FORMAT_VERSION)))
            self._zip.add("header.npy", _json_member(header))
            self._add_weights(trainer.step_count, net)
            self._zip.commit()
            os.chmod(tmp, 0o666 & ~_umask())
            # The open file keeps its name across the rename: later members land in it.
            os.replace(tmp, self.path)
        except BaseException:
            try:
                self._file.close()
            except Exception:
                pass
            Path(tmp).unlink(missing_ok=True)
            raise

    # -- trainer hooks --------------------------------------------------------------------------
    def after_step(self, trainer, result) -> None:
        """Called by the trainer after each step (``Trainer.observers``)."""
        if self.closed or self.error:
            return
        b = result.batch
        self._pending.append((b.step, b.epoch_progress, b.loss, b.lr))
        commit = len(self._pending) >= _LOSS_FLUSH
        self._guard(lambda: self._after_step(trainer, result, commit))

    def _after_step(self, trainer, result, commit: bool) -> None:
        step = trainer.step_count
        if step >= self._next_weights:
            self._flush_losses()
            self._add_weights(step, trainer.net)
            commit = True
        if result.epoch is not None:
            self._flush_losses()
            self._add_epoch(result.epoch, step)
            commit = True
        if commit:
            self._flush_losses()
            self._zip.commit()

    def settings_changed(self, trainer, **changes) -> None:
        """A learning rate or momentum changed while training (applies from the next step)."""
        if self.closed or self.error:
            return
        def write():
            self._flush_losses()
            self._events += 1
            self._zip.add(f"events/v{self._events:06d}.npy",
                          _json_member({"step": trainer.step_count, **changes}))
            self._zip.commit()
        self._guard(write)

    def close(self, trainer=None, completed: bool = False, note: str = "") -> None:
        """Write the last step's weights (if not yet), the pending losses and the end mark."""
        if self.closed:
            return
        def write():
            if trainer is not None and trainer.step_count != self._last_weights:
                self._flush_losses()
                self._add_weights(trainer.step_count, trainer.net)
            self._flush_losses()
            self._zip.add("end.npy", _json_member({
                "completed": bool(completed), "note": note,
                "steps": trainer.step_count if trainer is not None else self._last_weights}))
            self._zip.commit()
        if not self.error:
            self._guard(write)
        self.closed = True
        try:
            self._file.close()
        except OSError:
            pass

    # -- members ---------------------------------------------------------------------------------
    def _guard(self, fn) -> None:
        try:
            fn()
        except OSError as exc:
            self.error = f"{self.path.name}: recording stopped: {exc.strerror or exc}"

    def _add_weights(self, step: int, net: Network) -> None:
        params = net.params
        flat = np.concatenate([params[n].ravel() for n in self._names]).astype(self.dtype)
        self._zip.add(f"weights/s{step:08d}.npy", _npy_bytes(flat))
        self._last_weights = step
        self._next_weights = step + self.schedule.gap(step)

    def _flush_losses(self) -> None:
        if self._pending:
            self._chunks += 1
            self._zip.add(f"losses/c{self._chunks:06d}.npy",
                          _npy_bytes(np.array(self._pending, np.float64)))
            self._pending = []

    def _add_epoch(self, event, step: int) -> None:
        e = event.epoch
        self._zip.add(f"epochs/e{e:04d}.npy", _json_member({
            "epoch": e, "step": step, "train_loss": event.train_loss,
            "train_accuracy": event.train_accuracy, "test_loss": event.test_loss,
            "test_accuracy": event.test_accuracy, "images_per_second": event.images_per_second,
            "seconds": event.seconds}))
        ev = event.evaluation
        self._zip.add(f"epochs/e{e:04d}_predictions.npy",
                      _npy_bytes(np.asarray(ev.predictions, np.int16)))
        self._zip.add(f"epochs/e{e:04d}_probabilities.npy",
                      _npy_bytes(np.asarray(ev.probabilities, np.float16)))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# -- reading ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Member:
    offset: int         # of the data
    size: int
    crc: int


def _scan(f, size: int) -> tuple[dict[str, _Member], int | None]:
    """Walk the local headers from the start: ``(members, offset where a cut was found)``."""
    members: dict[str, _Member] = {}
    pos = 0
    while pos + _LOCAL.size <= size:
        f.seek(pos)
        head = f.read(_LOCAL.size)
        sig, _v, flags, method, _t, _d, crc, csize, usize, nlen, xlen = _LOCAL.unpack(head)
        if sig != b"PK\x03\x04":
            # the central directory follows the last member: a clean end
            return members, (None if sig in (b"PK\x01\x02", b"PK\x05\x06") else pos)
        if method != 0 or csize != usize or flags & 0x08:
            return members, pos
        name = f.read(nlen)
        start = pos + _LOCAL.size + nlen + xlen
        if len(name) < nlen or start + csize > size:
            return members, pos
        members[name.decode("utf-8", "replace")] = _Member(start, csize, crc)
        pos = start + csize
    return members, pos          # no central directory: the writer stopped mid-way


class Recording:
    """A ``.cnnrun`` file opened for reading (``Recording.open(path)``).

    ``steps (K,)``: the steps with full weights; ``weights(step)`` gives them as float32
    arrays; ``losses`` is ``(B, 4)`` rows ``(step, epoch progress, loss, lr)``; ``epochs``
    the per-epoch metrics; ``events`` the settings changed while training; ``complete`` is
    False for a run that was cut short, and ``damage`` then says what was lost.
    """

    def __init__(self, path: Path, members: dict[str, _Member], cut: int | None) -> None:
        self.path = path
        self._members = members
        self.damage: list[str] = []
        if cut is not None:
            self.damage.append(f"the file ends early (cut at byte {cut:,}): everything "
                               "before the cut is kept")
        self.version = int(self._array("format_version.npy"))
        if self.version > FORMAT_VERSION:
            raise RecordingError(
                f"{path.name}: recording format version {self.version} is newer than this "
                f"cnnviz understands ({FORMAT_VERSION}); upgrade cnnviz to replay it")
        self.header = self._json("header.npy")
        if self.header.get("format") != "cnnviz-recording":
            raise RecordingError(f"{path.name}: not a cnnviz recording (unknown header)")
        self._layout = [(str(n), tuple(int(d) for d in s)) for n, s in self.header["params"]]
        self._size = sum(int(np.prod(s)) for _, s in self._layout)
        self._weights = {int(name[9:17]): name for name in members
                         if name.startswith("weights/s") and name.endswith(".npy")}
        self.steps = np.array(sorted(self._weights), dtype=np.int64)
        if not len(self.steps):
            raise RecordingError(f"{path.name}: holds no weights at all")
        self.losses = self._losses()
        self.epochs = self._epochs()
        events = [self._safe(lambda n=n: self._json(n)) for n in sorted(members)
                  if n.startswith("events/")]
        self.events = [e for e in events if e is not None]
        self.end = self._safe(lambda: self._json("end.npy")) if "end.npy" in members else None
        self.complete = self.end is not None and cut is None

    # -- opening -----------------------------------------------------------------------------------
    @classmethod
    def open(cls, path) -> "Recording":
        """Open ``path``; raises ``RecordingError`` naming the file and the problem."""
        path = Path(path)
        if not path.is_file():
            raise RecordingError(f"{path}: no such recording file")
        try:
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if f.read(4) != b"PK\x03\x04":
                    raise RecordingError(f"{path.name}: not a cnnviz recording (not a zip "
                                         "of .npy arrays)")
                members, cut = _scan(f, size)
        except OSError as exc:
            raise RecordingError(f"{path.name}: cannot read it ({exc.strerror or exc})") from None
        if "format_version.npy" not in members or "header.npy" not in members:
            raise RecordingError(f"{path.name}: not a cnnviz recording, or cut before its "
                                 "header was written")
        try:
            return cls(path, members, cut)
        except RecordingError:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise RecordingError(f"{path.name}: damaged header ({exc})") from None

    # -- members -------------------------------------------------------------------------------------
    def _bytes(self, name: str) -> bytes:
        m = self._members[name]
        with open(self.path, "rb") as f:
            f.seek(m.offset)
            data = f.read(m.size)
        if len(data) != m.size or zlib.crc32(data) != m.crc:
            raise RecordingError(f"{self.path.name}: {name} is damaged (checksum mismatch)")
        return data

    def _array(self, name: str) -> np.ndarray:
        try:
            return read_npy_bytes(self._bytes(name), name)   # a lying header allocates nothing
        except RecordingError:
            raise
        except ValueError as exc:
            if "pickle" in str(exc).lower():
                raise RecordingError(f"{self.path.name}: {name} holds pickled data, which "
                                     "cnnviz refuses to load") from None
            raise RecordingError(f"{self.path.name}: {name} is not a valid array ({exc})") \
                from None

    def _json(self, name: str) -> dict:
        try:
            return json.loads(str(self._array(name)))
        except json.JSONDecodeError as exc:
            raise RecordingError(f"{self.path.name}: {name} is not valid JSON ({exc})") from None

    def _safe(self, fn):
        """``fn()``, or None with a note in ``damage`` if that member is damaged."""
        try:
            return fn()
        except RecordingError as exc:
            self.damage.append(str(exc).split(": ", 1)[-1])
            return None

    def _losses(self) -> np.ndarray:
        chunks = [self._safe(lambda n=n: self._array(n)) for n in sorted(self._members)
                  if n.startswith("losses/")]
        chunks = [c for c in chunks if c is not None and c.ndim == 2 and c.shape[1] == 4]
        return np.concatenate(chunks) if chunks else np.zeros((0, 4))

    def _epochs(self) -> list[dict]:
        out = []
        for name in sorted(self._members):
            if name.startswith("epochs/e") and len(name) == len("epochs/e0000.npy"):
                meta = self._safe(lambda n=name: self._json(n))
                if meta is not None:
                    out.append(meta)
        return out

    # -- public API --------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.path.name

    @property
    def last_step(self) -> int:
        return int(max(self.steps[-1], self.losses[-1, 0] if len(self.losses) else 0))

    def nearest_step(self, step: int) -> int:
        """The recorded step (with weights) closest to ``step``, the earlier one on a tie."""
        i = int(np.searchsorted(self.steps, step))
        if i == 0:
            return int(self.steps[0])
        if i == len(self.steps):
            return int(self.steps[-1])
        before, after = int(self.steps[i - 1]), int(self.steps[i])
        return before if step - before <= after - step else after

    def weights(self, step: int) -> dict[str, np.ndarray]:
        """``name -> float32 array`` of the weights after ``step`` (a recorded step)."""
        if step not in self._weights:
            raise KeyError(f"step {step} has no recorded weights")
        flat = self._array(self._weights[step])
        if flat.shape != (self._size,):
            raise RecordingError(f"{self.path.name}: step {step}'s weights have "
                                 f"{flat.size:,} values, expected {self._size:,}")
        flat = flat.astype(np.float32)            # one conversion; the parts are views of it
        out, start = {}, 0
        for name, shape in self._layout:
            n = int(np.prod(shape))
            out[name] = flat[start:start + n].reshape(shape)
            start += n
        return out

    def build_network(self, step: int | None = None) -> Network:
        """A network of the recorded architecture holding the weights of ``step`` (default:
        the first recorded step)."""
        try:
            net = network_from_architecture(self.header["architecture"])
        except (ValueError, TypeError, KeyError) as exc:
            raise RecordingError(f"{self.path.name}: unknown architecture ({exc})") from None
        net.load_params(self.weights(int(self.steps[0]) if step is None else step))
        return net

    def losses_until(self, step: int) -> np.ndarray:
        """``(b, 4)`` loss rows of the steps up to and including ``step``."""
        return self.losses[self.losses[:, 0] <= step]

    def epochs_until(self, step: int) -> list[dict]:
        """The epochs whose evaluation ran at or before ``step``."""
        return [e for e in self.epochs if e["step"] <= step]

    def evaluation(self, epoch: int) -> EvalResult | None:
        """The held-out evaluation of ``epoch`` (0-based), or None if it is missing."""
        meta = next((e for e in self.epochs if e["epoch"] == epoch), None)
        if meta is None:
            return None
        try:
            predictions = self._array(f"epochs/e{epoch:04d}_predictions.npy").astype(np.int64)
            probabilities = self._array(f"epochs/e{epoch:04d}_probabilities.npy")
        except (KeyError, RecordingError):
            return None
        return EvalResult(accuracy=meta["test_accuracy"], loss=meta["test_loss"],
                          n=len(predictions), predictions=predictions,
                          probabilities=probabilities.astype(np.float32))

    def settings_at(self, step: int) -> dict:
        """Learning rate and momentum in force after ``step`` (the recorded changes applied)."""
        t = self.header.get("training", {})
        out = {"lr": t.get("lr"), "momentum": t.get("momentum")}
        rows = self.losses_until(step)
        if len(rows):
            out["lr"] = float(rows[-1, 3])
        for event in self.events:
            if event.get("step", 0) <= step and "momentum" in event:
                out["momentum"] = event["momentum"]
        return out

    def describe(self) -> str:
        """One line for a status bar or the CLI."""
        d = self.header.get("dataset", {})
        text = (f"{self.name}: {len(self.steps)} recorded steps up to step {self.last_step:,}, "
                f"{len(self.losses):,} batch losses, {len(self.epochs)} epoch(s), data "
                f"{d.get('name', '?')}, seed {self.header.get('seed')}")
        if not self.complete:
            text += " (the run was cut short)"
        return text
