"""Hostile files: pictures, IDX files and checkpoints whose headers declare huge sizes, bombs
that inflate to gigabytes, and non-real arrays. Each is refused with a clear message before
anything big is allocated (checked with tracemalloc, which sees NumPy's allocations too).

The files are built cheaply here: a header that lies costs a few bytes, and a real bomb of
zeros compresses about 1000:1.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import subprocess
import sys
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npy_format

from cnnviz.data import IdxError, ImageFileError, load_image_file, read_idx
from cnnviz.data.idx import MAX_IDX_BYTES
from cnnviz.data.image_file import MAX_IMAGE_PIXELS
from cnnviz.nn import CheckpointError, build_network, load_checkpoint
from cnnviz.nn.checkpoint import FORMAT_VERSION
from cnnviz.nn.safe_npz import MAX_NPZ_BYTES

REPO = Path(__file__).resolve().parents[1]
MB = 2**20


def peak_bytes(function, *args):
    """Run ``function(*args)``; return (its exception or None, the peak traced allocation).

    tracemalloc counts every thread's allocations: an explain job an earlier test's view
    left running (its result dropped) allocating 256 KB during the call failed the 64 KB
    bound. None is left now: every test ends with its training threads and background jobs
    finished (``tests/conftest.py``)."""
    tracemalloc.start()
    try:
        function(*args)
        error = None
    except Exception as exc:            # noqa: BLE001 -- the caller checks which one
        error = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return error, peak


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), CNNVIZ_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.run([sys.executable, "-m", "cnnviz", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnnviz: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# -- PNG ---------------------------------------------------------------------------------------

def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_bytes(width: int, height: int, colour: int, idat: bytes) -> bytes:
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0))
            + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))


@pytest.mark.parametrize("colour", [0, 6])          # grayscale, RGBA
def test_a_png_declaring_20000_by_20000_is_refused_from_its_header(tmp_path, colour):
    path = tmp_path / "huge.png"
    path.write_bytes(png_bytes(20000, 20000, colour, zlib.compress(bytes(100))))
    error, peak = peak_bytes(load_image_file, path)
    assert isinstance(error, ImageFileError)
    assert "huge.png" in str(error) and "20000x20000" in str(error)
    assert "too large" in str(error)
    assert peak < 1 * MB


def test_a_png_whose_data_inflates_past_its_header_stops_inflating(tmp_path):
    """A 10x10 header with 64 MB of zeros behind it: only the declared bytes (+1) inflate."""
    path = tmp_path / "bomb.png"
    bomb = zlib.compressobj(1)
    idat = b"".join(bomb.compress(bytes(MB)) for _ in range(64)) + bomb.flush()
    path.write_bytes(png_bytes(10, 10, 0, idat))
    error, peak = peak_bytes(load_image_file, path)
    assert isinstance(error, ImageFileError) and "more than" in str(error), error
    assert peak < 2 * MB + 2 * len(idat)       # the file itself, not the 64 MB inside


def test_the_largest_allowed_picture_still_loads(tmp_path):
    side = int(MAX_IMAGE_PIXELS ** 0.5)
    image = np.zeros((side, side), np.uint8)
    image[side // 4: 3 * side // 4, side // 2 - 40: side // 2 + 40] = 255
    raw = b"".join(b"\x00" + row.tobytes() for row in image)
    path = tmp_path / "big-but-fine.png"
    path.write_bytes(png_bytes(side, side, 0, zlib.compress(raw, 1)))
    error, peak = peak_bytes(load_image_file, path)
    assert error is None
    assert peak < 10 * MAX_IMAGE_PIXELS         # a few bytes per pixel (it was 40)


def test_predict_refuses_the_huge_png_in_one_line(tmp_path):
    (tmp_path / "huge.png").write_bytes(png_bytes(20000, 20000, 6, zlib.compress(bytes(10))))
    result = run_cli(tmp_path, "predict", "huge.png")
    assert_one_line_error(result, "huge.png", "too large")


# -- IDX ---------------------------------------------------------------------------------------

def idx_header(*dims: int, code: int = 0x08) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


def test_a_small_gzip_declaring_a_huge_count_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "bomb-idx3-ubyte.gz"
    bomb = gzip.GzipFile(path, "wb", compresslevel=1)
    bomb.write(idx_header(4_000_000, 32, 32))            # 4 GB declared
    for _ in range(32):                                   # 32 MB of zeros really inside
        bomb.write(bytes(MB))
    bomb.close()
    assert path.stat().st_size < MB
    error, peak = peak_bytes(read_idx, path)
    assert isinstance(error, IdxError), error
    assert "bomb-idx3-ubyte.gz" in str(error) and "4000000x32x32" in str(error)
    assert f"{MAX_IDX_BYTES // MB:,} MB" in str(error)
    assert peak < 1 * MB


def test_a_gzip_bomb_behind_an_honest_small_header_is_not_inflated(tmp_path):
    """Header: 10 labels. Behind them 64 MB of zeros: refused after reading 11 bytes."""
    path = tmp_path / "labels.gz"
    bomb = gzip.GzipFile(path, "wb", compresslevel=1)
    bomb.write(idx_header(10) + bytes(10))
    for _ in range(64):
        bomb.write(bytes(MB))
    bomb.close()
    error, peak = peak_bytes(read_idx, path)
    assert isinstance(error, IdxError) and "trailing bytes" in str(error), error
    assert peak < 1 * MB


def test_a_gzip_shorter_than_its_header_is_truncated(tmp_path):
    path = tmp_path / "short.gz"
    path.write_bytes(gzip.compress(idx_header(1000, 28, 28) + bytes(5000)))
    with pytest.raises(IdxError, match="truncated.*holds 5000"):
        read_idx(path)


def test_a_plain_idx_file_is_measured_on_disk_before_reading(tmp_path):
    path = tmp_path / "plain-idx3-ubyte"
    path.write_bytes(idx_header(100_000, 28, 28) + bytes(100))
    error, peak = peak_bytes(read_idx, path)
    assert isinstance(error, IdxError) and "truncated" in str(error)
    assert peak < 64 * 1024                   # the 78 MB the header claims were never allocated


def test_eval_refuses_the_idx_bomb_in_one_line(tmp_path):
    with gzip.open(tmp_path / "images.gz", "wb") as f:
        f.write(idx_header(4_000_000, 32, 32) + bytes(100))
    with gzip.open(tmp_path / "labels.gz", "wb") as f:
        f.write(idx_header(1) + bytes(1))
    result = run_cli(tmp_path, "eval", "--images", "images.gz", "--labels", "labels.gz")
    assert_one_line_error(result, "images.gz", "more than")


# -- checkpoints (.npz) ------------------------------------------------------------------------

def checkpoint_arrays(**replace) -> dict[str, np.ndarray]:
    net = build_network(seed=0)
    arrays = net.copy_params()
    arrays["__format_version__"] = np.array(FORMAT_VERSION)
    arrays["__config__"] = np.array(net.config.to_json())
    arrays.update(replace)
    return arrays


def write_npz_with_raw_member(path: Path, name: str, header: dict, data: bytes,
                              others: dict[str, np.ndarray]) -> None:
    """An npz of ``others`` plus one member whose .npy header is ``header`` (may lie)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, value in others.items():
            with archive.open(key + ".npy", "w") as f:
                npy_format.write_array(f, value, allow_pickle=False)
        with archive.open(name + ".npy", "w") as f:
            npy_format.write_array_header_1_0(f, header)
            f.write(data)


