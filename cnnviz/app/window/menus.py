"""The window's menus and keyboard shortcuts (File, Training, View, Classroom, Help).

``Menus`` is mixed into ``MainWindow``. The View menu lists every dock; the Classroom menu
and its number keys, and each view's own shortcut, come from the registry rows
(``view_registry``).
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QKeySequence, QShortcut

from .. import replay
from ..dialogs import show_about, show_shortcuts
from ..view_registry import CLASSROOM_ROLES, ViewSpec, classroom_views


def view_spec_key(specs: list[ViewSpec], name: str) -> int | None:
    """The Classroom number key of view ``name`` (None: it has none)."""
    return next((s.key for s in specs if s.name == name), None)


class Menus:
    """Menus for ``MainWindow`` (its actions call the window's training and file actions)."""

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
        menus = {"File": file_menu, "Training": train_menu}
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
        for spec in self.view_specs:         # e.g. Training > Architecture editor...
            if spec.menu:
                self._action(menus[spec.menu], spec.action or f"&{spec.title}...",
                             lambda _checked=False, n=spec.name: self.raise_dock(n),
                             spec.shortcut, spec.tip)

        classroom = bar.addMenu("&Classroom")
        # the lessons, then the views a lesson returns to (keys 1-9), then what it has learnt
        for role in CLASSROOM_ROLES:
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
