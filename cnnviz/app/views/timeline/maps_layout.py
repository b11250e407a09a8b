"""Where the timeline's replay panels go, and how many channels each page shows.

The panels come in groups, in reading order: the probe and the first conv layer's filters,
then the first conv block's maps (its activation, its pool), then a deeper block's. A row
of the layout holds whole groups (``templates``): one row in a short wide canvas, a group a
row in a tall one. ``MapsLayout.arrange`` is ``paging.readable_layout`` over
``fit_layout.arrange_with_title_room``, as the activations and step explainer views do:

* a layer of many channels pages (◀ ▶ beside its title) into the fewest pages whose maps
  are at least ``MAP_TILE_PX`` a side (kernels ``FILTER_TILE_PX``) at the canvas's size,
  at most ``paging.MOST_PAGES`` of them, instead of shrinking them to dots;
* a panel narrower than its title row (its name, the page range, the arrows) is widened,
  so every title is drawn whole and in the same size;
* in a canvas too small for every panel's maps to be readable (a 1280x720 window's dock)
  the pools are left out (``spare``: the maps above them, halved) if that draws the
  smallest maps ``COMPACT_GAIN`` times as large.

The search runs when the canvas's size, the fonts or the panels change; never for a page
turned or new maps of the same layers (a replay, a training step).
"""

from __future__ import annotations

import math
from dataclasses import replace

from ...fit_layout import arrange_with_title_room, row_templates, within_budget
from ...mosaic_panel import page_size_for
from ...paging import (RANGE_PADDING, overview_page_sizes, placed_tile_px,
                       readable_layout)

PROBE, FILTERS = "probe", "filters"      # layout keys of the probe and the first filters
#: Pixels a side a feature map keeps before its layer pages: the timeline is an overview,
#: as the activations view is (LeNet's 20 conv1 maps stay on one page at 1920x1080) ...
MAP_TILE_PX = 16
#: ... or this many pixels a value, if less: a 4x4 map reads at 12 px (LeNet's 50 pool2
#: maps stay on one page at 1920x1080 too)
VALUE_PX = 3
#: Pixels a side a first-layer kernel (3x3, 5x5) keeps before the filters page.
FILTER_TILE_PX = 12
#: Pixels of picture the maps keep at least below their titles (a 28x28 digit, enlarged).
MIN_MAP_HEIGHT = 48
SPACING = 6                # px between panels and rows
COLUMN_CHOICES = (1, 2, 3, 4, 5, 7, 8, 10, 13, 16, 20, 25)
TITLE_ROUNDS = 6           # layouts that widen panels narrower than their titles, at most
WEIGHTS = {PROBE: 0.5}     # the probe counts less in the score: the maps are the point
#: The pools are left out only if that draws the smallest maps this much larger (at
#: 1280x720 six panels in 116 px drew conv2's maps 5 px a side; without the pools 17 px)
COMPACT_GAIN = 1.5


