"""The "Weight change ΔW" tab: ΔW = W after − W before of every layer with weights.

One panel per parameterised layer of ``net.describe()``, each on its own colour scale
symmetric around zero, with a colour bar:

* a conv layer's kernels: ``(F, 1, K, K)`` as F small tiles; ``(F, C, K, K)`` as a table,
  one row per input channel and one column per filter;
* an fc layer reading a flattened single map (the input image, a one-channel stack): each
  unit's weights as a tile of that map's shape;
* any other fc layer: its ``(units, inputs)`` matrix as a heatmap, one row per unit
  (stretched to the panel, since it is rarely square).

Filters and units page like every mosaic of the app (``paging.readable_layout``: the fewest
pages whose tiles are at least ``MAP_TILE_PX``); a table pages in blocks of whole kernels
(``kernel_blocks``: e.g. out 32–63 × in 0–15 of a 128 × 64 table), at least
``KERNEL_TILE_PX`` a kernel, the block's rows and columns in its title and grid labels. The
colour scale is the whole layer's on every page. The page sizes are chosen with the layout,
i.e. when the size or the font changes, not at every Step.
"""

from __future__ import annotations

import numpy as np

from ...fit_layout import Option, arrange
from ...mosaic import symmetric_levels
from ...mosaic_panel import MosaicBarPanel
from ...paging import RANGE_PADDING, page_sizes, readable_layout
from .common import MAP_TILE_PX, CanvasTab, scale_text
from ...kernel_blocks import KERNEL_TILE_PX, KernelBlocks, block_sizes

FILTER_COLUMNS = (4, 5, 8, 10, 16, 20)      # tiles per row for one-input-channel kernels


def weighted_layers(layers) -> list:
    """The ``LayerInfo`` of every layer with a weight, in order (``net.describe()``)."""
    return [info for info in layers if any(n.endswith(".weight") for n, _ in info.params)]


