"""The main window: every view in a dock, the training controller, menus and shortcuts.

Views are the rows of ``view_registry.VIEWS``; each is one module (or package) in
``cnnviz/app/views`` with one QWidget class taking ``(state, parent=None)``. ``MainWindow``
assembles its parts (``cnnviz/app/window/``): ``DockLayout`` (a dock per view, the default
layout), ``Menus``, ``TrainingActions`` (the controls drive the ``TrainingController``;
what the run reports goes to ``AppState``, whose signals every view listens to) and
``FileActions`` (models, data, exports). This module wires them and owns the window's
lifecycle (title, closing, a window destroyed by the X server).
"""

from __future__ import annotations

import sys

from PyQt6.QtWidgets import QApplication, QMainWindow, QWidget

from . import arch_actions, lifecycle
from .presentation import PresentationMode, stored_choice
from .shortcut_focus import NumericFieldShortcuts
from .status_bar import ElidingStatusBar
from .tab_titles import keep_tab_titles_whole
from .training_data import TrainingData
from .state import AppState
from .view_registry import (CLASSROOM_KEYS, CLASSROOM_VIEWS, LAYOUT_GROUPS, WIDE_VIEWS,
                            ViewSpec)
from .view_registry import VIEWS as VIEW_REGISTRY
from .views.controls import ControlsView
from .views.loss_curves import LossCurvesView
from .window.docks import LAYOUT_VERSION, DockLayout
from .window.file_actions import FileActions
from .window.menus import Menus
from .window.training_actions import TrainingActions
from .window_settings import default_geometry
from .worker import TrainingController

# the registry's layout constants stay importable from here (tests, scripts)
__all__ = ["MainWindow", "LAYOUT_VERSION", "LAYOUT_GROUPS", "WIDE_VIEWS", "CLASSROOM_VIEWS",
           "CLASSROOM_KEYS"]


class MainWindow(DockLayout, Menus, TrainingActions, FileActions, QMainWindow):
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
        self.setStatusBar(ElidingStatusBar(self))   # a long message ends in "…", never cut

        self.controller = TrainingController(self)
        self.training_data = TrainingData(self)    # float arrays, converted off this thread
        self.training_data.prepare(state.dataset)
        self._window_gone = False            # the X server destroyed the window (see lifecycle)

        self._build_docks()
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
        notes = self.settings_notes + [n for n in [lifecycle.kept_model_note()] if n]
        self.statusBar().showMessage(" ".join(notes) or (
            f"Model: {state.model_name}. Data: {self._dataset_text()}. "
            "Draw a digit on the pad, or press Start (Space)."))
        QApplication.instance().focusChanged.connect(self._on_focus_changed)
        self._shortcut_filter = NumericFieldShortcuts(self)    # Space works in a spin box
        self._shortcut_filter.watch(self)
        keep_tab_titles_whole(self)          # a narrow tab group scrolls, never elides
        if state.dataset is not None and state.probe_index is None \
                and state.probe_source == "dataset" and not state.probe_image.any():
            self._pick_initial_probe()

    # -- wiring -----------------------------------------------------------------------------
    def _connect(self) -> None:
        c = self.controls
        self._connect_training()
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
        if "arch_editor" in v:
            v["arch_editor"].applyRequested.connect(self.apply_architecture)
        if "compare" in v:          # a comparison trains with the Training controls' settings
            v["compare"].config_source = c.config
        c.preset_combo.currentIndexChanged.connect(lambda _i: arch_actions.on_training_preset(self))

    def explain_pixel(self, layer: str, channel: int, row: int, col: int) -> None:
        """Take conv feature-map pixel ``(row, col)`` apart in the convolution explainer."""
        self.state.select_pixel(layer, channel, row, col)

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
