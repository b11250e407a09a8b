"""The window's file actions: open, reload and save models, open or download a dataset,
export the current view as a PNG.

``FileActions`` is mixed into ``MainWindow``. Every failure is shown as a message naming the
file and the problem; the current model or data is kept.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PyQt6.QtWidgets import QDockWidget, QFileDialog, QMessageBox

from ...data import load_idx_folder
from .. import arch_actions
from ..dialogs import DownloadDialog, show_error
from ..state import checkpoint_training
from ..view_frame import view_of


class FileActions:
    """Models, data and exports for ``MainWindow`` (needs ``state``, ``views``, ``docks``)."""

    def reload_pretrained(self) -> bool:
        """File > Reload pre-trained model: the bundled model, as at start-up."""
        from ...resources import resource_path

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
        """Ask for a checkpoint, then (if training since the last save would be lost) whether
        to replace the model, as Reload pre-trained and the editor's Apply do."""
        path, _ = QFileDialog.getOpenFileName(self, "Open model", "", "cnnviz model (*.npz)")
        if not path:
            return
        if self._modified and QMessageBox.question(
                self, "Open model", f"Replace the current network ({self.state.net.arch}), "
                f"trained and not saved, with {Path(path).name}? Unsaved training is lost.\n\n"
                "Save it first (File > Save model) to keep it.") \
                != QMessageBox.StandardButton.Yes:
            return
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
        self.training_data.prepare(self.state.dataset)
        self._update_title()

    def _dataset_text(self) -> str:
        ds = self.state.dataset
        return "none" if ds is None else f"{ds.name} ({ds.n_train:,} + {ds.n_test:,} digits)"

    def _pick_initial_probe(self) -> None:
        ds = self.state.dataset
        if ds.n_test:
            self.state.set_probe(ds.test_images[0].astype(np.float32) / 255.0,
                                 label=int(ds.test_labels[0]), source="dataset", index=0)

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
