"""Activations of the probe digit, layer by layer, with the current weights (live).

The pictures come from ``explain.map_groups`` (read from ``net.describe()``), so any network
works: the input, each conv layer after its activation, each pool, every hidden dense layer
(its units as a near-square grid) and the class probabilities (bars). Each group has its own
levels, so channels within a layer compare. A layer of many maps pages (◀ ▶ beside its title)
instead of shrinking to dots: into the fewest pages (``paging.readable_layout``, as the step
explainer's gradient maps) whose tiles are at least ``OVERVIEW_TILE_PX`` a side at the view's
size, and never more maps a page than ``mosaic_panel.PAGE_PIXELS`` data pixels. A small dock
pages more (LeNet in a 1280x720 window: pool2 in pages of 6 maps, not 4 pages of dots), and
every panel keeps the width its title row needs: the layer's name beside the arrows.

Hovering a pixel names its layer, channel, (row, col) and value, and outlines where it comes
from: a conv pixel's KxK receptive field on the conv's input maps (all their channels; with
padding the window can reach past the border: the outline is clipped and the status says how
many of its pixels are zero padding), a pool pixel's window on the same channel. Clicking a
conv pixel emits ``pixelClicked(conv layer, channel, row, col)`` (the convolution explainer
listens); clicking any map or unit also selects its channel (``state.select_channel``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QRectF, Qt, pyqtSignal
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...explain.map_groups import MapGroup, input_window, map_groups
from ..fit_layout import Option, arrange_with_title_room, row_templates, within_budget
from ..image_panel import GREY_CMAP, FitCanvas
from ..live_view import LiveRefresh
from ..mosaic import range_levels
from ..mosaic_panel import MosaicBarPanel, page_size_for
from ..paging import RANGE_PADDING, page_sizes, readable_layout
from ..prob_bars import ProbBars, ProbRoom

PROB_ASPECT = 1.4           # width / height of the probability bars' plot
PROBS = "probs"             # layout key of the probability plot
# mosaic column counts to choose from (whichever fits the widget's shape best)
COLUMN_CHOICES = (2, 4, 5, 7, 8, 10, 13, 17, 20, 25)
#: Pixels a side a map tile gets at least before its layer pages. Smaller than the
#: inspector's ``paging.MIN_TILE_PX``: this view shows every layer at once (LeNet's 50 pool2
#: maps of 4x4 come out ~17 px at 1920x1080, on one page).
OVERVIEW_TILE_PX = 16
#: Layouts ``readable_layout`` may try per resize (each ~10 ms): LeNet in the 427x278 dock
#: of a 1280x720 window needs 7 to page conv2 and pool2 down to readable tiles.
LAYOUT_ROUNDS = 12
TITLE_ROUNDS = 3        # layouts at most to give every title row its room (per page size)
PAGED_KINDS = ("conv", "pool")      # the groups that page (the input and dense ones never do)
NO_CONV_NOTE = ("This network has no convolution layers: its first dense layer reads {what} "
                "as one vector of {n} values, so there are no learned feature maps to show.")


def _no_conv_note(describe) -> str:
    """What the first dense layer of a conv-less network reads: the input's 784 pixels, or
    fewer after a pool (``relu avgpool fc10`` reads 196)."""
    dense = next(info for info in describe if info.kind == "dense")
    n = int(np.prod(dense.input_shape))
    size = int(np.prod(describe[0].output_shape))
    what = "the input" if n == size else "the pooled input"
    return NO_CONV_NOTE.format(what=what, n=n)


@dataclass
class Group:
    """One picture of the view: ``info`` (what it shows, from ``map_groups``) and ``card``
    (the panel drawing it; ``panel`` is its ``MosaicPanel``)."""

    info: MapGroup
    card: MosaicBarPanel

    @property
    def key(self) -> str:
        return self.info.key

    @property
    def caption(self) -> str:
        return self.info.caption

    @property
    def trace_name(self) -> str:
        return self.info.trace_name

    @property
    def panel(self):
        return self.card.panel


class ActivationsView(LiveRefresh, QWidget):
    """Feature maps of the probe digit for every layer, plus its class probabilities."""

    pixelClicked = pyqtSignal(str, int, int, int)    # conv layer name, channel, row, col

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self._maps: dict[str, np.ndarray] = {}      # key -> (C, H, W) or (N,) last drawn
        self._arch: str | None = None
        self.groups: dict[str, Group] = {}
        self.placements: dict = {}

        # panels are placed by hand (``arrange``): mosaic columns and row heights follow the
        # widget's shape, so the maps fill the view and every title sits on its maps
        self.graphics = pg.GraphicsView(background="k")
        self.canvas = FitCanvas(self.arrange)
        self.graphics.setCentralItem(self.canvas)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.hide()
        self.status = QLabel("Hover a pixel to see its value; click a conv pixel to explain it.")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.status)
        self.prob_plot = ProbBars(on_restyled=self._check_prob_room)
        self.prob_plot.setParentItem(self.canvas)
        self.bars = self.prob_plot.bars
        self._placed_room: ProbRoom | None = None     # the plot's room when last arranged
        self._build()

        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.graphics.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        state.traceChanged.connect(self.schedule_refresh)
        state.modelChanged.connect(self.schedule_refresh)
        self.pixelClicked.connect(state.select_pixel)
        self.schedule_refresh()

    # -- the groups of this network ----------------------------------------------------------
    def _build(self) -> None:
        """One panel per picture of ``state.net`` (again when the architecture changes)."""
        for group in self.groups.values():
            group.card.remove()
        self.groups, self._maps, self.placements = {}, {}, {}
        describe = self.state.net.describe()
        self._arch = self.state.net.arch
        for info in map_groups(describe):
            if info.kind == "probs":
                self._classes = info.shape[0]
                continue
            card = self._card(info)
            card.set_titles(_titles(info))
            card.set_parent(self.canvas)
            card.pageChanged.connect(self._on_page)
            self.groups[info.key] = Group(info, card)
        has_conv = any(g.info.kind == "conv" for g in self.groups.values())
        self.note.setText("" if has_conv else _no_conv_note(describe))
        self.note.setVisible(not has_conv)
        self.prob_plot.set_classes(self._classes)

    @staticmethod
    def _card(info: MapGroup) -> MosaicBarPanel:
        if info.kind == "input":
            return MosaicBarPanel(GREY_CMAP, labels=None, colour_bar=False)
        if info.kind == "dense":
            return MosaicBarPanel("viridis", labels=None, colour_bar=False)
        return MosaicBarPanel("viridis", colour_bar=False, page_size=page_size_for(*info.shape))

    # -- layout --------------------------------------------------------------------------
    def _options(self, per_page: dict[str, int], room: ProbRoom) -> dict[str, list[Option]]:
        """Each panel's options; a paged group's for ``per_page[key]`` maps a page; the
        probability plot's for ``room``."""
        font = self.font()
        options = {}
        for key, group in self.groups.items():
            if group.info.kind not in PAGED_KINDS:
                options[key] = group.card.options((1,), font)
            else:
                n = per_page[key]
                options[key] = group.card.options(COLUMN_CHOICES, font, count=n,
                                                  ragged=n < group.info.shape[0])
        options[PROBS] = [Option(None, PROB_ASPECT, 1.0, extra_w=room.extra_w(PROB_ASPECT))]
        return options

    def prob_room(self) -> ProbRoom:
        """The room the probability plot needs now: from the fonts and whether its title
        names the true label (the title's form), never from the digit shown."""
        return self.prob_plot.room(self.font())

    def arrange(self, *_args) -> None:
        """Choose every layer's maps per page and place every panel for the canvas's current
        size (``paging.readable_layout`` over ``fit_layout.arrange``: a few layouts at most).
        A function of the size, the fonts, the map shapes and ``prob_room()``: not of what
        was shown or arranged before."""
        size = self.canvas.size()
        if not self.groups or not self._maps or size.width() < 20 or size.height() < 20:
            return
        room = self.prob_room()
        self.prob_plot.fit(room)
        self._placed_room = room
        keys = list(self.groups) + [PROBS]
        templates = row_templates(keys, 4)
        title_px = max(g.card.title_px() for g in self.groups.values())
        weights = {k: 0.3 if g.info.kind == "input" else 0.5 if g.info.kind == "dense" else 1.0
                   for k, g in self.groups.items()}
        weights[PROBS] = 0.4
        paged = {k: g.info.shape for k, g in self.groups.items() if g.info.kind in PAGED_KINDS}
        sizes = {k: page_sizes(shape[0], page_size_for(*shape))
                 for k, shape in paged.items()}
        # pixels per data pixel for tiles OVERVIEW_TILE_PX a side
        least = {k: OVERVIEW_TILE_PX * RANGE_PADDING / min(shape[1:])
                 for k, shape in paged.items()}
        least[PROBS] = room.least_h        # its axis labels apart, its title whole

        def layout_for(per_page):
            choices = within_budget(self._options(per_page, room), len(templates))
            # a paged layer in a narrow column (two tiles wide) had no room for its name
            # beside the arrows: its panel gets the width its title row needs
            need = {k: g.card.min_title_width(per_page.get(k), page_range=False)
                    for k, g in self.groups.items()}
            need[PROBS] = 0.0

            def widened(widen):
                return {k: [replace(o, extra_w=o.extra_w + widen.get(k, 0.0)) for o in opts]
                        for k, opts in choices.items()}
            return arrange_with_title_room(size.width(), size.height(), templates, widened,
                                           need, rounds=TITLE_ROUNDS, title_px=title_px,
                                           spacing=8, titled=set(self.groups),
                                           weights=weights, least=least, must={PROBS})

        map_shapes = {key: shape[1:] for key, shape in paged.items()}
        (_, self.placements), per_page = readable_layout(sizes, layout_for, map_shapes,
                                                         floor=OVERVIEW_TILE_PX, jump=True,
                                                         rounds=LAYOUT_ROUNDS)
        for key, n in per_page.items():
            self.groups[key].card.set_page_size(n if n < paged[key][0] else None)
        for key, place in self.placements.items():
            if key == PROBS:
                rect = QRectF(*place.rect)
                # its title may be wider than the bars: keep it inside the view
                over = rect.left() + max(rect.width(), room.least_w) - size.width()
                rect.translate(-max(0.0, over), 0)
                self.prob_plot.place(rect)
            else:
                self.groups[key].card.place(place, self.font())

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.arrange()

    def _on_page(self, _page: int) -> None:
        self.arrange()                      # the last page may hold fewer maps

    # -- refresh -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw every group from ``state.trace`` (cheap: one setImage per group)."""
        if self.state.net.arch != self._arch:
            self._build()
        trace = self.state.trace
        first = not self._maps
        for key, group in self.groups.items():
            values = trace[group.trace_name].output[0]
            self._maps[key] = values
            if group.info.kind == "dense":
                rows, cols = _grid_shape(values.size)
                grid = np.full(rows * cols, np.nan, np.float32)
                grid[:values.size] = values
                group.card.set_maps(grid.reshape(1, rows, cols), range_levels(values))
            else:
                levels = (0.0, 1.0) if group.info.kind == "input" else range_levels(values)
                group.card.set_maps(values, levels)
        self.prob_plot.set_probabilities(self.state.probabilities, self.state.probe_label)
        # a new title needs other room only if its form (or a font) changed: no layout per
        # training snapshot, and one at once when a probe with a true label replaces a drawing
        if first or not self.placements:
            self.arrange()
        else:
            self._check_prob_room()

    def _check_prob_room(self) -> None:
        """Arrange again if the probability plot needs other room than it was placed in."""
        if self.placements and self.prob_room() != self._placed_room:
            self.arrange()

    # -- hover and click -------------------------------------------------------------------
    def hit(self, scene_pos) -> tuple[str, int, int, int] | None:
        """``(group key, channel, row, col)`` under a scene position (a dense layer:
        channel = unit, row and col its place in the grid)."""
        for key, group in self.groups.items():
            found = group.card.locate(scene_pos)
            if found is None:
                continue
            if group.info.kind == "dense":
                _, r, c = found
                unit = r * _grid_shape(self._maps[key].size)[1] + c
                if unit >= self._maps[key].size:
                    return None
                return key, unit, r, c
            return (key, *found)
        return None

    def _on_mouse_moved(self, scene_pos) -> None:
        found = self.hit(scene_pos)
        for group in self.groups.values():
            group.card.highlight(None)
        if found is None:
            return
        key, channel, row, col = found
        group = self.groups[key]
        if group.info.kind == "dense":
            self.status.setText(f"{group.caption} · unit {channel}: {self._maps[key][channel]:.4g}")
            return
        value = self._maps[key][channel, row, col]
        text = f"{group.caption} · channel {channel} · (row {row}, col {col}) = {value:.4g}"
        info = group.info
        if info.source in self.groups and info.kernel is not None:
            text += " · " + self._outline_source(info, channel, row, col)
        group.card.highlight([channel], row, col, 1)
        self.status.setText(text)

    def _outline_source(self, info: MapGroup, channel: int, row: int, col: int) -> str:
        """Outline where pixel ``(row, col)`` of ``info`` comes from; the status text for it."""
        source = self.groups[info.source]
        _, h, w = source.info.shape
        win = input_window(info, row, col, h, w)
        top, left, k = win.full
        tiles = "all" if info.kind == "conv" else [channel]
        if info.kind == "pool":
            source.card.show_index(channel)
        source.card.highlight(tiles, win.top, win.left, win.height, win.width)
        where = f"{k}x{k} at rows {top}..{top + k - 1}, cols {left}..{left + k - 1} of {info.source}"
        if info.kind == "conv":
            pad = f" ({win.padded} of its {k * k} pixels are zero padding)" if win.padded else ""
            return f"receptive field: {where}{pad}"
        what = "max" if info.pool_kind == "maxpool" else "average"
        return f"{what} of the {where}"

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        found = self.hit(event.scenePos())
        if found is None:
            return
        group = self.groups[found[0]]
        if group.info.kind != "input":           # the channel card follows
            self.state.select_channel(group.trace_name, found[1])
        if group.info.kind == "conv":
            self.pixelClicked.emit(*found)


def _titles(info: MapGroup) -> list[str]:
    """Titles longest first (the longest that fits is shown)."""
    if info.kind in ("input", "dense"):
        return [info.caption, info.key]
    c, h, w = info.shape
    return [f"{info.caption} ({c} × {h}x{w})", info.caption, info.key]


def _grid_shape(n: int) -> tuple[int, int]:
    """``(rows, cols)`` for ``n`` units: the most square exact factorisation, else ~sqrt."""
    for rows in range(int(np.sqrt(n)), 0, -1):
        if n % rows == 0 and n // rows <= 2 * rows:
            return rows, n // rows
    cols = int(np.ceil(np.sqrt(n)))
    return int(np.ceil(n / cols)), cols
