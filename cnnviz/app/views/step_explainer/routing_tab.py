"""The "Max-pool routing" tab: the gradient reaches only the winner of each 2x2 window.

For one channel of every max-pool layer of ``net.describe()``: the gradient arriving at the
pool's output and, after max-pool backward, at the pre-pool resolution (the gradient of the
layer the pool reads), with the winner of each window outlined. The winners are the step's
own (``StepDetail.pool_masks``, from the forward pass its backward went through). A network
without max-pool layers shows a sentence instead.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, pyqtSignal
from PyQt6.QtGui import QColor, QFontMetricsF, QPainterPath, QPen
from PyQt6.QtWidgets import QGraphicsPathItem, QHBoxLayout, QLabel, QSpinBox, QWidget

from ...fit_layout import Option, Placement, arrange
from ...mosaic_panel import MosaicBarPanel
from .common import CanvasTab, remove_items, routed_levels

WINNER_COLOUR = QColor(40, 200, 60)
CAPTION = ("The gradient reaches only the winner of each 2x2 window: max pooling passed on "
           "only the largest of the four values, so only that one can change the loss. "
           "Green squares: the winners (argmax of each window).")


def grid_path(h: int, w: int, step: int) -> QPainterPath:
    """Lines every ``step`` pixels over an ``h x w`` image (the pooling windows)."""
    path = QPainterPath()
    for y in range(0, h + 1, step):
        path.moveTo(0, y)
        path.lineTo(w, y)
    for x in range(0, w + 1, step):
        path.moveTo(x, 0)
        path.lineTo(x, h)
    return path


def winner_path(mask: np.ndarray) -> QPainterPath:
    """A square around every True pixel of ``mask (H, W)``."""
    path = QPainterPath()
    for y, x in zip(*np.nonzero(mask)):
        path.addRect(float(x) + 0.08, float(y) + 0.08, 0.84, 0.84)
    return path


def path_item(colour: QColor, width: float, z: float = 6) -> QGraphicsPathItem:
    item = QGraphicsPathItem()
    pen = QPen(colour)
    pen.setCosmetic(True)
    pen.setWidthF(width)
    item.setPen(pen)
    item.setZValue(z)
    return item


class RoutingTab(CanvasTab):
    """Max-pool routing for every max-pool layer (see module doc). ``pools``: pool name ->
    the layer it reads; ``panels[pool]`` = {"arriving", "routed"} (``MosaicBarPanel`` s of
    one map; the routed one has the colour bar both share); ``spins[pool]``."""

    channelPicked = pyqtSignal(str, int)

    def __init__(self, parent=None) -> None:
        self.spin_row = QWidget()
        self._spin_layout = QHBoxLayout(self.spin_row)
        self._spin_layout.setContentsMargins(0, 0, 0, 0)
        controls = QHBoxLayout()
        controls.addWidget(self.spin_row)
        controls.addStretch(1)
        super().__init__(controls, CAPTION, parent)
        self.pools: dict[str, str] = {}
        self.spins: dict[str, QSpinBox] = {}
        self.panels: dict[str, dict[str, MosaicBarPanel]] = {}
        self.arrows, self.placements = {}, {}
        self._grid_items, self._winner_items = {}, {}
        self.shown: dict[str, dict] = {}          # pool -> the arrays drawn
        self.built = True

    @property
    def bars(self) -> dict:
        """pool -> the colour bar of its two maps (one scale for both)."""
        return {pool: pair["routed"].bar for pool, pair in self.panels.items()}

    def set_network(self, layers) -> None:
        for pair in self.panels.values():
            for panel in pair.values():
                panel.remove()
        remove_items(self.canvas, list(self.arrows.values()))
        for spin in self.spins.values():
            spin.deleteLater()
        while self._spin_layout.count():
            widget = self._spin_layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.pools = {info.name: info.input for info in layers if info.kind == "maxpool"}
        self.spins, self.panels, self.arrows = {}, {}, {}
        self.placements, self.shown = {}, {}
        self.forget_layout()
        self._grid_items, self._winner_items = {}, {}
        for pool in self.pools:
            spin = QSpinBox()
            spin.setToolTip(f"which channel of {pool} to follow")
            spin.valueChanged.connect(lambda c, p=pool: self.channelPicked.emit(p, c))
            self._spin_layout.addWidget(QLabel(f"{pool} channel"))
            self._spin_layout.addWidget(spin)
            self.spins[pool] = spin
            arriving = self.new_panel(labels=None, colour_bar=False)
            routed = self.new_panel(labels=None)
            self.panels[pool] = {"arriving": arriving, "routed": routed}
            arrow = pg.LabelItem("max-pool<br>backward<br>→", justify="center")
            arrow.setParentItem(self.canvas)
            arrow.setVisible(False)             # until placed, as the panels
            self.arrows[pool] = arrow
            grid, winners = path_item(QColor(140, 140, 140), 1.0, z=5), \
                path_item(WINNER_COLOUR, 2.5, z=7)
            routed.box.addItem(grid, ignoreBounds=True)
            routed.box.addItem(winners, ignoreBounds=True)
            self._grid_items[pool], self._winner_items[pool] = grid, winners
        self.show_note(None if self.pools else
                       "This network has no max-pool layers, so no gradient is routed to the "
                       "winners of pooling windows"
                       + (" (average pooling shares it equally among the four)."
                          if any(info.kind == "avgpool" for info in layers) else "."))
        self.apply_fonts()

    def draw(self, d, digit: int, channels: dict[str, int], auto: bool) -> dict[str, int]:
        """Routing of batch digit ``digit``; ``channels``: pool -> channel to show (``auto``:
        the channel receiving the most gradient instead). Returns the channels shown."""
        notes, chosen = [], {}
        for pool, source in self.pools.items():
            if pool not in d.output_grads or source not in d.output_grads:
                continue
            arriving_all = d.output_grads[pool][digit]            # (C, h, w)
            routed_all = d.output_grads[source][digit]            # (C, H, W)
            count = arriving_all.shape[0]
            c = int(np.abs(arriving_all).sum(axis=(1, 2)).argmax()) if auto \
                else int(np.clip(channels.get(pool, 0), 0, count - 1))
            chosen[pool] = c
            spin = self.spins[pool]
            spin.blockSignals(True)
            spin.setMaximum(count - 1)
            spin.setValue(c)
            spin.blockSignals(False)
            arriving, routed = arriving_all[c], routed_all[c]
            masks = d.pool_masks.get(pool) if d.pool_masks else None
            winners = masks[digit, c] if masks is not None else np.zeros(routed.shape, bool)
            levels = routed_levels(arriving, routed)
            panels = self.panels[pool]
            panels["arriving"].set_maps(np.asarray(arriving, np.float32)[None], levels)
            panels["routed"].set_maps(np.asarray(routed, np.float32)[None], levels)
            (h, w), (H, W) = arriving.shape, routed.shape
            panels["arriving"].set_titles([
                f"gradient arriving at {pool} channel {c} ({h}×{w})",
                f"arriving at {pool} ch {c}", f"{pool} ch {c}", pool])
            panels["routed"].set_titles([
                f"gradient at {source} channel {c} ({H}×{W}): only the winners get it",
                f"at {source} ch {c}: winners only", f"{source} ch {c}", source])
            self._grid_items[pool].setPath(grid_path(H, W, 2))
            self._winner_items[pool].setPath(winner_path(winners))
            self.shown[pool] = {"arriving": np.array(arriving), "routed": np.array(routed),
                                "winners": np.array(winners), "channel": c}
            nonzero = int(np.count_nonzero(routed))
            off = int(np.count_nonzero(routed[~winners]))
            where = "all of them winners" if off == 0 else f"{off} of them NOT winners (ties?)"
            notes.append(f"{source} channel {c}: {nonzero} of {H * W} pixels got gradient "
                         f"({where})")
        if self.pools:
            self.set_caption(
                "The gradient reaches only the winner of each 2x2 window (green squares): max "
                "pooling passed on only the largest value, so only it can change the loss. "
                + "; ".join(notes) + ".",
                "The gradient reaches only the winner of each 2x2 window (green squares).")
        else:
            self.set_caption(" ")
        self.arrange()
        return chosen

    def clear(self) -> None:
        self.shown = {}
        for pair in self.panels.values():
            for panel in pair.values():
                panel.image.clear()
        self.hide_panels([p for pair in self.panels.values() for p in pair.values()],
                         self.arrows.values())
        for item in list(self._grid_items.values()) + list(self._winner_items.values()):
            item.setPath(QPainterPath())

    def apply_fonts(self) -> None:
        for pair in self.panels.values():
            for panel in pair.values():
                panel.set_title_size(self.title_size())
        self.arrange()

    def _arrow_width(self) -> float:
        return QFontMetricsF(self.font()).horizontalAdvance("backward") + 16

    def arrange(self, *_args) -> None:
        """Place the routing maps, the arrows between them and the colour bars (the layout
        search only when the size, the font, the maps' shapes or the titles' height
        changed: not at every Step)."""
        size = self.canvas.size()
        if not self.shown or size.width() < 20 or size.height() < 20:
            return
        panels = [p for pair in self.panels.values() for p in pair.values()]
        title_px = max(p.title_px() for p in panels)
        shapes = tuple((pool, r["arriving"].shape, r["routed"].shape)
                       for pool, r in self.shown.items())
        if not self.layout_changed(shapes, round(title_px, 1)) and self.placements:
            return
        font = self.font()
        arrow_w = self._arrow_width()
        options, rows = {}, []
        for pool, r in self.shown.items():
            (h, w), (H, W) = r["arriving"].shape, r["routed"].shape
            options[f"{pool}.arriving"] = [Option(None, w / h, h, extra_w=arrow_w)]
            options[f"{pool}.routed"] = [Option(None, W / H, H, extra_w=self.panels[pool][
                "routed"].bar_width(font))]
            rows.append([f"{pool}.arriving", f"{pool}.routed"])
        templates = [rows, [[k for row in rows for k in row]]]
        placements = arrange(size.width(), size.height(), templates, options,
                             title_px=title_px, spacing=8,
                             weights={k: 0.7 for k in options if k.endswith("arriving")})
        # centred vertically: a wide, low tab leaves room above and below the one row
        bottom = max((p.rect[1] + p.rect[3] for p in placements.values()), default=0.0)
        dy = max(0.0, (size.height() - bottom) / 2)
        placed = [key.split(".") for key in placements]          # shown before laying out
        self.show_placed([self.panels[pool][which] for pool, which in placed],
                         [self.arrows[pool] for pool, which in placed if which == "arriving"])
        self.placements = {}
        for key, place in placements.items():
            pool, which = key.split(".")
            x, y, w, h = place.rect
            place = Placement(place.value, (x, y + dy, w, h), place.content_h)
            self.placements[key] = place
            if which == "routed":
                self.panels[pool][which].place(place, font)
                continue
            # the arriving map, and the arrow to the routed one right of it
            self.panels[pool][which].place(
                Placement(None, (x, y + dy, w - arrow_w, h), place.content_h), font)
            top = y + dy + h - place.content_h
            arrow_h = 3 * QFontMetricsF(font).lineSpacing() + 12
            self.arrows[pool].setGeometry(QRectF(x + w - arrow_w,
                                                 top + (place.content_h - arrow_h) / 2,
                                                 arrow_w, arrow_h))
