"""The window's status bar: a message too long for it ends in "…" with the whole text as the
bar's tool tip (Qt's own bar cut it mid-letter at the right end)."""

from PyQt6.QtWidgets import QMainWindow

from cnnviz.app.status_bar import ElidingStatusBar


def test_a_long_message_is_elided_with_its_text_as_tool_tip(qtbot):
    window = QMainWindow()
    bar = ElidingStatusBar(window)
    window.setStatusBar(bar)
    qtbot.addWidget(window)
    window.resize(400, 200)
    window.show()
    qtbot.waitExposed(window)

    bar.showMessage("Short.")
    assert bar.shown_message() == "Short." and bar.toolTip() == ""

    long = "Model: lenet.npz. Data: bundled (9,000 + 1,000 digits). " * 3 + "Press Start."
    bar.showMessage(long)
    shown = bar.shown_message()
    assert shown.endswith("…") and long.startswith(shown[:-1])
    assert bar.fontMetrics().horizontalAdvance(shown) <= bar.message_rect().width()
    assert bar.toolTip() == long
    image = bar.grab()                     # it paints (the elided text) without error
    assert not image.isNull()

    window.resize(3000, 200)               # room for all of it: whole again, no tip
    qtbot.waitUntil(lambda: bar.width() > 2000)
    assert bar.shown_message() == long and bar.toolTip() == ""
    bar.clearMessage()
    assert bar.toolTip() == ""
