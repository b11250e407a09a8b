"""Where the filters view's three panels go, and its colour levels (no drawing here).

``best_filters_layout`` places ``filters``, ``channel`` and ``table`` in rows or as a column
beside the table; ``nice_levels`` rounds a layer's largest |w| up to a "nice" number so the
colour scale moves in steps while training.
"""

from __future__ import annotations

import numpy as np

from ...fit_layout import Option, Placement, arrange
from ...mosaic import symmetric_levels

FILTERS, TABLE, CHANNEL = "filters", "table", "channel"
ROW_TEMPLATES = [[[FILTERS, CHANNEL, TABLE]], [[FILTERS, CHANNEL], [TABLE]],
                 [[FILTERS], [CHANNEL], [TABLE]]]
SPACING = 8.0


def best_filters_layout(width: float, height: float, options: dict[str, list[Option]],
                        title_px: float, least: dict[str, float] | None = None) -> dict:
    """The best placement of the three panels: rows (``ROW_TEMPLATES``) or the filters and
    the chosen channel's kernels as one column beside the table (its width tried at a few
    fractions of the view), scored like ``fit_layout.arrange``: ``least[key]`` pixels per
    data pixel a panel needs (the table's kernels readable), a placement that gives every
    key its least beats any that does not."""
    least = least or {}

    def score(placements) -> tuple[bool, float]:
        if len(placements) != len(options):
            return (False, -np.inf)
        scale = {k: p.content_h / next(o.native_h for o in options[k] if o.value == p.value)
                 for k, p in placements.items()}
        return (all(scale[k] >= need for k, need in least.items() if k in scale),
                sum(np.log(s) for s in scale.values()))

    best = arrange(width, height, ROW_TEMPLATES, options, title_px=title_px, spacing=SPACING,
                   least=least)
    best_score = score(best)
    for fraction in np.linspace(0.2, 0.6, 9):
        left_w = width * fraction
        left = arrange(left_w, height, [[[FILTERS], [CHANNEL]]],
                       {k: options[k] for k in (FILTERS, CHANNEL)},
                       title_px=title_px, spacing=SPACING)
        right = arrange(width - left_w - SPACING, height, [[[TABLE]]],
                        {TABLE: options[TABLE]}, title_px=title_px, spacing=SPACING,
                        least=least)
        if not left or not right:
            continue
        # the column hugs its content: the table starts right after the column's widest panel
        used = max(p.rect[0] + p.rect[2] for p in left.values())
        lx = min(p.rect[0] for p in left.values())
        shifted = {k: Placement(p.value, (p.rect[0] - lx, *p.rect[1:]), p.content_h)
                   for k, p in left.items()}
        table = right[TABLE]
        tx = used - lx + SPACING + (width - (used - lx) - SPACING - table.rect[2]) / 2
        shifted[TABLE] = Placement(table.value, (tx, *table.rect[1:]), table.content_h)
        s = score(shifted)
        if s > best_score:
            best, best_score = shifted, s
    return best


NICE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_levels(values: np.ndarray) -> tuple[float, float]:
    """``(-m, m)`` with ``m`` the largest |value| rounded up to 1, 1.2, 1.5, 2, ... x 10^k."""
    m = symmetric_levels(values)[1]
    scale = 10.0 ** np.floor(np.log10(m))
    step = next(f for f in NICE_STEPS if f * scale >= m * (1 - 1e-9))
    return (-float(step * scale), float(step * scale))
