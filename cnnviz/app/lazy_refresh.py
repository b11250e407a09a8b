"""Kept for the views written against it: ``RefreshWhenExposed`` is ``live_view.LiveRefresh``.

New views derive from ``cnnviz.app.live_view.LiveView`` (the one live-view mechanism: dirty
flag, exposure check, minimum interval, catch-up on show); see that module.
"""

from __future__ import annotations

from .live_view import LiveRefresh as RefreshWhenExposed

__all__ = ["RefreshWhenExposed"]
