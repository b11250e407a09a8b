"""Compare two architectures: the current one and a challenger, trained side by side.

Start trains BOTH from fresh weights of the same seed (so neither starts ahead), on the same
training images in the same batch order with the same settings, taking turns one mini-batch
each in one worker thread (``app/compare_run.py``, loop ``cnnviz.training.compare``). The
main model and its training run are never touched: a comparison answers "would this other
network learn better or faster than mine?", and the current model's weights, possibly
trained for an hour, are not an even start for a fresh challenger.

Settings: batch size, learning rate and schedule, momentum, weight decay and seed come from
``config_source()`` (the main window passes the Training controls' settings; without it, the
current architecture's preset); epochs and how many training images are this view's own, so
a quick comparison does not need a full run. The held-out set is evaluated before training
and ``EVALUATIONS_PER_EPOCH`` times an epoch.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QEvent, pyqtSignal
from PyQt6.QtGui import QFontDatabase
from PyQt6.QtWidgets import (QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                             QVBoxLayout)

from ...data import images_to_float
from ...nn.arch import ArchitectureError, resolve_arch
from ...nn.presets import PRESETS, TrainConfig
from ...training.compare import Comparison, ModelRun
from ..compare_plots import ComparePlots, CompareTable
from ..compare_run import start_comparison
from ..live_view import LiveView

EVALUATIONS_PER_EPOCH = 4
DEFAULT_IMAGES = 3000          # a comparison of the bundled lenet and a small net in ~a minute
ERROR_STYLE = "color: #b00020;"


def preset_training(arch: str) -> TrainConfig:
    """The training settings of the preset whose network is ``arch``, else lenet's."""
    for preset in PRESETS.values():
        if preset.arch == arch:
            return preset.training
    return PRESETS["lenet"].training


