"""The app's shared state: the model the views show, the probe digit and its trace.

Views never touch the training worker. They read ``AppState`` and listen to its signals:

* ``modelChanged``: a different network was loaded or reset (its config may differ);
* ``paramsChanged``: the weights changed (a training snapshot arrived, a model was loaded);
* ``probeChanged``: a different probe digit (dataset browser or drawing pad);
* ``traceChanged(trace)``: the probe's layer-by-layer trace with the current weights;
* ``datasetChanged``: another dataset was opened.

The state owns a UI-side copy of the network (``self.net``) used only for inference on the
UI thread. The worker's network is never shared: weights reach the UI as copies made by the
worker and are copied again into ``self.net``.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QObject, pyqtSignal

from ..nn.network import Network, Trace, build_network


class AppState(QObject):
    modelChanged = pyqtSignal()
    paramsChanged = pyqtSignal()
    probeChanged = pyqtSignal()
    traceChanged = pyqtSignal(object)
    datasetChanged = pyqtSignal()

    def __init__(self, net: Network | None = None, dataset=None, parent=None) -> None:
        super().__init__(parent)
        self.net: Network = net or build_network()
        self.dataset = dataset                        # cnnviz.data.Dataset or None
        self.model_name = "untrained"                 # shown in the title bar
        self.probe_image = np.zeros((28, 28), np.float32)   # (28, 28) float32 in [0, 1]
        self.probe_label: int | None = None           # the true label when known
        self.probe_source = "dataset"                 # "dataset" or "drawing"
        self.probe_index: int | None = None           # index into the held-out set
        self.trace: Trace = self.net.trace(self.probe_image[None, None])

    # -- model -------------------------------------------------------------------------
    def set_model(self, net: Network, name: str) -> None:
        """Replace the inference network (a loaded checkpoint, a reset)."""
        self.net, self.model_name = net, name
        self.modelChanged.emit()
        self.paramsChanged.emit()
        self._retrace()

    def set_params(self, params: dict[str, np.ndarray]) -> None:
        """Copy new weights (e.g. from a training snapshot) into the inference network."""
        self.net.load_params(params)
        self.paramsChanged.emit()
        self._retrace()

    # -- data ----------------------------------------------------------------------------
    def set_dataset(self, dataset) -> None:
        self.dataset = dataset
        self.datasetChanged.emit()

    # -- probe -----------------------------------------------------------------------------
    def set_probe(self, image: np.ndarray, label: int | None = None, source: str = "dataset",
                  index: int | None = None) -> None:
        """Make ``image (28, 28)`` in [0, 1] the digit every activation view shows."""
        image = np.asarray(image, dtype=np.float32)
        if image.shape != (28, 28):
            raise ValueError(f"probe image must be 28x28, got {image.shape}")
        self.probe_image, self.probe_label = image.copy(), label
        self.probe_source, self.probe_index = source, index
        self.probeChanged.emit()
        self._retrace()

    def _retrace(self) -> None:
        self.trace = self.net.trace(self.probe_image[None, None])
        self.traceChanged.emit(self.trace)

    @property
    def probabilities(self) -> np.ndarray:
        """``(classes,)`` the probe's class probabilities with the current weights."""
        return self.trace.probabilities[0]
