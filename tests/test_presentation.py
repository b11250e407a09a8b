"""Presentation mode through the real window: F11 / the View menu, Esc, and the stored choice."""

import pyqtgraph as pg
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QTabBar

from cnnviz.app.presentation import PRESENTATION_KEY, stored_choice
from cnnviz.app.settings import read_value

import window_support
from window_support import open_window


@pytest.fixture(scope="module")
def small_dataset():
    return window_support.small_dataset(200, 50)




@pytest.fixture
def window(qtbot, small_dataset):
    win = open_window(qtbot, small_dataset)
    yield win
    win.stop_training()
    win.close()


def pen_width(curve) -> float:
    return pg.mkPen(curve.opts["pen"]).widthF()


def test_presentation_mode_enlarges_type_thickens_lines_and_goes_back(qtbot, window):
    app = QApplication.instance()
    normal_pt = app.font().pointSizeF()
    loss = window.loss_view
    axis = loss.loss_plot.getAxis("bottom")
    normal_widths = [pen_width(c) for c in (loss.batch_curve, loss.average_curve,
                                            loss.train_loss_curve, loss.test_loss_curve)]
    assert normal_pt < 18 and max(normal_widths) < 3
    assert window.controls.settings_box.isVisible()

    window.presentation_action.trigger()             # View > Presentation mode
    assert window.presentation.active and window.presentation_action.isChecked()
    assert app.font().pointSizeF() >= 18
    assert window.controls.font().pointSizeF() >= 18          # widgets follow the app font
    assert axis.style["tickFont"].pointSizeF() >= 18
    assert "pt" in loss.loss_plot.getAxis("left").labelStyle["font-size"]
    for curve in (loss.batch_curve, loss.average_curve, loss.train_loss_curve,
                  loss.test_loss_curve):
        assert pen_width(curve) >= 3
    assert pg.mkPen(loss.batch_curve.opts["pen"]).color().alpha() >= 150
    assert window.windowState() & Qt.WindowState.WindowFullScreen
    bar = window.presentation.toolbar                        # the training buttons above
    front = window.docks[window.presentation.bar.current_view()]
    qtbot.waitUntil(lambda: front.geometry().top() > 0, timeout=20000)
    assert bar.isVisible() and bar.geometry().bottom() <= front.geometry().top()
    step = window.views["step_explainer"]
    assert step.loss_before.font().pointSizeF() >= 2 * 18    # big numbers grow too
    # the views stay usable: Step still works and is shown
    window.step_training()
    qtbot.waitUntil(lambda: step.detail is not None, timeout=60000)

    window.presentation_action.trigger()
    assert not window.presentation.active
    assert app.font().pointSizeF() == normal_pt
    assert axis.style["tickFont"] is None
    assert [pen_width(c) for c in (loss.batch_curve, loss.average_curve,
                                   loss.train_loss_curve, loss.test_loss_curve)] == normal_widths
    assert not window.windowState() & Qt.WindowState.WindowFullScreen
    assert window.controls.settings_box.isVisible()


def test_a_digit_drawn_in_presentation_mode_gets_a_large_predicted_title(qtbot, window):
    """The activations view re-titles its probability plot for every new probe: in
    presentation mode that title stayed 9 pt (it was set after the scene was styled)."""
    plot = window.views["activations"].prob_plot
    pad = window.views["drawing_pad"]
    title_pt = lambda: float(plot.titleLabel.opts["size"].removesuffix("pt"))  # noqa: E731
    window.set_presentation(True, persist=False)
    pad.clear()
    pad.draw_stroke([(120, 40), (125, 210)], 22)
    qtbot.waitUntil(lambda: "predicted" in plot.titleLabel.text)
    assert title_pt() >= 18
    window.set_presentation(False, persist=False)
    assert title_pt() < 12
    pad.draw_stroke([(60, 50), (180, 50), (165, 90), (115, 210)], 22)
    assert title_pt() < 12


def test_f11_toggles_and_esc_leaves_without_stopping_training(qtbot, window):
    app = QApplication.instance()
    normal_pt = app.font().pointSizeF()
    qtbot.keyClick(window, Qt.Key.Key_F11)
    assert window.presentation.active and app.font().pointSizeF() >= 18
    qtbot.keyClick(window, Qt.Key.Key_F11)
    assert not window.presentation.active and app.font().pointSizeF() == normal_pt

    qtbot.keyClick(window, Qt.Key.Key_F11)
    window.controls.epochs_spin.setValue(1000)     # still running when Esc is checked below
    window.start_training()
    qtbot.waitUntil(lambda: window.controller.state == "running", timeout=10000)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.presentation.active and app.font().pointSizeF() == normal_pt
    assert window.controller.active and window.controller.state == "running"
    qtbot.keyClick(window, Qt.Key.Key_Escape)        # out of presentation mode: Esc stops
    qtbot.waitUntil(lambda: not window.controller.active, timeout=10000)


