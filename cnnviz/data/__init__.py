"""Data for cnnviz, in pure NumPy: IDX files, datasets and splits, the MNIST download,
and the preprocessing that turns a drawing into an MNIST-like 28x28 digit."""

from cnnviz.data.datasets import (
    Dataset,
    DatasetError,
    images_to_float,
    load_bundled,
    load_dataset,
    load_idx_folder,
)
from cnnviz.data.download import (
    DEFAULT_MIRRORS,
    MNIST_FILES,
    DownloadCancelled,
    DownloadError,
    default_cache_dir,
    download_mnist,
    mnist_cache_dir,
)
from cnnviz.data.idx import IdxError, read_idx, write_idx
from cnnviz.data.image_file import ImageFileError, load_image_file
from cnnviz.data.preprocess import PreprocessStages, preprocess_digit, preprocess_stages

__all__ = [
    "IdxError",
    "read_idx",
    "write_idx",
    "Dataset",
    "DatasetError",
    "load_bundled",
    "load_idx_folder",
    "load_dataset",
    "images_to_float",
    "MNIST_FILES",
    "DEFAULT_MIRRORS",
    "DownloadError",
    "DownloadCancelled",
    "default_cache_dir",
    "mnist_cache_dir",
    "download_mnist",
    "PreprocessStages",
    "preprocess_digit",
    "preprocess_stages",
    "ImageFileError",
    "load_image_file",
]
