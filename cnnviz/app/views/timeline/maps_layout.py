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
  so every title is drawn whole and in the same size.

The search runs when the canvas's size, the fonts, the panels or a page change; never for
new maps of the same layers (a replay, a training step).
"""

from __future__ import annotations

from dataclasses import replace

from ...fit_layout import arrange_with_title_room, row_templates, within_budget
from ...mosaic_panel import page_size_for
from ...paging import RANGE_PADDING, overview_page_sizes, readable_layout

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


class MapsLayout:
    """Places the panels of ``owner`` (a ``ReplayMaps``: ``all_panels()``, ``shapes``)."""

    def __init__(self, owner) -> None:
        self.owner = owner
        self.groups: list[list[str]] = []
        self.placements: dict = {}
        self._arranged_for = None

    @property
    def placed(self) -> bool:
        return bool(self.placements)

    def set_groups(self, groups: list[list[str]]) -> None:
        """The panel keys, group by group in reading order (a group stays in one row)."""
        self.groups = [list(g) for g in groups if g]
        self.forget()

    def forget(self) -> None:
        """Arrange again at the next call (new panels, another font)."""
        self.placements = {}
        self._arranged_for = None

    def templates(self) -> list[list[list[str]]]:
        """Every way to cut the groups (in order) into rows."""
        cut = row_templates([str(i) for i in range(len(self.groups))], len(self.groups))
        return [[[key for i in row for key in self.groups[int(i)]] for row in template]
                for template in cut]

    def title_px(self) -> float:
        return max((p.title_px() for p in self.owner.all_panels().values()), default=16.0)

    def least_height(self) -> int:
        """The canvas's least height: one row of titled pictures ``MIN_MAP_HEIGHT`` high."""
        if not self.groups:
            return 0
        return int(self.title_px() + MIN_MAP_HEIGHT + 2 * SPACING)

    def arrange(self, size, font) -> None:
        panels = self.owner.all_panels()
        if not panels or any(p.count == 0 for p in panels.values()) \
                or size.width() < 20 or size.height() < 20:
            return
        title_px = self.title_px()
        state = (size.width(), size.height(), round(title_px, 1),
                 tuple((k, p.count, p.page) for k, p in panels.items()))
        if state == self._arranged_for and self.placements:
            return
        self._arranged_for = state
        shapes = self.owner.shapes                           # key -> (C, H, W)
        paged = [k for k in panels if k != PROBE]
        sizes = {k: overview_page_sizes(shapes[k][0], page_size_for(*shapes[k])) for k in paged}
        floors = {k: FILTER_TILE_PX if k == FILTERS
                  else min(MAP_TILE_PX, VALUE_PX * min(shapes[k][1:])) for k in paged}
        least = {k: floors[k] * RANGE_PADDING / min(shapes[k][1:]) for k in paged}
        templates = self.templates()

        def layout_for(per_page):
            need = {k: p.min_title_width(per_page.get(k)) for k, p in panels.items()}
            choices = {PROBE: panels[PROBE].options((1,), font)}
            for k in paged:
                n = per_page[k]
                choices[k] = panels[k].options(COLUMN_CHOICES, font, count=n,
                                               ragged=n < shapes[k][0])
            choices = within_budget(choices, len(templates))

            def widened(widen):
                return {k: [replace(o, extra_w=o.extra_w + widen.get(k, 0.0)) for o in opts]
                        for k, opts in choices.items()}
            return arrange_with_title_room(size.width(), size.height(), templates, widened,
                                           need, TITLE_ROUNDS, title_px=title_px,
                                           spacing=SPACING, least=least, weights=WEIGHTS)

        (_, self.placements), per_page = readable_layout(
            sizes, layout_for, {k: shapes[k][1:] for k in paged}, floor=floors)
        for k, n in per_page.items():
            panels[k].set_page_size(n if n < shapes[k][0] else None)
        for k, place in self.placements.items():
            panels[k].place(place, font)
            panels[k].set_visible(True)
            # the tile numbers as now drawn: hidden if under the type floor (presentation)
            panels[k].panel.show_labels_if_legible()
        # a page turned by set_page_size changes nothing placed: remember the pages now
        self._arranged_for = state[:3] + (tuple((k, p.count, p.page)
                                                for k, p in panels.items()),)
