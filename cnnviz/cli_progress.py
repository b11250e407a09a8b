"""A dependency-free text progress bar for the terminal, redrawn in place with ``\\r``."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """One line on ``stream`` (stderr by default) showing how far a task has come.

        bar = ProgressBar("epoch 1/3", total=282)
        for i in range(282):
            bar.update(i + 1, "loss 0.123")
        bar.close()

    Redraws are throttled to ``interval`` seconds so a fast loop does not flood the
    terminal; the final state is always drawn. With ``enabled=False`` it does nothing.
    """

    def __init__(self, label: str, total: int | None, stream: TextIO | None = None,
                 width: int = 30, interval: float = 0.1, enabled: bool = True) -> None:
        self.label = label
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.interval = interval
        self.enabled = enabled
        self._last_draw = 0.0
        self._last_len = 0
        self._drawn = False

    def update(self, done: int, suffix: str = "", force: bool = False) -> None:
        """Show ``done`` of ``total`` units, followed by ``suffix`` (e.g. the running loss)."""
        if not self.enabled:
            return
        now = time.monotonic()
        finished = self.total is not None and done >= self.total
        if not (force or finished) and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        self._draw(self.render(done, suffix))

    def render(self, done: int, suffix: str = "") -> str:
        """The text of the bar, e.g. ``epoch 1/3 [#######.......]  48%  136/282  loss 0.12``."""
        if self.total:
            fraction = min(max(done / self.total, 0.0), 1.0)
            filled = int(round(fraction * self.width))
            bar = "#" * filled + "." * (self.width - filled)
            text = f"{self.label} [{bar}] {fraction * 100:3.0f}%  {done}/{self.total}"
        else:
            text = f"{self.label}  {done}"
        return f"{text}  {suffix}" if suffix else text

    def _draw(self, text: str) -> None:
        padding = " " * max(0, self._last_len - len(text))
        self.stream.write("\r" + text + padding)
        self.stream.flush()
        self._last_len = len(text)
        self._drawn = True

    def close(self) -> None:
        """Erase the bar so the next line of output starts clean."""
        if self.enabled and self._drawn:
            self.stream.write("\r" + " " * self._last_len + "\r")
            self.stream.flush()
            self._drawn = False
            self._last_len = 0


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 kB'``; ``9912422`` -> ``'9.9 MB'``."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"