def test_choice_is_stored_and_restored_at_next_launch(qtbot, small_dataset):
    app = QApplication.instance()
    normal_pt = app.font().pointSizeF()
    assert not stored_choice()
    first = open_window(qtbot, small_dataset)
    assert not first.presentation.active
    first.set_presentation(True)
    assert read_value(PRESENTATION_KEY, None, bool) is True
    first.close()
    assert app.font().pointSizeF() == normal_pt      # closing gives the app its font back

    second = open_window(qtbot, small_dataset)        # "next launch"
    assert second.presentation.active and second.presentation_action.isChecked()
    assert app.font().pointSizeF() >= 18
    qtbot.waitUntil(lambda: bool(second.windowState() & Qt.WindowState.WindowFullScreen))
    assert pen_width(second.loss_view.average_curve) >= 3
    second.activateWindow()
    qtbot.waitUntil(second.isActiveWindow)
    qtbot.keyClick(second, Qt.Key.Key_Escape)
    assert not second.presentation.active
    assert stored_choice() is False
    second.close()

    third = open_window(qtbot, small_dataset)
    assert not third.presentation.active and app.font().pointSizeF() == normal_pt
    third.close()


def test_presentation_stage_tabs_every_view_and_restores_the_dock_layout(qtbot, window):
    docks = window.docks
    area = window.dockWidgetArea
    before = {name: (area(d), {t.objectName() for t in window.tabifiedDockWidgets(d)})
              for name, d in docks.items()}
    # normal layout: the activations are not tabbed with the loss curves (they are on the stage)
    assert docks["loss_curves"] not in window.tabifiedDockWidgets(docks["activations"])
    window.set_presentation(True, persist=False)
    qtbot.wait(50)
    stage = list(docks.values())
    tabbed = {d.objectName() for d in window.tabifiedDockWidgets(stage[0])} | {stage[0].objectName()}
    assert tabbed == {d.objectName() for d in stage}      # one stage: every view a tab of it
    assert all(d.isVisible() and not d.isFloating() for d in docks.values())
    # one view at a time gets (nearly) the whole window
    window.raise_dock("activations")
    # (the full-screen geometry and the stage's layout arrive some event-loop passes later)
    qtbot.waitUntil(lambda: docks["activations"].width() >= window.width() - 40)
    window.set_presentation(False, persist=False)
    qtbot.wait(50)
    after = {name: (area(d), {t.objectName() for t in window.tabifiedDockWidgets(d)})
             for name, d in docks.items()}
    assert after == before
    assert not window.presentation.toolbar.isVisible()


def test_presentation_bar_drives_the_controls_and_selects_views(qtbot, window):
    """The tool bar's buttons are the controls' (Start starts, the label follows), its slider
    is the speed, and its selector, Page Down and the keys 1-9 change the view on the stage."""
    window.set_presentation(True, persist=False)
    qtbot.wait(50)
    bar = window.presentation.bar
    controls = window.controls
    bar.speed_slider.setValue(0)
    assert controls.speed_slider.value() == 0 and window.controller.pacing is not None
    controls.speed_slider.setValue(controls.speed_slider.maximum())
    assert bar.speed_slider.value() == controls.speed_slider.maximum()

    window.raise_dock("filters")
    qtbot.waitUntil(lambda: bar.current_view() == "filters")
    bar.step_view(1)                                   # Page Down on a presenter's clicker
    following = bar.current_view()
    assert following != "filters"
    qtbot.waitUntil(lambda: not window.docks[following].visibleRegion().isEmpty()
                    or window.views[following].isVisible())
    assert window.docks[following].geometry().intersects(window.rect())
    qtbot.keyClick(window, Qt.Key.Key_1)               # the first Classroom view
    qtbot.waitUntil(lambda: bar.current_view() == "preprocess_pipeline")

    assert bar.buttons["stop"].isEnabled() is False
    window.controls.epochs_spin.setValue(1000)
    bar.buttons["start"].click()                        # Start, through the controls
    qtbot.waitUntil(lambda: window.controller.state == "running", timeout=10000)
    qtbot.waitUntil(lambda: bar.buttons["stop"].isEnabled())
    assert bar.buttons["start"].text() == "Pause"
    bar.buttons["stop"].click()
    qtbot.waitUntil(lambda: not window.controller.active, timeout=10000)
    qtbot.waitUntil(lambda: bar.buttons["start"].text() == "Start")


