"""Training events reach the views through the app state's signals, with no window.

Each view connects to ``AppState`` in its own ``__init__``; here the state alone publishes a
real evaluation, a real Step, a real snapshot and a clicked pixel, and the views show them.
"""

import ast
from pathlib import Path

import numpy as np
import pytest

from cnnviz.app.state import AppState
from cnnviz.data import images_to_float, load_bundled
from cnnviz.nn import build_network, get_preset
from cnnviz.training import Trainer
from cnnviz.training.evaluate import evaluate
from cnnviz.training.snapshot import detailed_step

APP = Path(__file__).resolve().parent.parent / "cnnviz" / "app"


@pytest.fixture(scope="module")
def data():
    ds = load_bundled()
    return ds, images_to_float(ds.train_images[:200]), images_to_float(ds.test_images)


@pytest.fixture
def state(data):
    ds = data[0]
    st = AppState(build_network(seed=0), ds)
    st.set_probe(ds.test_images[0] / 255.0, label=int(ds.test_labels[0]), index=0)
    return st


def _trainer(state, data):
    ds, train_x, test_x = data
    net = build_network(config=state.net.config)
    net.load_params(state.net.copy_params())
    return Trainer(net, train_x, ds.train_labels[:200], test_x, ds.test_labels,
                   get_preset("lenet").training)


def test_confusion_shows_the_published_evaluation_and_clears_on_none(qtbot, state, data):
    from cnnviz.app.views.confusion import ConfusionView

    ds = data[0]
    view = ConfusionView(state)
    qtbot.addWidget(view)
    result = evaluate(state.net, images_to_float(ds.test_images), ds.test_labels)
    with qtbot.waitSignal(state.evaluated):
        state.publish_evaluation(result)
    assert state.evaluation is result
    assert view.matrix.sum() == len(ds.test_labels)
    np.testing.assert_array_equal(view.matrix, result.confusion_matrix(ds.test_labels, 10))
    state.publish_evaluation(None)           # a replayed step before the first evaluation
    assert view.matrix.sum() == 0


def test_an_epoch_reaches_the_loss_curves_and_the_confusion_matrix(qtbot, state, data):
    from cnnviz.app.views.confusion import ConfusionView
    from cnnviz.app.views.loss_curves import LossCurvesView

    trainer = _trainer(state, data)
    confusion, curves = ConfusionView(state), LossCurvesView(state)
    for view in (confusion, curves):
        qtbot.addWidget(view)
    event = _one_epoch(trainer)
    state.publish_epoch(event)
    assert len(curves.history.epochs) == 1 and curves.history.epochs[0] is event
    assert confusion.accuracy == pytest.approx(event.evaluation.accuracy)


def _one_epoch(trainer):
    while True:
        result = trainer.step()
        if result.epoch is not None:
            return result.epoch


def test_a_step_reaches_the_step_explainer(qtbot, state, data):
    from cnnviz.app.views.step_explainer import StepExplainerView

    view = StepExplainerView(state)
    qtbot.addWidget(view)
    detail = detailed_step(_trainer(state, data))[1]
    with qtbot.waitSignal(state.stepped):
        state.publish_step(detail)
    assert view.detail is detail


def test_a_snapshot_moves_weights_progress_and_curves(qtbot, state, data):
    from cnnviz.app.views.controls import ControlsView
    from cnnviz.app.views.loss_curves import LossCurvesView
    from cnnviz.training.snapshot import Snapshot

    controls, curves = ControlsView(state), LossCurvesView(state)
    for view in (controls, curves):
        qtbot.addWidget(view)
    trainer = _trainer(state, data)
    for _ in range(3):
        trainer.step()
    params = trainer.net.copy_params()
    snapshot = Snapshot.create(params, [1, 2, 3], [0.1, 0.2, 0.3], [2.3, 2.2, 2.1], step=3,
                               epoch=0, batch=3, batches_per_epoch=10, total_steps=20,
                               images_per_second=100.0, lr=0.01, eta_seconds=5.0)
    state.publish_losses(snapshot)
    assert len(curves.history) == 3
    with qtbot.waitSignal(state.progressed):
        state.apply_snapshot(snapshot)
    np.testing.assert_array_equal(state.net.params["conv1.weight"], params["conv1.weight"])
    assert controls.progress_bar.value() == 150                    # 3 of 20 steps
    assert "batch 3/10" in controls.progress_bar.format()
    assert snapshot.position == pytest.approx(0.3)


def test_a_clicked_pixel_reaches_the_convolution_explainer(qtbot, state):
    from cnnviz.app.views.activations import ActivationsView
    from cnnviz.app.views.conv_explainer import ConvExplainerView

    maps, explainer = ActivationsView(state), ConvExplainerView(state)
    for view in (maps, explainer):
        qtbot.addWidget(view)
    layer = next(info.name for info in state.net.describe() if info.kind == "conv")
    with qtbot.waitSignal(state.pixelSelected) as got:
        maps.pixelClicked.emit(layer, 2, 5, 7)        # what a click on its map emits
    assert got.args == [layer, 2, 5, 7]
    assert (explainer.layer, explainer.channel) == (layer, 2)


def _hasattr_on_views(path: Path) -> list[int]:
    """Lines of ``hasattr(<a view>, ...)`` calls in ``path``."""
    tree = ast.parse(path.read_text())
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name) and node.func.id == "hasattr"
            and "view" in ast.unparse(node.args[0]).lower()]


def test_the_window_relays_nothing_to_views_it_found_with_hasattr():
    files = [APP / "main_window.py", APP / "replay.py", APP / "export_views.py",
             *sorted((APP / "window").glob("*.py"))]
    found = {p.name: _hasattr_on_views(p) for p in files if p.exists()}
    assert not any(found.values()), f"hasattr relays left: {found}"
