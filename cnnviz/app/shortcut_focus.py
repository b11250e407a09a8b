"""Shortcuts work wherever focus is, except while typing text.

A focused spin box claims every printable key (Qt's ShortcutOverride), so Space in the
learning-rate field typed a space there instead of starting training. This application-wide
event filter hands the keys a number never uses (Space, letters without Ctrl/Alt, Esc) to the
window's shortcuts when the focus is in a numeric field; digits, arrows and editing keys stay
in the field. Text fields (a plain ``QLineEdit``) keep every key: that is typing.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtWidgets import QAbstractSpinBox, QLineEdit

_EDIT_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier


def is_numeric_field(widget) -> bool:
    """A spin box, or the line edit inside one."""
    if isinstance(widget, QAbstractSpinBox):
        return True
    return isinstance(widget, QLineEdit) and isinstance(widget.parent(), QAbstractSpinBox)


def not_for_numbers(key: int, modifiers) -> bool:
    """True for keys no number is typed with: Space, Esc, plain letters."""
    if modifiers & _EDIT_MODIFIERS:
        return False
    return key in (Qt.Key.Key_Space, Qt.Key.Key_Escape) or Qt.Key.Key_A <= key <= Qt.Key.Key_Z


class NumericFieldShortcuts(QObject):
    """An event filter on every numeric field of a window (``watch``); see the module doc.

    Per field rather than application-wide: an application filter outliving its window (a
    test, a benchmark closing windows) crashed the interpreter at exit."""

    def watch(self, root) -> int:
        """Filter every spin box under ``root`` (and its line edit); returns how many."""
        fields = root.findChildren(QAbstractSpinBox)
        for field in fields:
            field.installEventFilter(self)
            if field.lineEdit() is not None:
                field.lineEdit().installEventFilter(self)
        return len(fields)

    def eventFilter(self, obj, event) -> bool:
        if (event.type() == QEvent.Type.ShortcutOverride and is_numeric_field(obj)
                and not_for_numbers(event.key(), event.modifiers())):
            event.ignore()          # not the field's: the shortcut map tries it next
            return True
        return False
