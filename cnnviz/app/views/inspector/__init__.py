"""The layer-by-layer inspector: click a step of the network and see what it does to the probe.

A schematic row ``input -> conv -> ReLU -> pool -> ... -> dense -> softmax`` (one checkable
button per layer of ``net.describe()``, with its output shape) selects a layer. The view then
shows

* its output for the probe, large: a mosaic of all channels for a map layer (paged with
  ◀ ▶ when the maps would fall below ``paging.MIN_TILE_PX`` a side), bars for a
  vector layer (a dense layer's units, the labelled class probabilities of the softmax);
  clicking a channel or a dense unit opens its card (``state.select_channel``);
* for a map layer, its input beside it; hovering an output pixel shows its value and
  outlines the window it reads on the input: a conv pixel's KxK window at its stride (on
  every input channel; the zero border of a padded conv is counted in the text), a pool
  pixel's window, an element-wise layer's own pixel;
* its parameters (names, shapes, counts, min / max / mean), live while training;
* a plain-words explanation with the formula (``cnnviz.explain.layer_texts``).

Files: ``view.py`` (the widget), ``maps_page.py`` and ``bars_page.py`` (its two pictures),
``flow_layout.py`` (the wrapping schematic), ``hover.py``.

Public API for tests: ``select_layer(name)``, ``selected_layer``,
``receptive_field_for(layer, row, col) -> (top, left, size)``, ``hover(y, x)`` (mosaic
coordinates of the output page shown; returns a ``HoverInfo`` with the global channel, or
None); ``output_panel`` / ``input_panel`` are ``MosaicBarPanel`` s (``show_index(c)``,
``next_page()``, ``page_start``, ``tile_px()``).
"""

from ....explain.layer_texts import display_name, explanation_html, parameters_html, shape_text
from .flow_layout import FlowLayout
from .hover import HoverInfo
from .view import InspectorView

__all__ = ["FlowLayout", "HoverInfo", "InspectorView", "display_name", "explanation_html",
           "parameters_html", "shape_text"]
