"""The window's docks: one per registry row, the default layout, saving and restoring it.

``DockLayout`` is mixed into ``MainWindow``. Each row of ``view_registry.VIEWS`` becomes a
view in a ``QDockWidget`` (``self.views[name]``, ``self.docks[name]``); the default layout
places each view in its row's tab group (see ``view_registry``).
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QDockWidget, QWidget

from ..settings import app_settings
from ..state import catch_up_when_raised
from ..view_frame import ViewFrame, fit_views_to
from ..view_guard import ViewGuard
from ..view_registry import ViewSpec, column_views, layout_groups
from ..window_settings import available_area, default_geometry, reset_settings, restore_window

# saved dock layouts carry this number; a layout saved by an older arrangement is ignored
LAYOUT_VERSION = 3


class DockLayout:
    """Docks and layout for ``MainWindow`` (needs ``state``, ``view_specs``, ``presentation``)."""

    _last_dock: QDockWidget | None = None     # the dock the user last worked in

    def _build_docks(self) -> None:
        """A view and its dock for every registry row, fitted to the screen and guarded."""
        self.views: dict[str, QWidget] = {}
        self.docks: dict[str, QDockWidget] = {}
        self.full_titles: dict[str, str] = {}
        for spec in self.view_specs:
            self._add_dock(spec)
        # the window fits the screen
        fit_views_to(self, available_area(self), column_views(self.view_specs))
        # a view that cannot show the current network is covered with a note, not a crash
        self.view_guard = ViewGuard(self.views, self.state,
                                    {s.name: s.module.rsplit(".", 1)[-1]
                                     for s in self.view_specs}, self)

    def _add_dock(self, spec: ViewSpec) -> None:
        view = spec.load()(self.state)
        dock = QDockWidget(spec.short, self)
        dock.setObjectName(f"{spec.name}Dock")
        dock.toggleViewAction().setText(spec.title)
        dock.toggleViewAction().setStatusTip(f"Show or hide the {spec.title} view")
        self.full_titles[spec.name] = spec.title
        dock.setWidget(ViewFrame(view))     # scrolls rather than overlap or grow the window
        catch_up_when_raised(dock)          # a raised tab's view redraws what it skipped
        self.views[spec.name], self.docks[spec.name] = view, dock

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

    def raise_dock(self, name: str) -> None:
        """Show dock ``name`` and bring it to the front of its tab group."""
        dock = self.docks[name]
        dock.show()
        dock.raise_()

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