class DeltaTab(CanvasTab):
    """ΔW of every weighted layer (see module doc). ``panels``: weight name ->
    ``MosaicBarPanel`` (``bars``: their colour bars); ``placements``: where ``arrange`` put
    them."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent=parent)
        self.layers: list = []
        self.panels: dict[str, MosaicBarPanel] = {}
        self.placements: dict = {}
        self._shapes: dict[str, tuple] = {}       # weight name -> how it is drawn
        self._blocks: dict[str, KernelBlocks] = {}    # a table's weight name -> its pages
        self._detail = None
        self.built = True

    @property
    def bars(self) -> dict:
        return {name: panel.bar for name, panel in self.panels.items()}

    def set_network(self, layers) -> None:
        """Panels for the weighted layers of ``layers`` (``net.describe()``)."""
        for panel in self.panels.values():
            panel.remove()
        self.panels, self.placements, self._shapes, self._detail = {}, {}, {}, None
        self._blocks = {}
        self.forget_layout()
        by_name = {info.name: info for info in layers}
        self.layers = weighted_layers(layers)
        for info in self.layers:
            name = f"{info.name}.weight"
            shape = dict(info.params)[name]
            if info.kind == "conv":
                c_out, c_in, k, _ = shape
                table = c_in > 1
                self._shapes[name] = ("table" if table else "filters", shape)
                panel = self.new_panel(columns=c_out if table else 5,
                                       gap=None if table else 2,
                                       labels="grid" if table else "tiles")
                if table:
                    self._blocks[name] = KernelBlocks.whole(c_in, c_out)
                    panel.grid_origin = lambda start, n=name: self._blocks[n].origin(start)
                    panel.page_label = lambda compact, n=name, p=panel: \
                        self._blocks[n].text(p.page_start, compact)
            else:
                source = by_name.get(info.input)
                flat_of = by_name.get(source.input) if source is not None \
                    and source.kind == "flatten" else None
                if flat_of is not None and len(flat_of.output_shape) == 3 \
                        and flat_of.output_shape[0] == 1:
                    self._shapes[name] = ("units", shape, tuple(flat_of.output_shape[1:]))
                    panel = self.new_panel(columns=8, gap=2)
                else:
                    # a heatmap stretched to its rectangle (rarely square)
                    self._shapes[name] = ("matrix", shape)
                    panel = self.new_panel(labels=None, lock_aspect=False)
            panel.set_titles([f"ΔW {info.name}"])
            self.panels[name] = panel
        self.apply_fonts()

    # -- drawing ------------------------------------------------------------------------------
    def draw(self, d) -> None:
        """Show the weight changes of step detail ``d``."""
        self._detail = d
        for name, panel in self.panels.items():
            levels = self._draw_panel(name)
            how = self._shapes[name]
            layer = name.split(".")[0]
            if how[0] in ("filters", "table"):
                c_out, c_in, k, _ = how[1]
                what = (f"{c_out} filters {k}x{k}" if c_in == 1 else
                        f"{c_out} x {c_in} kernels: column = output channel, row = input")
            elif how[0] == "units":
                h, w = how[2]
                what = f"each of {how[1][0]} units' {h}x{w} weights"
            else:
                what = f"{how[1][0]} units x {how[1][1]} inputs: one row per unit"
            panel.set_titles([f"ΔW {layer} ({what}), scale {scale_text(levels)}",
                              f"ΔW {layer}, scale {scale_text(levels)}", f"ΔW {layer}"])
        self.arrange()
        parts = [f"{name} {np.abs(d.delta(name)).max():.2g}" for name in d.params_after]
        self.set_caption(
            "ΔW = W after − W before, each panel on its own scale symmetric around 0 "
            "(red: the weight grew, blue: it shrank). Largest |ΔW| per parameter: "
            + ", ".join(parts) + ".",
            "ΔW = W after − W before (red: grew, blue: shrank), each on its own scale.")

    def _draw_panel(self, name: str) -> tuple[float, float]:
        """Give weight ``name``'s panel the step's ΔW (every page; a table in its blocks'
        order) on the whole layer's symmetric scale; returns that scale."""
        delta = np.asarray(self._detail.delta(name), np.float32)
        levels = symmetric_levels(delta)          # all pages: the same colour, the same value
        how, panel = self._shapes[name], self.panels[name]
        if how[0] in ("filters", "table"):
            c_out, c_in, k, _ = delta.shape
            # row = input channel, column = output channel: a wide table, like the panel
            maps = delta.transpose(1, 0, 2, 3).reshape(c_in * c_out, k, k)
            panel.set_maps(maps[self._blocks[name].order()] if how[0] == "table" else maps,
                           levels)
        elif how[0] == "units":
            panel.set_maps(delta.reshape(-1, *how[2]), levels)
        else:
            panel.set_maps(delta[None], levels)
        return levels

    def shown(self, name: str, page: int | None = None) -> np.ndarray:
        """The ΔW drawn for weight ``name``, read back from its panel, shaped like it: page
        ``page`` (NaN where another page shows the weight), or every page (None). The page
        shown is turned back after reading."""
        if name not in self.panels:
            raise KeyError(f"no weight {name!r}; have {', '.join(self.panels)}")
        panel, how = self.panels[name], self._shapes[name]
        shown = np.full(how[1], np.nan, np.float32)
        now = panel.page
        for p in range(panel.pages) if page is None else [page]:
            panel.set_page(p)
            maps, start = panel.shown_maps(), panel.page_start
            index = np.arange(start, start + len(maps))
            if how[0] == "matrix":
                shown[...] = maps[0]
            elif how[0] == "units":
                shown[index] = maps.reshape(len(maps), -1)
            elif how[0] == "filters":
                shown[index, 0] = maps
            else:                                   # a table: row = input, column = output
                cells = self._blocks[name].order()[index]
                c_out = how[1][0]
                shown[cells % c_out, cells // c_out] = maps
        panel.set_page(now)
        return shown

    def levels(self, name: str) -> tuple[float, float]:
        return self.panels[name].levels()

    def clear(self) -> None:
        self._detail = None
        for panel in self.panels.values():
            panel.image.clear()
        self.hide_panels(self.panels.values())
        self.set_caption(" ")

    def apply_fonts(self) -> None:
        for panel in self.panels.values():
            panel.set_title_size(self.title_size())
        self.arrange()

    # -- layout -------------------------------------------------------------------------------
    def _options(self, name: str, per_page: int | None) -> list[Option]:
        """``name``'s panel's options for ``per_page`` tiles a page (a matrix: its shapes)."""
        panel, how, font = self.panels[name], self._shapes[name], self.font()
        if how[0] == "matrix":
            # a heatmap stretches to any shape: a few, up to its own aspect (within 0.5..3)
            units, inputs = how[1]
            own = float(np.clip(inputs / units, 0.5, 3.0))
            aspects = sorted({a for a in (0.5, 1.0, 2.0) if a < own} | {own})
            # scored by the area a weight gets: sqrt(w * h / (units * inputs)) per weight
            return [Option(None, a, float(np.sqrt(units * inputs / a)),
                           extra_w=panel.bar_width(font)) for a in aspects]
        if how[0] == "table":          # a block of whole kernels: one column per output channel
            c_out, c_in = how[1][:2]
            blocks = block_sizes(c_in, c_out).get(per_page, [(c_in, c_out)])
            return panel.options([cols for _, cols in blocks], font, count=per_page, ragged=True)
        return panel.options(FILTER_COLUMNS, font, count=per_page,
                             ragged=per_page < panel.count)

    def _paging(self) -> tuple[dict, dict, dict]:
        """``(sizes, map_shapes, floors)`` of the panels that may page (not a matrix): the
        page sizes to choose from (largest first), a tile's ``(H, W)``, its floor in px."""
        sizes, shapes, floors = {}, {}, {}
        for name, how in self._shapes.items():
            if how[0] == "table":
                c_out, c_in, k, _ = how[1]
                sizes[name], shapes[name] = list(block_sizes(c_in, c_out)), (k, k)
                floors[name] = KERNEL_TILE_PX
            elif how[0] in ("filters", "units"):
                count = how[1][0]
                sizes[name] = page_sizes(count)
                shapes[name] = how[1][2:] if how[0] == "filters" else how[2]
                floors[name] = MAP_TILE_PX
        return sizes, shapes, floors

    def _set_pages(self, per_page: dict[str, int]) -> None:
        """Page every paged panel by ``per_page`` (a table: in the block its placement chose),
        keeping the first kernel or channel shown now on the page shown."""
        for name, n in per_page.items():
            panel = self.panels[name]
            if self._shapes[name][0] != "table":
                panel.set_page_size(n if n < panel.count else None)
                continue
            c_out, c_in = self._shapes[name][1][:2]
            cols = self.placements[name].value if name in self.placements else c_out
            blocks, old = KernelBlocks(c_in, c_out, n // cols, cols), self._blocks[name]
            if blocks != old:
                first = old.origin(panel.page_start)
                self._blocks[name] = blocks
                panel.pager.page_size = blocks.page_size if blocks.pages > 1 else None
                panel.pager.page = blocks.page_of(*first)
                self._draw_panel(name)              # the table in the new blocks' order

    def arrange(self, *_args) -> None:
        """Choose the pages and place the panels and their colour bars for the canvas's size
        (the layout search only when the size, the font or the titles' height changed: not
        at every Step)."""
        size = self.canvas.size()
        if self._detail is None or not self.panels or size.width() < 20 or size.height() < 20:
            return
        title_px = max(p.title_px() for p in self.panels.values())
        if not self.layout_changed(round(title_px, 1)) and self.placements:
            return
        names = list(self.panels)
        convs = [n for n in names if self._shapes[n][0] in ("filters", "table")]
        dense = [n for n in names if n not in convs]
        templates = [[names], [[n] for n in names]]
        if convs and dense:
            templates.append([convs, dense])
        if len(names) > 2:
            half = (len(names) + 1) // 2
            templates.append([names[:half], names[half:]])
        sizes, shapes, floors = self._paging()
        # pixels per data pixel for tiles at their floor: placements that keep every tile
        # readable win (fit_layout.arrange)
        least = {n: floors[n] * RANGE_PADDING / min(shapes[n]) for n in sizes}

        def layout_for(per_page):
            options = {n: self._options(n, per_page.get(n)) for n in names}
            return options, arrange(size.width(), size.height(), templates, options,
                                    title_px=title_px, spacing=8, least=least)

        (_, self.placements), per_page = readable_layout(sizes, layout_for, shapes,
                                                         floor=floors, jump=True)
        self._set_pages(per_page)
        self.show_placed(self.panels[name] for name in self.placements)   # before laying out
        for name, place in self.placements.items():
            self.panels[name].place(place, self.font())
