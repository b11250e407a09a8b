"""The "Gradients of the feature maps" tab: d loss / d (every feature map) for one digit.

One mosaic per spatial layer of ``net.describe()`` (every conv, activation and pool before
the flatten), each on its own symmetric colour scale with a colour bar; by default one row
per conv block (the conv, its activation, its pool). A network without such layers shows a
sentence instead.

Many channels page (``paging.readable_layout``: the fewest pages whose maps are at least
``MAP_TILE_PX`` a side). A conv block's layers have the same channels and page together:
one page size for the block, and turning one panel's page turns the others', so channel 40's
gradient at the conv, after its ReLU and at its pool stay side by side. Each layer's colour
scale is its whole gradient's (every page): pages compare.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...fit_layout import arrange_with_title_room, within_budget
from ...mosaic import symmetric_levels
from ...mosaic_panel import MosaicBarPanel
from ...paging import RANGE_PADDING, page_sizes, readable_layout
from .common import MAP_TILE_PX, CanvasTab, scale_text

GRAD_COLUMNS = (4, 5, 8, 10, 16, 20, 25)     # mosaic column counts to choose from
TITLE_ROUNDS = 3        # layouts at most to give every title row its room (per page size)
LAYOUT_BUDGET = 100_000  # paged layouts: combinations arrange scores at most (5 options a panel)


def spatial_groups(layers) -> list[list[str]]:
    """The names of the layers with a ``(C, H, W)`` output, a new group at every conv."""
    groups: list[list[str]] = []
    for info in layers:
        if info.kind == "input" or len(info.output_shape) != 3:
            continue
        if info.kind == "conv" or not groups:
            groups.append([])
        groups[-1].append(info.name)
    return groups


class GradsTab(CanvasTab):
    """d loss / d feature map of the followed digit (see module doc). ``panels``: layer
    name -> ``MosaicBarPanel`` (``bars``: their colour bars); ``placements``: where
    ``arrange`` put them."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent=parent)
        self.groups: list[list[str]] = []
        self.panels: dict[str, MosaicBarPanel] = {}
        self.placements: dict = {}
        self._drawn: set[str] = set()             # layers with a gradient drawn
        self._map_shapes: dict[str, tuple[int, int]] = {}     # layer -> (H, W) of its maps
        self.built = True

    @property
    def layers(self) -> list[str]:
        return [name for group in self.groups for name in group]

    @property
    def bars(self) -> dict:
        return {name: panel.bar for name, panel in self.panels.items()}

    def set_network(self, layers) -> None:
        for panel in self.panels.values():
            panel.remove()
        self.panels, self.placements, self._drawn, self._map_shapes = {}, {}, set(), {}
        self.forget_layout()
        self.groups = spatial_groups(layers)
        for name in self.layers:
            self.panels[name] = self.new_panel()
            self.panels[name].set_titles([f"d loss / d {name}"])
        for group in self.groups:                 # a block's panels turn their pages together
            for name in group:
                self.panels[name].pageChanged.connect(
                    lambda page, group=group: self._turn_group(group, page))
        self.show_note(None if self.groups else
                       "This network has no convolution or pooling layers, so it has no "
                       "feature maps: the gradients of its fc layers' weights are in the "
                       "Weight change tab.")
        self.apply_fonts()

    def draw(self, d, digit: int) -> None:
        """d loss / d each layer's output for batch digit ``digit`` of step detail ``d``."""
        for name, panel in self.panels.items():
            if name not in d.output_grads:
                continue
            g = np.asarray(d.output_grads[name][digit], dtype=np.float32)
            levels = symmetric_levels(g)          # all channels: every page on one scale
            panel.set_maps(g, levels)
            self._drawn.add(name)
            c, h, w = g.shape
            self._map_shapes[name] = (h, w)
            panel.set_titles([f"d loss / d {name} ({c} × {h}×{w}), scale {scale_text(levels)}",
                              f"d loss / d {name} ({c} × {h}×{w})", f"d loss / d {name}",
                              f"∂L/∂{name}", name])
        self.arrange()
        if not self.groups:
            self.set_caption(" ")
            return
        label = int(d.labels[digit])
        self.set_caption(
            f"The gradient of this batch's loss with respect to every feature map of digit "
            f"{digit + 1} (a {label}): how much the loss would change if that value were a "
            "little larger (blue: larger would lower the loss). ReLU passes gradient only where "
            "its input was positive; max pooling only to each window's winner.",
            f"d loss / d feature map, digit {digit + 1} (a {label}): blue = larger would "
            "lower the loss.")

    def shown(self, layer: str, page: int | None = None) -> np.ndarray:
        """``(C, H, W)`` d loss / d ``layer`` as drawn (read back from the mosaic): page
        ``page`` (NaN in the channels of other pages) or every page (None). The page shown
        is turned back after reading."""
        if layer not in self.panels:
            raise KeyError(f"no feature-map layer {layer!r}; have "
                           f"{', '.join(self.panels) or 'none'}")
        panel = self.panels[layer]
        shown = np.full((panel.count, *self._map_shapes[layer]), np.nan, np.float32)
        now = panel.page
        for p in range(panel.pages) if page is None else [page]:
            panel.set_page(p)
            maps = panel.shown_maps()
            shown[panel.page_start:panel.page_start + len(maps)] = maps
        panel.set_page(now)
        return shown

    def _turn_group(self, group: list[str], page: int) -> None:
        for name in group:
            self.panels[name].set_page(page)      # no signal if it is there already

    def clear(self) -> None:
        self._drawn = set()
        for panel in self.panels.values():
            panel.image.clear()
        self.hide_panels(self.panels.values())
        self.set_caption(" ")

    def apply_fonts(self) -> None:
        for panel in self.panels.values():
            panel.set_title_size(self.title_size())
        self.arrange()

    def _options(self, name: str, per_page: int) -> list:
        count = self.panels[name].count
        return self.panels[name].options(
            GRAD_COLUMNS + ((per_page,) if per_page <= 5 else ()), self.font(), count=per_page,
            ragged=per_page < count)

    def arrange(self, *_args) -> None:
        """Choose the pages and place the gradient mosaics and their colour bars for the
        canvas's size (the layout search only when the size, the font or the titles' height
        changed)."""
        size = self.canvas.size()
        if not self._drawn or size.width() < 20 or size.height() < 20:
            return
        names = [n for n in self.layers if n in self._drawn]
        title_px = max(self.panels[n].title_px() for n in names)
        if not self.layout_changed(tuple(names), round(title_px, 1)) and self.placements:
            return
        groups = [[n for n in g if n in self._drawn] for g in self.groups]
        groups = [g for g in groups if g]
        templates = [groups, [names], [[n] for n in names],
                     [names[i:i + 2] for i in range(0, len(names), 2)]]
        # one page size a block: keyed by its first layer, decided by its smallest maps
        members = {g[0]: g for g in groups}
        sizes = {key: page_sizes(self.panels[key].count) for key in members}
        shapes = {n: self._map_shapes[n] for n in names}
        least = {n: MAP_TILE_PX * RANGE_PADDING / min(shapes[n]) for n in names}
        font = self.font()

        def layout_for(per_page):
            counts = {n: per_page[g[0]] for g in groups for n in g}
            # a panel placed narrower than its title row needs (the name and the page range,
            # the arrows, the colour bar) gets the missing width beside its maps and all are
            # placed again: a tall narrow column of maps had room for "relu2 0–…" only
            need = {n: self.panels[n].min_title_width(counts[n]) + self.panels[n].bar_width(font)
                    for n in names}
            choices = {n: self._options(n, counts[n]) for n in names}
            if any(counts[n] < self.panels[n].count for n in names):
                # paged: every column count is allowed (ragged pages), fewer of them scored
                choices = within_budget(choices, len(templates), budget=LAYOUT_BUDGET)

            def widened(widen):
                return {n: [replace(o, extra_w=o.extra_w + widen.get(n, 0.0))
                            for o in choices[n]] for n in names}
            return arrange_with_title_room(size.width(), size.height(), templates, widened,
                                           need, rounds=TITLE_ROUNDS, title_px=title_px,
                                           spacing=8, least=least)

        (_, self.placements), per_page = readable_layout(
            sizes, layout_for, shapes, floor=MAP_TILE_PX, members=members, jump=True)
        for key, group in members.items():
            for name in group:
                panel = self.panels[name]
                panel.set_page_size(per_page[key] if per_page[key] < panel.count else None)
        self.show_placed(self.panels[name] for name in self.placements)   # before laying out
        for name, place in self.placements.items():
            self.panels[name].place(place, self.font())
