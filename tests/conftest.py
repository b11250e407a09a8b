"""Test setup: Qt runs offscreen, before any QApplication exists, on one 1920x1080 screen (the
plugin's default is 800x800, smaller than any classroom screen), and no test reads or writes
the user's real settings (window layout, presentation mode).

Each test ends with its training threads joined and a garbage collection on the main thread:
a closed window's widgets are destroyed here, never later in some other test's worker thread
(their timers, which cannot be stopped from another thread, then fired into freed memory: a
segfault in a later test's event processing). As in the app, there is no automatic
collection (see ``collect_only_between_tests``); a test that needs it asks for the
``automatic_gc`` fixture.
"""

import functools
import gc
import json
import os
import tempfile
from pathlib import Path

import pytest

TEST_SCREEN = (1920, 1080)


def offscreen_platform(width: int, height: int) -> str:
    """``QT_QPA_PLATFORM`` for an offscreen screen of ``width`` x ``height`` px at 96 dpi."""
    config = Path(tempfile.gettempdir()) / f"cnnviz-offscreen-{width}x{height}.json"
    if not config.exists():
        tmp = config.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"screens": [{
            "name": "test", "x": 0, "y": 0, "width": width, "height": height,
            "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}))
        os.replace(tmp, config)
    return f"offscreen:configfile={config}"


os.environ.setdefault("QT_QPA_PLATFORM", offscreen_platform(*TEST_SCREEN))

# A wait returns as soon as its signal or state arrives: its timeout only bounds a failure.
# On this shared 2-core machine a niced suite beside busy processes gets a fraction of a core,
# and a 20 s wait for a stopped run to end and a new one to start timed out (load 12). No
# qtbot wait gives up before MIN_WAIT_MS.
MIN_WAIT_MS = 60_000


def _patient(wait):
    @functools.wraps(wait)
    def patient_wait(self, *args, timeout=5000, **kwargs):
        if timeout is not None and 0 < timeout < MIN_WAIT_MS:
            timeout = MIN_WAIT_MS
        return wait(self, *args, timeout=timeout, **kwargs)
    return patient_wait


def _make_qtbot_waits_patient() -> None:
    from pytestqt.qtbot import QtBot
    for name in ("waitUntil", "waitSignal", "waitSignals", "waitExposed", "waitActive",
                 "waitCallback"):
        setattr(QtBot, name, _patient(getattr(QtBot, name)))


_make_qtbot_waits_patient()


@pytest.fixture(autouse=True, scope="session")
def collect_only_between_tests():
    """No automatic garbage collection in the tests, as in the app (``cnnviz.app.main`` turns
    it off and collects from a timer): started by any allocation, a collection can run
    inside Qt's code working on a closed window and delete that window under it (a graphics
    scene's index calling pyqtgraph's ``boundingRect``; the scene index's next timer event
    then went to freed memory: tests/test_settings_restore.py segfaulted 3 of 3 times once
    building a window merely shifted when collection ran). Collection runs after each test."""
    from cnnviz.app.background import set_automatic_gc
    set_automatic_gc(False)
    yield


@pytest.fixture
def automatic_gc():
    """Automatic garbage collection on for one test (the suite runs without it), then off.
    The jobs earlier tests left running are finished first: while one runs, collection stays
    paused, and a test that checks the pause would see it paused by another test's job."""
    from cnnviz.app.background import finish_jobs, set_automatic_gc
    assert finish_jobs(60), "background jobs of earlier tests still running"
    set_automatic_gc(True)
    yield
    set_automatic_gc(False)


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Every test starts with one BLAS thread, as the app runs (``cnnviz.app.blas``). With
    OpenBLAS's default, a training thread and the UI thread's traces both drive the spinning
    BLAS pool: on a machine at load 19 a batch of 16 digits took ~1 s and a 50-Step test
    timed out (tests/test_step_bursts.py). Tests of the thread policy set their own. Checked
    before each test (~1 ms), not once: ``cnnviz train`` / ``bench`` run in-process apply
    their policy (as many threads as CPUs free *then*: both of an idle 2-core CI machine,
    one here under load), and it stayed in force for the rest of the session."""
    from cnnviz.threads import get_blas_threads, set_blas_threads
    if get_blas_threads() != 1:
        set_blas_threads(1)
    yield


@pytest.fixture(autouse=True)
def settings_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_SETTINGS_DIR", str(tmp_path / "settings"))


@pytest.fixture(autouse=True, scope="session")
def never_ask_to_save():
    """No window asks to save a trained model: a modal box would block the suite (the tests
    of that question patch ``ask_save_changes`` themselves)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("cnnviz.app.lifecycle.ask_save_changes", lambda parent: "discard")
        yield


@pytest.fixture(autouse=True)
def training_threads_joined():
    """Every test ends with each training thread and background job it started joined and
    the signals those threads queued delivered, so nothing of one test runs during the next
    (a job still allocating counted in a later test's memory measurement)."""
    yield
    from PyQt6.QtWidgets import QApplication

    from cnnviz.app.background import finish_jobs
    from cnnviz.app.worker import join_training_threads, live_training_threads
    ended = join_training_threads(30000)
    app = QApplication.instance()
    jobs_done = app is None or finish_jobs(60)
    if app is not None:
        app.processEvents()
    gc.collect()                       # closed windows go here, on the main thread
    assert ended, f"training threads still running after the test: {live_training_threads()}"
    assert jobs_done, "background jobs still running 60 s after the test"


@pytest.fixture
def recording(tmp_path):
    """A recorded 6-step run on random digits (batch 10, lr 0.1: the weights visibly move),
    every step kept: ``tmp_path / "run.cnnrun"``."""
    import numpy as np

    from cnnviz.nn import build_network
    from cnnviz.nn.presets import TrainConfig
    from cnnviz.training import Trainer
    from cnnviz.training.recording import RunRecorder

    rng = np.random.default_rng(0)
    x = rng.random((80, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 80)
    trainer = Trainer(build_network(seed=0), x[:60], y[:60], x[60:], y[60:],
                      TrainConfig(epochs=1, batch_size=10, lr=0.1, seed=0))
    path = tmp_path / "run.cnnrun"
    recorder = RunRecorder(path, trainer, dataset_name="bundled")
    trainer.observers.append(recorder)
    while not trainer.finished:
        trainer.step()
    recorder.close(trainer, completed=True)
    return path


@pytest.fixture
def large_type(qapp):
    """The application font at 20 pt (presentation mode's), restored after."""
    from PyQt6.QtGui import QFont
    old = QFont(qapp.font())
    big = QFont(old)
    big.setPointSizeF(20)
    qapp.setFont(big)
    yield
    qapp.setFont(old)
    gc.collect()
