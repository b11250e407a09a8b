"""One colour per class, shared by every view that colours digits by class (embedding, fool)."""

from __future__ import annotations

import colorsys

# ten well-separated colours (a "tab10"-like qualitative palette), class 0..9
CLASS_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
                 (148, 103, 189), (140, 86, 75), (227, 119, 194), (160, 160, 160),
                 (188, 189, 34), (23, 190, 207)]


def class_colour(k: int) -> tuple[int, int, int]:
    """``(r, g, b)`` of class ``k``; past the ten, evenly spaced hues."""
    if k < len(CLASS_COLOURS):
        return CLASS_COLOURS[k]
    r, g, b = colorsys.hsv_to_rgb((k * 0.618034) % 1.0, 0.75, 0.85)
    return int(255 * r), int(255 * g), int(255 * b)
