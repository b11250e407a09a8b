"""Pieces the one-step explainer's tabs share: tab pages, their panels, number formats.

Each tab places its panels by hand (``fit_layout.arrange`` on a ``FitCanvas``): every panel
is a ``MosaicBarPanel`` (title, maps and a colour bar on its own symmetric scale), the same
widget the filters and saliency views use. The layout search runs only when the canvas's
size, the font or the network's shapes change (``layout_changed``), not at every Step.

Many channels page (◀ ▶ beside a title; ``paging.readable_layout`` chooses how many a page
holds, the fewest pages whose tiles stay at least ``MAP_TILE_PX``, or ``KERNEL_TILE_PX`` for
a table of kernels, a side). A paged panel's colour scale is its whole layer's (every page),
so pages compare: the same colour is the same value on every page.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...image_panel import DIVERGING_CMAP, FitCanvas
from ...mosaic import symmetric_levels
from ...mosaic_panel import MosaicBarPanel

TICK_SAMPLE = "-5e-05"      # the widest colour-bar tick label of a gradient or a weight change
#: A feature map or a filter drawn smaller than this (pixels a side) pages: the activations
#: overview's floor, as these tabs show a whole network at once too (LeNet at 1920x1080 keeps
#: its 50 pool2 gradients, 18 px, on one page)
MAP_TILE_PX = 16


def format_change(change: float) -> str:
    """The loss difference, signed; tiny changes (a trained net) in scientific notation."""
    return f"{change:+.4f}" if abs(change) >= 5e-4 or change == 0 else f"{change:+.1e}"


def scale_text(levels: tuple[float, float]) -> str:
    return f"±{levels[1]:.2g}"


def routed_levels(*arrays: np.ndarray) -> tuple[float, float]:
    """One symmetric scale for a pool's output gradient and its routed gradient."""
    return symmetric_levels(np.concatenate([np.ravel(a) for a in arrays]))


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
        # at the top, under the tab titles: centred in a tab taller than a small dock (the
        # view scrolls there) it sat out of sight, and the tab looked blank
        self.note.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
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

    def set_caption(self, full: str, short: str | None = None) -> None:
        """The caption under the canvas: ``full``, or ``short`` (``full`` as its tooltip)
        where the full one would take over a quarter of the tab (large type, a low dock):
        the maps keep the room."""
        self._captions = (full, short or full)
        self._fit_caption()

    def _fit_caption(self) -> None:
        full, short = getattr(self, "_captions", (None, None))
        if full is None:
            return
        self.text.setText(full)
        if short != full and self.text.heightForWidth(max(1, self.width())) > self.height() / 4:
            self.text.setText(short)
            self.text.setToolTip(full)
        else:
            self.text.setToolTip("")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_caption()

    def _canvas_resized(self) -> None:
        if getattr(self, "built", False):    # not while the subclass is still constructing
            self.arrange()

    def arrange(self, *_args) -> None:      # placed by the subclass
        pass

    # -- panels and their layout -----------------------------------------------------------
    def new_panel(self, **options) -> MosaicBarPanel:
        """A diverging "title + maps + colour bar" panel on this tab's canvas (``options``:
        those of ``MosaicBarPanel``)."""
        panel = MosaicBarPanel(DIVERGING_CMAP, tick_sample=TICK_SAMPLE, **options)
        panel.set_parent(self.canvas)
        panel.set_title_size(self.title_size())
        panel.set_visible(False)    # until placed: unplaced, every title lies in one corner
        return panel

    def show_placed(self, panels, items=()) -> None:
        """Show ``panels`` (and graphics ``items``) that ``arrange`` has just placed."""
        for panel in panels:
            panel.set_visible(True)
        for item in items:
            item.setVisible(True)

    def hide_panels(self, panels, items=()) -> None:
        """Hide ``panels`` and ``items`` (no step shown) and place them again when shown."""
        for panel in panels:
            panel.set_visible(False)
        for item in items:
            item.setVisible(False)
        self.forget_layout()

    def layout_changed(self, *shapes) -> bool:
        """Whether the panels need placing again: the canvas's size, the font or ``shapes``
        (what the layout depends on: the maps' shapes, the titles' heights) differ from the
        last time this returned True. A Step of the same network changes none of them."""
        size = self.canvas.size()
        key = (round(size.width()), round(size.height()), self.font().key(), shapes)
        if key == getattr(self, "_layout_key", None):
            return False
        self._layout_key = key
        return True

    def forget_layout(self) -> None:
        """Place the panels again at the next ``arrange`` (another network's panels)."""
        self._layout_key = None

    def title_size(self) -> str:
        return f"{self.font().pointSizeF():.1f}pt"


def remove_items(canvas, items) -> None:
    """Take graphics items (another network's) off ``canvas``."""
    scene = canvas.scene()
    for item in items:
        item.setParentItem(None)
        if scene is not None and item.scene() is scene:
            scene.removeItem(item)
