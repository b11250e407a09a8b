"""Paging for stacks of many channels: which channels a page shows, and how many per page
stay readable.

One ``Pager`` counts the pages of every paged picture in the app: the mosaics of
``MosaicBarPanel`` (activations, pooling, filters, the inspector) and the conv explainer's
per-channel row. A page shows the channels ``page_start .. page_stop - 1``; everything that
names a channel (tile labels, hover, clicks, outlines) keeps the channel's global index::

    pager = Pager(page_size=32)
    pager.set_count(64)                    # pages 0..1
    pager.show_index(40)                   # turns to page 1, emits pageChanged(1)
    pager.text()                           # " · 32–63 of 64"

How many per page: ``page_size_for`` (in ``mosaic_panel``) bounds the data a page holds;
``readable_page_size(count, fits)`` chooses the fewest pages whose tiles ``fits(n)`` says
are at least ``MIN_TILE_PX`` on screen at the widget's current size (a 64-channel layer in
a small dock pages instead of shrinking its maps to dots). Pages are split evenly:
``ceil(count / pages)`` channels each, so every page looks alike.

Views that place several mosaics at once (activations, pooling, the step explainer's tabs)
use ``readable_layout``: it lays them out for a guess of channels per page, pages the panels
whose tiles came out too small, and lays out again (a few layouts per resize at most, never
one per training step).

The ◀ ▶ of every pager (``pager_arrows``) turn pages by mouse and by keyboard: Tab reaches
them inside their graphics view, then Enter / Space press one and Left / Right, Page Up /
Page Down, Home / End turn the pages.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QObject, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPen

#: A map (or kernel) drawn smaller than this many pixels a side is too small to read.
MIN_TILE_PX = 24
#: Never fewer channels than this on a page (a tiny widget shows 4 maps, not one).
MIN_PAGE = 4
#: A layer of a whole-network overview pages into at most this many pages (more would hide
#: most of it); if its tiles are still small then, they are drawn small.
MOST_PAGES = 4
#: Layouts ``readable_layout`` tries at most (each one a ``fit_layout.arrange``): enough to
#: reach ``MOST_PAGES`` pages one page at a time, and a last look after.
LAYOUT_ROUNDS = MOST_PAGES + 1
#: A mosaic's view box pads its range by 1% each side: its tiles are this much smaller.
RANGE_PADDING = 1.02


def page_sizes(count: int, most: int | None = None) -> list[int]:
    """Channels per page for 1, 2, 3, ... even pages (largest first, each at most
    ``most``), down to ``MIN_PAGE``."""
    sizes: list[int] = []
    for pages in range(1, count + 1):
        n = math.ceil(count / pages)
        if (most is not None and n > most and n > MIN_PAGE) or (sizes and n == sizes[-1]):
            continue
        sizes.append(n)
        if n <= MIN_PAGE:
            break
    return sizes or [count]


def readable_page_size(count: int, fits, most: int | None = None) -> int | None:
    """Channels per page: the largest of ``page_sizes(count, most)`` for which ``fits(n)``
    (n channels drawn on one page come out readable), else the smallest. None: no paging."""
    sizes = page_sizes(count, most)
    chosen = next((n for n in sizes if fits(n)), sizes[-1])
    return None if chosen >= count else chosen


def overview_page_sizes(count: int, most: int | None = None) -> list[int]:
    """``page_sizes(count, most)`` down to ``MOST_PAGES`` pages (or the fewest ``most``
    allows, if that is more)."""
    sizes = page_sizes(count, most)
    pages = max(MOST_PAGES, math.ceil(count / sizes[0]))
    return [n for n in sizes if math.ceil(count / n) <= pages]


def tile_px_in(place, option, height: int, width: int) -> float:
    """Pixels a side (the shorter) of ``height x width`` tiles that ``fit_layout.arrange``
    placed as ``place`` with ``option`` (before the panel is placed)."""
    content_w = place.rect[2] - option.extra_w
    scale = min(place.content_h, content_w / option.aspect) / (option.native_h * RANGE_PADDING)
    return min(height, width) * scale


def placed_tile_px(layout, key: str, height: int, width: int) -> float | None:
    """The side of ``key``'s ``height x width`` tiles in ``layout`` = ``(options,
    placements)`` of ``fit_layout.arrange`` (None: not placed)."""
    options, placements = layout
    place = placements.get(key)
    if place is None:
        return None
    option = next(o for o in options[key] if o.value == place.value)
    return tile_px_in(place, option, height, width)


def readable_layout(sizes: dict[str, list[int]], layout_for, map_shapes: dict[str, tuple],
                    floor: float | dict[str, float] = MIN_TILE_PX, rounds: int = LAYOUT_ROUNDS,
                    members: dict[str, list[str]] | None = None, jump: bool = False):
    """``(layout, per_page)``: channels per page of every key and the layout for them.

    ``sizes[key]``: the page sizes to choose from, largest first (``overview_page_sizes``);
    ``layout_for(per_page)``: the ``(options, placements)`` of ``fit_layout.arrange`` for
    ``per_page[key]`` channels a page; ``map_shapes[key]``: ``(H, W)`` of one of its maps.
    Starts with the fewest pages; every key whose tiles come out under ``floor`` pixels
    takes one page more and the keys are laid out again (the others may grow into the room
    freed), at most ``rounds`` layouts: the last one is kept even if some tiles stay small.
    ``floor`` may differ by key (a dict: key -> pixels).

    ``members[key]``: the placed panels that share ``key``'s page size (their smallest tiles
    decide; ``map_shapes`` then names each member); default: the panel ``key`` alone.
    ``jump``: a key whose tiles came out ``px`` a side goes at once to the largest page size
    of at most ``n * px / floor``, not one page more: a table of thousands of kernels reaches
    its page size in a few layouts. (The area its tiles need, ``n * (px / floor)**2``,
    overshoots: with fewer tiles the layout gives the panel more room, and LeNet's 50
    gradients at 1280x720 took 4 pages of 13 where 2 of 25 were readable.)"""
    members = members or {}
    floors = floor if isinstance(floor, dict) else {key: floor for key in sizes}
    step = {key: 0 for key in sizes}
    for round_ in range(rounds):
        per_page = {key: sizes[key][step[key]] for key in sizes}
        layout = layout_for(per_page)
        small = {}
        for key, choices in sizes.items():
            placed = [placed_tile_px(layout, m, *map_shapes[m]) for m in members.get(key, [key])]
            placed = [px for px in placed if px is not None]
            if step[key] + 1 < len(choices) and placed and min(placed) < floors[key]:
                small[key] = min(placed)
        if not small or round_ == rounds - 1:
            break
        for key, px in small.items():
            if jump:
                room = per_page[key] * (px / floors[key])
                later = range(step[key] + 1, len(sizes[key]))
                step[key] = next((i for i in later if sizes[key][i] <= room), later[-1])
            else:
                step[key] += 1
    return layout, per_page


def fewest_pages_layout(key: str, sizes: list[int], layout_for, shape: tuple[int, int],
                        floor: float = MIN_TILE_PX):
    """``(layout, n)``: the largest of ``sizes`` (page sizes, largest first) for which
    ``layout_for({key: n})`` (``(options, placements)`` of ``fit_layout.arrange``) draws
    ``key``'s ``shape = (H, W)`` tiles at least ``floor`` pixels a side, and its layout;
    none does: the smallest. For one paged panel (the filters view's table): a bisection
    over ``sizes`` (fewer tiles a page come out no smaller), a few layouts where
    ``readable_layout(jump=True)`` overshoots (LeNet's 50 x 20 table in a 417x316 dock took
    8 pages of 9.9 px kernels where 2 of 7.4 px met the 7 px floor)."""
    layouts: dict[int, tuple] = {}

    def readable(i: int) -> bool:
        layouts[i] = layout_for({key: sizes[i]})
        px = placed_tile_px(layouts[i], key, *shape)
        return px is not None and px >= floor

    low, high = 0, len(sizes) - 1          # the answer is in low..high (high: the fallback)
    if readable(low):
        return layouts[low], sizes[low]
    low += 1
    while low < high:
        middle = (low + high) // 2
        if readable(middle):
            high = middle
        else:
            low = middle + 1
    if high not in layouts:
        layouts[high] = layout_for({key: sizes[high]})
    return layouts[high], sizes[high]


class Pager(QObject):
    """Which of ``count`` channels are shown: page ``page`` of ``page_size`` each.

    ``page_size`` None (or not less than ``count``) means one page with everything."""

    pageChanged = pyqtSignal(int)

    def __init__(self, page_size: int | None = None, parent=None) -> None:
        super().__init__(parent)
        self.page_size = page_size
        self.page = 0
        self.count = 0

    @property
    def pages(self) -> int:
        if not self.page_size or self.count <= self.page_size:
            return 1
        return math.ceil(self.count / self.page_size)

    @property
    def page_start(self) -> int:
        """Global index of the first channel shown."""
        return self.page * self.page_size if self.pages > 1 else 0

    @property
    def page_stop(self) -> int:
        return min(self.count, self.page_start + self.page_size) if self.pages > 1 else self.count

    def shown(self) -> range:
        return range(self.page_start, self.page_stop)

    def set_count(self, count: int) -> None:
        """``count`` channels in all; the page is clamped to the pages there are (no signal:
        the owner redraws with the new data anyway)."""
        self.count = int(count)
        self.page = max(0, min(self.page, self.pages - 1))

    def set_page_size(self, page_size: int | None) -> bool:
        """Page by ``page_size``, keeping the first channel shown now on the page shown.
        Returns True if the channels shown changed (no signal: the owner redraws)."""
        if page_size == self.page_size:
            return False
        before = self.shown()
        first = self.page_start
        self.page_size = page_size
        self.page = first // page_size if self.pages > 1 else 0
        return self.shown() != before

    def set_page(self, page: int) -> bool:
        """Show page ``page`` (clamped); emits ``pageChanged`` and returns True if it moved."""
        page = max(0, min(int(page), self.pages - 1))
        if page == self.page:
            return False
        self.page = page
        self.pageChanged.emit(page)
        return True

    def next_page(self) -> bool:
        return self.set_page(self.page + 1)

    def previous_page(self) -> bool:
        return self.set_page(self.page - 1)

    def show_index(self, index: int) -> bool:
        """Turn to the page holding global channel ``index``."""
        if self.pages <= 1:
            return False
        return self.set_page(int(index) // self.page_size)

    def text(self, compact: bool = False) -> str:
        """`` · 32–63 of 64`` for a title while paging (``compact``: ``32–63/64``, for a
        narrow panel), else ``""``."""
        if self.pages <= 1:
            return ""
        shown = f"{self.page_start}–{self.page_stop - 1}"
        return f"{shown}/{self.count}" if compact else f" · {shown} of {self.count}"


class PagerArrow(pg.LabelItem):
    """A clickable "◀" or "▶" (placed by its owner, beside a title), reachable by keyboard
    too: Tab moves the focus to it (a frame shows it), Enter, Return or Space press it, and
    Left / Right, Page Up / Page Down and Home / End turn ``pager``'s pages while it has the
    focus (taken before the window's shortcuts: Right is Training > Step elsewhere)."""

    def __init__(self, text: str, on_click, size: str = "11pt", pager: Pager | None = None
                 ) -> None:
        super().__init__(text, size=size)
        self._on_click = on_click
        self._pager = pager
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def mouseClickEvent(self, event) -> None:     # pyqtgraph's scene calls this on a click
        event.accept()
        self._on_click()

    def _action(self, event):
        """What ``event``'s key does here (None: not ours, e.g. with Ctrl held)."""
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return None
        key, pager = event.key(), self._pager
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            return self._on_click
        if pager is None:
            return None
        return {Qt.Key.Key_Left: pager.previous_page, Qt.Key.Key_PageUp: pager.previous_page,
                Qt.Key.Key_Right: pager.next_page, Qt.Key.Key_PageDown: pager.next_page,
                Qt.Key.Key_Home: lambda: pager.set_page(0),
                Qt.Key.Key_End: lambda: pager.set_page(pager.pages - 1)}.get(key)

    def sceneEvent(self, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and self._action(event) is not None:
            event.accept()          # the key is the pager's, not a window shortcut's
            return True
        return super().sceneEvent(event)

    def keyPressEvent(self, event) -> None:
        action = self._action(event)
        if action is None:
            event.ignore()
            return
        event.accept()
        action()

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.update()

    def paint(self, painter, *args) -> None:
        if self.hasFocus():                 # the keyboard's place: a frame round the arrow
            pen = QPen(QColor(255, 210, 80))
            pen.setCosmetic(True)
            pen.setWidthF(1.5)
            painter.setPen(pen)
            painter.drawRect(self.boundingRect().adjusted(1, 1, -1, -1))


def pager_arrows(pager: Pager, size: str = "11pt") -> tuple[PagerArrow, PagerArrow]:
    """The ◀ and ▶ that turn ``pager``'s pages (by click, or by key once Tab reached them)."""
    return (PagerArrow("◀", pager.previous_page, size, pager),
            PagerArrow("▶", pager.next_page, size, pager))
