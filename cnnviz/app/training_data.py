"""The training arrays of the loaded dataset, converted to float off the UI thread.

Training needs the digits as float32 ``(N, 1, 28, 28)`` in [0, 1]; the dataset holds uint8
``(N, 28, 28)``. Converting took 57 ms for the bundled set on an idle machine and ~200 ms at
load 18 (six times as long for full MNIST), on the UI thread at the first Start or Step: the
largest part of that first Step's stall. ``TrainingData`` starts the conversion in a
``BackgroundJob`` as soon as a dataset is loaded, so a Start or Step usually finds it done;
asked before that, it converts at once (the result is the same).
"""

from __future__ import annotations

from PyQt6.QtCore import QObject

from ..data import images_to_float
from .background import BackgroundJob


def float_arrays(dataset) -> tuple:
    """``(train images (N, 1, 28, 28) float32, train labels, test images, test labels)``."""
    return (images_to_float(dataset.train_images), dataset.train_labels,
            images_to_float(dataset.test_images), dataset.test_labels)


class TrainingData(QObject):
    """The float arrays of one dataset at a time, prepared in the background."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._dataset = None
        self._arrays: tuple | None = None
        self._job = BackgroundJob(self)
        self._job.finished.connect(self._on_converted)

    def prepare(self, dataset) -> None:
        """Start converting ``dataset`` (None: forget the arrays)."""
        self._dataset, self._arrays = dataset, None
        if dataset is not None:
            self._job.submit(dataset, lambda: float_arrays(dataset))

    def ready(self, dataset) -> bool:
        """The arrays of ``dataset`` are converted."""
        return self._arrays is not None and self._dataset is dataset

    def arrays(self, dataset) -> tuple:
        """The float arrays of ``dataset``: the prepared ones, or converted now."""
        if not self.ready(dataset):
            self._dataset, self._arrays = dataset, float_arrays(dataset)
        return self._arrays

    def _on_converted(self, dataset, arrays) -> None:
        if dataset is self._dataset and self._arrays is None:
            self._arrays = arrays
