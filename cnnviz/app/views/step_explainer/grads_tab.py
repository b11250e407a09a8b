"""The "Gradients of the feature maps" tab: d loss / d (every feature map) for one digit.

One mosaic per spatial layer of ``net.describe()`` (every conv, activation and pool before
the flatten), each on its own symmetric colour scale with a colour bar; by default one row
per conv block (the conv, its activation, its pool). A network without such layers shows a
sentence instead.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QRectF

from ...fit_layout import Option, arrange
from ...image_panel import DIVERGING_CMAP, MosaicPanel
from ...label_fit import fit_label
from ...mosaic import symmetric_levels
from .common import CanvasTab, colour_bar, remove_items, scale_text

GRAD_COLUMNS = (4, 5, 8, 10, 16, 20, 25)     # mosaic column counts to choose from


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
    """d loss / d feature map of the followed digit (see module doc). ``panels``/``bars``:
    layer name -> mosaic / colour bar; ``placements``: where ``arrange`` put them."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent=parent)
        self.groups: list[list[str]] = []
        self.panels: dict[str, MosaicPanel] = {}
        self.bars: dict = {}
        self.placements: dict = {}
        self._titles: dict[str, list[str]] = {}
        self._maps: dict[str, tuple[np.ndarray, tuple[float, float]]] = {}
        self.built = True

    @property
    def layers(self) -> list[str]:
        return [name for group in self.groups for name in group]

    def set_network(self, layers) -> None:
        remove_items(self.canvas, [p.layout for p in self.panels.values()]
                     + list(self.bars.values()))
        self.panels, self.bars, self.placements, self._titles, self._maps = {}, {}, {}, {}, {}
        self.groups = spatial_groups(layers)
        for name in self.layers:
            panel = MosaicPanel(f"d loss / d {name}", DIVERGING_CMAP)
            panel.layout.setContentsMargins(0, 0, 0, 0)
            panel.layout.setParentItem(self.canvas)
            self.panels[name] = panel
            self.bars[name] = colour_bar()
            self.bars[name].setParentItem(self.canvas)
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
            levels = symmetric_levels(g)
            self._maps[name] = (g, levels)
            panel.set_maps(g, levels)
            if tuple(self.bars[name].levels()) != levels:
                self.bars[name].setLevels(levels)
            c, h, w = g.shape
            self._titles[name] = [f"d loss / d {name} ({c} × {h}×{w}), scale "
                                  f"{scale_text(levels)}", f"d loss / d {name} ({c} × {h}×{w})",
                                  f"d loss / d {name}", f"∂L/∂{name}", name]
        self.arrange()
        if not self.groups:
            self.text.setText(" ")
            return
        label = int(d.labels[digit])
        self.text.setText(
            f"The gradient of this batch's loss with respect to every feature map of digit "
            f"{digit + 1} (a {label}): how much the loss would change if that value were a "
            "little larger (blue: larger would lower the loss). ReLU passes gradient only where "
            "its input was positive; max pooling only to each window's winner.")

    def shown(self, layer: str) -> np.ndarray:
        """``(C, H, W)`` d loss / d ``layer`` as drawn (read back from the mosaic)."""
        if layer not in self.panels:
            raise KeyError(f"no feature-map layer {layer!r}; have "
                           f"{', '.join(self.panels) or 'none'}")
        panel = self.panels[layer]
        return panel.untile(panel.image.image)

    def clear(self) -> None:
        self._maps = {}
        for panel in self.panels.values():
            panel.image.clear()
        self.text.setText(" ")

    def apply_fonts(self) -> None:
        for panel in self.panels.values():
            panel.title.setText(panel.title.text, size=self.title_size())
        self.arrange()

    def arrange(self, *_args) -> None:
        """Place the gradient mosaics and their colour bars for the canvas's size."""
        size = self.canvas.size()
        if not self._maps or size.width() < 20 or size.height() < 20:
            return
        bar_w = self.bar_width()
        options = {}
        for name, (g, _levels) in self._maps.items():
            count, h, w = g.shape
            panel = self.panels[name]
            options[name] = []
            for columns in sorted({min(c, count) for c in GRAD_COLUMNS if -count % c < c / 2}
                                  | {count if count <= 5 else GRAD_COLUMNS[0]}):
                ew, eh = panel.extent(count, h, w, columns)
                options[name].append(Option(columns, ew / eh, eh, extra_w=bar_w))
        names = [n for n in self.layers if n in options]
        templates = [[[n for n in g if n in options] for g in self.groups], [names],
                     [[n] for n in names], [names[i:i + 2] for i in range(0, len(names), 2)]]
        templates = [[row for row in t if row] for t in templates]
        title_px = max(p.title.minimumHeight() for p in self.panels.values()) + 2
        self.placements = arrange(size.width(), size.height(), templates, options,
                                  title_px=title_px, spacing=8)
        redraw = []
        for name, place in self.placements.items():
            x, y, w, h = place.rect
            panel = self.panels[name]
            texts = self._titles.get(name)
            if texts:
                fit_label(panel.title, texts, w - bar_w)
            panel.layout.setGeometry(QRectF(x, y, w - bar_w, h))
            self.place_bar(self.bars[name], x + w - bar_w, y + h - place.content_h,
                           place.content_h)
            if place.value != panel.columns:
                panel.columns = place.value
                redraw.append(name)
        for name in redraw:
            self.panels[name].set_maps(*self._maps[name])
