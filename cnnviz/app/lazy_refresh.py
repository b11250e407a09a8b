"""A view that redraws only when someone can see it.

Mix ``RefreshWhenExposed`` in before ``QWidget`` and give the view a ``refresh()`` that
redraws from the state. Connect state signals to ``schedule_refresh``: on screen, the view
redraws (in its own event-loop turn while a training snapshot is being applied); hidden,
closed or a dock tabbed behind another, it only remembers and catches up when shown again.
"""

from __future__ import annotations

from .state import is_exposed, request_refresh


class RefreshWhenExposed:
    _dirty = True

    def schedule_refresh(self, *_args) -> None:
        if is_exposed(self):
            request_refresh(self, self._refresh_now)
        else:
            self._dirty = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self._refresh_now()

    def _refresh_now(self) -> None:
        self._dirty = False
        self.refresh()

    def refresh(self) -> None:  # pragma: no cover - every view defines its own
        raise NotImplementedError