def title_pt(label) -> float:
    return float(label.opts.get("size", "0pt")[:-2])


def test_a_view_title_set_after_entering_keeps_the_large_type(qtbot, small_dataset):
    """Under Xvfb: relaunched in presentation mode, Activations' prediction title ("predicted
    0 (100%), true 0") came up in 9 pt on the stage (set by the view's first refresh, after
    the stage was styled) and in large type once back in normal mode. It must follow the
    mode, also when the prediction changes while presenting."""
    first = open_window(qtbot, small_dataset)
    first.set_presentation(True)
    first.close()
    win = open_window(qtbot, small_dataset)              # the next launch, presenting
    view = win.views["activations"]
    win.raise_dock("activations")
    label = view.prob_plot.titleLabel
    qtbot.waitUntil(lambda: "predicted" in label.text, timeout=20000)
    assert title_pt(label) >= 18, label.opts
    state = win.state
    other = next(i for i in range(len(small_dataset.test_labels))
                 if small_dataset.test_labels[i] != state.probe_label)
    state.set_probe(small_dataset.test_images[other].astype("float32") / 255.0,
                    int(small_dataset.test_labels[other]))
    qtbot.waitUntil(lambda: f"true {small_dataset.test_labels[other]}" in label.text,
                    timeout=20000)
    assert title_pt(label) >= 18, label.opts           # a new title, still large
    win.set_presentation(False)
    assert 0 < title_pt(label) < 18, label.opts        # normal again, not left large
    win.close()


@pytest.mark.parametrize("screen", ["same screen", "another screen"])
def test_the_view_on_the_stage_comes_back_at_the_next_launch(qtbot, small_dataset, screen):
    """Under Xvfb: presenting the Loss view, Ctrl+Q, launch again: the stage showed
    Activations (and, saved at 1920x1080 and opened at 1280x720, still did after the view
    was stored: showing the window brought another tab to the front). The teacher gets the
    view they left on the stage."""
    from PyQt6.QtCore import QRect

    from cnnviz.app.settings import write_value
    from test_settings_restore import geometry_from_another_screen
    first = open_window(qtbot, small_dataset)
    first.set_presentation(True)
    first.presentation.bar.viewRequested.emit("filters")       # the selector, or key 8
    qtbot.waitUntil(lambda: first.presentation.bar.current_view() == "filters")
    first.close()
    if screen == "another screen":
        write_value("window/geometry",
                    geometry_from_another_screen(QRect(157, 44, 1600, 1000), False, 2560))
    second = open_window(qtbot, small_dataset)
    assert second.presentation.active

    def in_front() -> str:
        """The current tab of the stage (the dock area's tab bar holding every view)."""
        bars = [bar for bar in second.findChildren(QTabBar)
                if bar.parent() is second and bar.isVisible() and bar.count() > 10]
        return bars[0].tabText(bars[0].currentIndex()) if len(bars) == 1 else ""
    qtbot.waitUntil(lambda: second.presentation.bar.current_view() == "filters"
                    and in_front() == second.docks["filters"].windowTitle())
    second.set_presentation(False)      # leaving: F11 in normal mode shows the last dock used
    second.close()


def legend_pts(view) -> list[float]:
    return [float(label.opts["size"][:-2]) for _sample, label in view.legend.items]


def test_fool_legend_follows_the_mode_and_does_not_grow_on_each_entry(qtbot, window):
    """A Fool result that arrived while presenting drew its legend in large type; leaving
    restored only the labels styled on entering (gone by then), so the legend stayed large in
    normal mode, and the next entry scaled it again (33 pt)."""
    view = window.views["fool"]
    window.raise_dock("fool")
    qtbot.waitUntil(lambda: bool(view.legend.items), timeout=60000)
    normal = legend_pts(view)
    assert normal and max(normal) < 18
    sizes = []
    for _ in range(2):
        window.set_presentation(True)
        with qtbot.waitSignal(view.job.finished, timeout=60000):
            view.recompute()                     # e.g. a new probe while presenting
        qtbot.waitUntil(lambda: bool(view.legend.items), timeout=60000)
        sizes.append(legend_pts(view))
        assert min(sizes[-1]) >= 18
        window.set_presentation(False)
        assert legend_pts(view) == normal        # normal type again, without a new result
    assert sizes[0] == sizes[1] and max(sizes[0]) < 30
