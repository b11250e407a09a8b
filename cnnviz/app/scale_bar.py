"""The colour bar beside a ``MosaicBarPanel``'s maps: its scale, its tick labels, its place.

``ScaleBar`` is a ``pg.ColorBarItem`` (so ``levels()``, ``axis`` and ``bar`` work as usual)
that also knows

* how wide its tick labels are: the widest label expected (``tick_sample``, e.g. ``"-0.25"``
  or ``"-5e-05"``) in the larger of the view's font and its own tick font (presentation
  mode sets one), so a label is never cut;
* what to show when short: a bar too short for ``TICK_LINES`` labels shows one, the scale
  (``"±0.4"``, ``"±1e-4"``) in the shortest form that fits, in its middle; one shorter than
  a line shows none rather than a label spilling over its neighbours;
* where its labels are drawn (``drawn_ticks()``: what the axis paints, for tests).
"""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtCore import QRectF
from PyQt6.QtGui import QFont, QFontMetricsF, QImage, QPainter

BAR_WIDTH = 14          # the colour strip, pixels
BAR_GAP = 4             # between the maps and the strip
TICK_LINES = 3.5        # a bar shorter than this many tick lines shows one label (the scale)


def short_number(value: float, digits: int = 2) -> str:
    """``value`` in ``digits`` significant digits, in the shorter of fixed and scientific
    notation with a short exponent: 0.00012 -> "0.00012", 1 digit -> "1e-4"."""
    fixed = f"{value:.{digits}g}"
    mantissa, _, exponent = f"{value:.{digits - 1}e}".partition("e")
    science = f"{mantissa}e{int(exponent)}"
    return science if len(science) < len(fixed) else fixed


class ScaleBar(pg.ColorBarItem):
    """A non-interactive colour bar for ``cmap`` (see the module doc)."""

    def __init__(self, cmap: pg.ColorMap, tick_sample: str = "-0.25") -> None:
        super().__init__(values=(-1, 1), colorMap=cmap, interactive=False, width=BAR_WIDTH,
                         colorMapMenu=False)
        self.tick_sample = tick_sample
        self._font: QFont | None = None       # the view's font at the last place()
        self._height = 0.0                    # the strip's placed height, pixels
        self._scale = (-1.0, 1.0)
        self._ticks = None                    # as given to set_scale
        self._shown_ticks = None              # as on the axis

    # -- scale ----------------------------------------------------------------------------
    def set_scale(self, levels, ticks=None) -> None:
        """Show ``levels (low, high)`` with ``ticks`` (as for ``AxisItem.setTicks``; None:
        automatic)."""
        self._scale = tuple(float(v) for v in levels)
        if tuple(self.levels()) != self._scale:     # an axis redraw costs milliseconds
            self.setLevels(self._scale)
        self._ticks = ticks
        self._show_ticks()

    def _show_ticks(self) -> None:
        ticks, line = self._ticks, self._tick_line()
        if self._height and self._height < TICK_LINES * line:
            lo, hi = self._scale
            forms = [(f"±{short_number(hi, d)}" if lo == -hi else
                      f"{short_number(lo, d)}…{short_number(hi, d)}") for d in (2, 1)]
            metrics = QFontMetricsF(self._tick_fonts()[-1])
            room = self.axis.width() - 12
            text = next((t for t in forms if metrics.horizontalAdvance(t) <= room), forms[-1])
            ticks = [[((lo + hi) / 2, text)]] if self._height >= line else [[]]
        if ticks != self._shown_ticks:
            self._shown_ticks = ticks
            self.axis.setTicks(ticks)

    def drawn_ticks(self) -> list[tuple[str, QRectF]]:
        """``(text, scene rectangle)`` of every tick label the axis paints now (labels
        that would not fit are left out, as when painting)."""
        if not self.isVisible():
            return []
        image = QImage(4, 4, QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        try:
            if self.axis.style["tickFont"]:
                painter.setFont(self.axis.style["tickFont"])
            specs = self.axis.generateDrawSpecs(painter)
        finally:
            painter.end()
        if specs is None:
            return []
        return [(text, self.axis.mapRectToScene(rect)) for rect, _flags, text in specs[2]]

    # -- size and place ---------------------------------------------------------------------
    def _tick_fonts(self, font: QFont | None = None) -> list[QFont]:
        """The view's font and the bar's own tick font (set by presentation mode)."""
        fonts = [f for f in (font or self._font, self.axis.style.get("tickFont")) if f]
        return fonts or [QFont()]

    def tick_width(self, font: QFont) -> float:
        return max(QFontMetricsF(f).horizontalAdvance(self.tick_sample)
                   for f in self._tick_fonts(font)) + 14

    def _tick_line(self) -> float:
        return max(QFontMetricsF(f).height() for f in self._tick_fonts())

    def width_for(self, font: QFont) -> float:
        """Pixels right of the maps: the gap, the strip and the tick labels."""
        return BAR_GAP + BAR_WIDTH + self.tick_width(font)

    def place(self, x: float, top: float, height: float, font: QFont) -> None:
        """Beside maps whose content spans ``top``..``top + height``, from ``x`` (the maps'
        right edge), inset by half a line at both ends (the end labels are centred on
        them)."""
        self._font = QFont(font)
        width = self.width_for(font)
        self.axis.setWidth(self.tick_width(font))     # pyqtgraph's fixed 45 px cut labels
        pad = min(self._tick_line() / 2, height / 4)
        self._height = height - 2 * pad
        self.setGeometry(QRectF(x + BAR_GAP, top + pad, width - BAR_GAP, self._height))
        # lay out and map now, not at the next paint (a caller reading where it is)
        self.layout.activate()
        self.vb.updateViewRange()
        self.vb.updateMatrix()
        self._show_ticks()
