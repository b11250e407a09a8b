"""Saliency and the one-step explainer draw "title + maps + colour bar" panels that read right.

For LeNet and a 64-channel network, at the normal font and at presentation mode's (20 pt
application font, titles and tick labels restyled as presentation mode does):

* no two of all the panels' titles (as drawn), maps and colour bars (the colour strip and
  every tick label it draws) overlap, and all lie inside the view;
* every colour bar spans the levels its maps are drawn with, those levels are the drawn
  values' own scale (symmetric: the largest |value|), and every tick label reads a value
  inside them;
* the values drawn are the exact ones (saliency: the view's gradient and occlusion maps;
  ΔW: after − before; gradients: the step's own).
"""

from __future__ import annotations

import gc

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import QRect
from PyQt6.QtGui import QFont

from cnnviz.app.state import AppState
from cnnviz.data import images_to_float
from cnnviz.nn import build_network, get_preset
from cnnviz.training import Trainer
from cnnviz.training.snapshot import detailed_step
from view_arch_cases import VIEW_ARCHS
from window_support import small_dataset

pg.setConfigOptions(imageAxisOrder="row-major")

ARCHS = ["lenet", "many_channels"]


@pytest.fixture(params=[False, True], ids=["normal_font", "presentation_font"])
def presentation(request, qapp):
    """The application font at 20 pt (presentation mode's) or left alone; restored after."""
    old = QFont(qapp.font())
    if request.param:
        font = QFont(old)
        font.setPointSizeF(20)
        qapp.setFont(font)
    yield request.param
    qapp.setFont(old)
    gc.collect()


def make_state(arch: str) -> AppState:
    ds = small_dataset(200, 20)
    state = AppState(build_network(VIEW_ARCHS[arch], seed=0), ds)
    state.set_probe(ds.test_images[3] / 255.0, int(ds.test_labels[3]), index=3)
    return state


def trainer_for(state) -> Trainer:
    """A trainer on a copy of the state's network: its steps are real SGD steps."""
    net = build_network(config=state.net.config)
    net.load_params(state.net.copy_params())
    ds = state.dataset
    config = get_preset("lenet").training.with_overrides(batch_size=8, lr=0.05)
    return Trainer(net, images_to_float(ds.train_images), ds.train_labels,
                   images_to_float(ds.test_images), ds.test_labels, config)


def show(qtbot, view, size, presentation: bool):
    qtbot.addWidget(view)
    if presentation:                       # what presentation mode does to the scenes
        from cnnviz.app.presentation import PresentationMode
        styler = PresentationMode(None)
        for graphics in view.findChildren(pg.GraphicsView):
            styler._style_scene(graphics)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)


def settle(qtbot, view, graphics) -> None:
    """Until a caption that grew or shrank has resized the graphics and the panels were
    placed for its new size (the view's layout runs from the event loop)."""
    view.layout().activate()
    qtbot.waitUntil(lambda: graphics.sceneRect().size().toSize() == graphics.viewport().size(),
                    timeout=30000)


def in_view(graphics, scene_rect) -> QRect:
    return graphics.mapFromScene(scene_rect).boundingRect()


def panel_parts(graphics, key, panel) -> dict[str, QRect]:
    """Where a panel's title text, its maps (the box they are drawn in) and its colour bar
    (strip and each tick label) are, in viewport pixels."""
    title = panel.title.item
    parts = {f"{key} title": in_view(graphics, title.mapToScene(title.boundingRect())
                                     .boundingRect()).adjusted(4, 4, -4, -4),
             f"{key} maps": in_view(graphics, panel.box.sceneBoundingRect())}
    if panel.bar is not None:
        parts[f"{key} bar"] = in_view(graphics, panel.bar.bar.sceneBoundingRect())
        for i, (text, rect) in enumerate(panel.bar_ticks()):
            parts[f"{key} tick {text!r}#{i}"] = in_view(graphics, rect)
    return parts


