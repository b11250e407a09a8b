"""Pieces the one-step explainer's tabs share: colour bars, tab pages, number formats.

Each tab places its panels by hand (``fit_layout.arrange`` on a ``FitCanvas``) with one
colour bar per panel (its own symmetric scale) beside it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QFontMetricsF
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...image_panel import DIVERGING_CMAP, FitCanvas, colormap
from ...mosaic import symmetric_levels


def format_change(change: float) -> str:
    """The loss difference, signed; tiny changes (a trained net) in scientific notation."""
    return f"{change:+.4f}" if abs(change) >= 5e-4 or change == 0 else f"{change:+.1e}"


def scale_text(levels: tuple[float, float]) -> str:
    return f"±{levels[1]:.2g}"


def routed_levels(*arrays: np.ndarray) -> tuple[float, float]:
    """One symmetric scale for a pool's output gradient and its routed gradient."""
    return symmetric_levels(np.concatenate([np.ravel(a) for a in arrays]))


def colour_bar() -> pg.ColorBarItem:
    return pg.ColorBarItem(values=(-1, 1), colorMap=colormap(DIVERGING_CMAP),
                           interactive=False, width=14, colorMapMenu=False)


class CanvasTab(QWidget):
    """A tab page: optional controls, a graphics canvas its panels are placed on by hand
    (``arrange()`` runs at every resize), a note shown instead when there is nothing to
    draw, and a wrapped caption under it."""

    def __init__(self, controls=None, caption: str = " ", parent=None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsView(background="k")
        self.canvas = FitCanvas(self._canvas_resized)
        self.graphics.setCentralItem(self.canvas)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setMargin(24)
        self.note.hide()
        self.text = QLabel(caption)
        self.text.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if controls is not None:
            layout.addLayout(controls)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.note, 1)
        layout.addWidget(self.text)

    def show_note(self, text: str | None) -> None:
        """Show ``text`` instead of the graphics (None: the graphics)."""
        self.note.setText(text or "")
        self.note.setVisible(text is not None)
        self.graphics.setVisible(text is None)

    def _canvas_resized(self) -> None:
        if getattr(self, "built", False):    # not while the subclass is still constructing
            self.arrange()

    def arrange(self, *_args) -> None:      # placed by the subclass
        pass

    # -- colour bars ---------------------------------------------------------------------
    def tick_width(self) -> float:
        return QFontMetricsF(self.font()).horizontalAdvance("-5e-05") + 14

    def bar_width(self) -> float:
        return 4 + 14 + self.tick_width()

    def place_bar(self, bar: pg.ColorBarItem, x: float, top: float, content_h: float) -> None:
        """A colour bar ``content_h`` tall at ``(x, top)``, inset by half a line at both ends
        (the end ticks' text is centred on them), with room for its tick labels."""
        bar.axis.setWidth(self.tick_width())     # pyqtgraph's fixed 45 px cut the ticks
        line = QFontMetricsF(self.font()).height()
        # too short for three tick labels: one "±scale" label in the middle, not a pile-up
        lo, hi = bar.levels()
        bar.axis.setTicks([[(0.0, scale_text((lo, hi)))]] if content_h < 3.5 * line else None)
        p = min(line / 2, content_h / 4)
        bar.setGeometry(QRectF(x + 4, top + p, self.bar_width() - 4, content_h - 2 * p))

    def title_size(self) -> str:
        return f"{self.font().pointSizeF():.1f}pt"


def remove_items(canvas, items) -> None:
    """Take panels' layouts and colour bars off ``canvas`` (another network's)."""
    scene = canvas.scene()
    for item in items:
        item.setParentItem(None)
        if scene is not None and item.scene() is scene:
            scene.removeItem(item)
