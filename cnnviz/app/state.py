"""The app's shared state: the model the views show, the probe digit and its trace.

Views never touch the training worker. They read ``AppState`` and listen to its signals:

* ``modelChanged``: a different network was loaded or reset (its config may differ);
* ``paramsChanged``: the weights changed (a training snapshot arrived, a model was loaded);
* ``probeChanged``: a different probe digit (dataset browser or drawing pad);
* ``traceChanged(trace)``: the probe's layer-by-layer trace with the current weights;
* ``datasetChanged``: another dataset was opened;
* ``modifiedChanged(bool)``: the model was trained since it was loaded, reset or saved
  (``modified``; closing the window then asks to save it);
* ``channelSelected(layer, channel)``: a channel was clicked in some view (the channel card
  shows it);
* ``pixelSelected(layer, channel, row, col)``: a feature-map pixel was clicked (the
  convolution explainer takes it apart);
* ``cellSelected(true, predicted)``: a confusion-matrix cell was chosen (the embedding
  rings its digits);
* ``progressed(snapshot)``: a training ``Snapshot`` was applied (its weights are already in
  ``net`` and ``trace``); ``lossesArrived(snapshot)``: every snapshot's batch losses, also
  those of snapshots never drawn;
* ``epochEnded(event)``: an ``EpochEvent``; then ``evaluated(result)``: the held-out
  ``EvalResult`` (of an epoch, Evaluate now, a replayed step; ``None``: no evaluation at
  this point, views clear what they showed). ``evaluation`` keeps the newest;
* ``stepped(detail)``: the ``StepDetail`` of one Step (weights before and after).

Views connect to these in their own ``__init__``; the window (or a script, or a test) only
calls the ``publish_*`` / ``apply_snapshot`` / ``select_*`` methods, so a view works on an
``AppState`` alone, without a window.

The state owns a UI-side copy of the network (``self.net``) used only for inference on the
UI thread, through its one inference service (``self.inference``, ``cnnviz.app.inference``):
the probe's trace is computed once per change of weights, network or probe and shared by
every view (``trace``, ``probabilities``); ``predict(image)`` gives another digit's
probabilities, shared too. The worker's network is never shared: weights reach the UI as
copies made by the worker and are copied again into ``self.net``.

Views never run the network themselves on the UI thread: a gradient or a batch of occluded
copies runs in a ``cnnviz.app.probe_job.ProbeJob`` on a detached copy, tagged with
``version`` (bumped on any change of network, weights or probe) and ``probe_version`` (bumped
when the network or the probe changes) so that a result for a stale network or probe is
dropped.

Keeping the UI cheap while training (the worker shares the GIL with the UI thread):

* ``is_exposed(view)``: a view does no work unless some of it is on screen. ``isVisible()``
  alone is not enough: Qt leaves a dock tabbed behind another *visible*, moved off the window.
* ``refresh_queue()``: while a training snapshot is applied (``with refresh_queue().spread():``)
  each view's ``request_refresh(view, fn)`` is queued and the queue runs ONE view per
  event-loop turn, so no single turn redraws every view. Outside ``spread()`` (tests, a
  loaded model) ``request_refresh`` runs ``fn`` at once.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

import numpy as np
from PyQt6 import sip
from PyQt6.QtCore import QCoreApplication, QObject, QTimer, pyqtSignal
from PyQt6.QtGui import QShowEvent

from ..nn.checkpoint import read_checkpoint_metadata
from ..nn.network import Network, Trace, build_network
from .inference import Inference


def is_exposed(widget) -> bool:
    """True if some of ``widget`` is on screen (shown, not a dock tabbed behind another)."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


def catch_up_when_raised(dock) -> None:
    """Give ``dock``'s view a show event when its tab is brought to the front.

    Views catch up in ``showEvent`` on what they skipped while not exposed; a dock tabbed
    behind another stays "visible" to Qt, so raising its tab delivers no show event itself.
    """
    def deliver(view) -> None:
        if not sip.isdeleted(view) and is_exposed(view):
            QCoreApplication.sendEvent(view, QShowEvent())

    def on_visibility(visible: bool) -> None:
        from .view_frame import view_of
        view = view_of(dock)
        if visible and view is not None:       # after Qt has moved the tab on screen
            QTimer.singleShot(0, lambda: deliver(view))
    dock.visibilityChanged.connect(on_visibility)


