"""Watch one digit learn (the timeline view): see ``view.py``. Its parts: the probability
curve (``curve.py``), the replay controls (``controls.py``), the snapshot recorder
(``recorder.py``), the replayed feature maps (``maps.py``) and where they go
(``maps_layout.py``)."""

from .curve import IntegerAxis, ProbabilityCurve
from .maps import ReplayMaps
from .view import TimelineView

__all__ = ["IntegerAxis", "ProbabilityCurve", "ReplayMaps", "TimelineView"]
