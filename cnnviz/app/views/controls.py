"""Training controls: Start / Pause / Resume, Step, Stop, Reset, hyper-parameters, progress.

The widget only edits settings and emits requests; the main window turns them into worker
calls. ``set_run_state()`` keeps the buttons' labels saying what they will do.
"""

from __future__ import annotations

import math

from PyQt6.QtCore import QEvent, Qt, pyqtSignal
from PyQt6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout,
                             QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QSlider,
                             QSpinBox, QVBoxLayout, QWidget)

from ...nn.presets import PRESETS, TrainConfig, get_preset
from ...nn.schedule import SCHEDULES, describe
from ...training.pacing import SPEEDS, speed_text

SLIDER_MIN_STEP_PX = 12        # the Speed slider's minimum width per step (a hand on a mouse)


def schedule_text(lr_decay: float, every: int) -> str:
    """A step schedule in words: ``(0.5, 1) -> "halved every epoch, down to 5%"``,
    ``(0.9, 10) -> "x0.9 every 10 epochs, down to 5%"``, ``(1.0, 1) -> "constant"``."""
    return describe(TrainConfig(lr_decay=lr_decay, lr_decay_every=every, lr_schedule="step"))


def model_text(state) -> str:
    """What the controls say about the model the views show (``state``: an AppState)."""
    if state is None:
        return ""
    name = state.model_name
    if getattr(state, "pretrained", False):
        if getattr(state, "modified", False):       # its accuracy no longer holds
            return (f"<b>Model: pre-trained, then trained here</b> ({name}, not saved). "
                    "Press <b>Reset</b> for fresh random weights.")
        acc = getattr(state, "model_accuracy", None)
        acc_text = f" ({100 * acc:.1f}% held-out)" if acc is not None else ""
        return (f"<b>Model: pre-trained{acc_text}</b> ({name}). Press <b>Reset</b> for fresh "
                "random weights to watch it learn.")
    return f"<b>Model:</b> {name}"