class MapsLayout:
    """Places the panels of ``owner`` (a ``ReplayMaps``: ``all_panels()``, ``shapes``)."""

    def __init__(self, owner) -> None:
        self.owner = owner
        self.groups: list[list[str]] = []
        self.spare: set[str] = set()
        self.placements: dict = {}
        self._arranged_for = None

    @property
    def placed(self) -> bool:
        return bool(self.placements)

    def set_groups(self, groups: list[list[str]], spare=()) -> None:
        """The panel keys, group by group in reading order (a group stays in one row);
        ``spare``: keys left out of a canvas too short for two rows (the pools: the maps
        above them, halved)."""
        self.groups = [list(g) for g in groups if g]
        self.spare = set(spare)
        self.forget()

    def without_spare(self) -> list[list[str]]:
        """The groups less the ``spare`` panels (the compact layout)."""
        groups = [[k for k in g if k not in self.spare] for g in self.groups]
        return [g for g in groups if g]

    def forget(self) -> None:
        """Arrange again at the next call (new panels, another font)."""
        self.placements = {}
        self._arranged_for = None

    def templates(self, groups: list[list[str]] | None = None) -> list[list[list[str]]]:
        """Every way to cut the ``groups`` (default: all, in order) into rows."""
        groups = self.groups if groups is None else groups
        cut = row_templates([str(i) for i in range(len(groups))], len(groups))
        return [[[key for i in row for key in groups[int(i)]] for row in template]
                for template in cut]

    def title_px(self) -> float:
        return max((p.title_px() for p in self.owner.all_panels().values()), default=16.0)

    def least_height(self) -> int:
        """The canvas's least height: one row of titled pictures ``MIN_MAP_HEIGHT`` high."""
        if not self.groups:
            return 0
        return int(self.title_px() + MIN_MAP_HEIGHT + 2 * SPACING)

    def arrange(self, size, font) -> None:
        """Choose the panels shown, every panel's page size, and place them in a canvas of
        ``size``: all panels, or (if their maps come out under their floors and leaving the
        pools out draws them larger by ``COMPACT_GAIN``) all but the ``spare`` ones."""
        panels = self.owner.all_panels()
        if not panels or any(p.count == 0 for p in panels.values()) \
                or size.width() < 20 or size.height() < 20:
            return
        state = (size.width(), size.height(), round(self.title_px(), 1),
                 tuple((k, p.count) for k, p in panels.items()))
        if state == self._arranged_for and self.placements:
            return                  # a page turned, new maps: the same places
        self._arranged_for = state
        found = self._search(self.groups, size, font)
        if found[2] < 1.0 and self.spare:
            compact = self._search(self.without_spare(), size, font)
            if compact[2] >= COMPACT_GAIN * found[2]:
                found = compact
        self.placements, per_page, _ratio = found
        shapes = self.owner.shapes
        for k, panel in panels.items():
            if k not in self.placements:
                panel.set_visible(False)
        for k, n in per_page.items():
            panels[k].set_page_size(n if n < shapes[k][0] else None)
        for k, place in self.placements.items():
            panels[k].place(place, font)
            panels[k].set_visible(True)
            # the tile numbers as now drawn: hidden if under the type floor (presentation)
            panels[k].panel.show_labels_if_legible()

    def _search(self, groups, size, font) -> tuple[dict, dict, float]:
        """``(placements, per_page, ratio)`` for the panels of ``groups``: ``ratio`` is the
        smallest of the maps' on-screen tile sizes over their floors (1 or more: readable)."""
        panels = {k: self.owner.all_panels()[k] for g in groups for k in g}
        shapes = self.owner.shapes                           # key -> (C, H, W)
        paged = [k for k in panels if k != PROBE]
        sizes = {k: overview_page_sizes(shapes[k][0], page_size_for(*shapes[k])) for k in paged}
        floors = {k: FILTER_TILE_PX if k == FILTERS
                  else min(MAP_TILE_PX, VALUE_PX * min(shapes[k][1:])) for k in paged}
        least = {k: floors[k] * RANGE_PADDING / min(shapes[k][1:]) for k in paged}
        title_px = self.title_px()
        templates = self.templates(groups)

        def layout_for(per_page):
            need = {k: p.min_title_width(per_page.get(k)) for k, p in panels.items()}
            choices = {PROBE: panels[PROBE].options((1,), font)}
            for k in paged:
                n = per_page[k]
                choices[k] = panels[k].options(COLUMN_CHOICES, font, count=n,
                                               ragged=n < shapes[k][0])
            choices = within_budget(choices, 1)

            def widened(widen):
                return {k: [replace(o, extra_w=o.extra_w + widen.get(k, 0.0)) for o in opts]
                        for k, opts in choices.items()}
            # the titles' room is found template by template: across templates the widening
            # chased the layout from one to another and left the probe's title 17 px
            found = [arrange_with_title_room(size.width(), size.height(), [template],
                                             widened, need, TITLE_ROUNDS, title_px=title_px,
                                             spacing=SPACING, least=least, weights=WEIGHTS)
                     for template in templates]
            return max((f for f in found if f[1]), key=lambda f: _rank(f, need, least),
                       default=found[0])

        layout, per_page = readable_layout(sizes, layout_for,
                                           {k: shapes[k][1:] for k in paged}, floor=floors)
        ratios = [placed_tile_px(layout, k, *shapes[k][1:]) / floors[k] for k in paged
                  if k in layout[1]]
        return layout[1], per_page, min(ratios, default=0.0)


def _rank(layout, need: dict[str, float], least: dict[str, float]) -> tuple:
    """How good ``layout`` = ``(options, placements)`` is: every title whole first, then
    every map at least its ``least`` pixels per data pixel, then ``fit_layout.arrange``'s
    score (the weighted sum of log pixels per data pixel)."""
    options, placements = layout
    whole = all(place.rect[2] >= need[k] - 0.5 for k, place in placements.items())
    scale = {}
    for k, place in placements.items():
        option = next(o for o in options[k] if o.value == place.value)
        scale[k] = place.content_h / option.native_h
    met = all(scale[k] >= least.get(k, 0.0) for k in scale)
    score = sum(WEIGHTS.get(k, 1.0) * math.log(max(s, 1e-9)) for k, s in scale.items())
    return whole, met, score
