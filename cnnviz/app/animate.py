"""Animations of a recording: one view drawn offscreen at every recorded step.

``render_frames`` builds the app's own view class (from ``view_registry``) on an ``AppState``,
shows each step through ``replay.apply_step`` (the path the timeline bar uses) and grabs
the widget, with a caption strip ``step N · epoch E``. ``write_animation`` saves the frames
as a GIF (Pillow) or, when the ``ffmpeg`` program exists, an MP4; the file appears only
once complete (temp file + rename), so a cancelled export leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

#: short names accepted besides the view names of ``view_registry.VIEWS``
ALIASES = {"loss": "loss_curves", "curves": "loss_curves", "activation": "activations",
           "filter": "filters", "confusion_matrix": "confusion",
           "filter_changes": "filters"}
#: a view shown in one of its modes: name -> method called on the view once built
SETUPS = {"filter_changes": lambda view: view.set_show_change(True)}   # W - W0 of the run
#: views an animation makes sense for (they follow the weights)
ANIMATABLE = ("filters", "activations", "pooling", "loss_curves", "timeline", "confusion",
              "saliency", "inspector", "drawing_pad", "step_explainer", "conv_explainer")


_KEPT: list = []     # the render widgets made so far, with their states (see render_frames)


def release_render_widgets() -> None:
    """Delete the widgets ``render_frames`` kept, now, while the QApplication still lives.

    A one-shot command calls this before it returns: left to the interpreter's exit, the
    widgets outlived the QApplication and the process ended in a segfault after its work.
    """
    from PyQt6.QtCore import QEvent
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance()
    while _KEPT:
        widget, _state = _KEPT.pop()
        widget.close()
        widget.deleteLater()
    if app is not None:
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        app.processEvents()


class AnimationCancelled(Exception):
    """The export was cancelled; no file was written."""


def view_names() -> list[str]:
    names = ["loss", *[n for n in ANIMATABLE if n != "loss_curves"]]
    return names[:2] + ["filter_changes"] + names[2:]


def resolve_view(name: str) -> str:
    key = ALIASES.get(name, name)
    if key not in ANIMATABLE:
        raise ValueError(f"unknown view {name!r}; choose one of: {', '.join(view_names())}")
    return key


def ffmpeg_path() -> str | None:
    return shutil.which("ffmpeg")


def dataset_for(recording):
    """The recording's data set if it can be loaded here, else the bundled digits."""
    from ..data import load_bundled, load_dataset

    name = recording.header.get("dataset", {}).get("name", "bundled")
    try:
        return load_dataset(name)
    except Exception:
        return load_bundled()