class CompareView(LiveView):
    """Challenger field, Start/Stop, overlaid curves and a parameters/speed/accuracy table
    (a ``LiveView``: drawn as the runs progress while on screen, caught up when shown).

    ``finished(outcome)``: a comparison ended ("completed", "stopped" or "error: ...").
    """

    finished = pyqtSignal(str)

    def __init__(self, state=None, parent=None) -> None:
        super().__init__(state, parent)
        self.config_source: Callable[[], TrainConfig] | None = None
        self.runs: list = []                # newest ModelRun copies of the current comparison
        self.batches_per_epoch = 1
        self.thread = self.worker = None
        self._run_id = 0
        self._watched = None                # the top-level window whose closing stops a run
        self._discard = False               # the running comparison's model is no longer shown
        self._current = state.net.arch if state is not None else PRESETS["lenet"].arch

        self.challenger_edit = QLineEdit(self._current)
        self.challenger_edit.setObjectName("challengerArch")
        self._fit_fixed_font()
        self.challenger_edit.setPlaceholderText("fc32 relu fc10")
        self.challenger_edit.setToolTip(
            "The challenger's architecture (as in the Architecture editor), or a preset name")
        self.arch_error = QLabel()
        self.arch_error.setObjectName("challengerError")
        self.arch_error.setWordWrap(True)
        self.arch_error.setStyleSheet(ERROR_STYLE)
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 100)
        self.epochs_spin.setValue(1)
        self.images_spin = QSpinBox()
        self.images_spin.setRange(10, 10_000_000)
        self.images_spin.setSingleStep(500)
        self.images_spin.setToolTip("Train on the first N training images (both models)")
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("compareStart")
        self.start_button.setToolTip("Train the current architecture and the challenger from "
                                     "fresh weights of the same seed, side by side")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.plots = ComparePlots()
        self.table = CompareTable()

        row = QHBoxLayout()
        row.addWidget(QLabel("Challenger"))
        row.addWidget(self.challenger_edit, 1)
        settings = QHBoxLayout()
        for label, widget in (("Epochs", self.epochs_spin), ("Images", self.images_spin)):
            settings.addWidget(QLabel(label))
            settings.addWidget(widget)
        settings.addWidget(self.start_button)
        settings.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.arch_error)
        layout.addLayout(settings)
        layout.addWidget(self.status)
        layout.addWidget(self.plots, 1)
        layout.addWidget(self.table)

        self.challenger_edit.textChanged.connect(self._validate)
        self.start_button.clicked.connect(self._on_button)
        if state is not None:
            state.modelChanged.connect(self._on_model_changed)
            state.datasetChanged.connect(self._on_dataset_changed)
        self._on_dataset_changed()
        self._show_current()
        self._validate()

    # -- settings ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.thread is not None

    def config(self) -> TrainConfig:
        """The comparison's training settings (this view's epochs)."""
        base = self.config_source() if self.config_source else preset_training(self._current)
        return base.with_overrides(epochs=self.epochs_spin.value())

    def settings_text(self) -> str:
        c = self.config()
        source = "the Training controls" if self.config_source else "its preset"
        return (f"batch {c.batch_size}, lr {c.lr:g}, momentum {c.momentum:g}, seed {c.seed} "
                f"(from {source})")

    def _show_current(self) -> None:
        """Before a run: the two architectures in the table (parameters as typed) and the
        settings a run would use."""
        if self.running or self.runs:
            return
        archs = [self._current]
        try:
            archs.append(resolve_arch(self.challenger_edit.text()).text)
        except ArchitectureError:
            pass
        self.table.show_runs([ModelRun(a, resolve_arch(a).parameter_count) for a in archs])
        self._set_status(f"Press Start to train both from fresh weights: {self.settings_text()}.")

    def _on_model_changed(self) -> None:
        """Another model is shown (opened, reset, a new architecture): the table and curves
        describe it, not an earlier comparison's "current" model. A finished comparison is
        cleared; a running one of another architecture is stopped and its results dropped
        (one of the same architecture goes on: it trains that architecture afresh anyway)."""
        old, self._current = self._current, self.state.net.arch
        if self.challenger_edit.text().strip() == old:      # untouched: follow the model
            self.challenger_edit.setText(self._current)
        if self.running:
            if old != self._current:
                self._discard = True
                self.stop()
            return
        self._clear_results()

    def _clear_results(self) -> None:
        """Forget the last comparison: empty curves, the table of the architectures now."""
        self.runs = []                    # a pending redraw draws the models now too
        self.plots.show_runs([], 1)
        self._show_current()

    def _on_dataset_changed(self) -> None:
        ds = self.state.dataset if self.state is not None else None
        n = len(ds.train_labels) if ds is not None else DEFAULT_IMAGES
        self.images_spin.setMaximum(max(10, n))
        self.images_spin.setValue(min(DEFAULT_IMAGES, n))

    def _validate(self) -> bool:
        """Parse the challenger as it is typed: its error (naming the token) inline."""
        try:
            arch = resolve_arch(self.challenger_edit.text())
        except ArchitectureError as exc:
            self.arch_error.setText(str(exc))
            self.arch_error.show()
            self.start_button.setEnabled(self.running)
            return False
        self.arch_error.setText("")
        self.arch_error.hide()
        self.challenger_edit.setToolTip(f"{arch.text}: {arch.parameter_count:,} parameters")
        self._show_current()
        self.start_button.setEnabled(not (self.worker and self.worker.stopping))
        return True

    # -- running ----------------------------------------------------------------------------
    def _on_button(self) -> None:
        if self.running:
            self.stop()
        else:
            self.start()

    def start(self) -> bool:
        """Start comparing the current architecture with the challenger; False (and why in
        the status line) if it cannot start."""
        if self.running or not self._validate():
            return False
        ds = self.state.dataset if self.state is not None else None
        if ds is None:
            self._set_status("Open a dataset first (File menu).", error=True)
            return False
        n = self.images_spin.value()
        config = self.config()
        try:
            comparison = Comparison(
                [self._current, self.challenger_edit.text()],
                images_to_float(ds.train_images[:n]), ds.train_labels[:n],
                images_to_float(ds.test_images), ds.test_labels, config,
                evaluations_per_epoch=EVALUATIONS_PER_EPOCH)
        except ValueError as exc:
            self._set_status(str(exc), error=True)
            return False
        self._run_id += 1
        self._discard = False
        self.runs = []
        self.mark_dirty()
        self.batches_per_epoch = comparison.batches_per_epoch
        self.thread, self.worker = start_comparison(comparison, self._run_id,
                                                    self._on_progress, self._on_finished)
        self._set_status(f"Training both on {n:,} images for {config.epochs} epoch(s), one "
                         f"batch each in turn: {self.settings_text()}...")
        self.start_button.setText("Stop")
        self._lock_settings(True)
        self._watch_window()
        return True

    def stop(self) -> None:
        """Ask the run to end after its current batch (returns at once)."""
        if self.worker is not None and not self.worker.stopping:
            self.worker.stop()
            self.start_button.setEnabled(False)
            self.start_button.setText("Stopping...")

    def _on_progress(self, message) -> None:
        run_id, runs = message
        if run_id != self._run_id or self._discard:
            return                       # from a run that is no longer shown
        self.runs = runs
        self.refresh_if_exposed()

    def _on_finished(self, message) -> None:
        run_id, outcome = message
        if run_id != self._run_id:
            return
        self.thread = self.worker = None       # kept in _LIVE until joined
        self.start_button.setText("Start")
        self._lock_settings(False)
        if self._discard:                      # stopped because another model was opened
            self._discard = False
            self._validate()
            self._clear_results()
            self._set_status(f"The comparison was stopped: the model changed to "
                             f"{self._current}. {self.status.text()}")
            self.finished.emit(outcome)
            return
        self._validate()
        self.refresh_if_exposed()
        if outcome == "completed":
            text = "Done. " + self._verdict()
        elif outcome == "stopped":
            text = "Stopped. " + self._verdict()
        else:
            text = f"The comparison stopped by an error: {outcome[len('error: '):]}"
        self._set_status(text, error=outcome.startswith("error"))
        self.finished.emit(outcome)

    def _lock_settings(self, running: bool) -> None:
        """A run keeps the settings it started with: they are not editable meanwhile."""
        self.challenger_edit.setReadOnly(running)
        self.epochs_spin.setEnabled(not running)
        self.images_spin.setEnabled(not running)

    def _verdict(self) -> str:
        diverged = [r for r in self.runs if r.diverged]
        if diverged:
            return " ".join(f"{r.arch} diverged: {r.diverged}" for r in diverged)
        if len(self.runs) == 2 and all(r.eval_accuracy for r in self.runs):
            a, b = (r.final_accuracy for r in self.runs)
            better = "the challenger" if b > a else "the current architecture" if a > b else \
                "neither"
            return f"Held-out accuracy {a:.1%} vs {b:.1%}: {better} is ahead."
        return ""

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")

    # -- drawing ----------------------------------------------------------------------------
    def refresh(self) -> None:
        window = max(1, self.batches_per_epoch // 10)
        self.plots.show_runs(self.runs, window)
        if self.runs:
            self.table.show_runs(self.runs)
        else:
            self._show_current()          # no comparison (any more): the models now

    def showEvent(self, event) -> None:
        if not self.running:
            self._show_current()          # the Training controls may have changed meanwhile
        super().showEvent(event)          # the runs' progress skipped while hidden

    def _fit_fixed_font(self) -> None:
        """The architecture in a fixed-width font of the view's size (presentation mode
        enlarges it)."""
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        fixed.setPointSizeF(self.font().pointSizeF())
        self.challenger_edit.setFont(fixed)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_fixed_font()

    # -- the window closing stops the run ---------------------------------------------------
    def _watch_window(self) -> None:
        window = self.window()
        if window is not self and window is not self._watched:
            if self._watched is not None:
                self._watched.removeEventFilter(self)
            window.installEventFilter(self)
            self._watched = window

    def eventFilter(self, obj, event) -> bool:
        if obj is self._watched and event.type() == QEvent.Type.Close:
            self.stop()                   # the thread ends by itself; it is joined at exit
        return False
