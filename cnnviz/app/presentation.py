"""Presentation mode: the window made readable from the back of a classroom.

``PresentationMode(window)`` toggles, and undoes exactly:

* full screen;
* the application font at ``FONT_POINT_SIZE`` (>= 18 pt) -- every Qt widget follows it, and
  the views re-derive their own large labels from it on ``FontChange``;
* in every pyqtgraph scene: axis tick and label fonts, titles (``LabelItem``), ``TextItem``s,
  axis lines and text in a high-contrast colour for the scene's background;
* thick curves (every ``PlotDataItem`` pen at least ``CURVE_WIDTH`` px, faint ones made
  opaque enough to read on a projector, bigger symbols);
* one big *stage*: every view a tab of one dock area filling the screen below a tool bar
  (``PresentationBar``: Start / Step / Stop / Reset, the speed, a view selector), so one view
  at a time gets the whole projector; Page Down / Page Up (a presenter's clicker) and keys
  1-9 change the view. The user's own dock layout is saved on entering and restored on
  leaving; ``fit_to(area)`` caps every view so the window fits ``area`` (the screen).

The choice is stored in the settings (``PRESENTATION_KEY``) and restored at the next launch,
with the view the stage showed (``FRONT_KEY``).
Pyqtgraph items created after entering keep their normal style (the views build theirs once,
so in practice that is only a few relabelled captions).
"""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtCore import QSize, Qt, QTimer
from PyQt6.QtCore import QRect
from PyQt6.QtGui import QColor, QFont, QKeySequence, QPen, QShortcut
from PyQt6.QtWidgets import QApplication, QTabBar, QToolBar, QWidget

from .settings import read_value, write_value
from .view_frame import ViewFrame, view_of
from .view_registry import CLASSROOM_VIEWS
from .window_settings import when_shown

PRESENTATION_KEY = "view/presentation"
FRONT_KEY = "view/presentation_front"     # the view on the stage when presentation mode ended
FONT_POINT_SIZE = 20          # application font in presentation mode (the issue asks >= 18)
TITLE_POINT_SIZE = 22         # titles of plots and panels
CURVE_WIDTH = 3.5             # minimum pen width of a curve, px
MIN_CURVE_ALPHA = 150
STAGE_CHROME = (24, 230)      # px around a view on the stage: menu, tool bar, tabs, status
STAGE_AFTER_KEYS = ("drawing_pad", "probe_browser", "controls")   # then the rest, in order
TAB_POINT_SIZE = 18           # the stage's tabs: the type floor, smaller than the views' 20 pt
# tab titles on the stage where the window's own (already short) ones are still long
SHORT_TITLES = {"loss_curves": "Loss"}
# faint curves (e.g. per-batch loss) made at least this opaque
DARK_TEXT, LIGHT_TEXT = QColor(15, 15, 15), QColor(245, 245, 245)


def _size_pt(size) -> float | None:
    """``"12pt"`` -> 12.0 (pyqtgraph's LabelItem size option); None if not in points."""
    if isinstance(size, str) and size.endswith("pt"):
        try:
            return float(size[:-2])
        except ValueError:
            return None
    return None


def _repolish_style_sheets(window) -> None:
    """A widget with its own style sheet keeps its old font when the application font
    changes (the Live button, the inspector's arrows stayed small): set the sheet again."""
    for widget in window.findChildren(QWidget):
        sheet = widget.styleSheet()
        if sheet:
            widget.setStyleSheet(sheet)


def view_keys(docks) -> dict[str, int]:
    """{view name: its key 1-9} (the Classroom menu's shortcuts)."""
    from .main_window import CLASSROOM_KEYS
    return {name: key for key, name in enumerate((n for n in CLASSROOM_KEYS if n in docks),
                                                  start=1)}


def stage_order(docks) -> list[str]:
    """The stage's views in order: those with a key (1-9), the digit inputs and the training
    controls, then the rest."""
    keyed = list(view_keys(docks))
    after = [n for n in STAGE_AFTER_KEYS if n in docks and n not in keyed]
    return keyed + after + [n for n in docks if n not in keyed and n not in after]


def stored_choice() -> bool:
    """Whether presentation mode was on when the app last changed it."""
    return bool(read_value(PRESENTATION_KEY, False, bool))


