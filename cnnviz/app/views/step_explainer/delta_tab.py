"""The "Weight change ΔW" tab: ΔW = W after − W before of every layer with weights.

One panel per parameterised layer of ``net.describe()``, each on its own colour scale
symmetric around zero, with a colour bar:

* a conv layer's kernels: ``(F, 1, K, K)`` as F small tiles; ``(F, C, K, K)`` as a table,
  one row per input channel and one column per filter;
* an fc layer reading a flattened single map (the input image, a one-channel stack): each
  unit's weights as a tile of that map's shape;
* any other fc layer: its ``(units, inputs)`` matrix as a heatmap, one row per unit
  (stretched to the panel, since it is rarely square).
"""

from __future__ import annotations

import numpy as np

from ...fit_layout import Option, arrange
from ...mosaic import symmetric_levels
from ...mosaic_panel import MosaicBarPanel
from .common import CanvasTab, scale_text

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
            delta = np.asarray(d.delta(name), np.float32)
            levels = symmetric_levels(delta)
            how = self._shapes[name]
            layer = name.split(".")[0]
            if how[0] in ("filters", "table"):
                c_out, c_in, k, _ = delta.shape
                # row = input channel, column = output channel: a wide table, like the panel
                panel.set_maps(delta.transpose(1, 0, 2, 3).reshape(c_in * c_out, k, k), levels)
                what = (f"{c_out} filters {k}x{k}" if c_in == 1 else
                        f"{c_out} x {c_in} kernels: column = output channel, row = input")
            elif how[0] == "units":
                h, w = how[2]
                panel.set_maps(delta.reshape(-1, h, w), levels)
                what = f"each of {delta.shape[0]} units' {h}x{w} weights"
            else:
                panel.set_maps(delta[None], levels)
                what = f"{delta.shape[0]} units x {delta.shape[1]} inputs: one row per unit"
            panel.set_titles([f"ΔW {layer} ({what}), scale {scale_text(levels)}",
                              f"ΔW {layer}, scale {scale_text(levels)}", f"ΔW {layer}"])
        self.arrange()
        parts = [f"{name} {np.abs(d.delta(name)).max():.2g}" for name in d.params_after]
        self.set_caption(
            "ΔW = W after − W before, each panel on its own scale symmetric around 0 "
            "(red: the weight grew, blue: it shrank). Largest |ΔW| per parameter: "
            + ", ".join(parts) + ".",
            "ΔW = W after − W before (red: grew, blue: shrank), each on its own scale.")

    def shown(self, name: str) -> np.ndarray:
        """The ΔW drawn for weight ``name``, read back from the panel, shaped like it."""
        if name not in self.panels:
            raise KeyError(f"no weight {name!r}; have {', '.join(self.panels)}")
        maps, how = self.panels[name].shown_maps(), self._shapes[name]
        if how[0] == "matrix":
            return maps[0]
        if how[0] == "units":
            return maps.reshape(how[1])
        c_out, c_in, k, _ = how[1]
        return maps.reshape(c_in, c_out, k, k).transpose(1, 0, 2, 3)

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
    def _options(self, name: str) -> list[Option]:
        panel, how, font = self.panels[name], self._shapes[name], self.font()
        if how[0] == "matrix":
            # a heatmap stretches to any shape: a few, up to its own aspect (within 0.5..3)
            units, inputs = how[1]
            own = float(np.clip(inputs / units, 0.5, 3.0))
            aspects = sorted({a for a in (0.5, 1.0, 2.0) if a < own} | {own})
            # scored by the area a weight gets: sqrt(w * h / (units * inputs)) per weight
            return [Option(None, a, float(np.sqrt(units * inputs / a)),
                           extra_w=panel.bar_width(font)) for a in aspects]
        if how[0] == "table":
            return panel.options((how[1][0],), font)     # one column per output channel
        return panel.options(FILTER_COLUMNS, font)

    def arrange(self, *_args) -> None:
        """Place the panels and their colour bars for the canvas's size (the layout search
        only when the size, the font or the titles' height changed: not at every Step)."""
        size = self.canvas.size()
        if self._detail is None or not self.panels or size.width() < 20 or size.height() < 20:
            return
        title_px = max(p.title_px() for p in self.panels.values())
        if not self.layout_changed(round(title_px, 1)) and self.placements:
            return
        names = list(self.panels)
        options = {name: self._options(name) for name in names}
        convs = [n for n in names if self._shapes[n][0] in ("filters", "table")]
        dense = [n for n in names if n not in convs]
        templates = [[names], [[n] for n in names]]
        if convs and dense:
            templates.append([convs, dense])
        if len(names) > 2:
            half = (len(names) + 1) // 2
            templates.append([names[:half], names[half:]])
        self.placements = arrange(size.width(), size.height(), templates, options,
                                  title_px=title_px, spacing=8)
        self.show_placed(self.panels[name] for name in self.placements)   # before laying out
        for name, place in self.placements.items():
            self.panels[name].place(place, self.font())
