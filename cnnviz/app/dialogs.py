"""Dialogs: error messages, the MNIST download with progress and Cancel, About, shortcuts."""

from __future__ import annotations

import platform
import threading

import numpy as np
from PyQt6.QtCore import QObject, Qt, QThread, pyqtSignal
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView,
                             QMessageBox, QProgressDialog, QTableWidget, QTableWidgetItem,
                             QVBoxLayout, QWidget)

SHORTCUTS = [
    ("Space", "Start / Pause / Resume training (also from a number field)"),
    ("S or Right", "Step: train exactly one mini-batch"),
    ("Esc", "Leave presentation mode, else stop the training run"),
    ("Ctrl+R", "Reset to fresh random weights"),
    ("C or Delete", "Clear the drawing pad"),
    ("Ctrl+Z", "Undo the last stroke"),
    ("Ctrl+O / Ctrl+S", "Open / save a model"),
    ("Ctrl+L", "Reload the pre-trained model"),
    ("1 - 6", "Classroom views: Preprocessing, Convolution, One step, Saliency, Confusion, "
              "Timeline"),
    ("7 / 8 / 9", "Activations / Filters / Loss and accuracy"),
    ("Ctrl+E", "Export the current view as PNG"),
    ("Alt+Left / Alt+Right", "Recording: previous / next recorded step (Left / Right on its "
                             "bar)"),
    ("Tab, then Left / Right", "A paged panel's ◀ ▶ (many channels): Tab to them in the view, "
                               "then Left / Right or Enter turn its pages"),
    ("F11", "Presentation mode (full screen, large type) on or off"),
    ("Ctrl+Q", "Quit"),
]


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """A modal error box (tests monkeypatch ``QMessageBox.critical``)."""
    QMessageBox.critical(parent, title, message)


def versions() -> dict[str, str]:
    """Versions of cnnviz and what it runs on."""
    from PyQt6.QtCore import PYQT_VERSION_STR, QT_VERSION_STR
    import pyqtgraph as pg
    try:
        from importlib.metadata import version
        cnnviz_version = version("cnnviz")
    except Exception:
        cnnviz_version = "0.1.0 (checkout)"
    return {"cnnviz": cnnviz_version, "Python": platform.python_version(),
            "NumPy": np.__version__, "PyQt6": PYQT_VERSION_STR, "Qt": QT_VERSION_STR,
            "pyqtgraph": pg.__version__}


def about_text() -> str:
    rows = "".join(f"<tr><td>{k}</td><td>&nbsp;{v}</td></tr>" for k, v in versions().items())
    return ("<h3>cnnviz</h3><p>Watch a LeNet-style convolutional network, written in pure "
            "NumPy, learn to read handwritten digits: live loss curves, feature maps, pooling "
            "masks, filters and a drawing pad.</p>"
            f"<table>{rows}</table>")


def show_about(parent: QWidget | None) -> None:
    QMessageBox.about(parent, "About cnnviz", about_text())


def shortcuts_text() -> str:
    """The shortcuts as an HTML table (keys in one column, what they do in the other)."""
    rows = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in SHORTCUTS)
    return f"<table cellspacing='0' cellpadding='4'>{rows}</table>"


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts: a two-column table, the key column sized to its keys and
    each description on one line beside its key (never wrapped under it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.table = QTableWidget(len(SHORTCUTS), 2, self)
        self.table.setHorizontalHeaderLabels(["Key", "Action"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setWordWrap(False)
        bold = QFont(self.font())
        bold.setBold(True)
        for row, (key, text) in enumerate(SHORTCUTS):
            key_item = QTableWidgetItem(key)
            key_item.setFont(bold)
            self.table.setItem(row, 0, key_item)
            self.table.setItem(row, 1, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        width = sum(self.table.columnWidth(c) for c in range(2)) + 2 * self.table.frameWidth()
        height = (self.table.horizontalHeader().height() + 2 * self.table.frameWidth()
                  + sum(self.table.rowHeight(r) for r in range(len(SHORTCUTS))))
        self.table.setMinimumSize(width + 4, height + 2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)


def show_shortcuts(parent: QWidget | None) -> None:
    ShortcutsDialog(parent).exec()


class _DownloadJob(QObject):
    """Runs ``download_mnist`` in a QThread, reporting progress and honouring Cancel."""

    progress = pyqtSignal(str, int, int)      # file, bytes done, bytes total (0 = unknown)
    done = pyqtSignal(object)                 # Path
    failed = pyqtSignal(str)
    cancelled = pyqtSignal()

    def __init__(self, dest=None) -> None:
        super().__init__()
        self.dest = dest
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        from ..data import DownloadCancelled, download_mnist
        try:
            path = download_mnist(
                self.dest, progress=lambda f, d, t: self.progress.emit(f, int(d), int(t or 0)),
                cancel=self._cancel.is_set)
        except DownloadCancelled:
            self.cancelled.emit()
        except Exception as exc:     # network, disk, checksum: all reported, none crash
            self.failed.emit(str(exc))
        else:
            self.done.emit(path)


class DownloadDialog(QProgressDialog):
    """Downloads the full MNIST with a progress bar and Cancel; emits ``downloaded(path)``."""

    downloaded = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None, dest=None) -> None:
        super().__init__("Downloading MNIST...", "Cancel", 0, 100, parent)
        self.setWindowTitle("Download full MNIST")
        self.setMinimumDuration(0)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.error: str | None = None
        self._thread = QThread(self)
        self._job = _DownloadJob(dest)
        self._job.moveToThread(self._thread)
        self._thread.started.connect(self._job.run)
        self._job.progress.connect(self._on_progress)
        self._job.done.connect(self._on_done)
        self._job.failed.connect(self._on_failed)
        self._job.cancelled.connect(self._on_cancelled)
        self.canceled.connect(self._job.cancel)

    def start(self) -> None:
        self.show()
        self._thread.start()

    def _finish_thread(self) -> None:
        self._thread.quit()
        self._thread.wait(2000)

    def _on_progress(self, name: str, done: int, total: int) -> None:
        if total:
            self.setMaximum(100)
            self.setValue(int(100 * done / total))
        else:
            self.setMaximum(0)   # busy indicator
        self.setLabelText(f"Downloading {name}: {done / 1e6:.1f} MB"
                          + (f" of {total / 1e6:.1f} MB" if total else ""))

    def _on_done(self, path) -> None:
        self._finish_thread()
        self.close()
        self.downloaded.emit(path)

    def _on_failed(self, message: str) -> None:
        self._finish_thread()
        self.error = message
        self.close()
        show_error(self.parentWidget(), "Download failed", message)

    def _on_cancelled(self) -> None:
        self._finish_thread()
        self.close()

    def closeEvent(self, event) -> None:
        if self._thread.isRunning():
            self._job.cancel()
            self._thread.quit()
            self._thread.wait(3000)
        super().closeEvent(event)
