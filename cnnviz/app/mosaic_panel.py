"""One reusable "title + mosaic + colour bar" panel, with paging for layers of many channels.

``MosaicBarPanel`` is what the filters, activations, pooling, saliency and one-step
explainer views (any view that shows a stack of maps, or one map, with a scale) place on
their ``FitCanvas``::

    panel = MosaicBarPanel(DIVERGING_CMAP, page_size=32)      # None: never page
    panel.set_parent(canvas)                                  # a FitCanvas / GraphicsWidget
    conv = next(l for l in net.describe() if l.kind == "conv")
    panel.set_titles([f"{conv.name} filters (20 x 5x5)", f"{conv.name} filters", conv.name])
    panel.set_maps(weights, levels=(-0.4, 0.4))               # weights (K, H, W)
    # in the view's arrange(): options for fit_layout.arrange, then the chosen placement
    options = {"filters": panel.options((2, 4, 5, 10), font)}
    place = arrange(w, h, [[["filters"]]], options, title_px=panel.title_px())["filters"]
    panel.place(place, font)

* The maps draw as ONE mosaic image (``image_panel.MosaicPanel``: one ImageItem per panel,
  channel numbers above the tiles or row/column numbers for a table).
* The colour bar (optional, a ``scale_bar.ScaleBar``) sits right of the mosaic and spans
  exactly its content height; its tick labels get the width the widest expected one
  (``tick_sample``, e.g. ``"-0.25"``, or ``"-5e-05"`` for gradients) needs, and a bar too
  short for three labels shows one, the scale ("±0.4"), instead of a pile-up.
* The title is the longest of ``set_titles``' candidates that fits the panel's width, measured
  in the size it is drawn in (``set_title_size``, or presentation mode's); if none fits, the
  shortest drawn smaller (``label_fit.fit_label``): a title never reaches into the colour bar.
* One map (``set_maps(m[None], ...)``, ``labels=None``) is drawn as it is, at data
  coordinates ``(0, 0)-(W, H)``: overlays (paths, another image) can be added to ``box``;
  ``lock_aspect=False`` stretches it to its rectangle (a weight matrix).
* Paging: with ``page_size`` set and more maps than that, only one page of tiles is drawn,
  the title ends with `` · 32–63 of 64`` and ◀ ▶ arrows sit at the right end of the title
  row: clicking them, or Tab to them and Enter / Left / Right (``paging.PagerArrow``), or
  ``next_page()``, ``set_page(i)``, ``show_index(tile)`` turns the page and emits
  ``pageChanged(page)``. A narrow title drops its extra words, then the count, never the
  layer's name (``title_candidates``: the shortest title given must be the name);
  ``page_label`` and ``grid_origin`` let an owner name its pages (a table paged in blocks). A tile keeps its global index everywhere: its label,
  ``locate()``, ``tile_of()``, ``tile_pixel_to_scene()`` and ``highlight()`` all speak global
  indices (``page_start``/``page_stop`` bound the page shown; ``shown_maps()`` decodes it
  from the drawn image). For a table (``labels="grid"``) give ``page_size`` as a whole number
  of rows (``rows_per_page * columns``): the row labels then count on from page to page.
  ``page_size_for(count, h, w)`` is the app's rule for activation maps (``PAGE_PIXELS``);
  ``set_page_size(n)`` re-pages for the widget's size (``paging.readable_page_size``), and
  the counting itself is a ``paging.Pager`` (``panel.pager``), shared with other paged rows.
* ``set_maps(..., render=fn)`` draws a page you compose yourself (e.g. RGBA winners of a
  max-pool) while the panel still pages, tiles and hit-tests; ``remove()`` takes the panel
  off its scene (a view rebuilt for another network).

Everything is in data coordinates of the mosaic; no pixel sizes are hard-coded except the
colour bar's width.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QObject, QRectF, pyqtSignal
from PyQt6.QtGui import QFont, QFontMetricsF

from .fit_layout import Option, Placement
from .image_panel import MosaicPanel, colormap
from .label_fit import fit_label, label_font
from .paging import Pager, pager_arrows
from .scale_bar import ScaleBar

#: A stack of maps pages when it holds more data pixels than this (32 maps of 28x28).
PAGE_PIXELS = 32 * 28 * 28


def page_size_for(count: int, height: int, width: int, budget: int = PAGE_PIXELS) -> int | None:
    """Maps per page for ``count`` maps of ``height x width`` (None: they fit on one page)."""
    if count * height * width <= budget:
        return None
    return max(4, budget // (height * width))


class MosaicBarPanel(QObject):
    """A titled mosaic of ``(K, H, W)`` maps with an optional colour bar and paging.

    ``cmap``: colour map name; ``labels``: ``"tiles"`` (channel numbers), ``"grid"`` (row and
    column numbers of a table) or None; ``columns``: mosaic column count (``place()`` sets it
    from the chosen option); ``gap``: pixels between tiles (None: room for the labels);
    ``colour_bar``: draw a colour bar; ``page_size``: tiles per page (None: all at once);
    ``tick_sample``: the widest tick label expected; ``lock_aspect``: square data pixels
    (False: the maps stretch to the rectangle they are placed in).
    """

    pageChanged = pyqtSignal(int)

    def __init__(self, cmap: str | None, labels: str | None = "tiles",
                 columns: int | None = None, gap: int | None = None, colour_bar: bool = True,
                 page_size: int | None = None, tick_sample: str = "-0.25",
                 lock_aspect: bool = True, parent=None) -> None:
        super().__init__(parent)
        self.panel = MosaicPanel("", cmap, columns=columns, gap=gap, labels=labels)
        self.panel.layout.setContentsMargins(0, 0, 0, 0)
        if not lock_aspect:
            self.panel.box.setAspectLocked(False)
        self.pager = Pager(page_size, self)
        self.pager.pageChanged.connect(self._on_page)
        self._maps: np.ndarray | None = None        # all maps (K, H, W), every page
        self._render = None
        self._labelled: tuple = (0, None)           # (page start, layout) labelled last
        self._levels = (0.0, 1.0)
        self._titles: list[str] = [""]
        self._title_room: float | None = None       # the title row's height at place()
        self._width = 0.0
        #: ``page_label(compact) -> str``: the page range in titles (None: ``Pager.text``)
        self.page_label = None
        #: ``grid_origin(page_start) -> (first row, first column)`` of a table's page (None:
        #: whole rows, ``(page_start // columns, 0)``); the grid labels count on from it
        self.grid_origin = None
        self.bar = ScaleBar(colormap(cmap or "viridis"), tick_sample) if colour_bar else None
        # the pager sits at the right end of the title row; hidden with one page
        self.prev_label, self.next_label = pager_arrows(self.pager)
        self._show_pager(False)

    # -- the items, for views that reach inside ------------------------------------------
    @property
    def box(self):
        return self.panel.box

    @property
    def image(self):
        return self.panel.image

    @property
    def title(self):
        return self.panel.title

    @property
    def mosaic(self):
        """The current page's ``MosaicLayout`` (None before the first ``set_maps``)."""
        return self.panel.mosaic

    @property
    def columns(self) -> int | None:
        return self.panel.columns

    @columns.setter
    def columns(self, value: int | None) -> None:
        self.panel.columns = value

    def set_parent(self, parent) -> None:
        """Put the panel (and its colour bar) on ``parent`` (a ``FitCanvas``)."""
        self.panel.layout.setParentItem(parent)
        for item in (self.bar, self.prev_label, self.next_label):
            if item is not None:
                item.setParentItem(parent)

    def remove(self) -> None:
        """Take the panel's items off their scene (a view rebuilt for another network)."""
        for item in (self.panel.layout, self.bar, self.prev_label, self.next_label):
            if item is not None and item.scene() is not None:
                item.scene().removeItem(item)

    def set_visible(self, on: bool) -> None:
        self.panel.layout.setVisible(on)
        if self.bar is not None:
            self.bar.setVisible(on)
        self._show_pager(on and self.pages > 1)

    # -- paging (``paging.Pager``) --------------------------------------------------------
    @property
    def count(self) -> int:
        """How many maps in all (every page)."""
        return 0 if self._maps is None else len(self._maps)

    @property
    def page_size(self) -> int | None:
        return self.pager.page_size

    @page_size.setter
    def page_size(self, value: int | None) -> None:
        self.pager.page_size = value

    @property
    def page(self) -> int:
        return self.pager.page

    @page.setter
    def page(self, value: int) -> None:
        self.pager.page = value

    pages = property(lambda self: self.pager.pages)
    page_start = property(lambda self: self.pager.page_start,
                          doc="Global index of the first tile shown.")
    page_stop = property(lambda self: self.pager.page_stop)

    def set_page(self, page: int) -> None:
        """Show page ``page`` (clamped to the pages there are)."""
        self.pager.set_page(page)

    def next_page(self) -> None:
        self.pager.next_page()

    def show_index(self, index: int) -> None:
        """Turn to the page holding global tile ``index``."""
        self.pager.show_index(index)

    def set_page_size(self, page_size: int | None) -> bool:
        """Page by ``page_size`` (None: everything on one page), keeping the first tile shown
        on the page; redraws and returns True if the tiles shown changed."""
        changed = self.pager.set_page_size(page_size)
        if changed:
            self._draw()
        self._update_title()
        return changed

    def _on_page(self, page: int) -> None:
        self._draw()
        self._update_title()
        self.pageChanged.emit(page)

    def _show_pager(self, on: bool) -> None:
        for label in (self.prev_label, self.next_label):
            label.setVisible(on and self.panel.layout.isVisible())

    # -- data ----------------------------------------------------------------------------
    def set_maps(self, maps: np.ndarray, levels, ticks=None, render=None) -> None:
        """Show ``maps (K, H, W)`` (the current page of them) with colour ``levels``.

        ``ticks``: the colour bar's ticks as for ``AxisItem.setTicks`` (None: automatic).
        ``render(start, stop, layout)``: draw the page yourself: return the image to show,
        e.g. an ``(H, W, 4)`` uint8 RGBA composition of ``maps[start:stop]`` tiled with
        ``layout`` (``mosaic.tile``); it is drawn as is (no levels).
        The panel keeps ``maps`` as given: pass a copy if the caller changes it in place.
        """
        self._render = render
        self._maps = np.asarray(maps)
        self._levels = tuple(float(v) for v in levels)
        self.pager.set_count(len(self._maps))
        self._draw()
        if self.bar is not None:
            self.bar.set_scale(self._levels, ticks)
        self._update_title()

    def set_colormap(self, cmap: str) -> None:
        """Draw the maps (and the colour bar) in colour map ``cmap``."""
        self.panel.image.setColorMap(colormap(cmap))
        if self.bar is not None:
            self.bar.setColorMap(colormap(cmap))

    def bar_ticks(self) -> list[tuple[str, QRectF]]:
        """``(text, scene rectangle)`` of every tick label the colour bar paints now."""
        return [] if self.bar is None else self.bar.drawn_ticks()

    def _draw(self) -> None:
        if self._maps is None:
            return
        start, stop = self.page_start, self.page_stop
        if self._render is None:
            self.panel.set_maps(self._maps[start:stop], self._levels)
        else:
            k, h, w = self._maps[start:stop].shape[:3]
            image = self._render(start, stop, self.panel.ensure_layout(k, h, w))
            self.panel.image.setLevels(None)
            self.panel.image.setImage(image, autoLevels=False)
        self._relabel_page()

    def _relabel_page(self) -> None:
        """Tile labels count on from the page's first global index (only when the page or
        the tiling changed: relabelling every refresh would re-lay out every label)."""
        start, m = self.page_start, self.panel.mosaic
        # the layout object itself is kept (not its id): a freed one's id could come back
        if m is None or (self._labelled[1] is m and self._labelled[0] == start):
            return
        self._labelled = (start, m)
        # a new tiling set a new view range: map it now, not at the next paint (a caller
        # reading where a tile is right after drawing would get the old range's mapping)
        self.panel.box.updateViewRange()
        self.panel.box.updateMatrix()
        if self.panel.labels == "tiles":
            for i, item in enumerate(self.panel._label_items):
                item.setText(str(start + i))
        elif self.panel.labels == "grid":
            first_row, first_col = (start // max(1, m.columns), 0) if self.grid_origin is None \
                else self.grid_origin(start)
            step = 5 if max(m.rows, m.columns) > 25 else 1
            items = self.panel._label_items
            for r, item in zip(range(0, m.rows, step), [i for i in items if i.x() < 0]):
                item.setText(str(first_row + r))
            for c, item in zip(range(0, m.columns, step), [i for i in items if i.x() >= 0]):
                item.setText(str(first_col + c))

    def shown_maps(self) -> np.ndarray:
        """``(k, H, W)``: the tiles drawn now, decoded from the drawn image."""
        return self.panel.untile(self.panel.image.image)

    def untile(self, image: np.ndarray) -> np.ndarray:
        """A drawn mosaic ``image`` (e.g. ``panel.image.image``) back to ``(k, H, W[, ...])``
        for the current page."""
        return self.panel.untile(image)

    def tile_of(self, index: int) -> np.ndarray:
        """Global tile ``index``'s block of the drawn image (turn to its page first)."""
        return self.panel.tile_of(self.panel.image.image, index - self.page_start)

    def locate(self, scene_pos) -> tuple[int, int, int] | None:
        """``(global tile index, row, col)`` under a scene position, or None."""
        found = self.panel.locate(scene_pos)
        if found is None:
            return None
        return found[0] + self.page_start, found[1], found[2]

    def tile_pixel_to_scene(self, index: int, row: int, col: int):
        return self.panel.tile_pixel_to_scene(index - self.page_start, row, col)

    def highlight(self, tiles, row: int = 0, col: int = 0, height: int = 1,
                  width: int | None = None) -> None:
        """Outline a block of the given global ``tiles`` (those on this page)."""
        if tiles is not None and not isinstance(tiles, str):
            tiles = [t - self.page_start for t in tiles
                     if self.page_start <= t < self.page_stop]
        self.panel.highlight(tiles, row, col, height, width)

    @property
    def outline(self):
        """The outline item ``highlight`` draws (page coordinates of the mosaic)."""
        return self.panel.outline

    def scene_to_pixel(self, scene_pos) -> tuple[float, float] | None:
        """``(y, x)`` in the current page's mosaic under a scene position, or None."""
        return self.panel.scene_to_pixel(scene_pos)

    def tile_px(self) -> float:
        """On-screen pixels of a tile's shorter side as placed now (0 before drawing)."""
        m = self.panel.mosaic
        if m is None:
            return 0.0
        a = self.panel.pixel_to_scene(0, 0)
        b = self.panel.pixel_to_scene(m.tile_h, m.tile_w)
        return min(abs(b.y() - a.y()), abs(b.x() - a.x()))

    def levels(self) -> tuple[float, float]:
        return tuple(float(v) for v in self.panel.image.getLevels())

    # -- title -----------------------------------------------------------------------------
    def set_titles(self, titles) -> None:
        """Candidate titles, longest first: the longest that fits the panel is shown."""
        titles = [titles] if isinstance(titles, str) else list(titles)
        if titles != self._titles:
            self._titles = titles or [""]
            self._update_title()

    def set_title_size(self, size: str) -> None:
        """Draw the title in ``size`` (e.g. ``"12pt"``), fitted again to the panel."""
        title = self.panel.title
        if title.opts.get("size") != size:
            title.setText(title.text, size=size)
            self._update_title()

    def _update_title(self) -> None:
        paging = self.pages > 1
        self._show_pager(paging)
        # paging: the title at the left, the arrows at the right end of its row
        justify = "left" if paging else "center"
        if self.panel.title.opts.get("justify") != justify:
            self.panel.title.setAttr("justify", justify)
            self.panel.title.resizeEvent(None)
        candidates = self.title_candidates()
        if self._width <= 0:                           # not placed yet
            self.panel.set_title(candidates[0])
            return
        # measured in the size the title is drawn in (its rich text's, large in presentation
        # mode), not the item's font: a guess let a too-wide title through, and a title's
        # minimum width widens its panel over the colour bar and the neighbour
        fit_label(self.panel.title, candidates,
                  self._width - (2 * self._arrow_width() if paging else 0))

    def title_candidates(self) -> list[str]:
        """The titles to choose from, longest first. Paging: every title with the page range
        (`` · 32–63 of 64``, or in short ``32–63/64``), the last ones the shortest title (the
        views' is the layer's name) with the short range, then with the range alone
        (``conv2 32–63``): a narrow panel drops the extra words first, then the count, then
        draws name and range smaller, and where even that does not fit, ``fit_label``
        elides the end, the range, never the name at the start."""
        if self.pages <= 1:
            return list(self._titles)
        full, short = self.page_text(False), self.page_text(True)
        *longer, name = self._titles
        last = [f"{name} {short}".strip(), f"{name} {short.rsplit('/', 1)[0]}".strip()]
        ranged = [t + full for t in self._titles] + [f"{t} · {short}" for t in longer]
        return sorted(dict.fromkeys(t for t in ranged if t not in last), key=len,
                      reverse=True) + list(dict.fromkeys(last))

    def page_text(self, compact: bool = False) -> str:
        """The page range a title ends with (``Pager.text``, or the owner's ``page_label``:
        e.g. a table paged in blocks names its rows and columns)."""
        if self.page_label is not None:
            return self.page_label(compact)
        return self.pager.text(compact)

    def min_title_width(self, per_page: int | None = None, page_range: bool = True) -> float:
        """Pixels the title row needs at least: the shortest title (with ``per_page`` maps
        a page of more, followed by the widest page range in short, ``"96–127/128"``, and
        the arrows), in the size it is drawn in. ``page_range=False``: the name and the
        arrows only (the range may be elided: a view with little room for every layer)."""
        metrics = QFontMetricsF(label_font(self.panel.title))
        margins = 16            # the rich text's document margins, and a little air
        count = self.count
        if per_page is None or per_page >= count:
            return metrics.horizontalAdvance(self._titles[-1]) + margins
        last = self._titles[-1]
        if page_range:
            last = f"{last} {count - per_page}–{count - 1}/{count}".strip()
        return metrics.horizontalAdvance(last) + 2 * self._arrow_width() + margins

    def _arrow_width(self) -> float:
        # as drawn: an owner may enlarge the arrows' rich text (presentation mode)
        drawn = self.prev_label.item.boundingRect().width()
        return max(drawn, QFontMetricsF(self.prev_label.item.font()).horizontalAdvance("◀") + 10)

    # -- layout ------------------------------------------------------------------------------
    def bar_width(self, font: QFont) -> float:
        """Pixels right of the mosaic for the colour bar and its tick labels (0 without)."""
        return 0.0 if self.bar is None else self.bar.width_for(font)

    def title_px(self) -> float:
        """Height of the title row, pixels (``title_px`` of ``fit_layout.arrange``): the
        title's at its full size (a long title may be drawn smaller for a while)."""
        title = self.panel.title
        return title.minimumHeight() / max(title.item.scale(), 1e-3) + 2

    def title_outgrew(self) -> bool:
        """Whether the title now needs a taller row than it was placed with (set to a
        larger size, or its first text given after placing): place the panel again."""
        return self._title_room is not None and self.title_px() > self._title_room + 0.5

    def options(self, column_choices, font: QFont, value_of=None,
                count: int | None = None, ragged: bool = False) -> list[Option]:
        """``fit_layout.Option`` s for the current page's tiles (or ``count`` tiles) in each
        column count of ``column_choices`` whose last row is at least half full (``ragged``:
        any last row, for a page of many) (value: the column count, or
        ``value_of(columns)``)."""
        count = max(1, self.page_stop - self.page_start if count is None else count)
        h, w = (self._maps.shape[1:3] if self._maps is not None else (1, 1))
        extra = self.bar_width(font)
        options = []
        for columns in sorted({min(c, count) for c in column_choices
                               if ragged or -count % min(c, count) < min(c, count) / 2}
                              or {count}):
            ew, eh = self.panel.extent(count, h, w, columns)
            value = columns if value_of is None else value_of(columns)
            options.append(Option(value, ew / eh, eh, extra_w=extra))
        return options

    def place(self, placement: Placement, font: QFont, columns: int | None = None) -> bool:
        """Put the panel in ``placement.rect`` (title included) with its colour bar on the
        right; ``columns`` (default ``placement.value``) becomes the mosaic's column count.
        Returns True if the mosaic was re-tiled (the column count changed)."""
        x, y, w, h = placement.rect
        self._title_room = h - placement.content_h
        bar = self.bar_width(font)
        columns = placement.value if columns is None else columns
        retiled = isinstance(columns, int) and columns != self.panel.columns
        if retiled:
            self.panel.columns = columns
            self._draw()
        self._width = w - bar
        self._update_title()
        self.panel.layout.setGeometry(QRectF(x, y, w - bar, h))
        # lay out and map now, not at the next paint: a caller (or a test) reading where the
        # maps are right after placing would get the previous size's mapping
        self.panel.layout.layout.activate()
        self.panel.box.updateViewRange()
        self.panel.box.updateMatrix()
        arrow, title_h = self._arrow_width(), h - placement.content_h
        for i, label in enumerate((self.prev_label, self.next_label)):
            label.setGeometry(QRectF(x + w - bar - (2 - i) * arrow, y, arrow, max(title_h, 1)))
        if self.bar is not None:
            self.bar.place(x + w - bar, y + h - placement.content_h, placement.content_h, font)
        return retiled
