"""Fit a pyqtgraph title (``LabelItem``) to the width of its panel.

A ``LabelItem`` draws its text as HTML with the size from its ``size`` option ("14pt"),
so ``label.item.font()`` is NOT the font the text is drawn in: measuring with it made long
titles look short enough and they overlapped their neighbours (presentation mode makes the
titles 1.5x larger). And a ``LabelItem`` sets its minimum width to its text's width, which
widens the panel it sits in past the rectangle it was given. ``fit_label`` measures in the
drawn font and, if even the shortest text is too wide, elides it, so a title is never wider
than its panel.
"""

from __future__ import annotations

import re

from PyQt6 import sip
from PyQt6.QtCore import QEvent, QObject, QRectF, Qt, QTimer
from PyQt6.QtGui import QFont, QFontMetricsF

MIN_SCALE = 0.45     # a title drawn no smaller than this share of its size
TEXT_MARGIN = 10.0     # QGraphicsTextItem's document margin (4 px a side) and a little air


def label_font(label) -> QFont:
    """The font ``label`` (a ``pg.LabelItem``) draws its text in."""
    font = QFont(label.item.font())
    size = label.opts.get("size")
    if isinstance(size, str):
        number = re.match(r"\s*([0-9.]+)\s*(pt|px)\s*$", size)
        if number:
            value, unit = float(number.group(1)), number.group(2)
            if unit == "pt":
                font.setPointSizeF(value)
            else:
                font.setPixelSize(max(1, round(value)))
    if label.opts.get("bold") is True:
        font.setBold(True)
    return font


LINE_BREAK = re.compile(r"<br\s*/?>")


def text_width(metrics: QFontMetricsF, text: str) -> float:
    """Pixels ``text`` needs: its widest line (a title may break its lines with ``<br>``)."""
    return max(metrics.horizontalAdvance(line) for line in LINE_BREAK.split(text))


def text_fits(label, text: str, width: float) -> bool:
    """Whether ``text`` fits ``width`` pixels in ``label``'s drawn font, at its full size."""
    return text_width(QFontMetricsF(label_font(label)), text) <= max(0.0, width - TEXT_MARGIN)


def fitting_text(label, texts: list[str], width: float, scale: float = 1.0) -> str:
    """The first of ``texts`` (longest first) that fits ``width`` pixels in ``label``'s font
    scaled by ``scale``; if none does, the last one elided ("…") to fit."""
    metrics = QFontMetricsF(label_font(label))
    room = max(0.0, width - TEXT_MARGIN) / scale
    for text in texts:
        if text_width(metrics, text) <= room:
            return text
    return metrics.elidedText(texts[-1], Qt.TextElideMode.ElideRight, room)


def fit_label(label, texts: list[str], width: float, min_scale: float = MIN_SCALE) -> str:
    """Show the longest of ``texts`` that fits ``width``; if none does, the shortest drawn
    smaller (down to ``min_scale`` of its size), elided if it still does not fit. The label
    is scaled, not re-sized, so its font size stays what the view or presentation mode set."""
    metrics = QFontMetricsF(label_font(label))
    room = max(0.0, width - TEXT_MARGIN)
    shortest = text_width(metrics, texts[-1])
    scale = 1.0 if shortest <= room else max(min_scale, room / max(shortest, 1.0))
    text = fitting_text(label, texts, width, scale)
    if abs(label.item.scale() - scale) > 1e-3:
        label.item.setScale(scale)
        if text == label.text:
            label.setText(text)         # re-measures and re-centres the scaled text
    if text != label.text:
        label.setText(text)
    return text


def fit_axis_label(axis, texts: list[str]) -> str:
    """Label the ``pg.AxisItem`` with the longest of ``texts`` that fits along it (a left
    axis's height, a bottom axis's width); the last one if none does. A vertical label
    longer than a short plot ran off its top ("cross-entropy loss" at 1280x720)."""
    font = QFont(axis.label.font())
    size = str(axis.labelStyle.get("font-size", ""))
    if size.endswith("pt"):
        font.setPointSizeF(float(size[:-2]))
    elif size.endswith("px"):
        font.setPixelSize(max(1, round(float(size[:-2]))))
    length = axis.height() if axis.orientation in ("left", "right") else axis.width()
    metrics = QFontMetricsF(font)
    text = next((t for t in texts if metrics.horizontalAdvance(t) + TEXT_MARGIN <= length),
                texts[-1])
    if text != axis.labelText:
        axis.setLabel(text)        # keeps the axis's label style (presentation mode's size)
    return text


class _ShrinkBack(QObject):
    """Event filter of a GraphicsLayoutWidget's central item: see ``keep_layout_in_view``."""

    def __init__(self, graphics) -> None:
        super().__init__(graphics)
        self.graphics = graphics

    def eventFilter(self, watched, event) -> bool:     # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LayoutRequest:
            QTimer.singleShot(0, self.shrink)
        return False

    def shrink(self) -> None:
        if sip.isdeleted(self) or sip.isdeleted(self.graphics):
            return
        ci, view = self.graphics.ci, self.graphics.range
        size = view.size().expandedTo(ci.effectiveSizeHint(Qt.SizeHint.MinimumSize))
        if ci.size() != size:
            ci.setGeometry(QRectF(view.topLeft(), size))


def keep_layout_in_view(graphics) -> None:
    """Give ``graphics``' (a ``pg.GraphicsLayoutWidget``) layout back its view's size when
    the layout's minimum shrinks again. Qt grows a layout whose minimum (a long title,
    presentation mode's large type) outgrew its view but never shrinks it back, so after the
    titles were fitted the Fool view's plot still ran past the view's right edge."""
    graphics.ci.installEventFilter(_ShrinkBack(graphics))
