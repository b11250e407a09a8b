"""The "Gradients of the feature maps" tab: d loss / d (every feature map) for one digit.

One mosaic per spatial layer of ``net.describe()`` (every conv, activation and pool before
the flatten), each on its own symmetric colour scale with a colour bar; by default one row
per conv block (the conv, its activation, its pool). A network without such layers shows a
sentence instead.
"""

from __future__ import annotations

import numpy as np

from ...fit_layout import arrange
from ...mosaic import symmetric_levels
from ...mosaic_panel import MosaicBarPanel
from .common import CanvasTab, scale_text

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
    """d loss / d feature map of the followed digit (see module doc). ``panels``: layer
    name -> ``MosaicBarPanel`` (``bars``: their colour bars); ``placements``: where
    ``arrange`` put them."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent=parent)
        self.groups: list[list[str]] = []
        self.panels: dict[str, MosaicBarPanel] = {}
        self.placements: dict = {}
        self._drawn: set[str] = set()             # layers with a gradient drawn
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
        self.panels, self.placements, self._drawn = {}, {}, set()
        self.forget_layout()
        self.groups = spatial_groups(layers)
        for name in self.layers:
            self.panels[name] = self.new_panel()
            self.panels[name].set_titles([f"d loss / d {name}"])
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
            panel.set_maps(g, levels)
            self._drawn.add(name)
            c, h, w = g.shape
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

    def shown(self, layer: str) -> np.ndarray:
        """``(C, H, W)`` d loss / d ``layer`` as drawn (read back from the mosaic)."""
        if layer not in self.panels:
            raise KeyError(f"no feature-map layer {layer!r}; have "
                           f"{', '.join(self.panels) or 'none'}")
        return self.panels[layer].shown_maps()

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

    def arrange(self, *_args) -> None:
        """Place the gradient mosaics and their colour bars for the canvas's size (the
        layout search only when the size, the font or the titles' height changed)."""
        size = self.canvas.size()
        if not self._drawn or size.width() < 20 or size.height() < 20:
            return
        names = [n for n in self.layers if n in self._drawn]
        title_px = max(self.panels[n].title_px() for n in names)
        if not self.layout_changed(tuple(names), round(title_px, 1)) and self.placements:
            return
        font = self.font()
        options = {}
        for name in names:
            count = self.panels[name].count
            options[name] = self.panels[name].options(
                GRAD_COLUMNS + ((count,) if count <= 5 else ()), font)
        templates = [[[n for n in g if n in options] for g in self.groups], [names],
                     [[n] for n in names], [names[i:i + 2] for i in range(0, len(names), 2)]]
        templates = [[row for row in t if row] for t in templates]
        self.placements = arrange(size.width(), size.height(), templates, options,
                                  title_px=title_px, spacing=8)
        self.show_placed(self.panels[name] for name in self.placements)   # before laying out
        for name, place in self.placements.items():
            self.panels[name].place(place, font)
