"""The drawing pad's top-3 bars (``ClassBars``) write their rows in large type when the widget's
font is large (presentation mode): they were written at 9 pt on a projector."""

from PyQt6.QtGui import QFont, QFontInfo

from cnnviz.app.digit_widgets import ClassBars


def test_rows_are_written_at_least_in_the_widgets_font(qtbot):
    bars = ClassBars(rows=3)
    qtbot.addWidget(bars)
    bars.resize(500, 66)
    bars.set_entries([(7, 1.0), (3, 0.0), (2, 0.0)])
    bars.show()
    qtbot.waitExposed(bars)
    small = QFontInfo(bars.text_font()).pointSizeF()
    assert small < 18

    font = QFont(bars.font())
    font.setPointSizeF(20)
    bars.setFont(font)                           # what presentation mode's app font does
    qtbot.waitUntil(lambda: bars.height() >= bars.minimumHeight())
    assert bars.minimumHeight() >= 3 * QFontInfo(font).pixelSize()
    bars.resize(500, bars.minimumHeight())
    assert QFontInfo(bars.text_font()).pointSizeF() >= 18
    assert not bars.grab().isNull()
