"""The inspector's text column: the selected layer's explanation over its parameters.

``TextColumn`` holds the explanation (a ``QTextBrowser``, it scrolls) and the parameters (a
heading with their total, one line each below it in a ``QScrollArea``), and shares its height
between them (``fit``):

* at a desk the parameters get every line they need (at most ``PARAMS_SHARE`` of the column,
  half of it when the column sits under the picture) while the explanation keeps
  ``EXPLANATION_LINES`` lines: at 1280x720 the parameters scrolled, at 1366x768 they showed
  two of six lines;
* in large type (presentation mode) the explanation comes first, the teacher reads it out:
  the parameters get their lines only while it still fits whole, else ``PARAMS_LINES`` lines
  (they scroll, and their scroll bar says so). On the 1280x720 stage the explanation showed
  one and a half lines under its heading.

The parameters never get fewer than ``PARAMS_LINES`` lines (or all they have): in a dock too
short for everything the view grows and its frame scrolls, as any view's does.
"""

from __future__ import annotations

import math

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QScrollArea, QTextBrowser, QVBoxLayout, QWidget

from ....explain.layer_texts import parameters_html, parameters_total
from ...tile_labels import LARGE_TYPE_PT

PARAMS_SHARE = 0.6      # of the column the parameters may take at a desk
EXPLANATION_LINES = 3   # lines of the explanation kept before the parameters get room
PARAMS_LINES = 2        # lines of the parameters kept while the explanation needs the room


class TextColumn(QWidget):
    """The explanation over the parameters (``explanation``, ``params_title``,
    ``params_area`` holding ``params_label``)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.explanation = QTextBrowser()
        self.explanation.setOpenLinks(False)
        self.explanation.setMinimumSize(120, 60)
        self.params_label = QLabel()
        self.params_label.setTextFormat(Qt.TextFormat.RichText)
        self.params_label.setWordWrap(True)
        self.params_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.params_label.setContentsMargins(4, 4, 4, 4)
        # the lines scroll in a narrow dock instead of setting the window's minimum width
        area = self.params_area = QScrollArea()
        area.setWidget(self.params_label)
        area.setWidgetResizable(True)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setMinimumSize(120, 40)
        self.params_title = QLabel("<b>Parameters</b>")
        self.params_title.setWordWrap(True)     # its total never sets the dock's width
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.explanation, 3)
        layout.addWidget(self.params_title)
        layout.addWidget(area, 2)

    def set_texts(self, explanation: str | None = None, params: dict | None = None) -> None:
        """A new explanation (HTML) and/or parameters ``{short name: array}``."""
        if explanation is not None:
            self.explanation.setHtml(explanation)
        if params is not None:
            self.params_label.setText(parameters_html(params))
            self.params_title.setText(f"<b>Parameters</b> · {parameters_total(params)}")

    def apply_font(self) -> None:
        """The explanation's least height: ``EXPLANATION_LINES`` lines of its text, in its
        type (it was 60 px, one and a half lines in presentation mode's type)."""
        text = self.explanation
        text.setMinimumHeight(EXPLANATION_LINES * text.fontMetrics().lineSpacing()
                              + 2 * text.frameWidth()
                              + 2 * round(text.document().documentMargin()))

    def fit(self, under_picture: bool) -> None:
        """Share the column's height (see the module docstring); ``under_picture``: the
        column sits under the picture, not beside it."""
        area, label, text = self.params_area, self.params_label, self.explanation
        frame = 2 * area.frameWidth()
        need = label.heightForWidth(max(1, area.viewport().width())) + frame
        height = self.height()
        avail = (height - self.params_title.heightForWidth(self.width())
                 - 2 * self.layout().spacing())
        # never fewer than PARAMS_LINES lines: in a short dock the view grows and its frame
        # scrolls, rather than the parameters vanishing
        least = min(need, PARAMS_LINES * label.fontMetrics().lineSpacing() + frame
                    + label.contentsMargins().top() + label.contentsMargins().bottom())
        if self.font().pointSizeF() >= LARGE_TYPE_PT:
            text_need = math.ceil(text.document().size().height()) + 2 * text.frameWidth()
            room = min(need, avail - max(text_need, text.minimumHeight()))
        else:
            room = min(need, int(height * PARAMS_SHARE), avail - text.minimumHeight())
            if under_picture:
                room = min(room, height // 2)       # never squeeze the picture's neighbour
        room = max(least, room)
        if area.maximumHeight() != room or area.minimumHeight() != room:
            area.setFixedHeight(room)
