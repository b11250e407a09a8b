"""Hold a worker thread at a method call, so a test acts while a run is surely under way.

A whole test run trains in a few seconds: a UI thread descheduled that long on a loaded
machine (between seeing the first batches and asking for a pause, a stop, a close) found
the run already over. Held, the test's request always comes first.
"""

from __future__ import annotations

import threading


class MethodGate:
    """Every call of ``owner.name`` after the first ``free`` waits until ``release()`` (or
    ``timeout_s``). ``passed`` is set once ``free`` calls have returned: the next is held."""

    def __init__(self, monkeypatch, owner, name: str, free: int, timeout_s: float) -> None:
        self.calls = 0
        self.passed = threading.Event()
        self._released = threading.Event()
        plain = getattr(owner, name)

        def gated(*args, **kwargs):
            if self.calls >= free:
                self._released.wait(timeout_s)
            result = plain(*args, **kwargs)
            self.calls += 1
            if self.calls >= free:
                self.passed.set()
            return result
        monkeypatch.setattr(owner, name, gated)

    def release(self) -> None:
        self._released.set()
