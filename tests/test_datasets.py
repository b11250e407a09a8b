"""Datasets: the bundled stratified split, IDX folders, loading by name, float conversion."""

import numpy as np
import pytest

from cnnviz.data.datasets import (
    Dataset,
    DatasetError,
    images_to_float,
    load_bundled,
    load_dataset,
    load_idx_folder,
    stratified_split,
)
from cnnviz.data.idx import IdxError, write_idx

BUNDLED_CLASS_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_bundled_sizes_and_types():
    data = load_bundled()
    assert isinstance(data, Dataset) and data.name == "bundled"
    assert (data.n_train, data.n_test) == (9000, 1000)
    assert data.train_images.shape == (9000, 28, 28) and data.train_images.dtype == np.uint8
    assert data.test_images.shape == (1000, 28, 28)
    assert data.train_labels.shape == (9000,) and data.train_labels.dtype == np.uint8


def test_bundled_is_all_of_the_mnist_test_split():
    data = load_bundled()
    counts = np.bincount(data.train_labels, minlength=10) + np.bincount(data.test_labels, minlength=10)
    assert counts.tolist() == BUNDLED_CLASS_COUNTS


@pytest.mark.parametrize("seed", [0, 7])
def test_bundled_split_is_stratified(seed):
    held_out = np.bincount(load_bundled(seed).test_labels, minlength=10)
    proportional = np.array(BUNDLED_CLASS_COUNTS) * 1000 / 10000
    assert np.all(np.abs(held_out - proportional) < 1)


def test_bundled_split_deterministic_per_seed_and_differs_between_seeds():
    load_bundled.cache_clear()  # really recompute, not just hit the cache
    a = load_bundled(3)
    load_bundled.cache_clear()
    b = load_bundled(3)
    np.testing.assert_array_equal(a.test_images, b.test_images)
    np.testing.assert_array_equal(a.train_labels, b.train_labels)
    c = load_bundled(4)
    assert not np.array_equal(a.test_images, c.test_images)


def test_bundled_train_and_test_are_disjoint():
    data = load_bundled()
    train = {img.tobytes() for img in data.train_images}
    overlap = sum(img.tobytes() in train for img in data.test_images)
    assert overlap == 0


def test_stratified_split_indices_partition_the_input():
    labels = np.repeat(np.arange(10), [5, 15, 10, 10, 10, 10, 10, 10, 10, 10])
    train, test = stratified_split(labels, 10, seed=0)
    assert len(test) == 10 and len(train) == len(labels) - 10
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(len(labels)))
    # quotas 0.5, 1.5, 1, ..., 1: floors give 9 places; the leftover goes to the largest
    # fractional part, a tie between classes 0 and 1 won by the smaller label
    assert np.bincount(labels[test], minlength=10).tolist() == [1] * 10


def test_stratified_split_largest_remainder_rule():
    labels = np.repeat([0, 1, 2], [23, 37, 40])  # quotas 2.3, 3.7, 4.0 for 10 held out
    _, test = stratified_split(labels, 10, seed=5)
    assert np.bincount(labels[test], minlength=3).tolist() == [2, 4, 4]


def test_bundled_arrays_are_read_only():
    with pytest.raises(ValueError):
        load_bundled().train_images[0, 0, 0] = 1


def test_bundled_digits_are_decoded_once_per_process(monkeypatch):
    """Every window, view and test loads the bundled data: the two files are decompressed
    once, then each split is shared. (How fast the decoding is, ``cnnviz bench`` measures:
    a wall-clock bound here failed whenever the loaded machine descheduled the test.)"""
    from cnnviz.data import datasets

    reads = []
    real = datasets.read_idx
    monkeypatch.setattr(datasets, "read_idx", lambda path: reads.append(path) or real(path))
    datasets._bundled_arrays.cache_clear()
    load_bundled.cache_clear()
    try:
        first = load_bundled()
        assert load_bundled() is first
        other = load_bundled(seed=1)
        assert len(reads) == 2                      # the images and the labels, once
        assert not np.array_equal(other.test_labels, first.test_labels)
    finally:
        datasets._bundled_arrays.cache_clear()      # later tests decode with the real reader
        load_bundled.cache_clear()


