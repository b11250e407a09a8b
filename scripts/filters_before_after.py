"""The classroom promise on screen: conv1 filters at Reset and after one epoch, and W - W0.

Run under a virtual X server:

    xvfb-run -a -s "-screen 0 1280x720x24" python scripts/filters_before_after.py [--out docs]

It starts the real app at 1280 x 720 (bundled data), picks the ``classroom`` preset, Resets,
ticks "Pause at the end of each epoch" and presses Start; when the run pauses after epoch 1
it saves the Filters view (floated, 1000 x 560) showing the weights and showing the change
since reset, plus the view at Reset, and the whole window with the view docked, and prints the share of conv1 pixels whose colour changed visibly (more than
10 % of the colour range, ``training.filter_change.visible_change``). Writes
``filters_reset.png``, ``filters_epoch1.png``, ``filters_change_epoch1.png`` and
``window_filters_change_1280x720.png``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    from PyQt6.QtCore import QEventLoop, QTimer
    from PyQt6.QtWidgets import QApplication, QMessageBox

    from cnnviz.app.main import open_main_window
    from cnnviz.training.filter_change import visible_change

    app = QApplication.instance() or QApplication(sys.argv)
    QMessageBox.question = lambda *a, **k: QMessageBox.StandardButton.Yes

    def wait_until(condition, seconds: float) -> None:
        for _ in range(int(seconds * 20)):
            if condition():
                return
            loop = QEventLoop()
            QTimer.singleShot(50, loop.quit)
            loop.exec()
        raise SystemExit(f"timed out after {seconds} s")

    window = open_main_window(restore_layout=False, size=(1280, 720))
    c = window.controls
    c.preset_combo.setCurrentIndex(c.preset_combo.findData("classroom"))
    window.reset_weights()
    view = window.views["filters"]
    dock = window.docks["filters"]
    dock.setFloating(True)              # large pictures for the docs: the view on its own
    dock.resize(1000, 560)
    wait_until(lambda: view.isVisible() and view.width() > 900, 5)
    view.set_show_change(False)
    view.refresh()
    args.out.mkdir(parents=True, exist_ok=True)
    before = window.state.net.params["conv1.weight"][:, 0].copy()
    wait_until(lambda: True, 0.5)
    view.grab().save(str(args.out / "filters_reset.png"))

    c.pause_epoch_box.setChecked(True)
    c.start_button.click()
    wait_until(lambda: window.controller.state == "paused", 300)
    wait_until(lambda: window.controller.worker.trainer.epoch == 1, 5)
    after = window.state.net.params["conv1.weight"][:, 0]
    view.refresh()
    view.grab().save(str(args.out / "filters_epoch1.png"))
    view.set_show_change(True)
    wait_until(lambda: True, 0.5)
    view.grab().save(str(args.out / "filters_change_epoch1.png"))
    dock.setFloating(False)             # and in the window, as a class sees it at 1280 x 720
    window.raise_dock("filters")
    wait_until(lambda: True, 1.0)
    window.grab().save(str(args.out / "window_filters_change_1280x720.png"))
    accuracy = window.loss_view.history.epochs[-1].test_accuracy
    print(f"after one epoch from Reset (classroom preset): {100 * visible_change(before, after):.1f}% "
          f"of the conv1 pixels changed visibly (per-filter scaling; "
          f"{100 * visible_change(before, after, per_filter=False):.1f}% with one scale); "
          f"held-out accuracy {100 * accuracy:.1f}%")
    window.stop_training()
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