class PresentationMode:
    """Turns presentation mode on and off for a ``MainWindow`` (see the module docstring)."""

    def __init__(self, window) -> None:
        self.window = window
        self.active = False
        self._app_font: QFont | None = None
        self._was_maximized = False
        self._normal_geometry = None     # QMainWindow.saveGeometry() before entering
        self._undo: list = []            # callables restoring what ``enter`` changed
        self._dock_state = None          # the user's dock layout (QMainWindow.saveState)
        self._stage = None               # a dock of the stage
        self.toolbar = None              # the QToolBar holding ``bar`` (built on first use)
        self.bar = None                  # the PresentationBar
        self._page_keys: list = []       # Page Down / Page Up shortcuts (on while active)

    # -- public API ------------------------------------------------------------------------
    def set_active(self, on: bool, persist: bool = True) -> None:
        on = bool(on)
        if on != self.active:
            (self._enter if on else self._leave)()
        if persist:
            write_value(PRESENTATION_KEY, on)

    def toggle(self) -> None:
        self.set_active(not self.active)

    def normal_layout(self) -> tuple:
        """(saveGeometry, saveState) of the window as it was before presentation mode: what
        the window saves for the next launch while presentation mode is on."""
        w = self.window
        if not self.active or self._dock_state is None:
            return w.saveGeometry(), w.saveState(self._layout_version())
        return self._normal_geometry, self._dock_state

    @staticmethod
    def _layout_version() -> int:
        from .main_window import LAYOUT_VERSION
        return LAYOUT_VERSION

    # -- entering ----------------------------------------------------------------------------
    def _enter(self) -> None:
        w = self.window
        self.active = True
        self._undo = []
        self._normal_geometry = w.saveGeometry()
        self._was_maximized = w.isMaximized()
        self._dock_state = w.saveState(self._layout_version())
        self._build_stage()
        # before the font grows: a top-level window grows to its new minimum at once
        screen = w.screen()
        self._caps = {}
        self.fit_to(screen.availableGeometry() if screen is not None else QRect(0, 0, 1920, 1080))
        self._undo.append(self._restore_caps)
        app = QApplication.instance()
        self._app_font = QFont(app.font())
        big = QFont(self._app_font)
        big.setPointSizeF(max(FONT_POINT_SIZE, self._app_font.pointSizeF()))
        app.setFont(big)
        app.sendPostedEvents()    # widgets get their FontChange now, before the scenes are styled
        _repolish_style_sheets(w)

        for view in w.findChildren(pg.GraphicsView):
            self._style_scene(view)

        screen = w.screen()
        if w.layout() is not None:
            w.layout().activate()
        if screen is not None and w.isVisible():
            # the larger fonts may have grown the window past the screen before the caps
            # above applied; full screen means the screen's rectangle (a window manager
            # would enforce it, a bare X server does not)
            w.setGeometry(screen.geometry())
        w.setWindowState(w.windowState() | Qt.WindowState.WindowFullScreen)
        self._size_stage()

    def _build_stage(self) -> None:
        """Every view a tab of one big dock area (the training controls too: the bar above
        drives them), title bars hidden (the bar's selector names the view in front)."""
        w = self.window
        docks = getattr(w, "docks", {})
        if len(docks) < 2:
            return
        front = self._front_view()
        right = Qt.DockWidgetArea.RightDockWidgetArea
        for dock in docks.values():
            dock.setFloating(False)
            w.removeDockWidget(dock)        # no stale tab bars of the old groups
        stage = [docks[n] for n in stage_order(docks)]
        w.addDockWidget(right, stage[0])
        for dock in stage[1:]:
            w.tabifyDockWidget(stage[0], dock)
        for name, dock in docks.items():
            dock.show()
            short = SHORT_TITLES.get(name)
            if short:
                title = dock.windowTitle()
                dock.setWindowTitle(short)
                self._undo.append(lambda d=dock, t=title: d.setWindowTitle(t))
            old_bar = dock.titleBarWidget()
            empty = QWidget(dock)
            empty.setFixedHeight(0)
            dock.setTitleBarWidget(empty)      # no title bar: the stage's tabs name the view
            self._undo.append(lambda d=dock, b=old_bar: d.setTitleBarWidget(b))
        docks.get(front, stage[0]).raise_()
        self._stage = stage[0]
        self._install_bar(front if front in docks else next(iter(docks)))
        if not w.isVisible() and front in docks:
            # at start-up: showing the window brings some other tab of the stage to the
            # front (and the selector follows it); put the chosen view back in front then
            when_shown(w, lambda win: self.active and win.raise_dock(front))

    def _install_bar(self, front: str) -> None:
        """The tool bar above the stage (``PresentationBar``), built once and kept."""
        from .presentation_bar import PresentationBar
        w = self.window
        controls = getattr(w, "controls", None)
        if controls is None:
            return
        if self.toolbar is None:
            keys = view_keys(w.docks)
            views = [(n, f"{keys[n]}  {w.docks[n].windowTitle()}" if n in keys
                      else w.docks[n].windowTitle()) for n in stage_order(w.docks)]
            self.bar = PresentationBar(controls, views)
            self.bar.viewRequested.connect(w.raise_dock)
            self.toolbar = QToolBar("Presentation", w)
            self.toolbar.setObjectName("presentationToolbar")
            self.toolbar.setMovable(False)
            self.toolbar.setFloatable(False)
            self.toolbar.addWidget(self.bar)
            for name, dock in w.docks.items():
                dock.visibilityChanged.connect(
                    lambda shown, n=name: shown and self.active and self.bar.show_view(n))
            self._page_keys = [QShortcut(QKeySequence(key), w, lambda d=delta: (
                self.active and self.bar.step_view(d)), context=Qt.ShortcutContext.WindowShortcut)
                for key, delta in (("PgDown", 1), ("PgUp", -1))]
        w.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.toolbar.show()
        self.bar.show_view(front)
        for key in self._page_keys:
            key.setEnabled(True)

        def remove(tb=self.toolbar, keys=self._page_keys):
            w.removeToolBar(tb)
            for k in keys:
                k.setEnabled(False)
        self._undo.append(remove)

    def _size_stage(self) -> None:
        """After the font grew and the window filled the screen: the stage's tabs in a smaller
        font, every title in full (a tab bar too narrow for all of them scrolls)."""
        w = self.window
        font = QFont(QApplication.instance().font())
        font.setPointSizeF(TAB_POINT_SIZE)
        for bar in w.findChildren(QTabBar):
            if bar.parent() is w:                  # the dock areas' tab bars
                bar.setFont(font)
                bar.setElideMode(Qt.TextElideMode.ElideNone)
                bar.setUsesScrollButtons(True)
                self._undo.append(lambda b=bar: b.setFont(QFont()))

    def _front_view(self) -> str:
        """The view to show first on the stage: at start-up the one it showed last time, else
        the explainer or view the user had in front."""
        from .state import is_exposed
        docks = getattr(self.window, "docks", {})
        if not self.window.isVisible():         # at start-up: the view the stage last showed
            stored = read_value(FRONT_KEY, "", str)
            if stored in docks:
                return stored
        last = getattr(self.window, "_last_dock", None)
        exposed = [name for name, d in docks.items()
                   if name not in STAGE_AFTER_KEYS and view_of(d) is not None
                   and is_exposed(view_of(d))]
        for name, dock in docks.items():
            if dock is last and name in exposed:
                return name
        for name in exposed:
            if name in CLASSROOM_VIEWS:
                return name
        return "activations" if "activations" in docks else (exposed or [""])[0]

    def _style_scene(self, view: pg.GraphicsView) -> None:
        background = view.backgroundBrush().color()
        dark_bg = background.alpha() == 0 or background.lightness() < 128
        text = LIGHT_TEXT if dark_bg else DARK_TEXT
        tick_font = QFont(QApplication.instance().font())
        tick_font.setPointSizeF(FONT_POINT_SIZE)
        for item in view.scene().items():
            if getattr(item, "sized_by_view", False):   # its view follows the font itself
                continue
            if isinstance(item, pg.AxisItem):
                self._style_axis(item, tick_font, text)
            elif isinstance(item, pg.LabelItem):
                self._style_label(item, text)
            elif isinstance(item, pg.TextItem):
                old = QFont(item.textItem.font())
                font = QFont(old)
                font.setPointSizeF(max(FONT_POINT_SIZE, old.pointSizeF() * 1.5))
                item.setFont(font)
                self._undo.append(lambda i=item, f=old: i.setFont(f))
            elif isinstance(item, pg.PlotDataItem):
                self._style_curve(item)

    def _style_axis(self, axis: pg.AxisItem, font: QFont, colour: QColor) -> None:
        old_style = {"tickFont": axis.style.get("tickFont")}
        old_pen, old_text_pen = QPen(axis.pen()), QPen(axis.textPen())
        old_label_style = dict(axis.labelStyle)
        axis.setStyle(tickFont=font)
        pen = QPen(colour)
        pen.setWidthF(2)
        axis.setPen(pen)
        axis.setTextPen(QPen(colour))
        if axis.label.isVisible():
            axis.setLabel(axis.labelText, units=axis.labelUnits, unitPrefix=axis.labelUnitPrefix,
                          **{**old_label_style, "font-size": f"{FONT_POINT_SIZE}pt",
                             "color": colour.name()})

        def undo(a=axis):
            a.setStyle(**old_style)
            a.setPen(old_pen)
            a.setTextPen(old_text_pen)
            if a.label.isVisible():
                a.labelStyle = {}
                a.setLabel(a.labelText, units=a.labelUnits, unitPrefix=a.labelUnitPrefix,
                           **old_label_style)
        self._undo.append(undo)

    def _style_label(self, label: pg.LabelItem, colour: QColor) -> None:
        old = {key: label.opts.get(key) for key in ("size", "color")}
        pt = _size_pt(old["size"]) or 10.0
        new = {"size": f"{max(TITLE_POINT_SIZE, pt * 1.5):g}pt"}
        if old["color"] is None:            # default grey: make it high contrast
            new["color"] = colour.name()
        label.setText(label.text, **new)

        def undo(item=label):
            for key, value in old.items():
                if value is None and key == "size":
                    item.opts.pop(key, None)     # back to pyqtgraph's default size
                else:
                    item.opts[key] = value
            item.setText(item.text)
        self._undo.append(undo)

    def _style_curve(self, curve: pg.PlotDataItem) -> None:
        old_pen = curve.opts.get("pen")
        old_symbol_size = curve.opts.get("symbolSize")
        if old_pen is not None:
            pen = QPen(pg.mkPen(old_pen))
            if pen.style() != Qt.PenStyle.NoPen:
                pen.setWidthF(max(CURVE_WIDTH, pen.widthF() * 1.75))
                colour = pen.color()
                if colour.alpha() < MIN_CURVE_ALPHA:
                    colour.setAlpha(MIN_CURVE_ALPHA)
                    pen.setColor(colour)
                curve.setPen(pen)
        if curve.opts.get("symbol") is not None and old_symbol_size:
            curve.setSymbolSize(old_symbol_size * 1.8)

        def undo(c=curve):
            c.setPen(old_pen)
            if c.opts.get("symbol") is not None and old_symbol_size:
                c.setSymbolSize(old_symbol_size)
        self._undo.append(undo)

    def fit_to(self, area: QRect) -> None:
        """Cap every view so the stage fits ``area`` (a screen's rectangle): one view at a
        time gets the stage; a view needing more than that scrolls inside its frame."""
        cap = QSize(max(200, area.width() - STAGE_CHROME[0]),
                    max(150, area.height() - STAGE_CHROME[1]))
        for dock in getattr(self.window, "docks", {}).values():
            frame = dock.widget()
            if isinstance(frame, ViewFrame):
                self._caps.setdefault(id(frame), (frame, QSize(frame.cap)))
                frame.cap = cap
                frame.updateGeometry()

    def _restore_caps(self) -> None:
        for frame, cap in self._caps.values():
            frame.cap = cap
            frame.updateGeometry()
        self._caps = {}

    # -- leaving ------------------------------------------------------------------------------
    def _leave(self) -> None:
        w = self.window
        self.active = False
        if self.bar is not None and self.bar.current_view():
            write_value(FRONT_KEY, self.bar.current_view())
        for undo in reversed(self._undo):
            try:
                undo()
            except Exception:           # e.g. the item's C++ object is gone: restore the rest
                pass
        self._undo = []
        if self._app_font is not None:
            QApplication.instance().setFont(self._app_font)
            QApplication.instance().sendPostedEvents()
            _repolish_style_sheets(w)
            self._app_font = None
        state = w.windowState() & ~Qt.WindowState.WindowFullScreen
        if self._was_maximized:
            state |= Qt.WindowState.WindowMaximized
        w.setWindowState(state)
        if not self._was_maximized and self._normal_geometry is not None and w.isVisible():
            w.restoreGeometry(self._normal_geometry)
        dock_state, self._dock_state = self._dock_state, None
        if dock_state is not None:
            w.restoreState(dock_state, self._layout_version())   # the user's own dock layout
            # again once the window has its normal size: restored into the full-screen size
            # the docks' proportions come out wrong (an empty band in the controls column)
            # (never into a hidden window: see window_settings on Qt's pending restores)
            QTimer.singleShot(0, lambda: self.active or not w.isVisible() or w.restoreState(
                dock_state, self._layout_version()))
