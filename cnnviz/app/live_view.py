"""The one base for views that draw the app state live: ``LiveView``.

A live view redraws only when someone can see it, never more often than it is worth while a
network trains, and catches up on what it skipped as soon as it is shown again::

    class MyView(LiveView):
        min_interval_ms = 0            # e.g. 500 for a costly plot: 2 redraws a second

        def __init__(self, state, parent=None):
            super().__init__(state, parent)
            ...                        # build the widgets
            state.traceChanged.connect(self.schedule_refresh)

        def refresh(self):             # draw everything from self.state
            ...

``schedule_refresh(*_)`` (connect any state signal to it) marks the view dirty, then:

* not exposed (hidden, closed, a dock tabbed behind another; ``state.is_exposed``): nothing
  more. ``showEvent`` redraws, and ``state.catch_up_when_raised`` gives a raised tab one;
* exposed: ``state.request_refresh``: the redraw runs at once, or, while a training snapshot
  is applied (``refresh_queue().spread()``), in its own event-loop turn, one view per turn;
* while training, less than ``min_interval_ms`` after the last redraw: a single-shot timer
  draws the newest data once the interval is over (the last snapshot is never left undrawn);
* ``coalesce_ms`` (a view whose redraw starts background work, e.g. on every slider step):
  the redraw waits that long after the first change, so the changes meanwhile (a slider
  drag, a target chosen then a size) are drawn together, once.

The other ways in, for changes that are not a training snapshot:

* ``refresh_soon(*_)``: a change the user made (a new probe, a setting): redrawn after
  ``coalesce_ms`` only, never held back by ``min_interval_ms`` (a drawing stays live while
  a network trains);
* ``refresh_if_exposed(*_)``: redrawn at once if exposed (a Step's result, another layer
  chosen), else when shown; the view's own payload (``self.detail = ...``) set first;
* ``mark_dirty()``: remember a change without asking for a redraw (data that a later
  signal draws, e.g. losses of snapshots never drawn); a show catches up.

``refresh()`` draws unconditionally (tests, user actions call it directly); whoever calls
it, the view counts as up to date afterwards (the base wraps each view's ``refresh`` so a
redraw already queued is dropped), so a view never writes the dirty flag itself. ``exposed``
tells a view whether starting costly work now is worth it. ``LiveRefresh`` is the same
behaviour as a mixin for a view whose base class is not a plain ``QWidget`` (put it first:
``class V(LiveRefresh, QFrame)``); it needs no ``__init__``.
"""

from __future__ import annotations

import functools
import time

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QWidget

from .state import is_exposed, refresh_queue, request_refresh


class LiveRefresh:
    """Dirty flag, exposure check, minimum interval and catch-up on show (see the module)."""

    #: while training, redraw at most this often (0: every snapshot the UI can take)
    min_interval_ms = 0
    #: gather the changes of this many ms after the first into one redraw (0: none)
    coalesce_ms = 0
    _dirty = True
    _last_redraw = float("-inf")          # time.perf_counter() of the last redraw
    _late_timer: QTimer | None = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        draw = cls.__dict__.get("refresh")
        if draw is not None and not getattr(draw, "_marks_drawn", False):
            @functools.wraps(draw)
            def refresh(self, *args, **kw):
                # drawn now, whoever asked: a redraw still queued or timed is dropped
                self._dirty = False
                self._last_redraw = time.perf_counter()
                return draw(self, *args, **kw)
            refresh._marks_drawn = True
            cls.refresh = refresh

    @property
    def dirty(self) -> bool:
        """Something changed that the view has not drawn yet."""
        return self._dirty

    @property
    def exposed(self) -> bool:
        """Some of the view is on screen (``state.is_exposed``)."""
        return is_exposed(self)

    def mark_dirty(self) -> None:
        """Something the view shows changed; draw it with the next redraw or show."""
        self._dirty = True

    def schedule_refresh(self, *_args) -> None:
        """Something the view shows changed: redraw when (and as soon as) it is worth it."""
        self._schedule(throttled=True)

    def refresh_soon(self, *_args) -> None:
        """The user changed something the view shows: redraw after ``coalesce_ms`` only."""
        self._schedule(throttled=False)

    def refresh_if_exposed(self, *_args) -> None:
        """Redraw at once if exposed (no queue, no wait), else as soon as it is shown."""
        self._dirty = True
        if is_exposed(self):
            self._refresh_if_dirty()

    def _schedule(self, throttled: bool) -> None:
        self._dirty = True
        if not is_exposed(self):
            return                        # caught up in showEvent
        wait_ms = self.min_interval_ms - 1000 * (time.perf_counter() - self._last_redraw)
        if not throttled or not refresh_queue().spreading:
            wait_ms = 0                   # a user's action or a loaded model: at once
        wait_ms = max(wait_ms, self.coalesce_ms)
        if wait_ms > 0:
            timer = self._late()
            # a sooner request shortens the wait (a probe drawn while training)
            if not timer.isActive() or timer.remainingTime() > wait_ms:
                timer.start(int(wait_ms) + 1)
            return
        request_refresh(self, self._refresh_if_dirty)

    def showEvent(self, event) -> None:   # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._dirty:
            self._refresh_if_dirty()

    def _refresh_if_dirty(self) -> None:
        # a queued redraw whose work a showEvent (or a direct refresh) already did is dropped
        if not self._dirty:
            return
        self._dirty = False
        self._last_redraw = time.perf_counter()
        if self._late_timer is not None:
            self._late_timer.stop()       # drawn now: the timed redraw has nothing left
        self.refresh()

    def _late(self) -> QTimer:
        if self._late_timer is None:
            self._late_timer = QTimer(self)
            self._late_timer.setSingleShot(True)
            self._late_timer.timeout.connect(self._late_redraw)
        return self._late_timer

    def _late_redraw(self) -> None:
        if is_exposed(self):
            request_refresh(self, self._refresh_if_dirty)

    def refresh(self) -> None:  # pragma: no cover - every view defines its own
        raise NotImplementedError


class LiveView(LiveRefresh, QWidget):
    """A ``QWidget`` view of ``state`` (an ``AppState``) that redraws live (see the module)."""

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
