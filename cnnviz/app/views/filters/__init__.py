"""The filters view (``view.FiltersView``): every conv layer's kernels; ``layout``: where its
panels go."""

from .layout import best_filters_layout, nice_levels
from .view import FiltersView

__all__ = ["FiltersView", "best_filters_layout", "nice_levels"]
