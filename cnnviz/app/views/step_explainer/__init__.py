"""One step, before and after (the step explainer view): see ``view.py``; one file per part:
``header.py`` (batch and losses), ``delta_tab.py``, ``grads_tab.py``, ``routing_tab.py``."""

from .common import format_change, routed_levels
from .view import StepExplainerView

__all__ = ["StepExplainerView", "format_change", "routed_levels"]