def test_an_npz_whose_header_declares_8_tb_is_refused_without_allocating(tmp_path):
    path = tmp_path / "huge.npz"
    others = checkpoint_arrays()
    del others["fc1.weight"]
    write_npz_with_raw_member(path, "fc1.weight",
                              {"descr": "<f4", "fortran_order": False, "shape": (2**41,)},
                              bytes(64), others)
    error, peak = peak_bytes(load_checkpoint, path)
    assert isinstance(error, CheckpointError), error
    assert "huge.npz" in str(error) and "fc1.weight" in str(error) and "8.0 TB" in str(error)
    assert peak < 8 * MB


def test_a_2_gb_npz_bomb_is_refused_from_the_zip_directory(tmp_path):
    """A real bomb: 2 GB of zeros that deflate to a few MB. Nothing of it is inflated."""
    path = tmp_path / "bomb.npz"
    n = 2 * 2**30 // 4
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("fc1.weight.npy", "w", force_zip64=True) as f:
            npy_format.write_array_header_1_0(
                f, {"descr": "<f4", "fortran_order": False, "shape": (n,)})
            zeros = bytes(16 * MB)
            for _ in range(n * 4 // len(zeros)):
                f.write(zeros)
    assert path.stat().st_size < 16 * MB
    error, peak = peak_bytes(load_checkpoint, path)
    assert isinstance(error, CheckpointError), error
    assert "bomb.npz" in str(error) and "2.0 GB" in str(error)
    assert peak < 4 * MB


def test_an_npz_member_smaller_than_its_header_declares_is_refused(tmp_path):
    path = tmp_path / "short.npz"
    others = checkpoint_arrays()
    del others["fc2.bias"]
    write_npz_with_raw_member(path, "fc2.bias",
                              {"descr": "<f4", "fortran_order": False, "shape": (10,)},
                              bytes(12), others)
    with pytest.raises(CheckpointError, match="short.npz: .*fc2.bias"):
        load_checkpoint(path)


@pytest.mark.parametrize("bad, word", [
    (np.zeros(10, np.complex64), "complex"),
    (np.zeros(10, [("re", "<f4"), ("im", "<f4")]), "structured"),
    (np.zeros(10, "datetime64[s]"), "real numbers"),
])
def test_non_real_parameters_are_refused_not_cast(tmp_path, bad, word):
    path = tmp_path / "odd.npz"
    np.savez(path, **checkpoint_arrays(**{"fc2.bias": bad}))
    with pytest.raises(CheckpointError) as info:
        with np.errstate(all="raise"):
            load_checkpoint(path)
    assert "odd.npz" in str(info.value) and "fc2.bias" in str(info.value)
    assert word in str(info.value)


def test_a_complex_checkpoint_warns_nothing_and_fails_in_one_line(tmp_path):
    np.savez(tmp_path / "complex.npz",
             **checkpoint_arrays(**{"fc2.bias": np.zeros(10, np.complex128)}))
    result = run_cli(tmp_path, "eval", "--checkpoint", "complex.npz")
    assert_one_line_error(result, "complex.npz", "complex")
    assert "Warning" not in result.stderr


def test_predict_refuses_the_8_tb_checkpoint_in_one_line(tmp_path):
    others = checkpoint_arrays()
    del others["conv1.weight"]
    write_npz_with_raw_member(tmp_path / "huge.npz", "conv1.weight",
                              {"descr": "<f8", "fortran_order": False,
                               "shape": (2**20, 2**20, 1)}, bytes(8), others)
    (tmp_path / "x.png").write_bytes(png_bytes(1, 1, 0, zlib.compress(b"\x00\x00")))
    result = run_cli(tmp_path, "predict", "--checkpoint", "huge.npz", "x.png")
    assert_one_line_error(result, "huge.npz", "8.0 TB")


def test_honest_checkpoints_of_every_layout_still_load(tmp_path):
    """Compressed, Fortran-ordered and float64 arrays are all fine."""
    arrays = checkpoint_arrays()
    arrays["fc1.weight"] = np.asfortranarray(arrays["fc1.weight"].astype(np.float64))
    np.savez_compressed(tmp_path / "ok.npz", **arrays)
    net = load_checkpoint(tmp_path / "ok.npz")
    np.testing.assert_allclose(net.params["fc1.weight"], arrays["fc1.weight"], rtol=1e-6)
    assert MAX_NPZ_BYTES > (tmp_path / "ok.npz").stat().st_size


def test_a_huge_jpeg_is_refused_from_its_size_before_pillow_decodes_it(tmp_path, monkeypatch):
    """Pillow reads only the header in ``Image.open``; the size is checked before ``convert``
    decodes the pixels. (A stand-in for Pillow: it is optional and may not be installed.)"""
    import types

    class HugePicture:
        size = (20000, 20000)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def convert(self, mode):
            raise AssertionError("the pixels were decoded")

    image_module = types.SimpleNamespace(open=lambda path: HugePicture())
    monkeypatch.setitem(sys.modules, "PIL", types.SimpleNamespace(Image=image_module))
    monkeypatch.setitem(sys.modules, "PIL.Image", image_module)
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    with pytest.raises(ImageFileError, match="photo.jpg: picture too large: 20000x20000"):
        load_image_file(path)


def test_a_recording_whose_weights_header_declares_8_tb_is_refused_without_allocating(tmp_path):
    """Recordings (.cnnrun) read their members through the same checked .npy reader."""
    from cnnviz.nn.presets import TrainConfig
    from cnnviz.training import Trainer
    from cnnviz.training.recording import Recording, RecordingError, RunRecorder

    rng = np.random.default_rng(0)
    x, y = rng.random((30, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 30)
    trainer = Trainer(build_network("lenet", seed=0), x[:20], y[:20], x[20:], y[20:],
                      TrainConfig(epochs=1, batch_size=10, lr=0.01, momentum=0.0,
                                  lr_decay=1.0, seed=0))
    honest = tmp_path / "honest.cnnrun"
    recorder = RunRecorder(honest, trainer, dataset_name="random")
    trainer.observers.append(recorder)
    while not trainer.finished:
        trainer.step()
    recorder.close(trainer, completed=True)

    with zipfile.ZipFile(honest) as archive:                 # rewrite one weights member
        members = {name: archive.read(name) for name in archive.namelist()}
    victim = sorted(n for n in members if n.startswith("weights/"))[-1]
    lie = io.BytesIO()
    npy_format.write_array_header_1_0(lie, {"descr": "<f8", "fortran_order": False,
                                            "shape": (2**40,)})
    members[victim] = lie.getvalue() + bytes(64)
    hostile = tmp_path / "hostile.cnnrun"
    with zipfile.ZipFile(hostile, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)

    recording = Recording.open(hostile)
    step = int(recording.steps[-1])
    error, peak = peak_bytes(recording.weights, step)
    assert isinstance(error, RecordingError), error
    assert "hostile.cnnrun" in str(error) and "8.0 TB" in str(error)
    assert peak < 8 * MB
