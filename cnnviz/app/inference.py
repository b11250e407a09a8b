"""The app's one inference service: the probe's trace, computed once per change, shared.

``AppState`` owns one ``Inference``. It holds the UI-side network (a copy of the worker's
weights, never the worker's network) and answers two questions for every view:

* ``trace(probe)``: the probe digit's layer-by-layer ``Trace`` (every layer's output, pool
  masks, class probabilities) with the current weights. It runs the network once per change
  of weights, network or probe; asking again returns the same object. Views read it as
  ``state.trace`` (and ``state.probabilities``) and never run their own forward pass for the
  probe;
* ``probabilities(image)``: the class probabilities ``(classes,)`` of some other digit
  ``(28, 28)`` (a browsed digit that is not the probe, the drawing while a dataset digit is
  the probe), remembered for the current weights so that views asking about the same digit
  share one forward pass.

``weights_changed()`` / ``set_network(net)`` are called by the state when new weights (a
training snapshot, a replayed step) or another network arrive. ``passes`` counts the forward
passes run (tests check that a change costs one).
"""

from __future__ import annotations

import numpy as np

from ..nn.network import Network, Trace

#: how many other digits' probabilities are remembered for the current weights
OTHER_DIGITS_KEPT = 8


class Inference:
    """The probe's trace and other digits' probabilities for ``net`` (see the module)."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.passes = 0
        self._trace: Trace | None = None
        self._traced: bytes | None = None            # the probe the trace is of
        self._others: dict[bytes, np.ndarray] = {}

    def set_network(self, net: Network) -> None:
        """Another network (a loaded checkpoint, a reset, a new architecture)."""
        self.net = net
        self.weights_changed()

    def weights_changed(self) -> None:
        """``net``'s weights changed: every answer is computed afresh on the next question."""
        self._trace, self._traced = None, None
        self._others.clear()

    def trace(self, probe: np.ndarray) -> Trace:
        """The ``Trace`` of ``probe (28, 28)`` float32 in [0, 1] with the current weights."""
        key = _key(probe)
        if self._trace is None or self._traced != key:
            # the last weights of a diverging run can be huge: show what they give, no warnings
            with np.errstate(over="ignore", invalid="ignore"):
                self._trace = self.net.trace(np.asarray(probe, np.float32)[None, None])
            self._traced = key
            self.passes += 1
        return self._trace

    def probabilities(self, image: np.ndarray) -> np.ndarray:
        """``(classes,)`` class probabilities of ``image (28, 28)`` in [0, 1]."""
        image = np.asarray(image, np.float32)
        key = _key(image)
        if self._trace is not None and key == self._traced:
            return self._trace.probabilities[0]
        found = self._others.get(key)
        if found is None:
            with np.errstate(over="ignore", invalid="ignore"):
                found = self.net.predict_proba(image[None, None])[0]
            self.passes += 1
            if len(self._others) >= OTHER_DIGITS_KEPT:
                self._others.pop(next(iter(self._others)))
            self._others[key] = found
        return found


def _key(image: np.ndarray) -> bytes:
    """An exact identity for a small image (28 x 28 float32: 3 KB)."""
    return np.ascontiguousarray(image, dtype=np.float32).tobytes()
