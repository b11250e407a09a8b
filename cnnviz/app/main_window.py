"""The main window: every view in a dock, the training controller, menus and shortcuts.

Views are the rows of ``view_registry.VIEWS``; each is one module (or package) in
``cnnviz/app/views`` with one QWidget class taking ``(state, parent=None)``. The window wires
the controls to the ``TrainingController`` (worker thread) and hands what the run reports to
``AppState`` (``apply_snapshot``, ``publish_epoch``, ``publish_step``), whose signals every
view listens to.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QKeySequence, QShortcut
from PyQt6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QMainWindow, QMessageBox,
                             QWidget)

from ..data import images_to_float, load_idx_folder
from ..nn import build_network
from . import arch_actions, lifecycle, replay
from .dialogs import DownloadDialog, show_about, show_error, show_shortcuts
from .presentation import PresentationMode, stored_choice
from .settings import app_settings
from .shortcut_focus import NumericFieldShortcuts
from .view_frame import ViewFrame, fit_views_to, view_of
from .window_settings import available_area, default_geometry, reset_settings, restore_window
from .state import AppState, catch_up_when_raised, checkpoint_training
from .view_guard import ViewGuard
from .view_registry import (CLASSROOM_KEYS, CLASSROOM_VIEWS, LAYOUT_GROUPS, WIDE_VIEWS,
                            ViewSpec, classroom_views, column_views, layout_groups)
from .view_registry import VIEWS as VIEW_REGISTRY
from .views.controls import ControlsView
from .views.loss_curves import LossCurvesView
from .worker import TrainingController

# the registry's layout constants stay importable from here (tests, scripts)
__all__ = ["MainWindow", "LAYOUT_VERSION", "LAYOUT_GROUPS", "WIDE_VIEWS", "CLASSROOM_VIEWS",
           "CLASSROOM_KEYS"]

# saved dock layouts carry this number; a layout saved by an older arrangement is ignored
LAYOUT_VERSION = 3


def view_spec_key(specs: list[ViewSpec], name: str) -> int | None:
    """The Classroom number key of view ``name`` (None: it has none)."""
    return next((s.key for s in specs if s.name == name), None)


class MainWindow(QMainWindow):
    """The cnnviz window. ``state.dataset`` must hold the data to train on; ``views``: the
    registry rows of its views (default: every row of ``view_registry.VIEWS``)."""

    def __init__(self, state: AppState, parent=None, restore_layout: bool = True,
                 views: list[ViewSpec] | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.view_specs: list[ViewSpec] = list(VIEW_REGISTRY if views is None else views)
        self.setObjectName("cnnvizMainWindow")
        self.setDockNestingEnabled(True)
        self.setDockOptions(QMainWindow.DockOption.AllowTabbedDocks
                            | QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AnimatedDocks)
        placeholder = QWidget()
        placeholder.setMaximumSize(0, 0)
        self.setCentralWidget(placeholder)      # docks share the whole window

        self.controller = TrainingController(self)
        self._float_cache: tuple[int, tuple] | None = None
        self._window_gone = False            # the X server destroyed the window (see lifecycle)
        self._start_after_stop = False       # Start pressed while the last run was stopping
        self._last_dock: QDockWidget | None = None

        self.views: dict[str, QWidget] = {}
        self.docks: dict[str, QDockWidget] = {}
        self.full_titles: dict[str, str] = {}
        for spec in self.view_specs:
            view = spec.load()(state)
            dock = QDockWidget(spec.short, self)
            dock.setObjectName(f"{spec.name}Dock")
            dock.toggleViewAction().setText(spec.title)
            dock.toggleViewAction().setStatusTip(f"Show or hide the {spec.title} view")
            self.full_titles[spec.name] = spec.title
            dock.setWidget(ViewFrame(view))   # scrolls rather than overlap or grow the window
            catch_up_when_raised(dock)      # a raised tab's view redraws what it skipped
            self.views[spec.name], self.docks[spec.name] = view, dock
        # the window fits the screen
        fit_views_to(self, available_area(self), column_views(self.view_specs))
        # a view that cannot show the current network is covered with a note, not a crash
        self.view_guard = ViewGuard(self.views, state,
                                    {s.name: s.module.rsplit(".", 1)[-1]
                                     for s in self.view_specs}, self)
        self.controls: ControlsView = self.views["controls"]
        self.loss_view: LossCurvesView = self.views["loss_curves"]
        self._arrange_docks()
        self._default_layout = self.saveState()

        self.presentation = PresentationMode(self)
        self._connect()
        self._build_menus()
        default_geometry(self)             # inside the screen's available area
        self.settings_notes: list[str] = []
        if restore_layout:
            self.restore_layout()
        if stored_choice():
            self.set_presentation(True, persist=False)
        self._update_title()
        self.statusBar().showMessage(" ".join(self.settings_notes) or (
            f"Model: {state.model_name}. Data: {self._dataset_text()}. "
            "Draw a digit on the pad, or press Start (Space)."))
        QApplication.instance().focusChanged.connect(self._on_focus_changed)
        self._shortcut_filter = NumericFieldShortcuts(self)    # Space works in a spin box
        self._shortcut_filter.watch(self)
        if state.dataset is not None and state.probe_index is None \
                and state.probe_source == "dataset" and not state.probe_image.any():
            self._pick_initial_probe()

    # -- layout ------------------------------------------------------------------------------
    def _arrange_docks(self) -> None:
        """The default layout (see ``view_registry``: each view's group)."""
        d = self.docks
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        H, V = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
        groups = {key: [d[n] for n in names]
                  for key, names in layout_groups(self.view_specs).items()}
        first = {key: docks[0] for key, docks in groups.items() if docks}
        self.addDockWidget(left, first["controls"])
        for key in first:
            if key != "controls":
                self.addDockWidget(right, first[key])
        # splits: (existing dock, new dock beside it, direction)
        for anchor, new, direction in (("controls", "digits", V), ("maps", "curves", H),
                                       ("maps", "classroom", V), ("curves", "results", V)):
            if anchor in first and new in first:
                self.splitDockWidget(first[anchor], first[new], direction)
        for docks in groups.values():
            for dock in docks[1:]:
                self.tabifyDockWidget(docks[0], dock)
            if docks:
                docks[0].raise_()
        sized = lambda pairs, o: self.resizeDocks(   # noqa: E731
            [first[k] for k, _ in pairs if k in first],
            [v for k, v in pairs if k in first], o)
        sized([("controls", 330), ("maps", 820), ("curves", 560)], H)
        sized([("controls", 420), ("digits", 520)], V)
        sized([("maps", 560), ("classroom", 400)], V)
        sized([("curves", 440), ("results", 500)], V)

    def view_title(self, name: str) -> str:
        """The full title of view ``name`` (its dock's tab shows a short one)."""
        return self.full_titles.get(name, self.docks[name].windowTitle())

    def restore_layout(self) -> None:
        """The window geometry and dock layout of the last session. A dock layout saved by an
        older version of the arrangement (``LAYOUT_VERSION``) is ignored: the default stays;
        what cannot be restored is dropped with a note (``self.settings_notes``)."""
        self.settings_notes = restore_window(self, self._default_layout, LAYOUT_VERSION)

    def save_layout(self) -> None:
        """Save the window geometry and dock layout (saveGeometry/saveState only: a position
        read back with pos() drifts by the frame each launch). In presentation mode the
        layout from before it is saved: only the user's normal layout is ever restored."""
        settings = app_settings()
        geometry, layout = self.presentation.normal_layout() if self.presentation.active \
            else (self.saveGeometry(), self.saveState(LAYOUT_VERSION))
        settings.setValue("window/geometry", geometry)
        settings.setValue("window/state", layout)
        settings.setValue("window/layout_version", LAYOUT_VERSION)
        settings.sync()

    def reset_layout(self) -> None:
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_layout)

    def reset_layout_and_settings(self) -> None:
        """View > Reset layout and settings: the default docks and size, no saved settings."""
        if self.presentation.active:
            self.set_presentation(False)
        self.reset_layout()
        self.showNormal()
        default_geometry(self)
        path = reset_settings()
        self.statusBar().showMessage(f"Layout and settings reset to the defaults ({path}).")

    def show_all_views(self) -> None:
        """Make every dock visible side by side (benchmarks and screenshots)."""
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()

    # -- wiring -----------------------------------------------------------------------------
    def _connect(self) -> None:
        c, ctl = self.controls, self.controller
        # Start / Pause / Resume act on the run's real state, not on the button's label, which
        # may lag behind it (a stop still finishing its batch)
        for request in (c.startRequested, c.pauseRequested, c.resumeRequested):
            request.connect(self.toggle_training)
        c.stepRequested.connect(self.step_training)
        c.stopRequested.connect(ctl.stop)
        c.resetRequested.connect(self.confirm_reset)
        c.learningRateChanged.connect(self._on_lr_changed)
        c.momentumChanged.connect(self._on_momentum_changed)
        c.speedChanged.connect(ctl.pacing.set_batches_per_second)
        c.pauseEachEpochChanged.connect(ctl.pacing.set_pause_each_epoch)
        ctl.pacing.set_batches_per_second(c.speed())
        # the run reaches the views through the app state's signals (views connect themselves)
        ctl.lossesArrived.connect(self.state.publish_losses)
        self.state.probeChanged.connect(lambda: ctl.set_probe(self.state.probe_image))
        ctl.set_probe(self.state.probe_image)
        ctl.renderSnapshot.connect(self._render_snapshot)
        ctl.epochFinished.connect(self._on_epoch)
        ctl.diverged.connect(self._on_diverged)
        ctl.errored.connect(self._on_errored)
        ctl.stepped.connect(self._on_stepped)
        ctl.stateChanged.connect(self._on_run_state)
        ctl.finished.connect(self._on_finished)
        self.state.modelChanged.connect(self._update_title)
        self.state.modifiedChanged.connect(self._update_title)
        self.state.datasetChanged.connect(self._on_dataset_changed)
        v = self.views
        if "preprocess_pipeline" in v and "drawing_pad" in v:
            v["preprocess_pipeline"].set_pad(v["drawing_pad"])
        if "conv_explainer" in v:     # a feature-map pixel clicked: explain it
            self.state.pixelSelected.connect(lambda *_: self.raise_dock("conv_explainer"))
        if "channel_card" in v:     # a channel clicked in any view: show its card
            self.state.channelSelected.connect(lambda *_: self.raise_dock("channel_card"))
        if "confusion" in v and "embedding" in v:
            v["confusion"].cellSelected.connect(v["embedding"].highlight_cell)
        if "arch_editor" in v:
            v["arch_editor"].applyRequested.connect(self.apply_architecture)
        c.preset_combo.currentIndexChanged.connect(lambda _i: arch_actions.on_training_preset(self))

    def explain_pixel(self, layer: str, channel: int, row: int, col: int) -> None:
        """Take conv feature-map pixel ``(row, col)`` apart in the convolution explainer."""
        self.state.select_pixel(layer, channel, row, col)

    def raise_dock(self, name: str) -> None:
        """Show dock ``name`` and bring it to the front of its tab group."""
        dock = self.docks[name]
        dock.show()
        dock.raise_()

    def _action(self, menu, text, slot, shortcut=None, tip=None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        if menu is not None:
            menu.addAction(action)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&Open model...", self.open_model_dialog, "Ctrl+O")
        self._action(file_menu, "&Reload pre-trained model", self.reload_pretrained, "Ctrl+L",
                     "Back to the bundled pre-trained model (asks first if training changed it)")
        self._action(file_menu, "&Save model...", self.save_model_dialog, "Ctrl+S")
        file_menu.addSeparator()
        self._action(file_menu, "Open &IDX dataset folder...", self.open_dataset_dialog)
        self._action(file_menu, "&Download full MNIST...", self.download_mnist_dialog)
        file_menu.addSeparator()
        self._action(file_menu, "&Export current view as PNG...", self.export_view_dialog,
                     "Ctrl+E")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, "Ctrl+Q")

        train_menu = bar.addMenu("&Training")
        self.start_action = self._action(train_menu, "Start / Pause / Resume",
                                         self.controls.start_button.click, "Space")
        self._action(train_menu, "Step one mini-batch", self.step_training, ["S", "Right"])
        # Esc stops training, or first leaves presentation mode (a QShortcut, so the menu
        # item itself always stops)
        self._action(train_menu, "Stop\tEsc", self.controller.stop)
        QShortcut(QKeySequence("Esc"), self, self._on_escape,
                  context=Qt.ShortcutContext.WindowShortcut)
        self._action(train_menu, "Reset weights...", self.confirm_reset, "Ctrl+R")
        menus = {"Training": train_menu}
        self.view_menu = bar.addMenu("&View")
        menus["View"] = self.view_menu
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        self._action(self.view_menu, "Reset layout and settings", self.reset_layout_and_settings,
                     tip="The original window size and dock layout; forget every saved setting")
        self.presentation_action = self._action(
            self.view_menu, "Presentation mode", self.set_presentation, "F11",
            "Full screen, large type and thick lines for a projector (F11 or Esc leaves)")
        self.presentation_action.setCheckable(True)
        for spec in self.view_specs:         # a view's own shortcut raises it
            if spec.shortcut:
                self._action(menus.get(spec.menu, self.view_menu), f"&{spec.title}...",
                             lambda _checked=False, n=spec.name: self.raise_dock(n),
                             spec.shortcut, spec.tip)

        classroom = bar.addMenu("&Classroom")
        # the lessons, then the views a lesson returns to (keys 1-9), then what it has learnt
        for role in ("lesson", "revisit", "explain"):
            for name in classroom_views(role, self.view_specs):
                key = view_spec_key(self.view_specs, name)
                self._action(classroom, self.view_title(name),
                             lambda _checked=False, n=name: self.raise_dock(n),
                             str(key) if key else None)
            classroom.addSeparator()
        classroom.addAction(self.presentation_action)

        self.replay = replay.install(self, file_menu, train_menu)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", lambda: show_shortcuts(self), "F1")
        self._action(help_menu, "&About cnnviz", lambda: show_about(self))

    # -- training ---------------------------------------------------------------------------
    def _training_data(self) -> tuple:
        ds = self.state.dataset
        if ds is None:
            raise RuntimeError("no dataset is loaded")
        if self._float_cache is None or self._float_cache[0] is not ds:
            self._float_cache = (ds, (images_to_float(ds.train_images), ds.train_labels,
                                      images_to_float(ds.test_images), ds.test_labels))
        return self._float_cache[1]

    def _worker_network(self):
        """The worker's own network: a copy of the shown one (its architecture and weights;
        the seed drives its dropout masks)."""
        net = build_network(config=self.state.net.config, seed=self.controls.seed_spin.value())
        net.load_params(self.state.net.copy_params())
        return net

    def _begin(self, start_paused: bool) -> bool:
        if self.controller.active:
            return True
        if self.state.dataset is None:
            show_error(self, "No data", "Open a dataset first (File menu).")
            return False
        try:
            self.controller.start(self._worker_network(), self._training_data(),
                                  self.controls.config(), start_paused=start_paused,
                                  on_trainer=self.replay.on_run_start)
        except (ValueError, RuntimeError) as exc:
            show_error(self, "Cannot start training", str(exc))
            return False
        self.loss_view.begin_run()
        self.state.epochs_before = self.loss_view.history.offset   # the plot's x starts there
        self.controls.set_run_state("paused" if start_paused else "running")
        return True

    def toggle_training(self) -> None:
        """Space and the Start/Pause/Resume button: pause a running run, resume a paused one,
        start one when idle; pressed while a stopped run is still finishing its batch, start
        a new run as soon as it has ended."""
        ctl = self.controller
        if ctl.stopping:
            self._start_after_stop = True
        elif ctl.active and ctl.worker.paused:
            ctl.resume()
        elif ctl.active:
            ctl.pause()
        else:
            self.start_training()

    def start_training(self) -> None:
        """Start a run (or resume a paused one). Starting the untouched pre-trained model
        asks once whether to train fresh random weights instead (a flat loss near 0 from the
        start shows a first-time user nothing being learnt)."""
        if self.controller.active:
            self.controller.resume()
            return
        if self.state.pretrained and not self.state.modified \
                and getattr(self, "_asked_for", None) is not self.state.net:
            choice = self.ask_start_from_pretrained()
            if choice == "cancel":
                return
            self._asked_for = self.state.net
            if choice == "fresh":
                self.reset_weights()
        self._begin(start_paused=False)

    def ask_start_from_pretrained(self) -> str:
        """Ask how to start from a pre-trained model: "fresh", "continue" or "cancel"."""
        acc = self.state.model_accuracy
        box = QMessageBox(QMessageBox.Icon.Question, "Start training",
                          "The network is already trained"
                          + (f" ({100 * acc:.1f}% held-out accuracy)" if acc else "")
                          + ": its loss starts near zero and hardly moves.", parent=self)
        box.setObjectName("startFromPretrainedBox")
        box.setInformativeText("To watch it learn, train fresh random weights (seed "
                               f"{self.controls.seed_spin.value()}) instead.")
        fresh = box.addButton("Train from fresh random weights (recommended)",
                              QMessageBox.ButtonRole.AcceptRole)
        more = box.addButton("Continue training the pre-trained model",
                             QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(fresh)
        box.exec()
        clicked = box.clickedButton()
        return "fresh" if clicked is fresh else "continue" if clicked is more else "cancel"

    def step_training(self) -> None:
        """Train exactly one mini-batch (starting a paused run if none is active)."""
        if self._begin(start_paused=True):
            self.controller.step()

    def stop_training(self, timeout_ms: int = 2000) -> None:
        """End any run for good (a reset, another model): stop it, wait for its thread and
        drop whatever it still had queued, so its weights and progress never come back."""
        self._start_after_stop = False
        if self.controller.thread is not None:
            self.controller.abandon(timeout_ms)
            self.controls.set_run_state("idle")

    def confirm_reset(self) -> None:
        answer = QMessageBox.question(
            self, "Reset weights",
            "Replace the network's weights with fresh random ones? Training progress is lost.")
        if answer == QMessageBox.StandardButton.Yes:
            self.reset_weights()

    def reset_weights(self) -> None:
        self.stop_training()
        seed = self.controls.seed_spin.value()
        net = arch_actions.fresh_network(self, seed)               # same architecture
        name = arch_actions.network_name(net.arch)
        self.loss_view.clear()
        # views showing run history (timeline, step explainer, confusion) clear on modelChanged
        self.state.set_model(net, f"new {name} (seed {seed})")    # "*" marks it trained since
        self.controls.reset_progress()
        self.statusBar().showMessage(
            f"Fresh random weights (seed {seed}): press Start to watch the network learn.")

    def apply_architecture(self, text: str) -> bool:
        """Fresh weights of architecture ``text`` (from the editor; asks if trained)."""
        return arch_actions.apply_architecture(self, text)

    def _on_lr_changed(self, lr: float) -> None:
        try:
            self.controller.set_learning_rate(lr)
        except ValueError as exc:
            self.statusBar().showMessage(str(exc))

    def _on_momentum_changed(self, m: float) -> None:
        try:
            self.controller.set_momentum(m)
        except ValueError as exc:
            self.statusBar().showMessage(str(exc))

    def _render_snapshot(self, snapshot) -> None:
        self.state.apply_snapshot(snapshot)        # weights, then every view's progressed
        self.state.set_modified(True)

    def _on_epoch(self, event) -> None:
        self.state.publish_epoch(event)
        self.statusBar().showMessage(
            f"Epoch {event.epoch + 1}: train loss {event.train_loss:.4f}, held-out accuracy "
            f"{100 * event.test_accuracy:.1f}% ({event.images_per_second:,.0f} images/s)"
            + (": paused, press Resume (Space) to go on" if self.controls.pause_epoch_box
               .isChecked() and event.epoch + 1 < self.controls.epochs_spin.value() else ""))

    def _on_stepped(self, detail) -> None:
        self.state.publish_step(detail)
        self.statusBar().showMessage(
            f"Step {detail.step}: batch loss {detail.loss_before:.4f} before the update, "
            f"{detail.loss_after:.4f} after.")

    def _on_diverged(self, message: str) -> None:
        self.controls.set_run_state("paused")
        self.statusBar().showMessage("Training diverged and was paused.")
        QMessageBox.warning(self, "Training diverged", message)

    def _on_errored(self, message: str) -> None:
        """An unexpected exception ended the run: the window keeps the last weights it
        received and stays usable (Start trains on from them)."""
        self.statusBar().showMessage(f"Training stopped by an error: {message}")
        show_error(self, "Training stopped by an error",
                   f"{message}\n\nThe model keeps the weights of the last good batch shown; "
                   "press Start to train on from them.")

    def _on_run_state(self, state: str) -> None:
        self.controls.set_run_state(state)
        # the status bar never keeps an old run's "finished" while this one trains
        shown = self.statusBar().currentMessage()
        if state == "running":
            self.statusBar().showMessage("Training: Space pauses; the Speed slider slows it.")
        elif state == "paused" and not shown.startswith(("Epoch", "Step", "Training diverged")):
            self.statusBar().showMessage("Paused: Space resumes, S trains one mini-batch.")

    def _on_finished(self, completed: bool) -> None:
        self.controls.set_run_state("idle")
        if not self.statusBar().currentMessage().startswith("Training stopped by an error"):
            self.statusBar().showMessage("Training finished all its epochs." if completed
                                         else "Training stopped.")
        if self._start_after_stop:
            self._start_after_stop = False
            self.start_training()

    # -- models and data ----------------------------------------------------------------------
    def reload_pretrained(self) -> bool:
        """File > Reload pre-trained model: the bundled model, as at start-up."""
        from ..resources import resource_path

        if self._modified and QMessageBox.question(
                self, "Reload pre-trained model", "Replace the trained weights with the "
                "bundled pre-trained model? Unsaved training is lost.") \
                != QMessageBox.StandardButton.Yes:
            return False
        if not self.open_model(resource_path("model", "lenet.npz")):
            return False
        self.controls.reset_progress()
        self.statusBar().showMessage("Reloaded the pre-trained model.")
        return True

    def open_model(self, path) -> bool:
        """Load a checkpoint; on failure show the problem and keep the current model."""
        path = Path(path)
        try:
            editor = self.views.get("arch_editor")
            net, assumed = arch_actions.load_with_note(path, editor and editor.text())
        except Exception as exc:       # CheckpointError names file and problem; OSError too
            text = str(exc) if str(path) in str(exc) or path.name in str(exc) \
                else f"{path}: {exc}"
            show_error(self, "Cannot open model", text)
            return False
        self.stop_training()
        self.loss_view.clear()
        self.state.set_model(net, path.name, *checkpoint_training(path))
        self.statusBar().showMessage(assumed or f"Opened model {path}: {net.arch}.")
        return True

    def save_model(self, path) -> bool:
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(".npz")
        try:
            self.state.net.save(path, metadata={"name": self.state.model_name,
                                                "dataset": self._dataset_text()})
        except Exception as exc:
            show_error(self, "Cannot save model", f"{path}: {exc}")
            return False
        self.state.model_name = path.name
        self.state.set_modified(False)
        self._update_title()
        self.statusBar().showMessage(f"Saved model to {path}.")
        return True

    def open_dataset(self, folder, name: str | None = None) -> bool:
        """Load an IDX folder; on failure show the problem and keep the current data."""
        try:
            dataset = load_idx_folder(folder, name=name)
        except Exception as exc:       # DatasetError, IdxError name the file and problem
            text = str(exc) if str(folder) in str(exc) else f"{folder}: {exc}"
            show_error(self, "Cannot open dataset", text)
            return False
        self.state.set_dataset(dataset)
        self.statusBar().showMessage(
            f"Opened {dataset.name}: {dataset.n_train:,} training and {dataset.n_test:,} "
            "held-out digits" + (" (used from the next Start)." if self.controller.active
                                 else "."))
        return True

    def open_model_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model", "", "cnnviz model (*.npz)")
        if path:
            self.open_model(path)

    def save_model_dialog(self) -> bool:
        """Ask where, then save; True if the model was saved."""
        path, _ = QFileDialog.getSaveFileName(self, "Save model", "model.npz",
                                              "cnnviz model (*.npz)")
        return bool(path) and self.save_model(path)

    def open_dataset_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of IDX files")
        if folder:
            self.open_dataset(folder)

    def download_mnist_dialog(self) -> None:
        dialog = DownloadDialog(self)
        dialog.downloaded.connect(lambda path: self.open_dataset(path, name="mnist"))
        dialog.start()

    def _on_dataset_changed(self) -> None:
        self._float_cache = None
        self._update_title()

    def _dataset_text(self) -> str:
        ds = self.state.dataset
        return "none" if ds is None else f"{ds.name} ({ds.n_train:,} + {ds.n_test:,} digits)"

    def _pick_initial_probe(self) -> None:
        ds = self.state.dataset
        if ds.n_test:
            self.state.set_probe(ds.test_images[0].astype(np.float32) / 255.0,
                                 label=int(ds.test_labels[0]), source="dataset", index=0)

    # -- export -------------------------------------------------------------------------------
    def _on_focus_changed(self, _old, new) -> None:
        while new is not None:
            if isinstance(new, QDockWidget) and new in self.docks.values():
                self._last_dock = new
                return
            new = new.parentWidget()

    def current_dock(self) -> QDockWidget:
        """The dock the user last worked in, else the first visible of the main views."""
        if self._last_dock is not None and self._last_dock.isVisible():
            return self._last_dock
        for name in ("activations", "loss_curves", "filters", "drawing_pad"):
            dock = self.docks.get(name)
            if dock is not None and dock.isVisible() and not dock.visibleRegion().isEmpty():
                return dock
        return self.docks["loss_curves"]

    def export_view(self, path, dock: QDockWidget | None = None) -> Path:
        dock = dock or self.current_dock()
        path = Path(path)
        if not view_of(dock).grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        return path

    def export_view_dialog(self) -> None:
        dock = self.current_dock()
        default = dock.objectName().removesuffix("Dock") + ".png"
        path, _ = QFileDialog.getSaveFileName(self, f"Export {dock.windowTitle()} as PNG",
                                              default, "PNG image (*.png)")
        if path:
            try:
                self.export_view(path, dock)
            except OSError as exc:
                show_error(self, "Export failed", str(exc))

    # -- presentation mode ----------------------------------------------------------------------
    def set_presentation(self, on: bool, persist: bool = True) -> None:
        """Presentation mode on or off (full screen, large type, thick lines); remembered."""
        self.presentation.set_active(bool(on), persist=persist)
        self.presentation_action.setChecked(self.presentation.active)

    def _on_escape(self) -> None:
        if self.presentation.active:
            self.set_presentation(False)
        else:
            self.controller.stop()

    # -- window -------------------------------------------------------------------------------
    @property
    def _modified(self) -> bool:
        """The model was trained since its last load or save (kept in ``state.modified``)."""
        return self.state.modified

    @_modified.setter
    def _modified(self, value: bool) -> None:
        self.state.set_modified(value)

    def _update_title(self) -> None:
        mark = "*" if self.state.modified else ""
        self.setWindowTitle(f"{self.state.model_name}{mark} - cnnviz")

    def confirm_close(self) -> bool:
        """With a model trained since its last load or save, ask: save (True once saved),
        discard (True) or cancel (False). Nothing to lose: True without asking."""
        if not self.state.modified:
            return True
        answer = lifecycle.ask_save_changes(self)
        if answer == "save":
            self.controller.flush()             # the newest weights received
            return self.save_model_dialog()
        return answer == "discard"

    def window_gone(self) -> None:
        """The X server destroyed the window without a close request: keep a trained model in
        ``lifecycle.recovery_path()``, save the layout, stop training, exit."""
        self._window_gone = True
        # stop the run first, so that the kept model has every batch it trained: its last
        # snapshot and its "stopped" are queued to this thread, delivered here before saving
        self.controller.shutdown(timeout_ms=3000)
        QApplication.sendPostedEvents()
        if self.state.modified:
            path = lifecycle.recovery_path()
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self.controller.flush()
                self.state.net.save(path, metadata={"name": self.state.model_name})
                print(f"cnnviz: the window was closed; the trained model was kept in {path}",
                      file=sys.stderr)
            except Exception as exc:
                print(f"cnnviz: could not keep the trained model in {path}: {exc}",
                      file=sys.stderr)
        self.close()
        self.quit_app()

    def quit_app(self) -> None:
        QApplication.instance().quit()

    def closeEvent(self, event) -> None:
        """Ask about an unsaved trained model, stop the worker, save the layout, close."""
        if not self._window_gone and not self.confirm_close():
            event.ignore()
            return
        # a stop is honoured within one batch or evaluation chunk; a thread still busy is
        # joined at exit (worker.join_training_threads), never destroyed while it runs
        self.controller.shutdown(timeout_ms=3000)
        self.view_guard.uninstall()
        try:
            self.save_layout()
        except Exception:
            pass
        # give the application its normal font back; the stored choice is kept for next time
        self.presentation.set_active(False, persist=False)
        super().closeEvent(event)