def render_frames(recording, view: str, size=(640, 480), probe: int = 0,
                  steps=None, progress=None, cancelled=None):
    """Yield ``(step, QImage)`` for each of ``steps`` (default: every recorded point).

    ``progress(done, total)`` is called after each frame; ``cancelled()`` returning True
    raises ``AnimationCancelled``. A ``QApplication`` must exist.
    """
    import pyqtgraph as pg
    from PyQt6.QtCore import QRect, Qt
    from PyQt6.QtGui import QColor, QFont, QPainter
    from PyQt6.QtWidgets import QApplication

    from .view_registry import view_spec
    from .replay import apply_step, epoch_progress
    from .state import AppState, refresh_queue

    pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)
    key = resolve_view(view)
    dataset = dataset_for(recording)
    state = AppState(recording.build_network(), dataset)
    if dataset.n_test:
        index = int(np.clip(probe, 0, dataset.n_test - 1))
        state.set_probe(dataset.test_images[index].astype(np.float32) / 255.0,
                        label=int(dataset.test_labels[index]), source="dataset", index=index)
    widget = view_spec(key).load()(state)
    if view in SETUPS:
        SETUPS[view](widget)
    width, height = size
    caption_h = max(18, height // 18)
    widget.resize(width, height - caption_h)
    widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    widget.show()
    app = QApplication.instance()
    app.processEvents()
    steps = list(recording.steps if steps is None else steps)
    try:
        for done, step in enumerate(steps, 1):
            if cancelled is not None and cancelled():
                raise AnimationCancelled()
            apply_step(recording, int(step), recording.weights(int(step)), state, {key: widget})
            if key == "timeline":
                widget.record_from_state(int(step), epoch_progress(recording, int(step)))
                widget.flush()
            refresh_queue().flush()
            app.processEvents()
            frame = widget.grab().toImage()
            image = frame.copy(0, 0, width, height)     # grows the canvas for the caption
            image.fill(QColor("white"))
            painter = QPainter(image)
            painter.drawImage(0, 0, frame)
            font = QFont()
            font.setPixelSize(int(caption_h * 0.7))
            painter.setFont(font)
            painter.setPen(QColor(30, 30, 30))
            text = f"step {int(step):,}   ·   epoch {epoch_progress(recording, int(step)):.2f}"
            painter.drawText(QRect(0, height - caption_h, width, caption_h),
                             Qt.AlignmentFlag.AlignCenter, text)
            painter.end()
            yield int(step), image
            if progress is not None:
                progress(done, len(steps))
    finally:
        # Hidden and kept, not deleted here: destroying a pyqtgraph view built outside a
        # window crashed a later event-loop turn now and then (a segfault in a later test's
        # teardown, after deferred deletes); an export costs one hidden widget. A one-shot
        # command deletes them before it returns: ``release_render_widgets``.
        widget.hide()
        _KEPT.append((widget, state))


def _to_pil(image):
    from PIL import Image
    from PyQt6.QtGui import QImage

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h = rgb.width(), rgb.height()
    data = bytes(rgb.constBits().asstring(rgb.sizeInBytes()))
    stride = rgb.bytesPerLine()
    return Image.frombuffer("RGB", (w, h), data, "raw", "RGB", stride, 1)


def write_animation(frames, out, fps: float = 10.0, hold_last_s: float = 2.0) -> Path:
    """Write ``frames`` (an iterable of ``(step, QImage)``) to ``out`` (.gif or .mp4)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise ValueError(f"{out.name}: write a .gif (or an .mp4 when ffmpeg is installed)")
    if suffix == ".mp4" and ffmpeg_path() is None:
        raise ValueError(f"{out.name}: writing MP4 needs the ffmpeg program, which is not on "
                         "PATH; install ffmpeg or write a .gif")
    directory = out.parent if str(out.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=suffix, dir=directory)
    os.close(fd)
    try:
        if suffix == ".gif":
            _write_gif(frames, Path(tmp), fps, hold_last_s)
        else:
            _write_mp4(frames, Path(tmp), fps, hold_last_s)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)           # mkstemp makes 0600; an animation is no secret
        os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return out


def _write_gif(frames, path: Path, fps: float, hold_last_s: float) -> None:
    from PIL import Image

    images = []
    palette = None
    for _step, image in frames:
        rgb = _to_pil(image)
        # one palette for the whole animation: no colour flicker between frames
        if palette is None:
            palette = rgb.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
        images.append(rgb.quantize(palette=palette, dither=Image.Dither.NONE))
    if not images:
        raise ValueError("the recording has no steps to animate")
    frame_ms = max(20, int(round(1000 / fps)))
    durations = [frame_ms] * len(images)
    durations[-1] = max(frame_ms, int(hold_last_s * 1000))
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:],
                   duration=durations, loop=0, optimize=True, disposal=1)


def _write_mp4(frames, path: Path, fps: float, hold_last_s: float) -> None:
    process = None
    last = None
    try:
        for _step, image in frames:
            rgb = _to_pil(image)
            w, h = rgb.size
            if process is None:
                process = subprocess.Popen(
                    [ffmpeg_path(), "-y", "-loglevel", "error", "-f", "rawvideo",
                     "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", f"{fps:g}", "-i", "-",
                     "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p",
                     "-f", "mp4", str(path)], stdin=subprocess.PIPE)
            last = rgb.tobytes()
            process.stdin.write(last)
        if process is None:
            raise ValueError("the recording has no steps to animate")
        for _ in range(int(hold_last_s * fps)):
            process.stdin.write(last)
        process.stdin.close()
        if process.wait() != 0:
            raise OSError(f"ffmpeg failed writing {path.name}")
    except BaseException:
        if process is not None:
            process.kill()
            process.wait()
        raise
