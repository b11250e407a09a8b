"""Datasets: the bundled 10,000 MNIST digits, any folder of IDX files, the downloaded MNIST.

Every loader returns a :class:`Dataset` holding read-only uint8 arrays:
images ``(N, 28, 28)`` white digit on black, labels ``(N,)`` with values 0..9.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnviz.data.download import mnist_cache_dir
from cnnviz.data.idx import read_idx
from cnnviz.resources import resource_path

__all__ = [
    "Dataset",
    "DatasetError",
    "IDX_NAMES",
    "BUNDLED_TEST_SIZE",
    "load_bundled",
    "load_idx_folder",
    "load_dataset",
    "stratified_split",
    "images_to_float",
]

#: The four standard file names (each may also carry a ``.gz`` suffix).
IDX_NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

#: How many of the 10,000 bundled digits are held out for testing.
BUNDLED_TEST_SIZE = 1000

N_CLASSES = 10


class DatasetError(ValueError):
    """A dataset is missing files or its files do not fit together."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test pair of images and labels.

    train_images: (N_train, 28, 28) uint8, white digit on black
    train_labels: (N_train,) uint8 in 0..9
    test_images:  (N_test, 28, 28) uint8
    test_labels:  (N_test,) uint8
    """

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray

    @property
    def n_train(self) -> int:
        return len(self.train_labels)

    @property
    def n_test(self) -> int:
        return len(self.test_labels)


def images_to_float(images: np.ndarray) -> np.ndarray:
    """Network input from stored images: uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) in [0, 1]."""
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"expected images of shape (N, H, W), got {images.shape}")
    return (images.astype(np.float32) / np.float32(255.0))[:, np.newaxis, :, :]


# ---------------------------------------------------------------------------------------------
# The bundled digits


def stratified_split(labels: np.ndarray, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split indices of ``labels`` (N,) into (train_indices, test_indices), keeping class ratios.

    Rule: class c with n_c members gets a quota q_c = n_c * n_test / N. Each class first
    receives floor(q_c) test places; the places left over go one each to the classes with
    the largest fractional parts of q_c (ties: the smaller class label). Within each class,
    a permutation drawn from ``np.random.default_rng(seed)`` (classes visited 0, 1, ..., 9)
    picks which digits are held out. Both index arrays come back sorted ascending.
    """
    labels = np.asarray(labels)
    counts = np.bincount(labels, minlength=N_CLASSES)
    quotas = counts * n_test / len(labels)
    per_class = np.floor(quotas).astype(int)
    leftover = n_test - per_class.sum()
    by_remainder = np.lexsort((np.arange(len(counts)), -(quotas - per_class)))
    per_class[by_remainder[:leftover]] += 1

    rng = np.random.default_rng(seed)
    test_parts = []
    for c in range(len(counts)):
        members = np.flatnonzero(labels == c)
        test_parts.append(rng.permutation(members)[: per_class[c]])
    test = np.sort(np.concatenate(test_parts))
    train = np.setdiff1d(np.arange(len(labels)), test, assume_unique=True)
    return train, test


