"""What is wrong with a shown main window: the checks of the whole-window fit test.

``window_fit_problems(window, wait, presentation)`` brings every view to the front in turn and
returns one line per problem (an empty list: the window is right):

* the view's dock lies inside the window;
* no view scrolls sideways in its frame (a frame may scroll down: that is its direction,
  except for ``NO_SCROLL_VIEWS``, which fit their docks);
* every visible child widget of the view, and of the window's tool bars, lies inside the
  visible area (a widget inside an inner scroll area may leave it only in a direction that
  area really scrolls);
* no two visible labels or buttons overlap;
* no label's or button's text is clipped (measured with the widget's font metrics against
  its rectangle; a word-wrapped label needs the height its text wraps into);
* every text of a pyqtgraph scene (plot titles, axis labels, text items) lies inside what
  its graphics view shows and inside the view box that clips it;
* no two tick labels of a plot's axis overlap, their ink measured (a plot squashed into a
  strip drew its 0 / 0.5 / 1 on top of each other);
* no tab title is elided or cut; the status bar's message is whole or elided with the full
  text as its tool tip, never cut mid-glyph;
* in presentation mode every text, widgets' and scenes' alike, is at least 18 pt (a
  mosaic's tile numbers and the numbers in a grid's cells too: drawn that large or hidden).

No pytest here: the checks also run in a child process (``window_fit_child.py``) whose
window was built on a screen of the size under test.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QPoint, QRect, QRectF, Qt
from PyQt6.QtGui import QFontInfo, QFontMetricsF, QImage, QPainter
from PyQt6.QtWidgets import (QAbstractButton, QAbstractScrollArea, QAbstractSpinBox, QApplication,
                             QCheckBox, QComboBox, QGraphicsItem, QGraphicsTextItem, QLabel,
                             QPushButton, QRadioButton, QScrollBar, QSlider, QStyle, QTabBar,
                             QToolBar, QToolButton, QWidget)

from cnnviz.app.background import BackgroundJob
from cnnviz.app.number_grid import GridNumber
from cnnviz.app.tile_labels import TileNumber, drawn_px
from cnnviz.app.view_frame import ViewFrame, view_of

CONTROLS = (QLabel, QAbstractButton, QAbstractSpinBox, QComboBox, QSlider)
MIN_PRESENTATION_PT = 17.5
#: Views that show everything in their dock without scrolling down, at every size (a view
#: paging its pictures has no reason to scroll): the timeline needed 372 px of a 284 px dock
#: at 1280x720
NO_SCROLL_VIEWS = ("timeline",)


def rect_in(ref: QWidget, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(ref, QPoint(0, 0)), widget.size())


def shown_in(ref: QWidget, widget: QWidget) -> bool:
    return widget.isVisibleTo(ref) and widget.width() > 0 and widget.height() > 0


def inner_scroll_area(ref: QWidget, widget: QWidget):
    """The innermost scroll area between ``widget`` and ``ref`` (None if there is none)."""
    parent = widget.parentWidget()
    while parent is not None and parent is not ref:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


def scrolls(area: QAbstractScrollArea, orientation: Qt.Orientation) -> bool:
    bar = area.horizontalScrollBar() if orientation == Qt.Orientation.Horizontal \
        else area.verticalScrollBar()
    return bar.maximum() > bar.minimum()


def internal(widget: QWidget) -> bool:
    """A part of a composite widget (a spin box's line edit, a scroll area's bar)."""
    parent = widget.parentWidget()
    return isinstance(widget, QScrollBar) or isinstance(
        parent, (QAbstractSpinBox, QComboBox, QScrollBar, QTabBar)) or (
        isinstance(parent, QAbstractScrollArea) and widget is not parent.viewport()) or (
        parent is not None and isinstance(parent.parentWidget(), QAbstractScrollArea)
        and parent is not parent.parentWidget().viewport())


def plain_text(widget) -> str:
    text = widget.text() if hasattr(widget, "text") else ""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def text_clipped(widget: QWidget) -> str | None:
    """Why ``widget``'s text does not show in full, or None."""
    if isinstance(widget, QLabel):
        text = widget.text()
        if not text.strip() or not widget.pixmap().isNull():
            return None
        room = widget.contentsRect()
        if widget.wordWrap():
            need = widget.heightForWidth(widget.width())
            if need > widget.height() + 2:
                return f"needs {need} px of height, has {widget.height()}"
            return None
        if Qt.mightBeRichText(text) or "\n" in text:
            need = widget.minimumSizeHint().width()
        else:
            need = widget.fontMetrics().horizontalAdvance(text) + 2 * widget.margin()
        if need > room.width() + 2:
            return f"needs {need} px, has {room.width()}"
        if widget.fontMetrics().height() > room.height() + 2:
            return f"needs {widget.fontMetrics().height()} px of height, has {room.height()}"
        return None
    if isinstance(widget, (QCheckBox, QRadioButton)):
        need = widget.minimumSizeHint().width()
        return f"needs {need} px, has {widget.width()}" if need > widget.width() + 1 else None
    if isinstance(widget, QPushButton) or (
            isinstance(widget, QToolButton)
            and widget.toolButtonStyle() != Qt.ToolButtonStyle.ToolButtonIconOnly):
        text = plain_text(widget)
        if not text:
            return None
        need = max(widget.fontMetrics().horizontalAdvance(line) for line in text.split("\n")) + 4
        if isinstance(widget, QToolButton) and not widget.icon().isNull() \
                and widget.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon:
            need += widget.iconSize().width()
        return f"needs {need} px, has {widget.width()}" if need > widget.width() else None
    return None


