"""Recordings in the app: open one, scrub it with the timeline bar, record live runs.

``ReplaySession`` shows a recorded step by putting its weights into ``AppState`` exactly as
a training snapshot does (``state.set_params``), so every view redraws through its usual
path; only the loss curve (cut at the step, with a marker) and the confusion matrix (the
nearest evaluation at or before the step) are fed from the recording. "Continue training
from here" starts an ordinary run from the shown weights. "Record this run" attaches a
``RunRecorder`` to every run the window starts.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PyQt6.QtCore import QObject, Qt, pyqtSignal
from PyQt6.QtGui import QAction, QKeySequence, QShortcut
from PyQt6.QtWidgets import QFileDialog, QToolBar

from ..training.recording import Recording, RecordingError, RunRecorder
from .dialogs import show_error
from .replay_bar import ReplayBar


def epoch_progress(recording: Recording, step: int) -> float:
    """Epochs trained after ``step`` (fractional)."""
    return step / max(1, int(recording.header.get("batches_per_epoch", 1)))


def apply_step(recording: Recording, step: int, weights: dict, state, views: dict) -> None:
    """Show ``recording``'s ``step`` (with its ``weights``) in ``views`` (name -> view).

    The weights go into ``state`` as a training snapshot's do; the loss view (if in
    ``views``) gets the curve up to the step and a marker; the state publishes the nearest
    held-out evaluation at or before the step (``None`` before the first one).
    """
    state.set_params(weights)
    loss = views.get("loss_curves")
    if loss is not None:
        rows = recording.losses_until(step)
        loss.history.clear()
        loss.add_snapshot(SimpleNamespace(epoch_progress=rows[:, 1], losses=rows[:, 2]))
        for e in recording.epochs_until(step):
            loss.add_epoch(SimpleNamespace(**e))
        loss.set_marker(epoch_progress(recording, step))
        # the whole run's extent, so the curve grows towards a fixed right edge
        loss.loss_plot.setXRange(0, epoch_progress(recording, recording.last_step),
                                 padding=0.02)
        if len(recording.losses) and not loss.log_check.isChecked():
            loss.loss_plot.setYRange(0, float(np.nanmax(recording.losses[:, 2])), padding=0.02)
        loss.schedule_refresh()
    done = recording.epochs_until(step)
    # the nearest evaluation, or None before the first one (the views clear theirs)
    state.publish_evaluation(recording.evaluation(done[-1]["epoch"]) if done else None)


class ReplaySession(QObject):
    """The window's recording (if one is open) and its timeline bar.

    Signals: ``pointShown(int step)`` after a step was put into the app state.
    """

    pointShown = pyqtSignal(int)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.recording: Recording | None = None
        self.step: int | None = None
        self.last_show_ms = 0.0
        self.bar = ReplayBar()
        self.bar.pointRequested.connect(self.show_point)
        self.bar.continueRequested.connect(self.continue_from_here)
        self.bar.closeRequested.connect(self.close)
        self.toolbar = QToolBar("Recording", window)
        self.toolbar.setObjectName("replayToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.addWidget(self.bar)
        window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.toolbar)
        self.toolbar.hide()
        for key, delta in (("Alt+Left", -1), ("Alt+Right", 1)):
            QShortcut(QKeySequence(key), window, lambda d=delta: self._step_by(d),
                      context=Qt.ShortcutContext.WindowShortcut)
        # recording live runs
        self.record_action = QAction("Record this run", window)
        self.record_action.setCheckable(True)
        self.record_action.setStatusTip("Record every run started from now on into a "
                                        ".cnnrun file, to replay and animate it later")
        self.record_action.toggled.connect(self._on_record_toggled)
        self.record_path: Path | None = None
        self._used_paths: set[Path] = set()
        self._branch: dict | None = None
        self.recorder: RunRecorder | None = None
        self._opening = False
        window.state.modelChanged.connect(self._on_model_changed)

    # -- opening --------------------------------------------------------------------------------
    def open(self, path) -> bool:
        """Open the recording ``path`` at its first step; on failure say why, change nothing."""
        path = Path(path)
        try:
            recording = Recording.open(path)
            net = recording.build_network()
        except (RecordingError, OSError, ValueError) as exc:
            show_error(self.window, "Cannot open recording", str(exc))
            return False
        w = self.window
        w.stop_training()
        self.recording, self.step = recording, int(recording.steps[0])
        w.loss_view.clear()
        w._modified = False
        self._opening = True
        try:
            w.state.set_model(net, f"{path.name} (recording)")
        finally:
            self._opening = False
        self.bar.set_points(recording.steps, path.name)
        self.toolbar.show()
        self.show_point(0)
        self.bar.slider.setFocus()
        note = "" if not recording.damage else " Note: " + "; ".join(recording.damage)
        w.statusBar().showMessage(recording.describe() + "." + note)
        return True

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open recording", "",
                                              "cnnviz recording (*.cnnrun)")
        if path:
            self.open(path)

    @property
    def active(self) -> bool:
        return self.recording is not None

    # -- showing a step ---------------------------------------------------------------------------
    def show_point(self, index: int) -> None:
        """Show recording point ``index`` (its step's weights) in every view."""
        rec = self.recording
        if rec is None:
            return
        start = time.perf_counter()
        step = int(rec.steps[index])
        try:
            weights = rec.weights(step)
        except RecordingError as exc:
            self.window.statusBar().showMessage(str(exc))
            return
        self.step = step
        apply_step(rec, step, weights, self.window.state, self.window.views)
        self.bar.set_info(self._info(step))
        self.last_show_ms = (time.perf_counter() - start) * 1000
        self.pointShown.emit(step)

    def _info(self, step: int) -> str:
        rec = self.recording
        rows = rec.losses_until(step)
        text = f"step {step:,} of {rec.last_step:,} · epoch {epoch_progress(rec, step):.2f}"
        if len(rows):
            text += f" · loss {rows[-1, 2]:.3f} · lr {rows[-1, 3]:g}"
        return text

    def _step_by(self, delta: int) -> None:
        if self.active:
            self.bar.step_by(delta)

    # -- leaving -------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the recording; the views keep showing the step they show."""
        self.bar.pause()
        self.recording = None
        self.window.loss_view.set_marker(None)
        self.window.loss_view.loss_plot.enableAutoRange()
        self.toolbar.hide()

    def _on_model_changed(self) -> None:
        if self.active and not self._opening:     # another model was opened or reset
            self.close()

    def continue_from_here(self) -> None:
        """Start a new training run from the shown step's weights (its settings restored)."""
        rec, step = self.recording, self.step
        if rec is None:
            return
        w, c = self.window, self.window.controls
        t = rec.header.get("training", {})
        settings = rec.settings_at(step)
        for spin, value in ((c.batch_spin, t.get("batch_size")), (c.seed_spin, t.get("seed")),
                            (c.lr_spin, settings.get("lr")),
                            (c.momentum_spin, settings.get("momentum"))):
            if value is not None:
                spin.setValue(value)
        self._branch = {"branched_from": {"recording": rec.name, "step": step}}
        w.state.model_name = f"{rec.name} from step {step}"
        w.state.pretrained = False
        self.close()
        w._modified = True
        w._update_title()
        w.start_training()
        self._branch = None

    # -- recording live runs ----------------------------------------------------------------------
    def _on_record_toggled(self, on: bool) -> None:
        if not on:
            self.record_path = None
            return
        path, _ = QFileDialog.getSaveFileName(self.window, "Record runs to", "run.cnnrun",
                                              "cnnviz recording (*.cnnrun)")
        if not path:
            self.record_action.setChecked(False)
            return
        self.set_record_path(path)

    def set_record_path(self, path) -> None:
        """Record the runs started from now on into ``path`` (then ``path-2``, ``-3``...)."""
        path = Path(path)
        self.record_path = path if path.suffix else path.with_suffix(".cnnrun")
        self._used_paths.clear()
        self.record_action.blockSignals(True)
        self.record_action.setChecked(True)
        self.record_action.blockSignals(False)

    def _next_path(self) -> Path:
        path, n = self.record_path, 1
        while path in self._used_paths:
            n += 1
            path = self.record_path.with_name(f"{self.record_path.stem}-{n}"
                                              f"{self.record_path.suffix}")
        self._used_paths.add(path)
        return path

    def on_run_start(self, trainer) -> None:
        """Called with a new run's trainer before its thread starts: the recording (if one
        is open) closes, and the run is recorded if asked."""
        if self.active:
            self.close()
        self.recorder = None
        if self.record_path is None:
            return
        ds = self.window.state.dataset
        path = self._next_path()
        try:
            self.recorder = RunRecorder(path, trainer, dataset_name=getattr(ds, "name", "?"),
                                        extra=self._branch or {})
        except (OSError, ValueError) as exc:
            self.window.statusBar().showMessage(f"Not recording: {path}: {exc}")
            return
        trainer.observers.append(self.recorder)
        self.window.statusBar().showMessage(f"Recording this run to {path}.")


def _export_dialog(window) -> None:
    from .export_animation import export_animation_dialog

    export_animation_dialog(window)


def install(window, file_menu, train_menu) -> ReplaySession:
    """Add the recording menu items and the timeline bar to ``window``."""
    session = ReplaySession(window)
    open_action = QAction("Open &recording...", window)
    open_action.setStatusTip("Open a recorded run (.cnnrun) and scrub through it")
    open_action.triggered.connect(session.open_dialog)
    export_action = QAction("Export &animation...", window)
    export_action.setStatusTip("Write a view across a recording as an animated GIF")
    export_action.triggered.connect(lambda: _export_dialog(window))
    actions = file_menu.actions()

    def after(word: str):
        """The action after the first one whose text holds ``word`` (None: the end)."""
        for i, action in enumerate(actions):
            if word in action.text().replace("&", ""):
                return actions[i + 1] if i + 1 < len(actions) else None
        return None
    file_menu.insertAction(after("Save model"), open_action)
    file_menu.insertAction(after("PNG"), export_action)
    train_menu.addSeparator()
    train_menu.addAction(session.record_action)
    return session
