"""The class key under a plot: "class:" then one coloured symbol and digit per class.

The embedding (a dot per class) and the timeline (a line per class) draw it under their plot,
never as a legend over it (drawn over the points or curves, a label vanished among those of
its own colour and hid what was behind it)::

    key = ClassKey("●")                     # or "━━ " beside curves
    key.set_classes(10)                     # another network may have other classes
    key.set_bold(7)                         # the true class stands out (None: none)
    key.max_columns = 5                     # at most two rows of five (default: the width's)
    layout.addWidget(key)

The labels wrap into as many columns as the widget's width holds, in equal rows (5 + 5,
not 8 + 2); ``labels`` are the per-class ``QLabel`` s.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QSize
from PyQt6.QtWidgets import QGridLayout, QLabel, QLayout, QWidget

from .class_colours import class_colour


class ClassKey(QWidget):
    """A coloured ``symbol`` and the class number per class (see module doc); ``colour_of(k)``
    gives class ``k``'s ``(r, g, b)``, ``tooltip`` (with ``{k}``) each label's tool tip."""

    def __init__(self, symbol: str = "●", colour_of=class_colour, tooltip: str | None = None,
                 parent=None) -> None:
        super().__init__(parent)
        self.symbol, self.colour_of, self.tooltip = symbol, colour_of, tooltip
        self.grid = QGridLayout(self)
        # the key may be narrower than its labels in one row: it wraps them (minimumSizeHint)
        self.grid.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(10)
        self.grid.setVerticalSpacing(0)
        self.heading = QLabel("class:")
        self.grid.addWidget(self.heading, 0, 0)
        self.labels: list[QLabel] = []
        self.max_columns: int | None = None
        self._columns = 0

    def set_classes(self, count: int) -> None:
        """One label per class ``0 .. count - 1`` (nothing happens if that is what is shown)."""
        if count == len(self.labels):
            return
        for label in self.labels:
            self.grid.removeWidget(label)
            label.deleteLater()
        self.labels = []
        for k in range(count):
            r, g, b = self.colour_of(k)
            label = QLabel(f"<span style='color: rgb({r},{g},{b})'>{self.symbol}</span>{k}")
            if self.tooltip:
                label.setToolTip(self.tooltip.format(k=k))
            self.labels.append(label)
        self._columns = 0
        self.reflow()

    def set_bold(self, k: int | None) -> None:
        """Class ``k``'s label bold, every other one not."""
        for i, label in enumerate(self.labels):
            font = label.font()
            font.setBold(i == k)
            label.setFont(font)

    def reflow(self) -> None:
        """Place the labels in the columns that fit the widget's width."""
        if not self.labels:
            return
        widest = max(label.sizeHint().width() for label in self.labels) + 10
        room = self.width() - self.heading.sizeHint().width()
        count = len(self.labels)
        columns = max(1, min(count, self.max_columns or count, int(room // max(widest, 1))))
        if columns < count:             # equal rows: 5 + 5, not 8 + 2
            columns = -(-count // -(-count // columns))
        if columns == self._columns:
            return
        self._columns = columns
        for label in self.labels:
            self.grid.removeWidget(label)
        for k, label in enumerate(self.labels):
            self.grid.addWidget(label, k // columns, 1 + k % columns)
        for col in range(self.grid.columnCount()):
            self.grid.setColumnStretch(col, 0)
        self.grid.setColumnStretch(columns + 1, 1)

    def minimumSizeHint(self) -> QSize:
        """As narrow as "class:" and one column of labels; as tall as the rows placed now
        (a narrower key wraps into more rows when it is resized)."""
        if not self.labels:
            return super().minimumSizeHint()
        widest = max(label.minimumSizeHint().width() for label in self.labels)
        width = self.heading.minimumSizeHint().width() + self.grid.horizontalSpacing() + widest
        return QSize(width, self.grid.minimumSize().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.reflow()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:      # presentation mode: larger type
            self._columns = 0
            self.reflow()