# -- pyqtgraph scenes ---------------------------------------------------------------------------
def text_point_size(item: QGraphicsTextItem) -> float:
    """The smallest point size of any character of ``item`` (rich text may set its own)."""
    sizes = []
    block = item.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.isValid() and fragment.text().strip():
                pt = fragment.charFormat().font().pointSizeF()
                sizes.append(pt if pt > 0 else item.font().pointSizeF())
            it += 1
        block = block.next()
    return min(sizes) if sizes else item.font().pointSizeF()


def drawn_point_size(item: QGraphicsTextItem, view: pg.GraphicsView) -> float:
    """``text_point_size`` as drawn on screen: times the scale of every transform above the
    item (a title shrunk to fit a narrow panel is drawn smaller than its font says)."""
    t = item.deviceTransform(view.viewportTransform())
    return text_point_size(item) * math.hypot(t.m21(), t.m22())


def _pixels_pt(px: float, widget: QWidget) -> float:
    """A font's pixel size drawn in ``widget`` in points."""
    return px * 72.0 / widget.logicalDpiY()


def _ink_rect(item: QGraphicsTextItem) -> QRectF:
    """The text's own rectangle in item coordinates (without the document's margin)."""
    margin = item.document().documentMargin()
    return item.boundingRect().adjusted(margin, margin, -margin, -margin)


def _device_rect(item: QGraphicsItem, rect: QRectF, view: pg.GraphicsView) -> QRectF:
    """``rect`` of ``item`` in ``view``'s viewport pixels (transform-ignoring items too)."""
    return item.deviceTransform(view.viewportTransform()).mapRect(rect)


def _clip_rect(item: QGraphicsItem, view: pg.GraphicsView) -> QRectF | None:
    """The viewport rectangle that ancestors clipping their children (view boxes) leave."""
    clip = None
    parent = item.parentItem()
    while parent is not None:
        if parent.flags() & QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape:
            r = _device_rect(parent, parent.boundingRect(), view)
            clip = r if clip is None else clip.intersected(r)
        parent = parent.parentItem()
    return clip


