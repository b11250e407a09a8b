"""The suite's waits are patient on a loaded machine (conftest's MIN_WAIT_MS floor) and still
return as soon as their event arrives."""

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from conftest import MIN_WAIT_MS


class Emitter(QObject):
    fired = pyqtSignal()


def test_a_short_timeout_is_raised_to_the_floor_and_the_wait_ends_at_the_event(qtbot):
    emitter = Emitter()
    # the event comes later than the test's own 100 ms: the floor lets the wait see it
    QTimer.singleShot(400, emitter.fired.emit)
    with qtbot.waitSignal(emitter.fired, timeout=100) as blocker:
        pass
    assert blocker.signal_triggered and blocker.timeout == MIN_WAIT_MS
    done = []
    QTimer.singleShot(300, lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=50)
    assert done
