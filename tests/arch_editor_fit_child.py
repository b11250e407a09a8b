"""The Architecture editor in the window started on a screen of a given size: run by
tests/test_arch_editor_small_screen.py.

    python tests/arch_editor_fit_child.py WIDTHxHEIGHT normal ARCH

Opens the window as ``cnnviz`` does on that screen (``window_fit_child`` explains why a
window resized in the parent test is not the same), brings the editor to the front with
``ARCH`` typed, and prints ``EDITOR-FIT <json>``: fully visible table rows, the row count,
whether the horizontal scroll bar shows, whether the last (params) column ends inside the
table, and whether Apply is wholly visible. ``CNNVIZ_SETTINGS_DIR`` must name a scratch
directory.
"""

from __future__ import annotations

import json
import sys

from window_fit_child import wait, wait_until

MARKER = "EDITOR-FIT "


def measure(editor) -> dict:
    table = editor.table
    viewport = table.viewport()
    rows = sum(1 for row in range(table.rowCount())
               if table.rowViewportPosition(row) >= 0
               and table.rowViewportPosition(row) + table.rowHeight(row) <= viewport.height())
    last = table.columnCount() - 1
    apply_region = editor.apply_button.visibleRegion().boundingRect()
    return {"visible_rows": rows, "rows": table.rowCount(),
            "hscroll": table.horizontalScrollBar().isVisible(),
            "params_inside": table.columnViewportPosition(last) + table.columnWidth(last)
            <= viewport.width(),
            "params_texts": [table.item(r, last).text() for r in range(table.rowCount())],
            "apply_whole": apply_region.height() == editor.apply_button.height()
            and apply_region.width() == editor.apply_button.width()}


def main(argv: list[str]) -> int:
    size = tuple(int(v) for v in argv[0].split("x"))
    from cnnviz.app.export_views import offscreen_app
    app = offscreen_app(size)          # noqa: F841 (kept alive until the end)
    import cnnviz.app.lifecycle as lifecycle
    from cnnviz.app.main import delete_window, open_main_window
    lifecycle.ask_save_changes = lambda parent: "discard"
    window = open_main_window()
    wait_until(window.isVisible)
    editor = window.views["arch_editor"]
    window.docks["arch_editor"].show()
    window.docks["arch_editor"].raise_()
    editor.set_text(argv[2])
    wait_until(lambda: editor.isVisible() and editor.table.viewport().height() > 0)
    wait(300)
    print(MARKER + json.dumps(measure(editor)), flush=True)
    window.close()
    delete_window(window)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