class RefreshQueue(QObject):
    """View refreshes spread over event-loop turns, one view per turn, newest request wins.

    ``request(key, fn)`` runs ``fn()`` now unless inside ``spread()``; then it is queued
    (a second request for the same ``key`` replaces the first) and run from a zero-interval
    timer, one per turn, in request order. ``runs`` counts refreshes run from the queue.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._queue: dict[object, Callable[[], None]] = {}
        self._depth = 0
        self.runs = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._run_one)

    @property
    def spreading(self) -> bool:
        return self._depth > 0

    @property
    def pending(self) -> int:
        """How many refreshes wait in the queue."""
        return len(self._queue)

    @contextmanager
    def spread(self):
        """Queue the refreshes requested inside this block instead of running them."""
        self._depth += 1
        try:
            yield self
        finally:
            self._depth -= 1

    def request(self, key, fn: Callable[[], None]) -> None:
        if not self._depth:
            fn()
            return
        self._queue.pop(key, None)          # re-queued at the end: the newest request wins
        self._queue[key] = fn
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Run everything queued now (tests, shutdown)."""
        while self._queue:
            self._run_one()

    def _run_one(self) -> None:
        if not self._queue:
            return
        key = next(iter(self._queue))
        fn = self._queue.pop(key)
        if isinstance(key, QObject) and sip.isdeleted(key):     # a closed window's view
            fn = None
        self.runs += 1
        try:
            if fn is not None:
                fn()
        finally:
            if self._queue:
                self._timer.start()


_QUEUE: RefreshQueue | None = None


def refresh_queue() -> RefreshQueue:
    """The app's one ``RefreshQueue`` (created on first use, on the UI thread)."""
    global _QUEUE
    if _QUEUE is None:
        _QUEUE = RefreshQueue()
    return _QUEUE


def request_refresh(view, fn: Callable[[], None]) -> None:
    """Run ``fn`` (``view``'s redraw) now, or in its own turn while a snapshot is applied."""
    refresh_queue().request(view, fn)


def checkpoint_training(path) -> tuple[bool, float | None]:
    """``(trained, held-out accuracy or None)`` from a checkpoint's metadata: a checkpoint
    that records epochs trained or a held-out accuracy counts as pre-trained."""
    try:
        meta = read_checkpoint_metadata(path)
    except Exception:
        return False, None
    accuracy = meta.get("held_out_accuracy")
    accuracy = float(accuracy) if isinstance(accuracy, (int, float)) else None
    epochs = meta.get("epochs_trained")
    trained = accuracy is not None or (isinstance(epochs, int) and epochs > 0)
    return trained, accuracy


