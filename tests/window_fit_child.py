"""The main window started on a screen of a given size, checked: run by tests/test_window_fit.py.

    python tests/window_fit_child.py WIDTHxHEIGHT normal|presentation [--recording RUN]

Qt's offscreen platform gets one screen of that size before the QApplication exists, and the
window is opened the way ``cnnviz`` opens it (``open_main_window``: the bundled model and
digits, the default geometry and dock proportions for that screen's available area). The
views that wait for an event are given one, as ``cnnviz export-views`` does (a drawn digit,
an evaluation, a training step, a clicked conv pixel). Then, in turn:

* normal: the window as it opens, then maximised;
* presentation: presentation mode turned on (full screen) from the window as it opened,
  and a new digit drawn on the pad.

With ``--recording`` only the timeline bar of that open recording is checked (and its slider
must keep a usable width). The last line of stdout is ``FIT-PROBLEMS <json list>``.
``CNNVIZ_SETTINGS_DIR`` must name a scratch directory (the parent test's).
"""

from __future__ import annotations

import json
import sys

FRAME = (8, 32)          # a window manager's borders and title bar, px
MARKER = "FIT-PROBLEMS "


def wait(ms: int) -> None:
    from PyQt6.QtTest import QTest
    QTest.qWait(ms)


def wait_until(condition, timeout_ms: int = 10000) -> bool:
    from PyQt6.QtCore import QDeadlineTimer
    deadline = QDeadlineTimer(timeout_ms)
    while not condition():
        if deadline.hasExpired():
            return False
        wait(20)
    return True


def geometry_problems(window, phase: str) -> list[str]:
    """The window (with a window manager's frame) inside its screen's available area."""
    area = window.screen().availableGeometry()
    problems = []
    hint = window.minimumSizeHint()
    if hint.width() > area.width() - FRAME[0] or hint.height() > area.height() - FRAME[1]:
        problems.append(f"minimum size {hint.width()}x{hint.height()} does not fit "
                        f"{area.width()}x{area.height()} with a frame")
    if phase == "opened":
        if window.width() > area.width() - FRAME[0] or window.height() > area.height() - FRAME[1]:
            problems.append(f"opens at {window.width()}x{window.height()}, bigger than "
                            f"{area.width()}x{area.height()} less a frame")
    elif not area.adjusted(-2, -2, 2, 2).contains(window.frameGeometry()):
        problems.append(f"{phase}: window at {window.frameGeometry().getRect()} outside "
                        f"{area.getRect()}")
    return problems


def check(window, phase: str, presentation: bool) -> list[str]:
    from window_fit_checks import window_fit_problems
    size = f"{window.width()}x{window.height()}"
    return [f"[{phase} {size}] {p}" for p in
            geometry_problems(window, phase) + window_fit_problems(window, wait, presentation)]


def recording_problems(window, path: str, presentation: bool) -> list[str]:
    """The timeline bar of the open recording: nothing overlapped or cut, and a slider a
    teacher can drag (it had 60 px left beside the buttons in large type)."""
    from window_fit_checks import toolbar_problems
    if not window.replay.open(path):
        return [f"could not open the recording {path}"]
    bar = window.replay.bar
    if not wait_until(lambda: bar.isVisible() and bar.slider.width() > 0):
        return ["the timeline bar never showed"]
    wait(100)
    problems = toolbar_problems(window, presentation)
    if bar.slider.width() < 0.3 * bar.width():
        problems.append(f"slider {bar.slider.width()} px in a {bar.width()} px bar")
    window.replay.close()
    return problems


def main(argv: list[str]) -> int:
    size = tuple(int(v) for v in argv[0].split("x"))
    presentation = argv[1] == "presentation"
    recording = argv[argv.index("--recording") + 1] if "--recording" in argv else None

    from cnnviz.app.export_views import fill_views, offscreen_app
    app = offscreen_app(size)
    if (app.primaryScreen().size().width(), app.primaryScreen().size().height()) != size:
        print(f"{MARKER}{json.dumps(['the screen is not ' + argv[0]])}")
        return 1

    import cnnviz.app.lifecycle as lifecycle
    from cnnviz.app.main import delete_window, open_main_window
    from cnnviz.threads import set_blas_threads
    set_blas_threads(1)
    lifecycle.ask_save_changes = lambda parent: "discard"      # never a modal box

    window = open_main_window()
    wait_until(window.isVisible)
    fill_views(window)
    wait(200)
    problems: list[str] = []
    if recording is not None:
        if presentation:
            window.set_presentation(True, persist=False)
            wait_until(window.isFullScreen)
            wait(200)
        problems = recording_problems(window, recording, presentation)
    elif presentation:
        window.set_presentation(True, persist=False)
        wait_until(window.isFullScreen)
        # a digit drawn in presentation mode: what the views write for it is large type too
        window.views["drawing_pad"].clear()
        window.views["drawing_pad"].draw_stroke([(120.0, 40.0), (125.0, 210.0)], 22)
        wait(200)
        problems = check(window, "presentation", True)
    else:
        problems = check(window, "opened", False)
        window.showMaximized()
        wait_until(window.isMaximized)
        wait(200)
        problems += check(window, "maximised", False)
    print(MARKER + json.dumps(problems), flush=True)
    window.stop_training()
    window.set_presentation(False, persist=False)
    window.close()
    delete_window(window)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
