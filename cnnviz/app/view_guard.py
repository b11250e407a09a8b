"""A view that fails on the current network is covered with a note, never crashes the app.

Some views still assume LeNet's layers. When one raises (in a slot, an event handler, or a
call from the main window), ``ViewGuard`` covers that view with "This view does not support
this architecture yet" and the rest of the app carries on. The cover comes off at the next
model change, so the view gets another chance with another network.

Exceptions reach the guard in two ways: ``call(name, fn, ...)`` for calls the main window
makes into a view, and ``sys.excepthook`` (PyQt hands it every exception raised in a slot or
a virtual method) for everything else: the view is found from the traceback's frames. The
hook chains to the previous one (which prints, or lets pytest-qt report it) once per view
and network; anything that is not a view's goes to the previous hook unchanged.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from PyQt6 import sip
from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtWidgets import QLabel, QWidget

MESSAGE = "This view does not support this architecture yet."
_VIEWS_DIR = Path(__file__).resolve().parent / "views"


class _Cover(QLabel):
    """The note drawn over a failed view, kept at the view's size."""

    def __init__(self, view: QWidget) -> None:
        super().__init__(view)
        self.setObjectName("viewGuardCover")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setAutoFillBackground(True)
        self.setMargin(24)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        view.installEventFilter(self)
        self.setGeometry(view.rect())

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(obj.rect())
            self.raise_()
        return False


class ViewGuard(QObject):
    """Guards ``views`` (name -> view widget) of one window; ``state``: the AppState."""

    def __init__(self, views: dict[str, QWidget], state, modules: dict[str, str],
                 parent=None) -> None:
        super().__init__(parent)
        self.views, self.state = views, state
        self._modules = modules                       # view name -> module file stem
        self.failed: dict[str, object] = {}           # view name -> the network it failed on
        self.errors: dict[str, str] = {}              # view name -> one-line error
        self._covers: dict[str, _Cover] = {}
        self._previous_hook = sys.excepthook
        sys.excepthook = self._hook
        state.modelChanged.connect(self._on_model_changed)

    # -- entry points ------------------------------------------------------------------------
    def call(self, name: str, fn, *args, **kwargs):
        """``fn(*args)`` on behalf of view ``name``; a failure covers the view (returns None)."""
        try:
            return fn(*args, **kwargs)
        except Exception as exc:          # the view, not the caller, is broken
            self.fail(name, exc)
            return None

    def fail(self, name: str, exc: BaseException) -> None:
        """Cover view ``name``: it cannot show the current network."""
        first = self.failed.get(name) is not self.state.net
        self.failed[name] = self.state.net
        self.errors[name] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        view = self.views[name]
        if sip.isdeleted(view):
            return
        cover = self._covers.get(name)
        if cover is None or sip.isdeleted(cover):
            cover = self._covers[name] = _Cover(view)
        cover.setText(f"<b>{MESSAGE}</b><br><br>Network: {self.state.net.arch}<br>"
                      f"<small>({self.errors[name]})</small>")
        cover.show()
        cover.raise_()
        if first:
            sys.stderr.write(f"cnnviz: the {name} view cannot show '{self.state.net.arch}' "
                             f"yet: {self.errors[name]}\n")

    def covered(self, name: str) -> bool:
        cover = self._covers.get(name)
        return cover is not None and not sip.isdeleted(cover) and cover.isVisible()

    def uninstall(self) -> None:
        if sys.excepthook == self._hook:
            sys.excepthook = self._previous_hook

    # -- internals -------------------------------------------------------------------------------
    def _on_model_changed(self) -> None:
        # A view that failed on an earlier network gets another chance. (A view that already
        # failed on this new network, in its own modelChanged slot, stays covered.)
        for name in list(self.failed):
            if self.failed[name] is not self.state.net:
                del self.failed[name]
                cover = self._covers.get(name)
                if cover is not None and not sip.isdeleted(cover):
                    cover.hide()

    def _hook(self, kind, value, tb) -> None:
        name = self._view_of(tb) if isinstance(value, Exception) else None
        if name is None:
            self._previous_hook(kind, value, tb)
            return
        first = self.failed.get(name) is not self.state.net
        self.fail(name, value)
        if first:
            self._previous_hook(kind, value, tb)

    def _view_of(self, tb) -> str | None:
        """The guarded view a traceback ran in: the outermost frame whose ``self`` is a view
        (or lives inside one), else the innermost frame in a view module's file."""
        frames = [frame for frame, _ in traceback.walk_tb(tb)]
        live = {name: v for name, v in self.views.items() if not sip.isdeleted(v)}
        for frame in frames:
            owner = frame.f_locals.get("self")
            for name, view in live.items():
                if _inside(owner, view):
                    return name
        by_module = {stem: name for name, stem in self._modules.items() if name in live}
        for frame in reversed(frames):
            path = Path(frame.f_code.co_filename)
            if path.parent == _VIEWS_DIR and path.stem in by_module:
                return by_module[path.stem]
            if path.parent.parent == _VIEWS_DIR and path.parent.name in by_module:
                return by_module[path.parent.name]      # a view split into a package
        return None


def _inside(obj, view: QWidget) -> bool:
    """True if ``obj`` is ``view`` or one of its child objects."""
    if not isinstance(obj, QObject):
        return False
    try:
        while obj is not None:
            if obj is view:
                return True
            obj = obj.parent()
    except RuntimeError:            # a deleted wrapper
        return False
    return False
