"""Dock tab titles always in full: a tab group too narrow for its titles scrolls them.

Qt elides the tab titles of a narrow dock tab group ("Filt…", "Confu…" in a 360 px column at
1280 x 720): a teacher cannot tell the tabs apart. ``keep_tab_titles_whole(window)`` sets
every dock-area tab bar of ``window`` to no elision with scroll buttons, now and whenever the
dock layout changes (Qt creates a group's tab bar when docks are first tabbed together).
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QTabBar


def whole_titles(window) -> None:
    """No elided titles on the dock-area tab bars of ``window`` (a QMainWindow)."""
    for bar in window.findChildren(QTabBar):
        if bar.parent() is window:
            if bar.elideMode() != Qt.TextElideMode.ElideNone:
                bar.setElideMode(Qt.TextElideMode.ElideNone)
            if not bar.usesScrollButtons():
                bar.setUsesScrollButtons(True)


def keep_tab_titles_whole(window) -> None:
    """``whole_titles`` now and after every change of the dock layout."""
    later = QTimer(window)
    later.setSingleShot(True)
    later.setInterval(0)
    later.timeout.connect(lambda: whole_titles(window))
    window.tabifiedDockWidgetActivated.connect(lambda _dock: later.start())
    for dock in getattr(window, "docks", {}).values():
        dock.dockLocationChanged.connect(lambda _area: later.start())
        dock.topLevelChanged.connect(lambda _floating: later.start())
        dock.visibilityChanged.connect(lambda _shown: later.start())
    whole_titles(window)