class AppState(QObject):
    modelChanged = pyqtSignal()
    paramsChanged = pyqtSignal()
    probeChanged = pyqtSignal()
    traceChanged = pyqtSignal(object)
    datasetChanged = pyqtSignal()
    modifiedChanged = pyqtSignal(bool)
    channelSelected = pyqtSignal(str, int)
    pixelSelected = pyqtSignal(str, int, int, int)
    cellSelected = pyqtSignal(int, int)
    progressed = pyqtSignal(object)
    lossesArrived = pyqtSignal(object)
    epochEnded = pyqtSignal(object)
    evaluated = pyqtSignal(object)
    stepped = pyqtSignal(object)

    def __init__(self, net: Network | None = None, dataset=None, parent=None) -> None:
        super().__init__(parent)
        self.net: Network = net or build_network()
        self.dataset = dataset                        # cnnviz.data.Dataset or None
        self.model_name = "untrained"                 # shown in the title bar
        self.pretrained = False                       # a trained checkpoint (bundled, loaded)
        self.model_accuracy: float | None = None      # its held-out accuracy, when recorded
        self.modified = False                         # trained since loaded, reset or saved
        self.probe_image = np.zeros((28, 28), np.float32)   # (28, 28) float32 in [0, 1]
        self.probe_label: int | None = None           # the true label when known
        self.probe_source = "dataset"                 # "dataset" or "drawing"
        self.probe_index: int | None = None           # index into the held-out set
        self.inference = Inference(self.net)           # the probe's one forward pass
        # bumped on every change the probe's trace depends on (network, weights, probe) /
        # only when the network or the probe changes: background results carry them as tags
        self.version = 0
        self.probe_version = 0
        self.trace: Trace = self.inference.trace(self.probe_image)
        self.selected_channel: tuple[str, int] | None = None   # (layer name, channel)
        self.evaluation = None                        # the newest held-out EvalResult
        # what earlier runs trained this model (a second Start continues it): views number
        # a run's steps and epochs (``Snapshot.step``, ``position``, which count from 0 in
        # every run) as the model's by adding these, as the loss plot's x axis does
        self.epochs_before = 0.0                      # epochs trained in earlier runs
        self.steps_before = 0                         # mini-batches trained in earlier runs

    # -- model -------------------------------------------------------------------------
    def set_model(self, net: Network, name: str, pretrained: bool = False,
                  accuracy: float | None = None) -> None:
        """Replace the inference network (a loaded checkpoint, a reset). ``pretrained``: it
        was trained already (``accuracy``: its recorded held-out accuracy, if known)."""
        self.net, self.model_name = net, name
        self.inference.set_network(net)
        self._bump(probe=True)
        self.pretrained, self.model_accuracy = bool(pretrained), accuracy
        self.modified = False
        self.evaluation = None                        # it was another network's
        self.epochs_before, self.steps_before = 0.0, 0    # no run has trained this one yet
        # the new network's trace first: a view reading state.trace on modelChanged must not
        # get the old network's layers
        self._compute_trace()
        self.modelChanged.emit()
        self.paramsChanged.emit()
        self.traceChanged.emit(self.trace)

    def set_modified(self, modified: bool) -> None:
        """Mark the model as trained since its last load or save (or, ``False``, as saved)."""
        if bool(modified) != self.modified:
            self.modified = bool(modified)
            self.modifiedChanged.emit(self.modified)

    def set_params(self, params: dict[str, np.ndarray]) -> None:
        """Copy new weights (e.g. from a training snapshot) into the inference network."""
        self.net.load_params(params)
        self.inference.weights_changed()
        self._bump()
        self.paramsChanged.emit()
        self._retrace()

    def select_channel(self, layer: str, channel: int) -> None:
        """Make ``channel`` of ``layer`` (a name of ``net.trace``) the one to explain."""
        self.selected_channel = (str(layer), int(channel))
        self.channelSelected.emit(str(layer), int(channel))

    def select_pixel(self, layer: str, channel: int, row: int, col: int) -> None:
        """Explain output pixel ``(row, col)`` of ``channel`` of ``layer`` (a trace name)."""
        self.pixelSelected.emit(str(layer), int(channel), int(row), int(col))

    def select_cell(self, true: int, predicted: int) -> None:
        """The held-out digits of class ``true`` read as ``predicted`` are the ones to show."""
        self.cellSelected.emit(int(true), int(predicted))

    # -- training ---------------------------------------------------------------------------
    def apply_snapshot(self, snapshot) -> None:
        """A training ``Snapshot`` to show: its weights (retraced), then ``progressed``."""
        self.set_params(snapshot.params)
        self.progressed.emit(snapshot)

    def publish_losses(self, snapshot) -> None:
        """Every snapshot's batch losses (cheap; the drawing waits for ``progressed``)."""
        self.lossesArrived.emit(snapshot)

    def publish_epoch(self, event) -> None:
        """An epoch ended (``EpochEvent``): ``epochEnded``, then its held-out evaluation."""
        self.epochEnded.emit(event)
        self.publish_evaluation(event.evaluation)

    def publish_evaluation(self, result) -> None:
        """A held-out ``EvalResult`` of the current weights (``None``: none at this point)."""
        self.evaluation = result
        self.evaluated.emit(result)

    def publish_step(self, detail) -> None:
        """One Step's ``StepDetail`` (what the batch did to the weights)."""
        self.stepped.emit(detail)

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
        self._bump(probe=True)
        self.probeChanged.emit()
        self._retrace()

    def _bump(self, probe: bool = False) -> None:
        """A change of weights (or, ``probe``, of the network or the probe digit)."""
        self.version += 1
        if probe:
            self.probe_version += 1

    def _retrace(self) -> None:
        self._compute_trace()
        self.traceChanged.emit(self.trace)

    def _compute_trace(self) -> None:
        self.trace = self.inference.trace(self.probe_image)

    def predict(self, image: np.ndarray) -> np.ndarray:
        """``(classes,)`` probabilities of digit ``image (28, 28)`` with the current weights
        (the probe's come from its trace; others are shared by every view asking)."""
        return self.inference.probabilities(image)

    @property
    def probabilities(self) -> np.ndarray:
        """``(classes,)`` the probe's class probabilities with the current weights."""
        return self.trace.probabilities[0]
