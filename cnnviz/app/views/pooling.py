"""Pooling: which pixel of every window won, for every pool layer of the network.

One panel per pool layer (``explain.map_groups``, read from ``net.describe()``), each showing
the maps the pool reads (its input, e.g. conv + ReLU) with every window's winner marked, in
one of three modes:

* ``map``: the pre-pool activations (viridis);
* ``mask``: the winners alone (orange on dark grey);
* ``overlay``: the map in grey with the winners tinted orange.

Average pooling has no winner: every pixel of a window counts 1/4 and gets 1/4 of the
gradient back. Its panel shows the pre-pool maps (in every mode) and says so; hovering
outlines the window. A layer of many channels pages (◀ ▶ beside its title): into the fewest
pages (``paging.readable_layout``, at most ``paging.MOST_PAGES``) whose tiles are at least
``paging.MIN_TILE_PX`` a side at the view's size. A network with no pool layer says that
instead of showing empty panels.

Images are composed as RGBA mosaics in NumPy. ``displayed_mask(layer)`` decodes the
winners back from the very array drawn (a winner is the only pixel whose red and blue
differ), so a test can compare what the user sees with the engine's mask.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...explain.map_groups import MapGroup, layer_input, pool_groups
from ..fit_layout import arrange, row_templates, within_budget
from ..image_panel import ACTIVATION_CMAP, FitCanvas, colormap
from ..live_view import LiveRefresh
from ..mosaic import range_levels, tile
from ..mosaic_panel import MosaicBarPanel, page_size_for
from ..paging import MIN_TILE_PX, RANGE_PADDING, overview_page_sizes, readable_layout

MODES = ("overlay", "map", "mask")
WINNER = np.array([255, 140, 0], np.float32)     # orange
LOSER_GREY = 45                                  # mask mode: non-winners
COLUMN_CHOICES = (2, 4, 5, 7, 8, 10, 13, 17, 20)
CAPTION = ("Max pooling keeps the largest value of each window: the marked <b>winner</b>. "
           "In backprop the gradient flows back only through the winners; the other pixels "
           "of each window get zero.")
AVG_CAPTION = ("Average pooling has no winner: each output is the mean of its window, so "
               "every pixel of the window gets an equal share of the gradient.")
NO_POOL = "This network has no pooling layers: {why}"


class PoolingView(LiveRefresh, QWidget):
    """Every pool layer: its input maps with each window's argmax marked (max pooling)."""

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self._lut = colormap(ACTIVATION_CMAP).getLookupTable(nPts=256, alpha=False)
        self._masks: dict[str, np.ndarray] = {}      # layer -> (C, H, W) bool winners
        self._maps: dict[str, np.ndarray] = {}       # layer -> (C, H, W) pre-pool maps
        self._arch: str | None = None
        self.pools: dict[str, MapGroup] = {}
        self.panels: dict[str, MosaicBarPanel] = {}
        self.placements: dict = {}

        self.mode_box = QComboBox()
        self.mode_box.addItems(MODES)
        self.mode_box.setToolTip("map: the activations; mask: the winners; overlay: both")
        self.mode_box.currentTextChanged.connect(lambda _mode: self.refresh())
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Show:"))
        controls.addWidget(self.mode_box)
        controls.addStretch(1)

        self.graphics = pg.GraphicsView(background="k")
        self.canvas = FitCanvas(self.arrange)
        self.graphics.setCentralItem(self.canvas)
        self.caption = QLabel(CAPTION)
        self.caption.setWordWrap(True)
        self.status = QLabel(" ")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.caption)
        layout.addWidget(self.status)

        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.graphics.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        state.traceChanged.connect(self.schedule_refresh)
        state.modelChanged.connect(self.schedule_refresh)
        self.schedule_refresh()

    @property
    def mode(self) -> str:
        return self.mode_box.currentText()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown pooling display mode {mode!r}; choose one of {MODES}")
        self.mode_box.setCurrentText(mode)

    # -- the pool layers of this network -------------------------------------------------------
    def _build(self) -> None:
        for panel in self.panels.values():
            panel.remove()
        self.panels, self._maps, self._masks, self.placements = {}, {}, {}, {}
        describe = self.state.net.describe()
        self._arch = self.state.net.arch
        self.pools = {g.key: g for g in pool_groups(describe)}
        self._inputs = {key: layer_input(describe, key) for key in self.pools}
        for key, group in self.pools.items():
            page = page_size_for(*_pre_pool_shape(describe, self._inputs[key]))
            panel = MosaicBarPanel(None, colour_bar=False, page_size=page)
            panel.set_titles(_titles(group, self._inputs[key]))
            panel.set_parent(self.canvas)
            panel.pageChanged.connect(self.arrange)      # the last page may hold fewer maps
            self.panels[key] = panel
        kinds = {g.pool_kind for g in self.pools.values()}
        if not self.pools:
            has_conv = any(layer.kind == "conv" for layer in describe)
            why = ("its convolutions shrink the maps with their stride instead." if has_conv
                   else "it has no convolution layers either, so no maps to pool.")
            self.caption.setText(NO_POOL.format(why=why))
        else:
            self.caption.setText(" ".join(text for kind, text in
                                          (("maxpool", CAPTION), ("avgpool", AVG_CAPTION))
                                          if kind in kinds))
        self.mode_box.setEnabled("maxpool" in kinds)
        self.graphics.setVisible(bool(self.pools))       # no pools: the caption says why

    # -- layout --------------------------------------------------------------------------
    def arrange(self, *_args) -> None:
        size = self.canvas.size()
        if not self.panels or not self._maps or size.width() < 20 or size.height() < 20:
            return
        templates = row_templates(list(self.panels), 3)
        title_px = max(panel.title_px() for panel in self.panels.values())
        shapes = {key: self._maps[key].shape for key in self.panels}        # (C, H, W)
        sizes = {key: overview_page_sizes(shape[0], page_size_for(*shape))
                 for key, shape in shapes.items()}
        # pixels per data pixel for tiles MIN_TILE_PX a side
        least = {key: MIN_TILE_PX * RANGE_PADDING / min(shape[1:])
                 for key, shape in shapes.items()}

        def layout_for(per_page):
            options = within_budget(
                {key: panel.options(COLUMN_CHOICES, self.font(), count=per_page[key],
                                    ragged=per_page[key] < shapes[key][0])
                 for key, panel in self.panels.items()}, len(templates))
            return options, arrange(size.width(), size.height(), templates, options,
                                    title_px=title_px, spacing=10, least=least)

        map_shapes = {key: shape[1:] for key, shape in shapes.items()}
        (_, self.placements), per_page = readable_layout(sizes, layout_for, map_shapes)
        for key, n in per_page.items():
            self.panels[key].set_page_size(n if n < shapes[key][0] else None)
        for key, place in self.placements.items():
            self.panels[key].place(place, self.font())

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.arrange()

    # -- refresh -------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.state.net.arch != self._arch:
            self._build()
        trace = self.state.trace
        first = not self._maps
        for key, group in self.pools.items():
            self._maps[key] = trace[self._inputs[key]].output[0]        # (C, H, W) pre-pool
            mask = trace[key].mask
            self._masks[key] = mask[0] if mask is not None else None
            self._draw(key)
        if first:
            self.arrange()

    def _draw(self, key: str) -> None:
        """Draw ``key``'s maps (the panel's current page) as an RGBA composition."""
        maps, mask = self._maps[key], self._masks[key]
        levels = range_levels(maps)
        mode = self.mode if mask is not None else "map"

        def render(start: int, stop: int, layout) -> np.ndarray:
            values = tile(maps[start:stop], layout)
            winners = (tile(mask[start:stop].astype(np.float32), layout) if mask is not None
                       else np.zeros_like(values))
            return self._compose(values, winners, levels, mode)
        self.panels[key].set_maps(maps, levels, render=render)

    def _compose(self, values: np.ndarray, mask: np.ndarray, levels, mode: str) -> np.ndarray:
        """``(H, W, 4)`` uint8 for ``mode``; gaps (NaN) are transparent."""
        gaps = np.isnan(values)
        lo, hi = levels
        scaled = np.clip((np.nan_to_num(values, nan=lo) - lo) / (hi - lo), 0, 1)
        winners = mask > 0.5
        rgba = np.empty(values.shape + (4,), np.uint8)
        if mode == "map":
            rgba[..., :3] = self._lut[(scaled * 255).astype(np.uint8)]
        else:
            if mode == "mask":
                rgb = np.full(values.shape + (3,), LOSER_GREY, np.float32)
            else:
                # zero stays dark grey, not black, so tiles stand out from the background
                rgb = np.repeat((30 + scaled * 225)[..., None], 3, axis=2)
            # a winner: the orange tint blended with its value; red != blue marks it
            tinted = 0.45 * rgb[winners] + 0.55 * WINNER if mode == "overlay" else WINNER
            rgb[winners] = tinted
            rgba[..., :3] = np.round(rgb).astype(np.uint8)
        rgba[..., 3] = np.where(gaps, 0, 255)
        return rgba

    # -- for tests and the inspector ---------------------------------------------------------
    def displayed_mask(self, layer: str) -> np.ndarray:
        """``(C, H, W)`` bool: the winners drawn on the current page (decoded from the image).

        In ``map`` mode no winners are drawn; the engine's mask for the page is returned.
        """
        panel = self.panels[layer]
        if self.mode == "map" or self._masks[layer] is None:
            mask = self._masks[layer]
            return None if mask is None else mask[panel.page_start:panel.page_stop]
        rgba = panel.panel.untile(panel.image.image)           # (C, H, W, 4)
        return rgba[..., 0] != rgba[..., 2]

    def _on_mouse_moved(self, scene_pos) -> None:
        for key, panel in self.panels.items():
            found = panel.locate(scene_pos)
            panel.highlight(None)
            if found is None:
                continue
            channel, row, col = found
            group = self.pools[key]
            k, s = group.kernel, group.stride
            top, left = row // s * s, col // s * s
            value = self._maps[key][channel, row, col]
            panel.highlight([channel], top, left, k)
            where = (f"{self._inputs[key]} (read by {key}) · channel {channel} · "
                     f"(row {row}, col {col}) = {value:.4g} · ")
            mask = self._masks[key]
            if mask is None:
                what = (f"one of the {k * k} pixels averaged by its {k}x{k} window: "
                        f"it gets 1/{k * k} of the gradient")
            elif mask[channel, row, col]:
                what = "winner: the gradient flows back here"
            else:
                what = f"not the max of its {k}x{k} window: gets no gradient"
            self.status.setText(where + what)

    def _on_mouse_clicked(self, event) -> None:
        """A click on a map selects that pool layer's channel (the channel card shows it)."""
        for key, panel in self.panels.items():
            found = panel.locate(event.scenePos())
            if found is not None:
                self.state.select_channel(key, found[0])
                return


def _pre_pool_shape(describe, name: str) -> tuple[int, int, int]:
    return next(tuple(layer.output_shape) for layer in describe if layer.name == name)


def _titles(group: MapGroup, reads: str) -> list[str]:
    k = group.kernel
    if group.pool_kind == "maxpool":
        return [f"{group.key}: {reads}, {k}x{k} winners", f"{group.key} winners", group.key]
    return [f"{group.key}: {reads}, {k}x{k} averages (no winner)", f"{group.key} (average)",
            group.key]