def check_panels(graphics, panels: dict) -> None:
    """No overlap among all the panels' parts; all inside the viewport."""
    frame = graphics.viewport().rect().adjusted(-2, -2, 2, 2)
    parts = {}
    for key, panel in panels.items():
        found = panel_parts(graphics, key, panel)
        assert any("tick" in name for name in found) or panel.bar is None, \
            f"{key}: the colour bar draws no tick label"
        parts.update(found)
    names = list(parts)
    for name in names:
        assert frame.contains(parts[name]), f"{name} {parts[name]} outside the view {frame}"
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if a.split()[0] == b.split()[0] and "tick" in a and "tick" in b:
                continue                  # one bar's labels: pyqtgraph spaces them itself
            shrunk = parts[a].adjusted(1, 1, -1, -1)
            assert not shrunk.intersects(parts[b]), f"{a} {parts[a]} overlaps {b} {parts[b]}"


def check_scale(panel, values: np.ndarray, symmetric: bool = True) -> None:
    """The bar's levels are the image's; they are the values' own scale; ticks inside."""
    levels = panel.levels()
    assert tuple(panel.bar.levels()) == pytest.approx(levels)
    if symmetric:
        hi = float(np.abs(values).max())
        assert levels == pytest.approx((-hi, hi), rel=1e-6)
    for text, _rect in panel.bar_ticks():
        # a short bar: the scale alone, in one or two significant digits
        if text.startswith("±"):
            assert float(text[1:]) == pytest.approx(levels[1], rel=0.34), text
        elif "…" in text:
            assert [float(t) for t in text.split("…")] == pytest.approx(levels, rel=0.34)
        else:
            value = float(text.replace("−", "-"))
            span = levels[1] - levels[0]
            assert levels[0] - 1e-3 * span <= value <= levels[1] + 1e-3 * span, text


# -- saliency ----------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(1400, 800), (700, 500)])
@pytest.mark.parametrize("arch", ARCHS)
def test_saliency_panels_do_not_overlap_and_their_bars_read_the_maps(qtbot, presentation,
                                                                     arch, size):
    from cnnviz.app.views.saliency import OCCLUSION_MIN_SCALE, SaliencyView
    view = SaliencyView(make_state(arch))
    show(qtbot, view, size, presentation)
    with qtbot.waitSignal(view.job.ready, timeout=60000):    # computed in the background
        view.recompute()
    qtbot.waitUntil(lambda: len(view.placements) == 3, timeout=30000)
    settle(qtbot, view, view.graphics)
    check_panels(view.graphics, view.panels)
    # the drawn maps are the view's exact gradient and occlusion maps
    grad = view.panels["grad"].shown_maps()[0]
    np.testing.assert_array_equal(grad, view.saliency_map())
    check_scale(view.panels["grad"], grad)
    occ = view.panels["occ"].shown_maps()[0]
    np.testing.assert_array_equal(occ, view.occlusion_map())
    # the occlusion scale has a floor (a tiny drop must not look bright red)
    hi = max(float(np.abs(occ).max()), OCCLUSION_MIN_SCALE)
    assert view.panels["occ"].levels() == pytest.approx((-hi, hi))
    check_scale(view.panels["occ"], occ, symmetric=False)
    np.testing.assert_array_equal(view.panels["input"].shown_maps()[0],
                                  view.state.probe_image.astype(np.float32))
    # |gradient|: a one-sided scale from 0, the same geometry rules
    view.absolute.setChecked(True)
    levels = view.panels["grad"].levels()
    assert levels == pytest.approx((0.0, float(np.abs(grad).max())))
    check_scale(view.panels["grad"], np.abs(grad), symmetric=False)
    settle(qtbot, view, view.graphics)
    check_panels(view.graphics, view.panels)


# -- one-step explainer --------------------------------------------------------------------------
# a floated dock or the presentation stage, and a small dock (at the normal font: on the
# stage, presentation mode gives every view at least 1280 x 650)
STEP_SIZES = {("large", False): (1400, 900), ("small", False): (560, 480),
              ("large", True): (1400, 900), ("small", True): (1280, 650)}


