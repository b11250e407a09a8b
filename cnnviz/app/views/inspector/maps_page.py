"""The inspector's page for a layer with maps: its output as a mosaic of every channel and,
beside or above it, the input it reads, placed by hand (``arrange``) on one canvas in
whichever arrangement shows them larger; the mosaics' column counts are chosen to fit.

A layer of many channels pages (``paging``): each mosaic shows as many channels as stay
``MIN_TILE_PX`` a side at the canvas's size (at most ``page_size_for``'s budget), with ◀ ▶
beside its title. A layer that works channel by channel (ReLU, pooling) turns its input's
page with its output's, so channel c's input is always beside channel c.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pyqtgraph as pg

from ...fit_layout import Option, arrange_with_title_room
from ...image_panel import ACTIVATION_CMAP, GREY_CMAP, FitCanvas
from ...mosaic_panel import MosaicBarPanel, page_size_for
from ...paging import MIN_TILE_PX, page_sizes

MAP_TEMPLATES = [[["input", "output"]], [["input"], ["output"]]]
RANGE_PADDING = 1.02     # the mosaic's view box pads its range by 1% each side


class MapsPage:
    """Two mosaics on one canvas: ``show(drawn, titles, new_layer, linked)`` draws
    ``{"output": (maps, levels), "input": ...}`` (maps ``(C, H, W)``); ``linked``: the input
    pages with the output (a channel-by-channel layer)."""

    def __init__(self, on_columns_changed) -> None:
        self._on_columns_changed = on_columns_changed
        self.drawn: dict[str, tuple[np.ndarray, tuple[float, float]]] = {}
        self.title_texts: dict[str, list[str]] = {}
        self.placements: dict = {}
        self.linked = False
        self.view = pg.GraphicsView(background="k")
        self.canvas = FitCanvas(self.arrange)
        self.view.setCentralItem(self.canvas)
        self.input_panel = MosaicBarPanel(GREY_CMAP, colour_bar=False)
        self.output_panel = MosaicBarPanel(ACTIVATION_CMAP, colour_bar=False)
        self.panels = {"input": self.input_panel, "output": self.output_panel}
        for panel in self.panels.values():
            panel.set_parent(self.canvas)
        # a linked input follows the output's page (and the output its input's arrows)
        self.output_panel.pageChanged.connect(self._input_follows)
        self.input_panel.pageChanged.connect(self._output_follows)

    def _input_follows(self, page: int) -> None:
        if self.linked and "input" in self.drawn:
            self.input_panel.set_page(page)

    def _output_follows(self, page: int) -> None:
        if self.linked:
            self.output_panel.set_page(page)

    def set_title_size(self, size: str) -> None:
        for panel in self.panels.values():
            panel.set_title_size(size)
            for arrow in (panel.prev_label, panel.next_label):
                arrow.setText(arrow.text, size=size)
        self.arrange()

    def show(self, drawn: dict, titles: dict[str, list[str]], new_layer: bool,
             linked: bool = False) -> None:
        self.drawn, self.title_texts, self.linked = drawn, titles, linked
        if new_layer:
            for panel in self.panels.values():
                panel.pager.page = 0
        for key, (maps, levels) in self.drawn.items():
            self.panels[key].set_maps(maps, levels)
            self.panels[key].set_titles(titles.get(key, [""]))
        if new_layer or not self.placements:
            self.arrange()                 # a new layer: choose its pages and columns

    # -- layout ------------------------------------------------------------------------------
    def _options(self, per_page: dict[str, int], widen: dict[str, float]
                 ) -> dict[str, list[Option]]:
        """Each panel's column options for ``per_page`` tiles, ``widen`` pixels wider (room
        for a paged title's arrows beside a narrow mosaic)."""
        font = self.view.font()
        options = {}
        for key, n in per_page.items():
            # the fewest columns for each row count (whichever fits the picture's shape
            # best); a page of a paged layer may end in a short row
            columns = {math.ceil(n / rows) for rows in range(1, n + 1)}
            paged = n < len(self.drawn[key][0])
            options[key] = [replace(o, extra_w=o.extra_w + widen.get(key, 0.0))
                            for o in self.panels[key].options(columns, font, count=n,
                                                              ragged=paged)]
        return options

    def _arrange(self, width: float, height: float, per_page: dict[str, int]) -> dict:
        """``fit_layout.arrange`` for ``per_page`` tiles; a panel placed narrower than its
        title row needs (``min_title_width``: its shortest title, a paged one's arrows) is
        given the missing width and placed again."""
        templates = MAP_TEMPLATES if "input" in per_page else [[["output"]]]
        title_px = max(p.title_px() for p in self.panels.values())
        need = {key: self.panels[key].min_title_width(n) for key, n in per_page.items()}
        # pixels per data pixel for maps MIN_TILE_PX a side
        least = {key: MIN_TILE_PX * RANGE_PADDING / min(maps.shape[1:])
                 for key, (maps, _) in self.drawn.items()}
        self._options_now, placements = arrange_with_title_room(
            width, height, templates, lambda widen: self._options(per_page, widen), need,
            rounds=4, title_px=title_px, spacing=10, weights={"input": 0.3}, least=least)
        return placements

    def _tile_px(self, key: str, place) -> float:
        """Pixels a side of ``key``'s tiles in ``place`` (before placing them)."""
        _, h, w = self.drawn[key][0].shape
        option = next(o for o in self._options_now[key] if o.value == place.value)
        # an aspect-locked box: the content's height, or its width, whichever binds
        content_w = place.rect[2] - option.extra_w
        scale = min(place.content_h, content_w / option.aspect) / (option.native_h * RANGE_PADDING)
        return min(h, w) * scale

    def _layout(self, width: float, height: float) -> tuple[dict, dict[str, int]]:
        """The placements and channels per page for a canvas of ``width x height``: the
        fewest pages whose tiles are all at least ``MIN_TILE_PX`` (``paging.page_sizes``)."""
        sizes = {key: page_sizes(len(maps), page_size_for(*maps.shape))
                 for key, (maps, _) in self.drawn.items()}
        if self.linked and "input" in sizes:
            sizes["input"] = sizes["output"]
        step = {key: 0 for key in sizes}
        while True:
            per_page = {key: sizes[key][step[key]] for key in sizes}
            placements = self._arrange(width, height, per_page)
            small = [key for key, place in placements.items()
                     if self._tile_px(key, place) < MIN_TILE_PX
                     and step[key] + 1 < len(sizes[key])]
            if not small:
                return placements, per_page
            if self.linked and "input" in small and "output" not in small:
                small = ["output"]          # a linked input pages only with its output
            for key in small:
                step[key] += 1
            if self.linked and "input" in step:
                step["input"] = step["output"]

    def arrange(self, *_args) -> None:
        """Choose the pages and place the input and output mosaics (and pick their columns)
        for the canvas's size."""
        size = self.canvas.size()
        if not hasattr(self, "panels") or "output" not in self.drawn \
                or size.width() < 20 or size.height() < 20:
            return
        self.placements, per_page = self._layout(size.width(), size.height())
        font = self.view.font()
        moved = False
        for key, panel in self.panels.items():
            place = self.placements.get(key)
            panel.set_visible(place is not None)
            if place is None:
                continue
            count = len(self.drawn[key][0])
            moved |= panel.set_page_size(per_page[key] if per_page[key] < count else None)
            moved |= panel.place(place, font)
        if self.linked:
            self.input_panel.set_page(self.output_panel.page)
        if moved:
            self._on_columns_changed()       # the outlines move with their tiles
