"""One step, before and after: what a single mini-batch of SGD did to the network.

After each Step (``state.stepped`` calls ``show_step(detail)`` with the worker's ``StepDetail``)
the view shows, for any network (everything is read from ``net.describe()``):

* the batch's digits with their true labels and the network's predictions before and after
  the update (click a digit to follow it in the gradient tabs), the batch's mean loss before
  and after, large, and their difference (``StepHeader``);
* tab "Weight change": ΔW = W_after - W_before of every layer with weights, each on its
  own colour scale symmetric around zero (``DeltaTab``);
* tab "Gradients": d loss / d (each feature map) for the chosen digit (``GradsTab``);
* tab "Max-pool routing": for one channel of every max-pool layer, the gradient arriving at
  the pool and after max-pool backward, with the winner of each 2x2 window outlined
  (``RoutingTab``).

Every number is the worker's: ``detail.delta(name)`` is exactly what the optimizer changed,
the gradients are the backward pass of that very step (``detail.output_grads``) and the
winners its forward pass's (``detail.pool_masks``); the view builds no network.

Layers of many channels page (◀ ▶ beside a panel's title, by click or by keyboard: Tab to
an arrow, then Enter, Left / Right, Page Up / Down) so every map and kernel stays readable;
a panel's colour scale is its whole layer's, the same on every page.

Public API (tests, scripts): ``show_step(detail)``, ``select_digit(k)``,
``select_pool_channel(pool, channel)``, ``shown_delta(name, page=None)`` (the ΔW drawn,
read back from its panel, every page or one), ``delta_levels(name)``,
``shown_grad(layer, page=None)``, ``routing(pool)`` -> dict of the
arrays drawn, ``digit``, ``detail``, and the tabs ``delta_tab``, ``grad_tab``,
``routing_tab``.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QEvent
from PyQt6.QtWidgets import QTabWidget, QVBoxLayout

from ...live_view import LiveView
from .delta_tab import DeltaTab
from .grads_tab import GradsTab
from .header import StepHeader
from .routing_tab import RoutingTab


class StepExplainerView(LiveView):
    """The last single step: batch, loss before/after, ΔW, gradients, pool routing (a
    ``LiveView`` drawn from its payload ``detail``: at once if exposed, else when shown)."""

    def __init__(self, state, parent=None) -> None:
        super().__init__(state, parent)
        self.setObjectName("stepExplainerView")
        self.detail = None
        self.digit = 0                       # index into the batch of the followed digit
        self.pool_channel: dict[str, int] = {}
        self._auto_channel = True            # pick the strongest channel for a new digit
        self.header = StepHeader()
        self.header.digitClicked.connect(self.select_digit)
        self.delta_tab, self.grad_tab, self.routing_tab = DeltaTab(), GradsTab(), RoutingTab()
        self.routing_tab.channelPicked.connect(self.select_pool_channel)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.delta_tab, "Weight change ΔW")
        self.tabs.addTab(self.grad_tab, "Gradients of the feature maps")
        self.tabs.addTab(self.routing_tab, "Max-pool routing")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)
        state.modelChanged.connect(self._on_model)
        state.stepped.connect(self.show_step)
        state.paramsChanged.connect(self._on_params)
        state.modifiedChanged.connect(self._on_params)
        self._set_network()

    # the header's widgets, as the view's own (tests, presentation mode)
    intro = property(lambda self: self.header.intro)
    cells = property(lambda self: self.header.cells)
    loss_before = property(lambda self: self.header.loss_before)
    loss_after = property(lambda self: self.header.loss_after)
    loss_change = property(lambda self: self.header.loss_change)
    _loss_captions = property(lambda self: self.header.loss_captions)
    routing_text = property(lambda self: self.routing_tab.text)

    def _set_network(self) -> None:
        layers = self.state.net.describe()
        self.delta_tab.set_network(layers)
        self.grad_tab.set_network(layers)
        self.routing_tab.set_network(layers)
        self.pool_channel = {pool: 0 for pool in self.routing_tab.pools}

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.FontChange:
            self.header.apply_fonts()
            for tab in (self.delta_tab, self.grad_tab, self.routing_tab):
                tab.apply_fonts()
        super().changeEvent(event)

    # -- public API --------------------------------------------------------------------------
    def show_step(self, detail) -> None:
        """Show what ``detail`` (a ``StepDetail``) did; the followed digit restarts at 0."""
        own = self.state.net.params
        if set(detail.params_after) != set(own) or any(
                v.shape != own[k].shape for k, v in detail.params_after.items()):
            return                   # another network's step, still queued: not this one's
        self.detail = detail
        self.digit = 0
        self._auto_channel = True
        self.refresh_if_exposed()            # else drawn when shown

    def select_digit(self, k: int) -> None:
        """Follow batch digit ``k`` in the gradient and routing tabs."""
        if self.detail is None:
            return
        self.digit = int(np.clip(k, 0, len(self.detail.labels) - 1))
        self._auto_channel = True
        self.refresh()

    def select_pool_channel(self, pool: str, channel: int) -> None:
        """Follow ``channel`` of max-pool layer ``pool`` in the routing tab."""
        if pool not in self.routing_tab.pools:
            raise ValueError(f"no max-pool layer {pool!r}; choose one of: "
                             f"{', '.join(self.routing_tab.pools) or 'none in this network'}")
        self._auto_channel = False
        self.pool_channel[pool] = int(channel)
        if self.detail is not None:
            self.refresh()

    def shown_delta(self, name: str, page: int | None = None) -> np.ndarray:
        """The ΔW drawn for weight ``name`` (e.g. "conv1.weight", "fc1.weight"), read back
        from its panel, shaped like the parameter: on every page (None), or on page ``page``
        only (NaN where another page shows the weight)."""
        self._ensure_drawn()
        return self.delta_tab.shown(name, page)

    def delta_levels(self, name: str) -> tuple[float, float]:
        self._ensure_drawn()
        return self.delta_tab.levels(name)

    def shown_grad(self, layer: str, page: int | None = None) -> np.ndarray:
        """``(C, H, W)`` d loss / d ``layer`` drawn for the followed digit (from the mosaic),
        on every page (None) or on page ``page`` only (NaN in the other pages' channels)."""
        self._ensure_drawn()
        return self.grad_tab.shown(layer, page)

    def routing(self, pool: str) -> dict[str, np.ndarray]:
        """The arrays of the routing row of ``pool``: ``arriving (h, w)`` gradient at the pool
        output, ``routed (H, W)`` after max-pool backward, ``winners (H, W)`` bool mask,
        and ``channel``."""
        self._ensure_drawn()
        return dict(self.routing_tab.shown[pool])

    # -- drawing ------------------------------------------------------------------------------
    def _ensure_drawn(self) -> None:
        if self.detail is None:
            raise RuntimeError("no step shown yet: press Step first")
        if self.dirty:
            self.refresh()

    def _on_model(self) -> None:
        """Another network (loaded, reset): the last step was the old one's; forget it."""
        self.clear()
        self._set_network()

    def _trained(self) -> bool:
        return bool(self.state.pretrained or self.state.modified)

    def _on_params(self, *_args) -> None:
        """New weights with no step shown (a run trained): the intro must not say "new"."""
        if self.detail is None:
            self.header.show_intro(self._trained())

    def clear(self) -> None:
        """Show no step (the intro, empty panels) until the next Step."""
        self.detail = None
        self.header.clear(self._trained())
        for tab in (self.delta_tab, self.grad_tab, self.routing_tab):
            tab.clear()

    def refresh(self) -> None:
        d = self.detail
        if d is None:
            return
        self.header.draw(d, self.digit)
        self.delta_tab.draw(d)
        self.grad_tab.draw(d, self.digit)
        self.pool_channel.update(self.routing_tab.draw(d, self.digit, self.pool_channel,
                                                       self._auto_channel))