def tick_label_rects(axis: pg.AxisItem) -> list[tuple[str, QRectF]]:
    """The tick labels ``axis`` draws at its current size, each with the rectangle of its
    ink (in the axis's coordinates): where its own paint puts the text, shrunk about its
    centre to the glyphs' tight box (a line's height would count the leading)."""
    image = QImage(4, 4, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        if axis.style.get("tickFont"):
            painter.setFont(axis.style["tickFont"])
        metrics = QFontMetricsF(painter.font())
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    labels = []
    for rect, _flags, text in ([] if specs is None else specs[2]):
        ink = metrics.tightBoundingRect(text)
        ink.moveCenter(rect.center())
        labels.append((text, ink))
    return labels


def axis_label_problems(name: str, view: pg.GraphicsView) -> list[str]:
    """Tick labels of one axis drawn over each other."""
    problems = []
    for item in view.scene().items():
        if not isinstance(item, pg.AxisItem) or not item.isVisible() \
                or not item.style.get("showValues", True) or item.linkedView() is None:
            continue
        labels = tick_label_rects(item)
        for i, (a, ra) in enumerate(labels):
            for b, rb in labels[i + 1:]:
                if ra.adjusted(0.5, 0.5, -0.5, -0.5).intersects(rb):
                    problems.append(f"{name}: axis ({item.orientation}) tick labels {a!r} "
                                    f"and {b!r} overlap ({item.geometry().height():.0f} px "
                                    f"high, {item.geometry().width():.0f} px wide)")
                    break
    return problems


def scene_text_problems(name: str, ref: QWidget, visible: QRect, big_type: bool) -> list[str]:
    """Texts of the pyqtgraph scenes inside ``ref`` that are cut (outside their graphics
    view's shown part, or the view box clipping them) or, in large type, under 18 pt."""
    problems = []
    for view in ref.findChildren(pg.GraphicsView):
        if not shown_in(ref, view) or view.scene() is None:
            continue
        port = view.viewport()
        origin = port.mapTo(ref, QPoint(0, 0))
        shown = QRectF(QRect(origin, port.size()).intersected(visible))
        if shown.isEmpty():
            continue
        problems += axis_label_problems(name, view)
        for item in view.scene().items():
            if not isinstance(item, QGraphicsTextItem) or not item.isVisible() \
                    or item.effectiveOpacity() <= 0.05 or not item.toPlainText().strip():
                continue
            text = " ".join(item.toPlainText().split())[:40]
            rect = _device_rect(item, _ink_rect(item), view).translated(origin.x(), origin.y())
            bound = QRectF(shown)
            clip = _clip_rect(item, view)
            if clip is not None:
                bound = bound.intersected(clip.translated(origin.x(), origin.y()))
            if not bound.adjusted(-2, -2, 2, 2).contains(rect):
                problems.append(f"{name}: scene text {text!r} at "
                                f"{rect.toRect().getRect()} cut by {bound.toRect().getRect()}")
            if big_type and drawn_point_size(item, view) < MIN_PRESENTATION_PT:
                problems.append(f"{name}: scene text {text!r} drawn in "
                                f"{drawn_point_size(item, view):.0f} pt, under 18 pt")
        if big_type:
            for kind, what in ((TileNumber, "tile numbers"), (GridNumber, "grid numbers")):
                small = [item for item in view.scene().items() if isinstance(item, kind)
                         and item.isVisible() and item.text().strip()
                         and _pixels_pt(drawn_px(item), view) < MIN_PRESENTATION_PT]
                if small:
                    problems.append(f"{name}: {len(small)} {what} shown in "
                                    f"{_pixels_pt(drawn_px(small[0]), view):.0f} pt, "
                                    "under 18 pt")
            for item in view.scene().items():
                if isinstance(item, pg.AxisItem) and item.isVisible() \
                        and item.style.get("showValues", True) and item.style.get("tickFont"):
                    pt = item.style["tickFont"].pointSizeF()
                    if pt < MIN_PRESENTATION_PT:
                        problems.append(f"{name}: axis ticks ({item.orientation}) in "
                                        f"{pt:.0f} pt, under 18 pt")
    return problems


# -- widgets ------------------------------------------------------------------------------------
def area_problems(name: str, ref: QWidget, visible: QRect, big_type: bool) -> list[str]:
    """Problems of the widgets inside ``ref`` (a view or a tool bar) whose visible part, in
    ``ref``'s coordinates, is ``visible``."""
    problems = []
    widgets = [w for w in ref.findChildren(QWidget) if shown_in(ref, w) and not internal(w)]
    rects = {id(w): rect_in(ref, w) for w in widgets}
    for w in widgets:
        r = rects[id(w)]
        area = inner_scroll_area(ref, w)
        bound = QRect(visible)
        if area is not None and w is not area.viewport():
            port = rect_in(ref, area.viewport())
            # inside an inner scroll area: held to its viewport except where it scrolls
            left, right = ((bound.left(), bound.right()) if scrolls(area, Qt.Orientation.Horizontal)
                           else (port.left(), port.right()))
            top, bottom = ((bound.top(), bound.bottom()) if scrolls(area, Qt.Orientation.Vertical)
                           else (port.top(), port.bottom()))
            bound = QRect(QPoint(left, top), QPoint(right, bottom))
            if scrolls(area, Qt.Orientation.Horizontal) or scrolls(area, Qt.Orientation.Vertical):
                continue                       # scrolled content: judged by its area
        if not bound.adjusted(-1, -1, 1, 1).contains(r):
            problems.append(f"{name}: {type(w).__name__} {w.objectName()!r} "
                            f"{plain_text(w)[:30]!r} at {r.getRect()} outside {bound.getRect()}")
    controls = [w for w in widgets if isinstance(w, CONTROLS)
                and inner_scroll_area(ref, w) is None
                and not any(o is not w and o.isAncestorOf(w) for o in widgets
                            if isinstance(o, CONTROLS))]
    for w in controls:
        why = text_clipped(w)
        if why:
            problems.append(f"{name}: {type(w).__name__} {plain_text(w)[:40]!r} cut: {why}")
        if big_type and isinstance(w, (QLabel, QAbstractButton)) and plain_text(w).strip() \
                and QFontInfo(w.font()).pointSizeF() < MIN_PRESENTATION_PT:
            problems.append(f"{name}: {plain_text(w)[:30]!r} in "
                            f"{QFontInfo(w.font()).pointSizeF():.0f} pt, under 18 pt")
    for i, a in enumerate(controls):
        for b in controls[i + 1:]:
            if rects[id(a)].adjusted(1, 1, -1, -1).intersects(rects[id(b)]):
                problems.append(f"{name}: {type(a).__name__} {plain_text(a)[:30]!r} overlaps "
                                f"{type(b).__name__} {plain_text(b)[:30]!r}")
    return problems + scene_text_problems(name, ref, visible, big_type)


def view_problems(window, name: str, big_type: bool) -> list[str]:
    dock = window.docks[name]
    frame = dock.widget()
    view = frame.view() if isinstance(frame, ViewFrame) else frame
    problems = []
    if not window.rect().adjusted(-1, -1, 1, 1).contains(rect_in(window, dock)):
        problems.append(f"{name}: dock at {rect_in(window, dock).getRect()} outside the window")
    if not view.isVisible():
        problems.append(f"{name}: raised but not visible")
    visible = view.rect()
    if isinstance(frame, ViewFrame):
        port = frame.viewport()
        if view.width() > port.width():
            problems.append(f"{name}: scrolls sideways ({view.width()} px view in a "
                            f"{port.width()} px frame)")
        if name in NO_SCROLL_VIEWS and scrolls(frame, Qt.Orientation.Vertical):
            problems.append(f"{name}: scrolls down ({view.height()} px view in a "
                            f"{port.height()} px frame)")
        # sideways only what the frame shows; downwards the whole view (the frame scrolls)
        visible = QRect(0, 0, min(view.width(), port.width()), view.height())
    return problems + area_problems(name, view, visible, big_type)


def tab_problems(window) -> list[str]:
    problems = []
    for bar in window.findChildren(QTabBar):
        if not bar.isVisible():
            continue
        for i in range(bar.count()):
            text = bar.tabText(i).replace("&", "")
            # the tab's text area: its rectangle less the style's padding
            need = bar.fontMetrics().horizontalAdvance(text) + bar.style().pixelMetric(
                QStyle.PixelMetric.PM_TabBarTabHSpace, None, bar) - 4
            if bar.tabRect(i).width() < need:
                problems.append(f"tab {text!r} cut to {bar.tabRect(i).width()} px "
                                f"(needs {need})")
    return problems


def toolbar_problems(window, big_type: bool) -> list[str]:
    problems = []
    for bar in window.findChildren(QToolBar):
        if not bar.isVisible():
            continue
        r = rect_in(window, bar)
        if not window.rect().adjusted(-1, -1, 1, 1).contains(r):
            problems.append(f"tool bar {bar.windowTitle()!r} at {r.getRect()} outside the window")
        problems += area_problems(f"tool bar {bar.windowTitle()!r}", bar, bar.rect(), big_type)
    return problems


def status_bar_problems(window, big_type: bool) -> list[str]:
    """The status bar's message: whole, or elided with the full text as its tool tip (Qt
    itself cuts a long one mid-glyph at the bar's right end)."""
    bar = window.statusBar()
    message = bar.currentMessage()
    if not bar.isVisible() or not message:
        return []
    problems = []
    if big_type and QFontInfo(bar.font()).pointSizeF() < MIN_PRESENTATION_PT:
        problems.append(f"status bar message in {QFontInfo(bar.font()).pointSizeF():.0f} pt")
    # QStatusBar's message rectangle: 6 px from the left to 12 px before the right end (or
    # 2 px before the first visible permanent widget)
    right = bar.width() - 12
    for child in bar.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
        if child.isVisible() and child.x() > bar.width() // 2:
            right = min(right, child.x() - 2)
    room = right - 6
    if bar.fontMetrics().horizontalAdvance(message) <= room:
        return problems
    shown = bar.shown_message() if hasattr(bar, "shown_message") else message
    if bar.fontMetrics().horizontalAdvance(shown) > room or shown == message:
        problems.append(f"status bar message {message[:40]!r}... cut at {room} px")
    elif bar.toolTip() != message:
        problems.append(f"status bar message {message[:40]!r}... elided without its full "
                        "text as a tool tip")
    return problems


def settle(wait, view=None, timeout_ms: int = 60000) -> None:
    """Let a raised view's deferred refresh, its background computations (a ``BackgroundJob``
    of the view: the Fool view's search) and every layout they asked for happen now."""
    wait(100)
    waited = 0
    while view is not None and waited < timeout_ms and (
            getattr(view, "dirty", False)
            or any(job.busy for job in view.findChildren(BackgroundJob))):
        wait(20)
        waited += 20
    for _ in range(3):
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        wait(20)


def window_fit_problems(window, wait, presentation: bool) -> list[str]:
    """Every problem of the window, each view brought to the front in turn; ``wait(ms)``
    processes events for that long."""
    problems = []
    for name in window.docks:
        window.raise_dock(name)
        settle(wait, view_of(window.docks[name]))
        problems += view_problems(window, name, presentation)
        problems += tab_problems(window)
    problems += toolbar_problems(window, presentation)
    problems += status_bar_problems(window, presentation)
    return list(dict.fromkeys(problems))          # a tab problem once, not once per view
