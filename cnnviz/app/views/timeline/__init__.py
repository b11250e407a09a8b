"""Watch one digit learn (the timeline view): see ``view.py``; the probability curve is in
``curve.py``, the replayed feature maps in ``maps.py``."""

from .curve import IntegerAxis, ProbabilityCurve
from .maps import ReplayMaps
from .view import TimelineView

__all__ = ["IntegerAxis", "ProbabilityCurve", "ReplayMaps", "TimelineView"]
