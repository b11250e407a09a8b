"""What the mouse is over in the inspector."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HoverInfo:
    """The output element under the mouse: ``channel`` is None for a vector layer.

    ``field`` is ``(top, left, size)`` of the window it reads on the layer's input (top and
    left may be negative on a padded conv's zero border), None when there is none.
    """

    layer: str
    channel: int | None
    row: int | None
    col: int | None
    value: float
    field: tuple[int, int, int] | None
