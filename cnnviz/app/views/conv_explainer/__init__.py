"""The convolution, explained on the trained network, one output pixel at a time.

Pick a pixel ``(row, col)`` of channel ``f`` of any conv layer (with the picker, by clicking
the small map, or from the feature-map view through ``explain``) and the view shows how the
engine computed it::

    out[f, row, col] = bias[f] + sum_{c, u, v} weight[f, c, u, v] * xp[c, S*row + u, S*col + v]

(``xp``: the input with the layer's zero padding, ``S``: its stride): the window on the
input (the zero border drawn around it), the kernel, their element-wise products with the
numbers, the sum plus bias, the activation after it, and the pool cell it feeds. A conv that
reads several channels also shows each input channel's sum of products as a bar; with many
channels that row pages (◀ ▶, ``channels.pager``), the Σ line still adds them all.

The numbers come from ``cnnviz.explain.conv_arithmetic`` (``state.net``'s parameters and
``state.trace``); the view also prints the engine's own output so the class sees they agree.
``main_row.py`` draws the first row, ``channels_row.py`` the per-channel row, ``view.py``
holds the picker and the text.
"""

from ....explain.conv_arithmetic import ConvPixel, explain_pixel, formula_text
from .main_row import MIN_TEXT_PX
from .view import NO_CONV, ConvExplainerView

Explanation = ConvPixel

__all__ = ["ConvExplainerView", "ConvPixel", "Explanation", "MIN_TEXT_PX", "NO_CONV",
           "explain_pixel", "formula_text"]
