"""Every view of the main window as a PNG, drawn offscreen at a given window size.

``export_views(out_dir, source, size=(1920, 1080), presentation=False, probe=0)`` opens the
real ``MainWindow`` on the bundled digits and the model ``source`` gives, brings each view to
the front in turn (in presentation mode on its stage), fills the views that need an event
(one real training step for "One step", an evaluation for the confusion matrix, a clicked
pixel of the first conv layer for the convolution explainer), waits for the view's background
computations (``BackgroundJob``: Grad-CAM, saliency, embedding...; at most ``JOB_WAIT_S``) and
writes ``<view>.png`` for every view plus ``window.png``. ``cnnviz export-views`` and
``scripts/screenshots.py`` use it.

The model comes from a *source*: any object with ``name`` and ``load() -> (Network, str)``
(the network and the model name shown in the window). ``CheckpointSource`` reads a
checkpoint (or the bundled model); other sources (a recorded run at a step) plug in the same
way. A QApplication must exist; ``offscreen_app(size)`` makes one whose screen is ``size``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_SIZE = (1920, 1080)
MIN_SIZE = (640, 480)
#: how long a view's background computations (Grad-CAM, saliency, embedding...) may take
#: before its export fails with a message saying so
JOB_WAIT_S = 120.0


class ExportError(RuntimeError):
    """A view could not be drawn or written; the message names it."""


@dataclass
class CheckpointSource:
    """A checkpoint file, or the bundled pre-trained model when ``path`` is None."""

    path: Path | None = None

    @property
    def name(self) -> str:
        return str(self.path) if self.path else "the bundled model"

    def load(self):
        from ..nn import load_checkpoint
        from ..resources import resource_path
        path = Path(self.path) if self.path else resource_path("model", "lenet.npz")
        return load_checkpoint(path), path.name


@dataclass
class RecordingSource:
    """The network of a recorded run (``cnnviz.training.recording.Recording``) as it was at
    ``step``, the nearest recorded point to the step asked for."""

    recording: object
    step: int

    @property
    def name(self) -> str:
        return f"{self.recording.path.name} at step {self.step:,}"

    def load(self):
        return self.recording.build_network(self.step), self.name

    def prepare(self, window) -> None:
        """The loss curve up to the step with its marker, the nearest evaluation."""
        from .replay import apply_step
        apply_step(self.recording, self.step, self.recording.weights(self.step),
                   window.state, window.views)


def parse_size(text: str) -> tuple[int, int]:
    """``"1280x720"`` -> ``(1280, 720)``; ValueError naming the problem otherwise."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size must look like 1280x720, got {text!r}") from None
    if width < MIN_SIZE[0] or height < MIN_SIZE[1] or width > 8192 or height > 8192:
        raise ValueError(f"--size {text} is outside {MIN_SIZE[0]}x{MIN_SIZE[1]} .. 8192x8192")
    return width, height


