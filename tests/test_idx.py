"""IDX reading and writing: round trips, and a clear IdxError for every malformed file."""

import gzip
import struct

import numpy as np
import pytest

from cnnviz.data.idx import IdxError, read_idx, write_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip(tmp_path, dtype, suffix):
    rng = np.random.default_rng(1)
    array = (rng.standard_normal((3, 4, 5)) * 100).astype(dtype)
    path = tmp_path / f"data-idx3{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype)
    assert back.shape == (3, 4, 5)
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_gz_suffix_compresses_and_plain_does_not(tmp_path):
    array = np.zeros((50, 28, 28), np.uint8)
    write_idx(tmp_path / "a.gz", array)
    write_idx(tmp_path / "a", array)
    assert (tmp_path / "a.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "a").read_bytes()[:4] == bytes([0, 0, 0x08, 3])
    assert (tmp_path / "a.gz").stat().st_size < (tmp_path / "a").stat().st_size


def test_file_is_big_endian_per_spec(tmp_path):
    write_idx(tmp_path / "x", np.array([1, 258], dtype=np.int32))
    raw = (tmp_path / "x").read_bytes()
    assert raw == bytes([0, 0, 0x0C, 1]) + struct.pack(">I", 2) + struct.pack(">ii", 1, 258)


def test_gzip_detected_by_magic_not_name(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    write_idx(tmp_path / "a.gz", array)
    (tmp_path / "compressed-but-no-suffix").write_bytes((tmp_path / "a.gz").read_bytes())
    write_idx(tmp_path / "plain", array)
    (tmp_path / "plain-named.gz").write_bytes((tmp_path / "plain").read_bytes())
    np.testing.assert_array_equal(read_idx(tmp_path / "compressed-but-no-suffix"), array)
    np.testing.assert_array_equal(read_idx(tmp_path / "plain-named.gz"), array)


def test_write_leaves_no_temp_files(tmp_path):
    write_idx(tmp_path / "a.gz", np.zeros(3, np.uint8))
    assert [p.name for p in tmp_path.iterdir()] == ["a.gz"]


def test_write_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(IdxError, match="int64"):
        write_idx(tmp_path / "a", np.zeros(3, np.int64))
    assert not (tmp_path / "a").exists()


def _header(code=0x08, dims=(2, 3)):
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


MALFORMED = {
    "too short": (b"\x00\x00", "too short"),
    "bad magic": (b"\x01\x02\x08\x01" + struct.pack(">I", 1) + b"\x00", "magic"),
    "unknown dtype": (_header(code=0x0A) + bytes(6), "unknown data type code 0x0a"),
    "zero ndim": (bytes([0, 0, 8, 0]), "dimensions: 0"),
    "absurd ndim": (bytes([0, 0, 8, 200]) + bytes(800), "dimensions: 200"),
    "header cut": (bytes([0, 0, 8, 3]) + struct.pack(">I", 10), "header"),
    "truncated": (_header(dims=(10000, 28, 28)) + bytes(123),
                  "truncated: header says 10000x28x28 uint8 (7840000 bytes of data) but the file holds 123"),
    "trailing": (_header() + bytes(7), "trailing bytes"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
@pytest.mark.parametrize("compress", [False, True])
def test_malformed_raises_idx_error_naming_file(tmp_path, case, compress):
    content, message = MALFORMED[case]
    name = "bad-idx.gz" if compress else "bad-idx"
    path = tmp_path / name
    path.write_bytes(gzip.compress(content) if compress else content)
    with pytest.raises(IdxError, match="bad-idx") as info:
        read_idx(path)
    assert message in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(IdxError, match="nothere-idx1-ubyte: file not found"):
        read_idx(tmp_path / "nothere-idx1-ubyte")


def test_corrupt_gzip(tmp_path):
    good = gzip.compress(_header() + bytes(6))
    path = tmp_path / "broken.gz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(IdxError, match="broken.gz: not a valid gzip file"):
        read_idx(path)


def test_idx_error_is_value_error():
    assert issubclass(IdxError, ValueError)
