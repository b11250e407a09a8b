"""Presentation mode's tool bar: the training buttons, the pace and a view selector on one row.

On a projector the training controls do not get a column of their own (at 1280 x 720 and
20 pt a column of them was 320 px wide and scrolled sideways); the buttons a lesson needs sit
in one row above the stage instead:

    [Start] [Step] [Stop] [Reset] | speed [------o---] 10 batches/s [progress] | < [view v] >

The bar drives the real controls (``ControlsView``): a button clicks the controls' button, the
slider moves the controls' speed slider and both follow each other, and the buttons relabel
and enable as the controls' do. The view selector lists the stage's views ("7 Activations")
and follows whichever view comes to the front (a tab, a key 1-9, Page Up / Page Down).

When the bar is too narrow for the buttons' words, the buttons collapse to icons (their words
stay in the tool tips); when even that is too narrow, the speed text goes too. Nothing ever
overlaps or is cut.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QSize, Qt, pyqtSignal
from PyQt6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QSlider,
                             QStyle, QToolButton, QWidget)

SLIDER_MIN = 120          # px: the speed slider never gets smaller than this
PROGRESS_WIDTH = 110      # px
ICON_PX = 30


class PresentationBar(QWidget):
    """One row of controls for presentation mode (see the module docstring).

    ``controls``: the window's ``ControlsView``; ``views``: ``[(dock name, title)]`` in the
    order of the selector. Emits ``viewRequested(name)`` when the user picks a view."""

    viewRequested = pyqtSignal(str)

    def __init__(self, controls, views: list[tuple[str, str]], parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("presentationBar")
        self.controls = controls
        self.names = [name for name, _ in views]
        style = self.style()
        icons = {"start": QStyle.StandardPixmap.SP_MediaPlay,
                 "step": QStyle.StandardPixmap.SP_MediaSeekForward,
                 "stop": QStyle.StandardPixmap.SP_MediaStop,
                 "reset": QStyle.StandardPixmap.SP_BrowserReload}
        sources = {"start": controls.start_button, "step": controls.step_button,
                   "stop": controls.stop_button, "reset": controls.reset_button}
        self.buttons: dict[str, QToolButton] = {}
        for key, source in sources.items():
            button = QToolButton()
            button.setObjectName(f"{key}BarButton")
            button.setIcon(style.standardIcon(icons[key]))
            button.setIconSize(QSize(ICON_PX, ICON_PX))
            button.clicked.connect(source.click)
            self.buttons[key] = button
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setObjectName("barSpeedSlider")
        src = controls.speed_slider
        self.speed_slider.setRange(src.minimum(), src.maximum())
        self.speed_slider.setPageStep(1)
        self.speed_slider.setValue(src.value())
        self.speed_slider.setToolTip(src.toolTip())
        self.speed_slider.setMinimumWidth(SLIDER_MIN)
        self.speed_slider.valueChanged.connect(src.setValue)
        src.valueChanged.connect(self.speed_slider.setValue)
        self.speed_label = QLabel()
        self.speed_label.setObjectName("barSpeedLabel")
        controls.speedChanged.connect(self._show_speed)
        self.progress = QProgressBar()
        self.progress.setObjectName("barProgress")
        self.progress.setRange(controls.progress_bar.minimum(), controls.progress_bar.maximum())
        self.progress.setTextVisible(False)
        self.progress.setFixedWidth(PROGRESS_WIDTH)
        controls.progress_bar.valueChanged.connect(self.progress.setValue)
        self.progress.setValue(controls.progress_bar.value())

        self.previous_button = QToolButton()
        self.previous_button.setObjectName("previousViewButton")
        self.previous_button.setArrowType(Qt.ArrowType.LeftArrow)
        self.previous_button.setToolTip("The previous view (Page Up)")
        self.previous_button.clicked.connect(lambda: self.step_view(-1))
        self.next_button = QToolButton()
        self.next_button.setObjectName("nextViewButton")
        self.next_button.setArrowType(Qt.ArrowType.RightArrow)
        self.next_button.setToolTip("The next view (Page Down)")
        self.next_button.clicked.connect(lambda: self.step_view(1))
        self.view_combo = QComboBox()
        self.view_combo.setObjectName("viewSelector")
        self.view_combo.setToolTip("The view on the stage (keys 1-9 raise the Classroom views)")
        self.view_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for name, title in views:
            self.view_combo.addItem(title, name)
        self.view_combo.activated.connect(
            lambda index: self.viewRequested.emit(self.view_combo.itemData(index)))

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for button in self.buttons.values():
            layout.addWidget(button)
        layout.addSpacing(12)
        layout.addWidget(self.speed_slider, 1)
        layout.addWidget(self.speed_label)
        layout.addWidget(self.progress)
        layout.addSpacing(12)
        layout.addWidget(self.previous_button)
        layout.addWidget(self.view_combo)
        layout.addWidget(self.next_button)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

        controls.runStateChanged.connect(self._follow_controls)
        self._compact = None
        self._follow_controls()
        self._show_speed(controls.speed())

    # -- following the controls ------------------------------------------------------------
    def _follow_controls(self, *_args) -> None:
        """Labels, tool tips, icons and enabled states as the controls' buttons have them."""
        c = self.controls
        sources = {"start": c.start_button, "step": c.step_button, "stop": c.stop_button,
                   "reset": c.reset_button}
        for key, source in sources.items():
            button = self.buttons[key]
            button.setText(source.text())
            button.setToolTip(source.toolTip())
            button.setEnabled(source.isEnabled())
        pause = c.run_state == "running"
        self.buttons["start"].setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPause if pause else QStyle.StandardPixmap.SP_MediaPlay))
        self._choose_layout()

    def _show_speed(self, batches_per_second: float) -> None:
        from ..training.pacing import speed_text
        self.speed_label.setText(speed_text(batches_per_second))
        self._fit_speed_label()

    def _fit_speed_label(self) -> None:
        """Room for the longest speed text, so the row does not jump as the speed changes."""
        from ..training.pacing import SPEEDS, speed_text
        metrics = self.speed_label.fontMetrics()
        self.speed_label.setMinimumWidth(4 + max(metrics.horizontalAdvance(speed_text(s))
                                                 for s in SPEEDS))

    # -- the view selector -----------------------------------------------------------------
    def show_view(self, name: str) -> None:
        """Select ``name`` in the selector (a view came to the front some other way)."""
        index = self.view_combo.findData(name)
        if index >= 0 and index != self.view_combo.currentIndex():
            self.view_combo.setCurrentIndex(index)

    def current_view(self) -> str:
        return self.view_combo.currentData()

    def step_view(self, delta: int) -> None:
        """The next (``delta`` 1) or previous (-1) view, wrapping around."""
        count = self.view_combo.count()
        if count:
            index = (self.view_combo.currentIndex() + delta) % count
            self.view_combo.setCurrentIndex(index)
            self.viewRequested.emit(self.view_combo.itemData(index))

    # -- fitting -----------------------------------------------------------------------------
    def _width_needed(self, compact: bool, speed_text: bool = True) -> int:
        """The row's width with the buttons as words (or icons only when ``compact``)."""
        layout = self.layout()
        margins = layout.contentsMargins()
        width = margins.left() + margins.right() + 24
        widgets = [self.previous_button, self.view_combo, self.next_button, self.progress]
        if speed_text:
            widgets.append(self.speed_label)
        for w in widgets:
            width += max(w.sizeHint().width(), w.minimumWidth())
        for button in self.buttons.values():
            style = button.toolButtonStyle()
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly if compact else
                                      Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            width += button.sizeHint().width()
            button.setToolButtonStyle(style)
        count = len(widgets) + len(self.buttons) + 1
        return width + SLIDER_MIN + layout.spacing() * count

    def _choose_layout(self) -> None:
        """Words on the buttons if they fit, else icons; the speed text only if it fits."""
        width = self.width()
        compact = self._width_needed(False) > width
        with_text = not compact or self._width_needed(True) <= width
        style = Qt.ToolButtonStyle.ToolButtonIconOnly if compact \
            else Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        for button in self.buttons.values():
            if button.toolButtonStyle() != style:
                button.setToolButtonStyle(style)
        self.speed_label.setVisible(with_text)
        self._compact = compact

    def minimumSizeHint(self) -> QSize:      # noqa: N802 (Qt's name)
        return QSize(0, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:      # noqa: N802
        super().resizeEvent(event)
        self._choose_layout()

    def changeEvent(self, event) -> None:      # noqa: N802
        if event.type() == QEvent.Type.FontChange and hasattr(self, "speed_label"):
            self._fit_speed_label()
            self._choose_layout()
        super().changeEvent(event)
