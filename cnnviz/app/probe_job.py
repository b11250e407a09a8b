"""One view's gradients (or other network passes) on the probe, off the UI thread.

The probe's forward trace comes from the state's inference service (``state.trace``). What
a view needs beyond it (a gradient, guided backprop, a batch of occluded copies, a replay
with old weights) runs in a ``ProbeJob``::

    self.job = ProbeJob(state, self)
    self.job.ready.connect(self._draw_result)          # result (UI thread)
    layout.addWidget(self.job.note)                     # "computing…" / a one-line error
    ...
    self.job.submit(lambda net, probe: explain.grad_cam(net, probe, cls), settings=(cls,))

``submit(work, settings)`` copies the UI-side network (``explain.detached_copy``) and the
probe on the UI thread (a few arrays), then runs ``work(net, probe)`` in a worker thread
(``BackgroundJob``: one at a time, the newest request replaces a waiting one). The result
is tagged with the state's ``probe_version`` and ``version`` and the view's ``settings``;
it reaches ``ready(result)`` only if it still describes what the view shows:

* the same network and probe digit (``state.probe_version``): otherwise it is dropped;
* the view's newest ``settings`` (a class, a layer chosen meanwhile): otherwise dropped;
* weights no older than those of the result drawn last. A result one training snapshot old
  is still drawn (a newer one is on its way), so a view keeps up while snapshots stream in
  faster than it computes instead of dropping every result.

``dropped`` counts the results thrown away. Meanwhile the view keeps its last picture;
``note`` says "computing…" (once a job has run ``NOTE_DELAY_MS``), or the one-line message
of a failed computation (never a crash). ``job`` is the underlying ``BackgroundJob`` (its ``settled`` signal: nothing left
to run; ``export_views`` waits on it).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np
from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtWidgets import QLabel

from .. import explain
from .background import BackgroundJob

COMPUTING = "computing…"
NOTE_CHARS = 100          # an error longer than this is cut in the note (whole in its tooltip)
NOTE_STYLE, ERROR_STYLE = "color: gray;", "color: #d32f2f;"
NOTE_DELAY_MS = 250       # "computing…" only for a job still running after this long: the
                          # millisecond jobs of live training would make it flicker


class ProbeJob(QObject):
    """A view's background computation on the probe, dropped when stale (see the module)."""

    ready = pyqtSignal(object)         # the result, for the current network and probe
    failed = pyqtSignal(str)           # a one-line message (also shown in ``note``)

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.job = BackgroundJob(self)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)
        self.note = QLabel("")
        self.note.setObjectName("computingNote")
        self.note.setStyleSheet(NOTE_STYLE)
        # room for the note kept: its coming and going never shifts the controls beside it
        self.note.setMinimumWidth(self.note.fontMetrics().horizontalAdvance(COMPUTING) + 6)
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.setInterval(NOTE_DELAY_MS)
        self._note_timer.timeout.connect(self._show_computing)
        self.dropped = 0
        self._settings: Hashable = None
        self._drawn_version = -1
        self._drawn_probe_version = -1

    @property
    def busy(self) -> bool:
        return self.job.busy

    def submit(self, work: Callable[[object, np.ndarray], object],
               settings: Hashable = None) -> None:
        """Run ``work(net, probe)`` (``net``: a detached copy of ``state.net``; ``probe``:
        a copy of ``state.probe_image (H, W)`` float32) in a worker thread."""
        state = self.state
        self._settings = settings
        net = explain.detached_copy(state.net)
        probe = np.array(state.probe_image, dtype=np.float32, copy=True)
        tag = (state.probe_version, state.version, settings)

        def run():
            with np.errstate(over="ignore", invalid="ignore"):   # a diverging run's weights
                return work(net, probe)
        if not self._note_timer.isActive():
            self._note_timer.start()
        self.job.submit(tag, run)

    def _show_computing(self) -> None:
        if self.job.busy:
            self.note.setStyleSheet(NOTE_STYLE)
            self.note.setText(COMPUTING)
            self.note.setToolTip("")

    def _clear_note(self) -> None:
        if not self.job.busy:
            self._note_timer.stop()
            self.note.setText("")

    def _stale(self, tag) -> bool:
        probe_version, version, settings = tag
        if probe_version != self.state.probe_version or settings != self._settings:
            return True
        return probe_version == self._drawn_probe_version and version < self._drawn_version

    def _on_finished(self, tag, result) -> None:
        self._clear_note()
        if self._stale(tag):
            self.dropped += 1
            return
        self._drawn_probe_version, self._drawn_version = tag[0], tag[1]
        self.ready.emit(result)

    def _on_failed(self, tag, message: str) -> None:
        self._clear_note()
        if self._stale(tag):
            self.dropped += 1
            return
        self._note_timer.stop()
        line = (message.splitlines() or ["failed"])[0]
        line = line if len(line) <= NOTE_CHARS else line[:NOTE_CHARS - 1] + "…"
        self.note.setStyleSheet(ERROR_STYLE)
        self.note.setText(line)
        self.note.setToolTip(message)
        self.failed.emit(line)
