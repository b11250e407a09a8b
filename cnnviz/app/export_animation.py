"""File > Export animation: a view across a recording as a GIF (or MP4), with a progress
dialog and Cancel. The frames come from ``animate.render_frames``, the code behind
``cnnviz animate``; a cancelled export leaves no file."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QFileDialog, QInputDialog, QProgressDialog

from ..training.recording import Recording, RecordingError
from . import animate
from .dialogs import show_error


def export_animation(window, recording: Recording, view: str, out, size=(640, 480),
                     fps: float = 10.0, on_progress=None) -> bool:
    """Write ``view`` across ``recording`` to ``out``; True if written. ``on_progress(done,
    dialog)`` is called after each frame (tests)."""
    out = Path(out)
    dialog = QProgressDialog(f"Drawing {view} at {len(recording.steps)} recorded steps...",
                             "Cancel", 0, len(recording.steps), window)
    dialog.setWindowTitle("Export animation")
    dialog.setObjectName("exportAnimationProgress")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(0)
    dialog.setValue(0)

    def progress(done: int, _total: int) -> None:
        dialog.setValue(done)
        if on_progress is not None:
            on_progress(done, dialog)
        QApplication.processEvents()

    probe = window.state.probe_index or 0
    try:
        frames = animate.render_frames(recording, view, size=size, probe=probe,
                                       progress=progress, cancelled=dialog.wasCanceled)
        animate.write_animation(frames, out, fps=fps)
    except animate.AnimationCancelled:
        window.statusBar().showMessage(f"Export cancelled; {out.name} was not written.")
        return False
    except (ValueError, OSError, RecordingError) as exc:
        show_error(window, "Export animation failed", f"{out.name}: {exc}")
        return False
    finally:
        dialog.close()
    window.statusBar().showMessage(f"Wrote {out} ({len(recording.steps)} frames of {view}).")
    return True


def export_animation_dialog(window) -> None:
    """Ask for the view and the file, then export (the open recording, or one to choose)."""
    recording = window.replay.recording
    if recording is None:
        path, _ = QFileDialog.getOpenFileName(window, "Choose a recording to animate", "",
                                              "cnnviz recording (*.cnnrun)")
        if not path:
            return
        try:
            recording = Recording.open(path)
        except RecordingError as exc:
            show_error(window, "Cannot open recording", str(exc))
            return
    view, ok = QInputDialog.getItem(window, "Export animation", "View to animate:",
                                    animate.view_names(), 0, False)
    if not ok:
        return
    filters = "Animated GIF (*.gif)" + (";;MP4 video (*.mp4)" if animate.ffmpeg_path() else "")
    out, _ = QFileDialog.getSaveFileName(window, "Export animation", f"{view}.gif", filters)
    if out:
        export_animation(window, recording, view, out)
