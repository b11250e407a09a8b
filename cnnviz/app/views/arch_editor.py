"""Architecture editor: type the network as text, or add / remove / move layers with buttons.

Every edit is parsed at once (``cnnviz.nn.arch.parse_arch``, nothing is built): each layer's
output shape and parameter count, the total, and any error inline, on the row of the token
it names. **Apply** asks the main window (``applyRequested``) to build fresh weights of the
text; the editor follows ``AppState.modelChanged``, so opening a checkpoint shows its
architecture here.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, Qt, pyqtSignal
from PyQt6.QtGui import QBrush, QColor, QFont, QFontDatabase
from PyQt6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                             QLineEdit, QMenu, QPushButton, QSizePolicy, QTableWidget,
                             QTableWidgetItem,
                             QToolButton, QVBoxLayout, QWidget)

from ...nn.arch import (ARCH_PRESETS, DEFAULT_TOKENS, ArchitectureError, LayerInfo, parse_arch,
                        split_tokens)
from ...training.classes import classes_needed

CUSTOM = "custom"
ERROR_BG, UNCHECKED_FG, IMPLIED_FG = QColor("#f8d0d0"), QColor("#909090"), QColor("#707070")


def shape_text(shape: tuple[int, ...]) -> str:
    """``(8, 28, 28) -> "8×28×28"``."""
    return "×".join(str(d) for d in shape)


class ArchEditorView(QWidget):
    """The architecture text, a live table of its layers and Apply."""

    applyRequested = pyqtSignal(str)
    COLUMNS = ("token", "layer", "output", "params")

    def __init__(self, state=None, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.current = state.net.arch if state is not None else ARCH_PRESETS["lenet"]
        self.architecture = None        # the parsed text, or None while it has an error
        self.error: ArchitectureError | None = None
        self._rows: list[int | None] = []     # token index of each table row (None: implied)
        self._filling = False

        self.preset_combo = QComboBox()
        self.preset_combo.addItem(CUSTOM, CUSTOM)
        for name, text in ARCH_PRESETS.items():
            self.preset_combo.addItem(name, name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, text,
                                          Qt.ItemDataRole.ToolTipRole)
        self.preset_combo.setToolTip("Preset: start from a preset architecture")
        self.text_edit = QLineEdit()
        self.text_edit.setObjectName("archText")
        self.text_edit.setFont(self._fixed_font())
        self.text_edit.setPlaceholderText("conv8x3p1 relu maxpool fc10")
        self.text_edit.setToolTip(
            "Layers separated by spaces: conv<F>x<K>[p<P>][s<S>], relu, sigmoid, tanh, maxpool, "
            "avgpool, dropout<P>, fc<N>. A flatten is implied before the first fc; the last fc "
            "gives the class scores.")

        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        # the numbers always in full, the token column takes what is left (elided, its
        # text is in the line above): no horizontal scroll bar in a narrow dock
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(self.fontMetrics().horizontalAdvance("M" * 5))
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setToolTip("Double-click a token to change it (e.g. conv8x3p1 -> conv16x5)")

        self.add_button = QToolButton()
        self.add_button.setText("Add")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        for kind, token in DEFAULT_TOKENS.items():
            menu.addAction(token if token == kind else f"{kind} ({token})",
                           lambda _checked=False, t=token: self.add_layer(t))
        self.add_button.setMenu(menu)
        self.add_button.setToolTip("Add a layer after the selected one")
        self.remove_button = QPushButton("Remove")
        self.up_button = QPushButton("Up")
        self.down_button = QPushButton("Down")
        self.remove_button.setToolTip("Remove the selected layer")
        self.up_button.setToolTip("Move the selected layer one place earlier")
        self.down_button.setToolTip("Move the selected layer one place later")

        self.total_label = QLabel()
        self.total_label.setObjectName("archTotal")
        self.error_label = QLabel()
        self.error_label.setObjectName("archError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.current_label = QLabel()           # one line beside Apply, elided; full: tooltip
        self.current_label.setObjectName("archCurrent")
        self.current_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                         QSizePolicy.Policy.Preferred)
        self._current_texts: tuple[str, ...] = ("",)
        self.apply_button = QPushButton("Apply (fresh weights)")
        self.apply_button.setObjectName("archApply")
        self.apply_button.setToolTip("Build this network with fresh random weights (the seed "
                                     "of the training controls); asks first if the current "
                                     "model is trained and unsaved")
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Back to the current network's architecture")

        # Compact rows, so the layer table keeps most of a short dock (a 1280x720 screen
        # left it two rows): the preset beside the text, the current network beside Apply.
        top = QHBoxLayout()
        top.addWidget(self.preset_combo)
        top.addWidget(self.text_edit, 1)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.apply_button)
        bottom.addWidget(self.revert_button)
        bottom.addWidget(self.current_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addLayout(buttons)
        # under the buttons, so an error appearing (or growing a line) moves the table, not
        # the Up / Down a user is clicking again and again
        layout.addWidget(self.error_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.total_label)
        layout.addLayout(bottom)

        self.text_edit.textChanged.connect(self._on_text)
        self.preset_combo.currentIndexChanged.connect(self._on_preset)
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.remove_button.clicked.connect(self.remove_layer)
        self.up_button.clicked.connect(lambda: self.move_layer(-1))
        self.down_button.clicked.connect(lambda: self.move_layer(1))
        self.apply_button.clicked.connect(self.apply)
        self.revert_button.clicked.connect(lambda: self.set_text(self.current))
        if state is not None:
            state.modelChanged.connect(self._on_model_changed)
        self.set_text(self.current)

    # -- the text ------------------------------------------------------------------------

    def _fixed_font(self) -> QFont:
        """The system's fixed-width font at the widget's size (presentation mode enlarges it)."""
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(self.font().pointSizeF())
        return font

    def changeEvent(self, event) -> None:      # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.FontChange and hasattr(self, "table"):
            self.text_edit.setFont(self._fixed_font())
            self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
            self.table.horizontalHeader().setMinimumSectionSize(
                self.fontMetrics().horizontalAdvance("M" * 5))
            self._elide_current()
        super().changeEvent(event)

    def resizeEvent(self, event) -> None:      # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._elide_current()
    def text(self) -> str:
        return self.text_edit.text()

    def set_text(self, text: str) -> None:
        if text == self.text_edit.text():
            self._on_text(text)
        else:
            self.text_edit.setText(text)

    def tokens(self) -> list[str]:
        return split_tokens(self.text())

    def _set_tokens(self, tokens: list[str], select: int | None = None) -> None:
        self.set_text(" ".join(tokens))
        if select is not None and select in self._rows:
            self.table.selectRow(self._rows.index(select))

    def _on_text(self, text: str) -> None:
        try:
            self.architecture, self.error = parse_arch(text), None
            layers = self.architecture.layers
        except ArchitectureError as exc:
            self.architecture, self.error = None, exc
            layers = exc.layers
        problem = self.error or self._class_problem()
        self.error_label.setText(f"✗ {problem}" if problem else "")
        self.error_label.setVisible(bool(problem))
        self._fill_table(layers)
        if self.architecture is not None:
            a = self.architecture
            self.total_label.setText(f"<b>Total: {a.parameter_count:,} parameters</b> · "
                                     f"{a.classes} classes")
        else:
            self.total_label.setText("Total: -- (fix the error above)")
        canonical = self.architecture.text if self.architecture is not None else None
        preset = next((n for n, t in ARCH_PRESETS.items() if t == canonical), CUSTOM)
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(self.preset_combo.findData(preset))
        self.preset_combo.blockSignals(False)
        self._update_current_label()
        self._update_buttons()

    def _class_problem(self) -> str | None:
        """A parsed network whose class scores do not fit the data's labels."""
        ds = getattr(self.state, "dataset", None)
        if self.architecture is None or ds is None or not len(ds.test_labels):
            return None
        needed = classes_needed(ds.train_labels, ds.test_labels)
        scores = self.architecture.classes
        if scores == needed:
            return None
        last = self.architecture.layers[-1]
        only = "only " if scores > needed else ""
        return (f"token {last.position} '{last.token}': the last fc gives {scores} class scores "
                f"but the data has {only}{needed} classes: end it with fc{needed}")

    # -- the table -----------------------------------------------------------------------
    def _fill_table(self, layers: tuple[LayerInfo, ...]) -> None:
        tokens = self.tokens()
        rows: list[tuple[int | None, list[str], str]] = []    # (token index, cells, style)
        covered = -1
        for info in layers:
            if info.kind == "flatten":
                rows.append((None, ["(flatten)", info.name, shape_text(info.output_shape), ""],
                             "implied"))
                continue
            index = info.position - 1
            covered = max(covered, index)
            params = f"{info.parameter_count:,}" if info.params else ""
            bad = self.error is not None and self.error.position == info.position
            rows.append((index, [tokens[index], info.name, shape_text(info.output_shape), params],
                         "error" if bad else ""))
        for index in range(covered + 1, len(tokens)):
            bad = self.error is not None and self.error.position == index + 1
            rows.append((index, [tokens[index], "", "error" if bad else "not checked", ""],
                         "error" if bad else "unchecked"))
        self._filling = True
        selected = self._selected_row_token()[0]
        self.table.setRowCount(len(rows))
        self._rows = [index for index, _, _ in rows]
        italic = QFont(self.table.font())
        italic.setItalic(True)
        for r, (index, cells, style) in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
                if c == 0 and index is not None:
                    flags |= Qt.ItemFlag.ItemIsEditable
                item.setFlags(flags)
                if c >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if style == "error":
                    item.setBackground(QBrush(ERROR_BG))
                    item.setToolTip(str(self.error))
                elif style == "unchecked":
                    item.setForeground(QBrush(UNCHECKED_FG))
                elif style == "implied":
                    item.setForeground(QBrush(IMPLIED_FG))
                    item.setFont(italic)
                    item.setToolTip("implied before the first fc")
                self.table.setItem(r, c, item)
        if selected is not None and selected in self._rows:
            self.table.selectRow(self._rows.index(selected))
        self._filling = False

    def _selected_row_token(self) -> tuple[int | None, bool]:
        """(token index of the selected row, whether a row is selected); the implied flatten
        counts as just before the first fc."""
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self._rows):
            return None, False
        return self._rows[rows[0].row()], True

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 0:
            return
        index = self._rows[item.row()] if item.row() < len(self._rows) else None
        tokens = self.tokens()
        if index is None or index >= len(tokens):
            return
        new = split_tokens(item.text()) or [tokens[index]]
        tokens[index:index + 1] = new
        self._set_tokens(tokens, select=index)

    # -- buttons -------------------------------------------------------------------------
    def add_layer(self, token: str) -> None:
        """Insert ``token`` after the selected layer (or before the last fc, the class
        scores, when nothing is selected)."""
        tokens = self.tokens()
        index, selected = self._selected_row_token()
        if not selected:
            at = len(tokens) - 1 if tokens and tokens[-1].startswith("fc") else len(tokens)
        elif index is None:                      # the implied flatten: before the first fc
            at = next((i for i, t in enumerate(tokens) if t.startswith("fc")), len(tokens))
        else:
            at = index + 1
        tokens.insert(max(at, 0), token)
        self._set_tokens(tokens, select=max(at, 0))

    def remove_layer(self) -> None:
        index, _ = self._selected_row_token()
        tokens = self.tokens()
        if index is None or index >= len(tokens):
            return
        del tokens[index]
        self._set_tokens(tokens, select=min(index, len(tokens) - 1) if tokens else None)

    def move_layer(self, step: int) -> None:
        index, _ = self._selected_row_token()
        tokens = self.tokens()
        if index is None or not 0 <= index + step < len(tokens):
            return
        tokens[index], tokens[index + step] = tokens[index + step], tokens[index]
        self._set_tokens(tokens, select=index + step)

    def _update_buttons(self) -> None:
        index, _ = self._selected_row_token()
        n = len(self.tokens())
        self.remove_button.setEnabled(index is not None)
        self.up_button.setEnabled(index is not None and index > 0)
        self.down_button.setEnabled(index is not None and index < n - 1)
        ok = self.architecture is not None and self._class_problem() is None
        self.apply_button.setEnabled(ok and self.architecture.text != self.current)
        self.revert_button.setEnabled(self.text().strip() != self.current)

    def _on_preset(self, _index: int) -> None:
        name = self.preset_combo.currentData()
        if name in ARCH_PRESETS:
            self.set_text(ARCH_PRESETS[name])

    # -- the current network ---------------------------------------------------------------
    def apply(self) -> None:
        if self.architecture is not None:
            self.applyRequested.emit(self.architecture.text)

    def _on_model_changed(self) -> None:
        arch = self.state.net.arch
        if arch != self.current:
            self.current = arch
            self.set_text(arch)          # an opened checkpoint shows its architecture
        else:
            self._update_current_label()
            self._update_buttons()

    def _update_current_label(self) -> None:
        """Beside Apply, one line: whether the text is the current network, else which that
        is (elided to the room left; the whole sentence is the tooltip)."""
        edited = self.architecture is None or self.architecture.text != self.current
        self._current_texts = ((f"edited; current: {self.current}", "edited: Apply builds it",
                                "edited") if edited else
                               ("= the current network", "= current network", "= current"))
        self.current_label.setToolTip(f"Current network: {self.current}"
                                      + (". Edited: press Apply to build it." if edited else ""))
        self._elide_current()

    def _elide_current(self) -> None:
        """The longest of the current texts that fits the label, else the shortest elided."""
        if not hasattr(self, "current_label"):
            return
        label, metrics = self.current_label, self.current_label.fontMetrics()
        width = max(0, label.width() - 2)
        text = next((t for t in self._current_texts if metrics.horizontalAdvance(t) <= width),
                    metrics.elidedText(self._current_texts[-1], Qt.TextElideMode.ElideRight,
                                       width))
        label.setText(text)
