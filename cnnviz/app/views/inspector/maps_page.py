"""The inspector's page for a layer with maps: its output as a mosaic of every channel and,
beside or above it, the input it reads, placed by hand (``arrange``) on one canvas in
whichever arrangement shows them larger; the mosaics' column counts are chosen to fit."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF

from ...fit_layout import Option, arrange
from ...image_panel import ACTIVATION_CMAP, GREY_CMAP, FitCanvas, MosaicPanel
from ...label_fit import fit_label

# mosaic column counts to choose from (whichever fits the picture's shape best)
COLUMN_CHOICES = (1, 2, 4, 5, 7, 10, 13, 17, 20, 25, 32)
MAP_TEMPLATES = [[["input", "output"]], [["input"], ["output"]]]


class MapsPage:
    """Two mosaics on one canvas: ``show(drawn, titles)`` draws ``{"output": (maps,
    levels), "input": ...}`` (maps ``(C, H, W)``)."""

    def __init__(self, on_columns_changed) -> None:
        self._on_columns_changed = on_columns_changed
        self.drawn: dict[str, tuple[np.ndarray, tuple[float, float]]] = {}
        self.title_texts: dict[str, list[str]] = {}
        self.placements: dict = {}
        self.view = pg.GraphicsView(background="k")
        self.canvas = FitCanvas(self.arrange)
        self.view.setCentralItem(self.canvas)
        self.input_panel = MosaicPanel("input", cmap=GREY_CMAP)
        self.output_panel = MosaicPanel("output", cmap=ACTIVATION_CMAP)
        self.panels = {"input": self.input_panel, "output": self.output_panel}
        for panel in self.panels.values():
            panel.layout.setContentsMargins(0, 0, 0, 0)
            panel.layout.setParentItem(self.canvas)

    def set_title_size(self, size: str) -> None:
        for panel in self.panels.values():
            panel.title.setText(panel.title.text, size=size)
        self.arrange()

    def show(self, drawn: dict, titles: dict[str, list[str]], new_layer: bool) -> None:
        self.drawn, self.title_texts = drawn, titles
        if new_layer or not self.placements:
            self.arrange()                 # a new layer: choose its columns first
        for key, (maps, levels) in self.drawn.items():
            self.panels[key].set_maps(maps, levels)

    def _options(self) -> dict[str, list[Option]]:
        options = {}
        for key, panel in self.panels.items():
            if key not in self.drawn:
                continue
            count, h, w = self.drawn[key][0].shape
            options[key] = []
            for columns in sorted({min(c, count) for c in COLUMN_CHOICES
                                   if -count % c < c / 2}):      # last row at least half full
                ew, eh = panel.extent(count, h, w, columns)
                options[key].append(Option(columns, ew / eh, eh))
        return options

    def arrange(self, *_args) -> None:
        """Place the input and output mosaics (and pick their columns) for the canvas's size."""
        size = self.canvas.size()
        if not hasattr(self, "panels") or "output" not in self.drawn \
                or size.width() < 20 or size.height() < 20:
            return
        options = self._options()
        templates = MAP_TEMPLATES if "input" in options else [[["output"]]]
        title_px = max(p.title.minimumHeight() for p in self.panels.values()) + 2
        self.placements = arrange(size.width(), size.height(), templates, options,
                                  title_px=title_px, spacing=10, weights={"input": 0.3})
        redraw = False
        for key, panel in self.panels.items():
            place = self.placements.get(key)
            panel.layout.setVisible(place is not None)
            if place is None:
                continue
            x, y, w, h = place.rect
            texts = self.title_texts.get(key)
            if texts:
                fit_label(panel.title, texts, w)
            panel.layout.setGeometry(QRectF(x, y, w, h))
            if place.value != panel.columns:
                panel.columns = place.value
                redraw = True
        if redraw:
            for key, (maps, levels) in self.drawn.items():
                self.panels[key].set_maps(maps, levels)
            self._on_columns_changed()       # the outlines move with their tiles
