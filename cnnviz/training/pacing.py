"""How fast training goes: a pace a teacher can talk over, and pausing at each epoch's end.

Qt-free and thread-safe: the UI thread sets it, the training worker consults it between
batches. ``delay(started)`` is how long to wait before the next batch when the previous one
started at ``started`` (``time.perf_counter()`` seconds). The worker waits that long on its
wake-up Event, so Pause and Stop still answer at once; a changed pace wakes it (listeners)
and applies from the next batch.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Callable

FULL_SPEED = math.inf
# the speed slider's stops, in batches per second (the last: no waiting at all)
SPEEDS = (1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0, FULL_SPEED)


def speed_text(batches_per_second: float) -> str:
    """``1 -> "1 batch/s"``, ``20 -> "20 batches/s"``, ``inf -> "full speed"``."""
    if not math.isfinite(batches_per_second):
        return "full speed"
    return f"{batches_per_second:g} batch{'' if batches_per_second == 1 else 'es'}/s"


class Pacing:
    """At most ``batches_per_second`` batches a second (``FULL_SPEED``: no limit), and
    whether to pause when an epoch ends."""

    def __init__(self, batches_per_second: float = FULL_SPEED,
                 pause_each_epoch: bool = False) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []
        self._rate = FULL_SPEED
        self._pause_each_epoch = bool(pause_each_epoch)
        self.set_batches_per_second(batches_per_second)

    @property
    def batches_per_second(self) -> float:
        with self._lock:
            return self._rate

    @property
    def pause_each_epoch(self) -> bool:
        with self._lock:
            return self._pause_each_epoch

    def set_batches_per_second(self, rate: float) -> None:
        if not rate > 0:
            raise ValueError(f"speed must be a positive number of batches per second, got {rate}")
        with self._lock:
            self._rate = float(rate)
        self._notify()

    def set_pause_each_epoch(self, on: bool) -> None:
        with self._lock:
            self._pause_each_epoch = bool(on)
        self._notify()

    def delay(self, started: float | None, now: float | None = None) -> float:
        """Seconds to wait before the next batch; the previous one started at ``started``
        (None: no batch yet, no wait)."""
        with self._lock:
            rate = self._rate
        if started is None or not math.isfinite(rate):
            return 0.0
        now = time.perf_counter() if now is None else now
        return max(0.0, started + 1.0 / rate - now)

    def seconds_left(self, batches: int, seconds_per_batch: float) -> float:
        """How long ``batches`` more batches take at this pace, each needing
        ``seconds_per_batch`` of computing (NaN when that is unknown): a slowed run waits
        out every batch's ``1 / batches_per_second``, so its time left is not the compute
        time (at one batch a second 420 batches take 7 minutes, not 8 s)."""
        with self._lock:
            rate = self._rate
        paced = 1.0 / rate if math.isfinite(rate) else 0.0
        per_batch = max(seconds_per_batch, paced) if math.isfinite(seconds_per_batch) \
            else (paced or math.nan)
        return max(0, batches) * per_batch

    # -- listeners (a waiting worker wakes up to apply a new pace at once) ------------------
    def add_listener(self, callback: Callable[[], None]) -> None:
        with self._lock:
            self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._listeners:
                self._listeners.remove(callback)

    def _notify(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for callback in listeners:
            callback()