def offscreen_app(size: tuple[int, int]):
    """The QApplication, created offscreen with one screen of ``size`` if none exists yet.

    The offscreen platform's notes ("This plugin does not support propagateSizeHints()",
    dozens per export) are dropped, and its screen file is removed once read (every export
    had left a folder in the temp directory)."""
    from PyQt6.QtCore import qInstallMessageHandler
    from PyQt6.QtWidgets import QApplication
    app = QApplication.instance()
    if app is None:
        folder = Path(tempfile.mkdtemp(prefix="cnnviz-export-"))
        config = folder / "screen.json"
        config.write_text(json.dumps({"screens": [{
            "name": "export", "x": 0, "y": 0, "width": size[0], "height": size[1],
            "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}))
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
        qInstallMessageHandler(_quiet_platform_notes)
        try:
            app = QApplication(["cnnviz"])
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return app


def _quiet_platform_notes(_kind, _context, message: str) -> None:
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)


def _settle(app, rounds: int = 12) -> None:
    import time

    from PyQt6.QtCore import QEvent
    for _ in range(rounds):
        app.processEvents()
        # and the deleteLater()s, as the app's event loop does: the main window's unused dock
        # tab bars (the docks' first tabbing) are deleted so, and stayed on screen otherwise
        # ("ic" of a stale "Confusion" tab between two columns of every PNG)
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        time.sleep(0.01)


def open_export_window(source, size, presentation: bool = False, probe: int = 0):
    """The main window on the bundled digits and ``source``'s model, shown at ``size``."""
    import pyqtgraph as pg
    from PyQt6.QtWidgets import QApplication

    from ..data import load_bundled
    from .main_window import MainWindow
    from .state import AppState

    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
    net, model_name = source.load()
    dataset = load_bundled()
    if not 0 <= probe < dataset.n_test:
        raise ValueError(f"--probe must be between 0 and {dataset.n_test - 1}, got {probe}")
    state = AppState(net, dataset)
    state.model_name = model_name
    state.set_probe(dataset.test_images[probe].astype(np.float32) / 255.0,
                    label=int(dataset.test_labels[probe]), source="dataset", index=probe)
    window = MainWindow(state, restore_layout=False)
    window.resize(*size)
    window.move(0, 0)
    window.show()
    if presentation:
        window.set_presentation(True, persist=False)
    _settle(QApplication.instance())
    return window


def fill_views(window) -> None:
    """Give the views that wait for an event something real to show."""
    from ..data import images_to_float
    from ..nn import build_network, get_preset
    from ..training import Trainer
    from ..training.evaluate import evaluate
    from ..training.snapshot import detailed_step

    state, views = window.state, window.views
    ds = state.dataset
    test_x = images_to_float(ds.test_images)
    state.publish_evaluation(evaluate(state.net, test_x, ds.test_labels))
    if "step_explainer" in views:        # one real step on a copy of the shown network
        net = build_network(config=state.net.config)
        net.load_params(state.net.copy_params())
        trainer = Trainer(net, images_to_float(ds.train_images[:640]), ds.train_labels[:640],
                          test_x[:10], ds.test_labels[:10], get_preset("lenet").training)
        state.publish_step(detailed_step(trainer)[1])
    pad = views.get("drawing_pad")
    if pad is not None and hasattr(pad, "draw_stroke"):
        # a "7" drawn off-centre: the pad, its prediction and the preprocessing have something
        pad.draw_stroke([(60.0, 50.0), (180.0, 50.0), (165.0, 90.0), (115.0, 210.0)], 22)
    convs = [info.name for info in state.net.describe() if info.kind == "conv"]
    if "conv_explainer" in views and convs:             # the first conv's brightest pixel
        first = state.trace[convs[0]].output[0]                 # (C, H, W)
        channel, row, col = np.unravel_index(int(first.argmax()), first.shape)
        state.select_pixel(convs[0], int(channel), int(row), int(col))


def export_views(out_dir, source=None, size=DEFAULT_SIZE, presentation: bool = False,
                 probe: int = 0, names=None) -> list[Path]:
    """Write ``<view>.png`` for every view (or those in ``names``) and ``window.png`` into
    ``out_dir``; return the paths. Raises ExportError naming the first view that failed."""
    from PyQt6.QtWidgets import QApplication

    from .background import BackgroundJob, wait_until_settled
    from .view_frame import view_of

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    app = offscreen_app(size)
    saved_env = os.environ.get("CNNVIZ_SETTINGS_DIR")
    settings_dir = tempfile.mkdtemp(prefix="cnnviz-export-settings-")   # never the user's
    os.environ["CNNVIZ_SETTINGS_DIR"] = settings_dir
    window = None
    try:
        window = open_export_window(source or CheckpointSource(), size, presentation, probe)
        fill_views(window)
        if hasattr(source, "prepare"):
            source.prepare(window)
        written = []
        for name in (names or list(window.docks)):
            try:
                window.raise_dock(name)
                _settle(app, 25)     # the view's layout catches up with its new size
                view = view_of(window.docks[name])
                # the results its background jobs (started by being shown) are computing
                if wait_until_settled(view.findChildren(BackgroundJob), JOB_WAIT_S):
                    raise ExportError(f"its computation did not finish within {JOB_WAIT_S:.0f} s")
                _settle(app, 5)      # the results drawn
                image = view.grab()
                if image.isNull() or image.width() < 2 or image.height() < 2:
                    raise ExportError("nothing was drawn")
            except ExportError as exc:
                raise ExportError(f"view {name!r} failed: {exc}") from None
            except Exception as exc:
                raise ExportError(f"view {name!r} failed: {type(exc).__name__}: {exc}") from exc
            written.append(_save(image, out / f"{name}.png"))
        window.raise_dock(names[0] if names else "activations")
        _settle(app)
        written.append(_save(window.grab(), out / "window.png"))
        return written
    finally:
        if window is not None:
            # deleted now, while the QApplication lives: a window outliving it at the
            # command's return can end the process in a segfault after its work is done
            window.stop_training()
            window.close()
            window.deleteLater()
            _settle(QApplication.instance(), 2)
            window = None
        if saved_env is None:
            os.environ.pop("CNNVIZ_SETTINGS_DIR", None)
        else:
            os.environ["CNNVIZ_SETTINGS_DIR"] = saved_env
        shutil.rmtree(settings_dir, ignore_errors=True)


def _save(image, path: Path) -> Path:
    """Write ``image`` as PNG atomically (temp file + rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    if not image.save(str(tmp), "PNG"):
        tmp.unlink(missing_ok=True)
        raise ExportError(f"could not write {path}")
    os.replace(tmp, path)
    return path