@functools.lru_cache(maxsize=1)
def _bundled_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 bundled digits, decoded once per process: (10000, 28, 28), (10000,) uint8."""
    images = read_idx(resource_path("mnist", "t10k-images-idx3-ubyte.gz"))
    labels = read_idx(resource_path("mnist", "t10k-labels-idx1-ubyte.gz"))
    return _read_only(images), _read_only(labels)


@functools.lru_cache(maxsize=8)
def load_bundled(seed: int = 0) -> Dataset:
    """The 10,000 MNIST test digits shipped with cnnviz, split 9,000 train / 1,000 test.

    The split is stratified by class (see :func:`stratified_split` for the exact rule), so
    the 1,000 held-out digits keep the class ratios of the 10,000; the same ``seed`` always
    gives the same split. Results are cached per seed; the arrays are read-only.
    """
    images, labels = _bundled_arrays()
    train, test = stratified_split(labels, BUNDLED_TEST_SIZE, seed)
    return Dataset(
        name="bundled",
        train_images=_read_only(images[train]),
        train_labels=_read_only(labels[train]),
        test_images=_read_only(images[test]),
        test_labels=_read_only(labels[test]),
    )


# ---------------------------------------------------------------------------------------------
# Folders of IDX files


def load_idx_folder(folder: str | os.PathLike, name: str | None = None) -> Dataset:
    """Load a folder holding the four standard IDX files (see :data:`IDX_NAMES`), plain or .gz.

    Works for MNIST, Fashion-MNIST and KMNIST, which share the file names. Raises
    :class:`DatasetError` for missing files, image/label count mismatches, images that are
    not (N, 28, 28) uint8 or labels outside 0..9; :class:`~cnnviz.data.idx.IdxError` for a
    malformed file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder")
    found, missing = {}, []
    for base in IDX_NAMES:
        for candidate in (folder / base, folder / (base + ".gz")):
            if candidate.is_file():
                found[base] = candidate
                break
        else:
            missing.append(base)
    if missing:
        raise DatasetError(
            f"{folder}: missing {', '.join(f'{m}[.gz]' for m in missing)}"
        )

    arrays = {}
    for base, path in found.items():
        arrays[base] = read_idx(path)
        _check(path, arrays[base], is_images="images" in base)
    for split in ("train", "t10k"):
        images_path = found[f"{split}-images-idx3-ubyte"]
        labels_path = found[f"{split}-labels-idx1-ubyte"]
        n_images = len(arrays[f"{split}-images-idx3-ubyte"])
        n_labels = len(arrays[f"{split}-labels-idx1-ubyte"])
        if n_images != n_labels:
            raise DatasetError(
                f"{images_path.name} holds {n_images} images but "
                f"{labels_path.name} holds {n_labels} labels (in {folder})"
            )

    return Dataset(
        name=name or folder.name,
        train_images=_read_only(arrays["train-images-idx3-ubyte"]),
        train_labels=_read_only(arrays["train-labels-idx1-ubyte"]),
        test_images=_read_only(arrays["t10k-images-idx3-ubyte"]),
        test_labels=_read_only(arrays["t10k-labels-idx1-ubyte"]),
    )


def _check(path: Path, array: np.ndarray, is_images: bool) -> None:
    """Raise DatasetError unless ``array`` is (N, 28, 28) uint8 images or (N,) 0..9 labels."""
    if is_images:
        if array.dtype != np.uint8 or array.ndim != 3 or array.shape[1:] != (28, 28):
            raise DatasetError(
                f"{path}: expected images of shape (N, 28, 28) and dtype uint8, "
                f"got {array.shape} {array.dtype}"
            )
        return
    if array.ndim != 1 or array.dtype != np.uint8:
        raise DatasetError(f"{path}: expected labels of shape (N,) uint8, got {array.shape} {array.dtype}")
    if array.size and array.max() >= N_CLASSES:
        bad = np.flatnonzero(array >= N_CLASSES)
        raise DatasetError(
            f"{path}: labels must be 0..9 but {len(bad)} are not (first: {array[bad[0]]} at index {bad[0]})"
        )


# ---------------------------------------------------------------------------------------------
# By name


def load_dataset(spec: str) -> Dataset:
    """Load a dataset by name: ``"bundled"``, ``"mnist"`` (the downloaded full MNIST), or a folder path."""
    if spec == "bundled":
        return load_bundled()
    if spec == "mnist":
        folder = mnist_cache_dir()
        try:
            return load_idx_folder(folder, name="mnist")
        except DatasetError as exc:
            raise DatasetError(
                f"the full MNIST is not downloaded yet ({exc}); run `cnnviz data download`"
            ) from None
    if not Path(spec).is_dir():
        raise DatasetError(f"unknown dataset {spec!r}: expected 'bundled', 'mnist' or a folder of IDX files")
    return load_idx_folder(spec)


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array