def test_images_to_float():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    x = images_to_float(images)
    assert x.shape == (1, 1, 2, 2) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, 0], [[0, 1], [0.2, 0.4]], rtol=1e-6)
    with pytest.raises(ValueError, match="N, H, W"):
        images_to_float(images[0])  # a single image must be given as a batch of one


# --- IDX folders -----------------------------------------------------------------------------


def _write_folder(folder, n_train=12, n_test=5, gz=True, labels_high=10, image_shape=(28, 28)):
    rng = np.random.default_rng(0)
    suffix = ".gz" if gz else ""
    write_idx(folder / f"train-images-idx3-ubyte{suffix}", rng.integers(0, 256, (n_train, *image_shape), dtype=np.uint8))
    write_idx(folder / f"train-labels-idx1-ubyte{suffix}", rng.integers(0, labels_high, n_train, dtype=np.uint8))
    write_idx(folder / "t10k-images-idx3-ubyte", rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8))
    write_idx(folder / "t10k-labels-idx1-ubyte", rng.integers(0, 10, n_test, dtype=np.uint8))
    return folder


@pytest.mark.parametrize("gz", [True, False])
def test_folder_loads_plain_and_gz(tmp_path, gz):
    data = load_idx_folder(_write_folder(tmp_path, gz=gz))
    assert (data.n_train, data.n_test) == (12, 5)
    assert data.train_images.shape == (12, 28, 28)
    assert data.name == tmp_path.name


def test_folder_missing_files_listed(tmp_path):
    _write_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    (tmp_path / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DatasetError) as info:
        load_idx_folder(tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message
    assert "t10k-labels-idx1-ubyte" in message and "train-images-idx3-ubyte" in message
    assert "train-labels" not in message


def test_folder_count_mismatch(tmp_path):
    _write_folder(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(4, np.uint8))
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte holds 5 images but t10k-labels-idx1-ubyte holds 4"):
        load_idx_folder(tmp_path)


def test_folder_wrong_image_shape(tmp_path):
    _write_folder(tmp_path, image_shape=(32, 32))
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte.gz: expected images of shape \(N, 28, 28\)"):
        load_idx_folder(tmp_path)


def test_folder_wrong_image_dtype(tmp_path):
    _write_folder(tmp_path)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((5, 28, 28), np.float32))
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte: .*float32"):
        load_idx_folder(tmp_path)


def test_folder_labels_out_of_range(tmp_path):
    _write_folder(tmp_path, labels_high=12)
    with pytest.raises(DatasetError, match="train-labels-idx1-ubyte.gz: labels must be 0..9"):
        load_idx_folder(tmp_path)


def test_folder_malformed_file_raises_idx_error(tmp_path):
    _write_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01")
    with pytest.raises(IdxError, match="t10k-labels-idx1-ubyte: truncated"):
        load_idx_folder(tmp_path)


# --- by name ---------------------------------------------------------------------------------


def test_load_dataset_bundled_and_folder(tmp_path):
    assert load_dataset("bundled") is load_bundled()
    assert load_dataset(str(_write_folder(tmp_path))).n_train == 12


def test_load_dataset_mnist_from_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_CACHE_DIR", str(tmp_path))
    with pytest.raises(DatasetError, match="cnnviz data download"):
        load_dataset("mnist")
    (tmp_path / "mnist").mkdir()
    _write_folder(tmp_path / "mnist")
    data = load_dataset("mnist")
    assert data.name == "mnist" and data.n_train == 12


def test_load_dataset_unknown(tmp_path):
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_dataset(str(tmp_path / "nope"))
