"""The window's end of life: ask before losing a trained model, exit when the window is gone.

* ``ask_save_changes(parent)``: "save", "discard" or "cancel" for a model trained since it
  was loaded or saved (tests patch this function: a modal box would block them).
* ``WindowGoneWatcher``: some window managers and remote-desktop tools destroy a top-level X
  window without sending a close request (``xdotool windowclose`` does). Qt then keeps the
  widget "visible" and the app would train on, unseen, forever. The watcher sees the X
  server's DestroyNotify for the window and calls back, so the app can save and exit.
* ``recovery_path()``: where a trained model is kept when the window vanished unasked;
  ``kept_model_note()`` names it in the status bar at the next launch.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PyQt6 import sip
from PyQt6.QtCore import QAbstractNativeEventFilter, QStandardPaths, QTimer
from PyQt6.QtWidgets import QMessageBox, QWidget

from .settings import settings_path

XCB_EVENT = b"xcb_generic_event_t"
XCB_DESTROY_NOTIFY = 17       # xcb_destroy_notify_event_t: type, pad, sequence, event, window


def ask_save_changes(parent: QWidget | None) -> str:
    """Ask whether to save the trained model before closing: "save", "discard" or "cancel"."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Save the trained model?",
                      "The model was trained since it was last opened or saved.", parent=parent)
    box.setObjectName("saveChangesBox")
    box.setInformativeText("Save it before closing? Training that is not saved is lost.")
    box.setStandardButtons(QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                           | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    answer = box.exec()
    return {QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard"}.get(
        QMessageBox.StandardButton(answer), "cancel")


def recovery_path() -> Path:
    """``unsaved-model.npz`` beside the settings (``CNNVIZ_SETTINGS_DIR``), else in the
    user's application data folder."""
    ini = settings_path()
    folder = ini.parent if ini is not None else Path(QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation) or Path.home() / ".cnnviz")
    return folder / "unsaved-model.npz"


def kept_model_note() -> str:
    """A status-bar note naming the model ``window_gone`` kept, while that file exists."""
    path = recovery_path()
    if not path.is_file():
        return ""
    return f"Kept from a window closed unasked: {path} (File > Open model loads it)."


class WindowGoneWatcher(QAbstractNativeEventFilter):
    """Calls ``on_gone()`` once when the X server destroys ``window``'s native window.

    Install with ``QApplication.instance().installNativeEventFilter(watcher)`` and keep a
    reference. On other platforms it never fires (they send a close request instead).
    """

    def __init__(self, window: QWidget, on_gone: Callable[[], None]) -> None:
        super().__init__()
        self._window = window
        self._on_gone = on_gone
        self.fired = False

    def nativeEventFilter(self, event_type, message):
        if self.fired or bytes(event_type) != XCB_EVENT or not message:
            return False, 0
        data = sip.voidptr(message).asstring(12)
        if data[0] & 0x7F == XCB_DESTROY_NOTIFY:
            destroyed = int.from_bytes(data[8:12], sys.byteorder)
            if not sip.isdeleted(self._window) and destroyed == int(self._window.winId()):
                self.fired = True
                QTimer.singleShot(0, self._on_gone)     # not from inside Qt's event dispatch
        return False, 0