def format_duration(seconds: float) -> str:
    """``75 -> "1:15"``, ``3725 -> "1:02:05"``, unknown -> ``"--"``."""
    if not math.isfinite(seconds) or seconds < 0:
        return "--"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ControlsView(QWidget):
    """Buttons, hyper-parameters and a progress bar for one training run."""

    startRequested = pyqtSignal()
    pauseRequested = pyqtSignal()
    resumeRequested = pyqtSignal()
    stepRequested = pyqtSignal()
    stopRequested = pyqtSignal()
    resetRequested = pyqtSignal()
    learningRateChanged = pyqtSignal(float)
    momentumChanged = pyqtSignal(float)
    speedChanged = pyqtSignal(float)              # batches per second (inf: full speed)
    pauseEachEpochChanged = pyqtSignal(bool)
    runStateChanged = pyqtSignal(str)             # after set_run_state relabelled the buttons

    def __init__(self, state=None, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.run_state = "idle"
        self._last_snapshot = None

        # -- buttons --
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("startButton")
        self.start_button.setToolTip("Start training (Space)")
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("Train exactly one mini-batch, then pause (S or Right)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("End this training run, keeping the weights (Esc)")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Fresh random weights (asks first) (Ctrl+R)")
        self.start_button.clicked.connect(self._on_primary)
        self.step_button.clicked.connect(self.stepRequested)
        self.stop_button.clicked.connect(self.stopRequested)
        self.reset_button.clicked.connect(self.resetRequested)
        buttons = QGridLayout()
        buttons.addWidget(self.start_button, 0, 0)
        buttons.addWidget(self.step_button, 0, 1)
        buttons.addWidget(self.stop_button, 1, 0)
        buttons.addWidget(self.reset_button, 1, 1)

        # -- settings --
        self.preset_combo = QComboBox()
        for name, preset in PRESETS.items():
            self.preset_combo.addItem(name, name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, preset.description,
                                          3)   # Qt.ItemDataRole.ToolTipRole
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 1000)
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(1, 1024)
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(6)
        self.lr_spin.setRange(1e-6, 1e6)
        self.lr_spin.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.lr_spin.setToolTip("Base learning rate, before the schedule. Can change while "
                                "training (next batch)")
        self.schedule_combo = QComboBox()
        for name in SCHEDULES:
            self.schedule_combo.addItem(name, name)
        self.schedule_combo.setToolTip("cosine: the rate falls smoothly to 5% of the base rate "
                                       "by the last epoch; step: × decay every few epochs")
        self.lr_now_label = QLabel()
        self.lr_now_label.setToolTip("The learning rate the optimizer uses now")
        self.schedule_label = QLabel()
        self.schedule_label.setWordWrap(True)   # "cosine to 5% over 30 epochs" in a narrow dock
        self.schedule_label.setToolTip("How the learning rate changes over the run")
        self.lr_decay_spin = QDoubleSpinBox()
        self.lr_decay_spin.setDecimals(3)
        self.lr_decay_spin.setRange(0.01, 1.0)
        self.lr_decay_spin.setSingleStep(0.05)
        self.lr_decay_spin.setToolTip("Multiply the learning rate by this every few epochs "
                                      "(1 = constant)")
        self.lr_every_spin = QSpinBox()
        self.lr_every_spin.setRange(1, 1000)
        self.lr_every_spin.setPrefix("every ")
        self.lr_every_spin.setSuffix(" epochs")
        self.lr_every_spin.setSpecialValueText("every epoch")      # shown for 1
        self.lr_every_spin.setToolTip("How many epochs between learning-rate decays")
        self.momentum_spin = QDoubleSpinBox()
        self.momentum_spin.setDecimals(3)
        self.momentum_spin.setRange(0.0, 0.999)
        self.momentum_spin.setSingleStep(0.05)
        self.momentum_spin.setToolTip("SGD momentum; can change while training (next batch)")
        self.decay_spin = QDoubleSpinBox()
        self.decay_spin.setDecimals(6)
        self.decay_spin.setRange(0.0, 1.0)
        self.decay_spin.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        form = QFormLayout()
        form.addRow("Preset", self.preset_combo)
        form.addRow("Epochs", self.epochs_spin)
        form.addRow("Batch size", self.batch_spin)
        lr_row = QHBoxLayout()
        lr_row.addWidget(self.lr_spin)
        lr_row.addWidget(self.lr_now_label, 1)
        decay_row = QHBoxLayout()
        decay_row.addWidget(self.lr_decay_spin)
        decay_row.addWidget(self.lr_every_spin)
        form.addRow("Learning rate", lr_row)
        form.addRow("LR schedule", self.schedule_combo)
        form.addRow(self.schedule_label)      # its own row: wraps in a narrow dock
        form.addRow("LR decay ×", decay_row)
        self._decay_row = decay_row
        form.addRow("Momentum", self.momentum_spin)
        form.addRow("Weight decay", self.decay_spin)
        form.addRow("Seed", self.seed_spin)
        self.settings_box = QGroupBox("Hyper-parameters")
        self.settings_box.setLayout(form)
        self._run_fixed = [self.preset_combo, self.epochs_spin, self.batch_spin,
                           self.decay_spin, self.lr_decay_spin, self.lr_every_spin,
                           self.seed_spin, self.schedule_combo]

        # -- pace (live: applies from the next batch) --
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setObjectName("speedSlider")
        self.speed_slider.setRange(0, len(SPEEDS) - 1)
        self.speed_slider.setPageStep(1)
        self.speed_slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        # a narrow dock (1920x1080's default layout) had squeezed it to 25 px: 3 px a step
        self.speed_slider.setMinimumWidth(SLIDER_MIN_STEP_PX * (len(SPEEDS) - 1))
        self.speed_slider.setToolTip("How fast training goes, from one mini-batch a second "
                                     "(slow enough to talk over) to full speed; applies at once")
        self.speed_label = QLabel()
        self._fit_speed_label()
        self.pause_epoch_box = QCheckBox("Pause each epoch")
        self.pause_epoch_box.setToolTip("Stop after every epoch (its held-out accuracy shown); "
                                        "Resume (Space) goes on")
        # no frame: the hyper-parameters below need the height on a small screen; the check
        # box on a line of its own, so that the slider keeps a usable width in a narrow dock
        pace = QGridLayout()
        pace.setContentsMargins(0, 0, 0, 0)
        pace.setVerticalSpacing(2)
        pace.addWidget(QLabel("Speed"), 0, 0)
        pace.addWidget(self.speed_slider, 0, 1)
        pace.addWidget(self.speed_label, 0, 2)
        pace.addWidget(self.pause_epoch_box, 1, 0, 1, 3)
        pace.setColumnStretch(1, 1)
        self.pace_box = QWidget()
        self.pace_box.setObjectName("paceRow")
        self.pace_box.setLayout(pace)

        # -- progress --
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("not started")
        self.status_label = QLabel("Ready: press Start (Space) or Step (S).")
        self.status_label.setWordWrap(True)

        self.model_label = QLabel()
        self.model_label.setObjectName("modelLabel")
        self.model_label.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(self.model_label)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.pace_box)
        layout.addWidget(self.settings_box)
        layout.addStretch(1)

        self.preset_combo.currentIndexChanged.connect(self._on_preset)
        self.lr_spin.valueChanged.connect(self.learningRateChanged)
        self.momentum_spin.valueChanged.connect(self.momentumChanged)
        for spin in (self.lr_spin, self.lr_decay_spin, self.lr_every_spin, self.epochs_spin):
            spin.valueChanged.connect(self._show_schedule)
        self.schedule_combo.currentIndexChanged.connect(self._on_schedule_kind)
        self.speed_slider.valueChanged.connect(self._on_speed)
        self.pause_epoch_box.toggled.connect(self.pauseEachEpochChanged)
        self.speed_slider.setValue(len(SPEEDS) - 1)
        self._on_speed(self.speed_slider.value())
        self.apply_preset("lenet")
        self._on_schedule_kind(0)
        self.set_run_state("idle")
        if state is not None:
            state.modelChanged.connect(self.show_model)
            state.modifiedChanged.connect(lambda _modified: self.show_model())
            state.progressed.connect(self._on_progressed)
        self.show_model()

    # -- settings -------------------------------------------------------------------------
    def apply_preset(self, name: str) -> None:
        """Fill the fields with preset ``name``'s training settings."""
        t = get_preset(name).training
        index = self.preset_combo.findData(name)
        if index >= 0 and index != self.preset_combo.currentIndex():
            self.preset_combo.blockSignals(True)
            self.preset_combo.setCurrentIndex(index)
            self.preset_combo.blockSignals(False)
        self.epochs_spin.setValue(t.epochs)
        self.batch_spin.setValue(t.batch_size)
        self.lr_spin.setValue(t.lr)
        self.schedule_combo.setCurrentIndex(max(0, self.schedule_combo.findData(t.lr_schedule)))
        self.lr_decay_spin.setValue(t.lr_decay)
        self.lr_every_spin.setValue(t.lr_decay_every)
        self.momentum_spin.setValue(t.momentum)
        self.decay_spin.setValue(t.weight_decay)
        self.seed_spin.setValue(t.seed)

    def _on_preset(self, _index: int) -> None:
        self.apply_preset(self.preset_name())

    def preset_name(self) -> str:
        return self.preset_combo.currentData()

    def config(self) -> TrainConfig:
        """The training settings now shown (the preset's decay schedule kept)."""
        return get_preset(self.preset_name()).training.with_overrides(
            epochs=self.epochs_spin.value(), batch_size=self.batch_spin.value(),
            lr=self.lr_spin.value(), momentum=self.momentum_spin.value(),
            weight_decay=self.decay_spin.value(), lr_decay=self.lr_decay_spin.value(),
            lr_decay_every=self.lr_every_spin.value(), seed=self.seed_spin.value(),
            lr_schedule=self.schedule_combo.currentData())

    def schedule(self) -> str:
        """The learning-rate schedule now set, in words ("cosine to 5% over 3 epochs")."""
        return describe(self.config())

    def speed(self) -> float:
        """The chosen pace in batches per second (``inf``: full speed)."""
        return SPEEDS[self.speed_slider.value()]

    def set_speed(self, batches_per_second: float) -> None:
        """Move the slider to the stop nearest ``batches_per_second``."""
        index = min(range(len(SPEEDS)), key=lambda i: abs(
            math.log(min(SPEEDS[i], 1e6)) - math.log(min(batches_per_second, 1e6))))
        self.speed_slider.setValue(index)

    def _on_speed(self, index: int) -> None:
        self.speed_label.setText(speed_text(SPEEDS[index]))
        self.speedChanged.emit(SPEEDS[index])

    def _on_schedule_kind(self, _index: int) -> None:
        step = self.schedule_combo.currentData() == "step"
        self.settings_box.layout().setRowVisible(self._decay_row, step)   # step's knobs only
        self._show_schedule()

    def show_model(self) -> None:
        """Say which model the views show (pre-trained, fresh random weights, a file)."""
        self.model_label.setText(model_text(self.state))

    def _show_schedule(self, *_args) -> None:
        """The label beside the learning rate: the rate in use now and the schedule."""
        snap = self._last_snapshot if self.run_state != "idle" else None
        lr = snap.lr if snap is not None else self.lr_spin.value()
        # three significant digits: "now 0.0157596" widened the row, and the narrow dock
        # then scrolled sideways while training
        self.lr_now_label.setText(f"now {lr:.3g}")
        self.schedule_label.setText(self.schedule())

    # -- run state ------------------------------------------------------------------------------
    def _on_primary(self) -> None:
        {"idle": self.startRequested, "running": self.pauseRequested,
         "paused": self.resumeRequested}.get(self.run_state, self.startRequested).emit()

    def set_run_state(self, state: str) -> None:
        """``"idle"`` (no run), ``"running"`` or ``"paused"``: relabel and enable buttons."""
        self.run_state = state if state in ("running", "paused") else "idle"
        label = {"idle": "Start", "running": "Pause", "paused": "Resume"}[self.run_state]
        self.start_button.setText(label)
        self.start_button.setToolTip(f"{label} training (Space)")
        active = self.run_state != "idle"
        self.stop_button.setEnabled(active)
        for w in self._run_fixed:
            w.setEnabled(not active)
        if not active:
            self.status_label.setText("Ready: press Start (Space) or Step (S).")
            self._show_schedule()
        elif self._last_snapshot is not None:
            self.show_progress(self._last_snapshot, getattr(self, "_epochs_before", 0.0))
        self.runStateChanged.emit(self.run_state)

    def reset_progress(self) -> None:
        """Back to "not started" (fresh weights: the old run's progress no longer applies)."""
        self._last_snapshot = None
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("not started")
        self.set_run_state("idle")

    def _on_progressed(self, snapshot) -> None:
        self.show_progress(snapshot, self.state.epochs_before)

    def show_progress(self, snapshot, epochs_before: float = 0.0) -> None:
        """Update the progress bar and the status line from a ``Snapshot``. ``epochs_before``:
        epochs the model trained in earlier runs (the loss plot's x starts there)."""
        self._last_snapshot = snapshot
        self._epochs_before = epochs_before
        self.progress_bar.setValue(int(round(1000 * snapshot.progress)))
        epochs = max(1, round(snapshot.total_steps / max(1, snapshot.batches_per_epoch)))
        epoch = min(snapshot.epoch + 1, epochs)
        if snapshot.finished:
            self.progress_bar.setFormat(f"done: {epochs} epochs ({snapshot.step:,} batches)")
        else:
            run = f"epoch {epoch}/{epochs}, batch {snapshot.batch}/{snapshot.batches_per_epoch}"
            if epochs_before > 0:        # a continued run: the plot counts every epoch
                overall = int(epochs_before + snapshot.epoch
                              + snapshot.batch / max(1, snapshot.batches_per_epoch)) + 1
                run = f"epoch {overall} (this run: {run})"
            self.progress_bar.setFormat(run)
        ips = snapshot.images_per_second
        if math.isfinite(self.speed()):     # slowed: the rate the images really go through
            ips = min(ips, self.speed() * self.batch_spin.value())
        ips_text = f"{ips:,.0f} images/s" if math.isfinite(ips) else "-- images/s"
        word = {"running": "Training", "paused": "Paused"}.get(self.run_state, "Stopped")
        self.status_label.setText(
            f"{word}: step {snapshot.step:,}, {ips_text}, lr {snapshot.lr:.3g} (base "
            f"{self.lr_spin.value():g}, {self.schedule()}), "
            f"time left {format_duration(snapshot.eta_seconds)}")
        self._show_schedule()

    def _fit_speed_label(self) -> None:
        """Room for the longest speed text in the label's font (presentation enlarges it)."""
        metrics = self.speed_label.fontMetrics()
        self.speed_label.setMinimumWidth(4 + max(metrics.horizontalAdvance(t)
                                                 for t in ("100 batches/s", "full speed")))

    def changeEvent(self, event) -> None:      # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.FontChange and hasattr(self, "speed_label"):
            self._fit_speed_label()
        super().changeEvent(event)