@pytest.mark.parametrize("size", ["large", "small"])
@pytest.mark.parametrize("arch", ARCHS)
def test_step_explainer_panels_do_not_overlap_and_their_bars_read_the_maps(qtbot, presentation,
                                                                           arch, size):
    from cnnviz.app.views.step_explainer import StepExplainerView
    state = make_state(arch)
    view = StepExplainerView(state)
    show(qtbot, view, STEP_SIZES[size, presentation], presentation)
    _, detail = detailed_step(trainer_for(state))
    view.show_step(detail)
    delta = view.delta_tab
    qtbot.waitUntil(lambda: len(delta.placements) == len(delta.panels), timeout=30000)
    settle(qtbot, delta, delta.graphics)
    check_panels(delta.graphics, delta.panels)
    for name, panel in delta.panels.items():
        shown = view.shown_delta(name)
        np.testing.assert_array_equal(shown, detail.params_after[name]
                                      - detail.params_before[name])
        check_scale(panel, shown)
    view.tabs.setCurrentIndex(1)
    grads = view.grad_tab
    qtbot.waitUntil(lambda: grads.isVisible() and len(grads.placements) == len(grads.panels),
                    timeout=30000)
    settle(qtbot, grads, grads.graphics)
    check_panels(grads.graphics, grads.panels)
    for name, panel in grads.panels.items():
        shown = view.shown_grad(name)
        np.testing.assert_array_equal(shown, detail.output_grads[name][0])
        check_scale(panel, shown)


# -- the layout search runs when the layout can change, not at every Step ----------------------
def test_steps_reuse_the_layout_and_a_resize_or_font_change_recomputes_it(qtbot, monkeypatch):
    from cnnviz.app import fit_layout
    from cnnviz.app.views.step_explainer import StepExplainerView, delta_tab, grads_tab, \
        routing_tab
    calls = []
    original = fit_layout.arrange

    def counting(*args, **kwargs):
        calls.append(args[:2])
        return original(*args, **kwargs)
    # the tabs call arrange directly or through fit_layout.arrange_with_title_room
    for module in (fit_layout, delta_tab, routing_tab):
        monkeypatch.setattr(module, "arrange", counting)
    assert grads_tab.arrange_with_title_room.__module__ == fit_layout.__name__
    state = make_state("lenet")
    view = StepExplainerView(state)
    show(qtbot, view, (1200, 800), False)
    trainer = trainer_for(state)
    view.show_step(detailed_step(trainer)[1])
    for index in range(view.tabs.count()):             # every tab shown and laid out once
        view.tabs.setCurrentIndex(index)
        qtbot.waitUntil(lambda: bool(view.tabs.currentWidget().placements), timeout=30000)
    view.tabs.setCurrentIndex(0)
    qtbot.waitUntil(view.delta_tab.isVisible, timeout=30000)
    laid_out = len(calls)
    assert laid_out > 0
    for _ in range(4):
        _, detail = detailed_step(trainer)
        view.show_step(detail)
        # every Step draws its own numbers (the layout is kept, not the picture)
        np.testing.assert_array_equal(view.shown_delta("conv2.weight"),
                                      detail.params_after["conv2.weight"]
                                      - detail.params_before["conv2.weight"])
        np.testing.assert_array_equal(view.shown_grad("conv1"), detail.output_grads["conv1"][0])
        scale = f"±{np.abs(detail.delta('fc2.weight')).max():.2g}"
        assert scale in view.delta_tab.panels["fc2.weight"].title.text
    assert len(calls) == laid_out, "a Step re-ran the layout search"
    # another size: the visible tab lays out again for it
    view.resize(900, 700)
    qtbot.waitUntil(lambda: len(calls) > laid_out, timeout=30000)
    resized = len(calls)
    view.show_step(detailed_step(trainer)[1])
    assert len(calls) == resized
    # a larger font: titles and tick labels need more room
    font = QFont(view.font())
    font.setPointSizeF(font.pointSizeF() * 1.6)
    view.setFont(font)
    qtbot.waitUntil(lambda: len(calls) > resized, timeout=30000)
