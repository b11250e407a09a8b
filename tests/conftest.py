"""Test setup: Qt runs offscreen, before any QApplication exists, and no test reads or
writes the user's real settings (window layout, presentation mode).

Each test ends with its training threads joined and a garbage collection on the main thread:
a closed window's widgets are destroyed here, never later in some other test's worker thread
(their timers, which cannot be stopped from another thread, then fired into freed memory: a
segfault in a later test's event processing).
"""

import gc
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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
    """Every test ends with each training thread it started joined and the signals those
    threads queued delivered, so nothing of one test runs during the next."""
    yield
    from PyQt6.QtWidgets import QApplication

    from cnnviz.app.worker import join_training_threads, live_training_threads
    ended = join_training_threads(30000)
    if QApplication.instance() is not None:
        QApplication.processEvents()
    gc.collect()                       # closed windows go here, on the main thread
    assert ended, f"training threads still running after the test: {live_training_threads()}"
