"""The convolution explainer shows the engine's own numbers for a clicked pixel."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtCore import QPointF

from classroom_support import make_state
from cnnviz.app.views.conv_explainer import ConvExplainerView


@pytest.fixture
def view(qtbot):
    state = make_state(probe_index=0)
    view = ConvExplainerView(state)
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    qtbot.waitExposed(view)
    return view


def shown_numbers(grid) -> np.ndarray:
    return np.array([[float(t) for t in row] for row in grid.texts])


def brightest(trace, name: str, channel: int | None = None):
    """``(channel, row, col)`` of the largest activation (a pixel the ReLU lets through)."""
    acts = trace[name].output[0]
    if channel is not None:
        r, c = np.unravel_index(acts[channel].argmax(), acts[channel].shape)
        return channel, int(r), int(c)
    return tuple(int(i) for i in np.unravel_index(acts.argmax(), acts.shape))


def test_conv1_products_and_sum_equal_the_engine(view):
    state = view.state
    trace, w, b = state.trace, state.net.params["conv1.weight"], state.net.params["conv1.bias"]
    for ch, r, c in (brightest(trace, "relu1", 3), (5, 0, 23), (11, 20, 2)):
        view.explain("conv1", ch, r, c)
        e = view.explanation
        x = trace["input"].output[0, 0]
        expected = x[r:r + 5, c:c + 5].astype(np.float64) * w[ch, 0]
        np.testing.assert_allclose(shown_numbers(view.patch_grid), x[r:r + 5, c:c + 5], atol=0.005)
        np.testing.assert_allclose(shown_numbers(view.kernel_grid), w[ch, 0], atol=0.005)
        np.testing.assert_allclose(shown_numbers(view.product_grid), expected, atol=0.0005)
        np.testing.assert_allclose(e.products[0], expected, atol=1e-7)
        engine = float(trace["conv1"].output[0, ch, r, c])
        assert abs(e.products.sum() + float(b[ch]) - engine) < 1e-5
        assert abs(e.pre_activation - engine) < 1e-5
        assert e.activation == pytest.approx(float(trace["relu1"].output[0, ch, r, c]))
        assert e.activation == pytest.approx(max(0.0, engine), abs=1e-6)
        assert e.pool_cell == (r // 2, c // 2)
        assert e.is_winner == bool(trace["pool1"].mask[0, ch, r, c])
        text = view.formula.text()
        assert f"= {engine:.3f}" in text and f"cell ({r // 2}, {c // 2})" in text


def test_the_brightest_pixel_is_a_positive_winner(view):
    ch, r, c = brightest(view.state.trace, "relu1")
    view.explain("conv1", ch, r, c)
    e = view.explanation
    assert e.pre_activation > 0 and e.is_winner
    assert view.formula.text().endswith(": winner")
    assert f"→ ReLU → {e.pre_activation:.3f}" in view.formula.text()


def test_pool_winner_flag_equals_the_engine_mask_in_every_window_pixel(view):
    trace = view.state.trace
    ch, r, c = brightest(trace, "relu1", 7)
    top, left = 2 * (r // 2), 2 * (c // 2)
    flags = []
    for dr in (0, 1):
        for dc in (0, 1):
            view.explain("conv1", ch, top + dr, left + dc)
            flags.append(view.explanation.is_winner)
            assert flags[-1] == bool(trace["pool1"].mask[0, ch, top + dr, left + dc])
            assert ("winner" in view.formula.text()) == flags[-1]
    assert sum(flags) == 1


def test_conv2_channel_contributions_sum_to_the_engine_output(view):
    state = view.state
    trace = state.trace
    w, b = state.net.params["conv2.weight"], state.net.params["conv2.bias"]
    ch, r, c = brightest(trace, "relu2")
    view.explain("conv2", ch, r, c)
    e = view.explanation
    x = trace["pool1"].output[0, :, r:r + 5, c:c + 5].astype(np.float64)     # (20, 5, 5)
    expected = (x * w[ch]).sum(axis=(1, 2))                                   # (20,)
    np.testing.assert_allclose(e.contributions, expected, atol=1e-6)
    np.testing.assert_allclose(view.bars.opts["height"], expected, atol=1e-6)
    engine = float(trace["conv2"].output[0, ch, r, c])
    assert abs(expected.sum() + float(b[ch]) - engine) < 1e-5
    assert abs(e.pre_activation - engine) < 1e-5
    assert e.is_winner == bool(trace["pool2"].mask[0, ch, r, c])
    assert e.activation == pytest.approx(float(trace["relu2"].output[0, ch, r, c]))
    # The written-out grids follow the chosen input channel (the one that drives it most).
    k = int(np.abs(expected).argmax())
    view.select_input_channel(k)
    np.testing.assert_allclose(shown_numbers(view.product_grid), x[k] * w[ch, k], atol=0.0005)
    np.testing.assert_allclose(shown_numbers(view.kernel_grid), w[ch, k], atol=0.005)
    assert view.channels_graphics.isVisible()


def test_picker_and_click_choose_the_pixel(view, qtbot):
    view.layer_combo.setCurrentText("conv2")
    view.channel_spin.setValue(4)
    view.row_spin.setValue(6)
    view.col_spin.setValue(1)
    e = view.explanation
    assert (e.layer, e.channel, e.row, e.col) == ("conv2", 4, 6, 1)
    assert view.row_spin.maximum() == 7 and view.channel_spin.maximum() == 49

    view.explain("conv1", 2, 0, 0)
    qtbot.wait(50)
    # Click the centre of pixel (row 17, col 5) of the small output map (x = col, y = row).
    scene = view.output_box.mapViewToScene(QPointF(5.5, 17.5))
    qtbot.mouseClick(view.graphics.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.graphics.mapFromScene(scene))
    e = view.explanation
    assert (e.layer, e.channel, e.row, e.col) == ("conv1", 2, 17, 5)
    assert (view.row_spin.value(), view.col_spin.value()) == (17, 5)


def test_follows_a_new_probe(view):
    state = view.state
    view.explain("conv1", 3, 10, 10)
    before = view.explanation.engine_output
    state.set_probe(state.dataset.test_images[1] / 255.0, int(state.dataset.test_labels[1]), index=1)
    after = view.explanation
    assert after.engine_output == pytest.approx(float(state.trace["conv1"].output[0, 3, 10, 10]))
    assert after.engine_output != before


def test_bad_pixel_is_refused_with_a_message(view):
    view.explain("conv1", 3, 5, 5)
    view.explain("conv1", 3, 30, 5)
    assert "no pixel" in view.formula.text()
    assert view.explanation.row == 5
