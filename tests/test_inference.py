"""The app's one inference service: one forward pass of the probe per change, shared by every
view; no view traces the probe itself."""

import numpy as np
import pytest

from cnnviz.app.inference import Inference
from cnnviz.app.state import AppState
from cnnviz.data import load_bundled
from cnnviz.nn import build_network


def _digit(seed):
    return np.random.default_rng(seed).random((28, 28), dtype=np.float32)


def test_the_probe_is_traced_once_per_change_and_shared():
    inference = Inference(build_network(seed=0))
    probe = _digit(0)
    first = inference.trace(probe)
    assert inference.passes == 1
    assert inference.trace(probe.copy()) is first and inference.passes == 1    # same digit
    np.testing.assert_allclose(first.probabilities[0],
                               inference.net.predict_proba(probe[None, None])[0], rtol=1e-6)
    np.testing.assert_array_equal(inference.probabilities(probe), first.probabilities[0])
    assert inference.passes == 1                                              # no new pass
    other = _digit(1)
    p = inference.probabilities(other)
    assert inference.probabilities(other) is p and inference.passes == 2      # shared
    inference.net.load_params(build_network(seed=5).copy_params())
    inference.weights_changed()
    again = inference.trace(probe)
    assert again is not first and inference.passes == 3
    assert not np.allclose(again.probabilities, first.probabilities)


def test_the_state_runs_one_pass_per_snapshot_or_probe_whatever_the_listeners():
    state = AppState(build_network(seed=0))
    seen = []
    for _ in range(5):                      # five listeners reading the trace
        state.traceChanged.connect(lambda trace: seen.append(
            (trace is state.trace, state.probabilities.argmax())))
    before = state.inference.passes
    state.set_probe(_digit(2))
    assert state.inference.passes == before + 1 and len(seen) == 5 and all(s[0] for s in seen)
    state.set_params(build_network(seed=3).copy_params())
    assert state.inference.passes == before + 2
    assert state.predict(_digit(4)) is state.predict(_digit(4))
    assert state.inference.passes == before + 3


@pytest.mark.parametrize("arch", ["lenet", "conv8x3p1 relu maxpool conv16x3p1 relu maxpool fc10"])
def test_no_view_traces_the_probe_itself(qtbot, arch):
    """Every view of the window built and on screen: a new probe costs one trace."""
    import window_support

    ds = load_bundled()
    window = window_support.open_window(qtbot, window_support.small_dataset(200, 50),
                                        restore_layout=False)
    window.state.set_model(build_network(arch, seed=0), "test")
    window.show_all_views()
    calls = []
    net = window.state.net
    original = net.trace

    def counting(x, *a, **k):
        calls.append(x.shape)
        return original(x, *a, **k)
    net.trace = counting
    try:
        window.state.set_probe(ds.test_images[3] / 255.0, label=int(ds.test_labels[3]),
                               index=3)
        from PyQt6.QtWidgets import QApplication

        from cnnviz.app.state import refresh_queue
        refresh_queue().flush()             # every queued redraw runs
        QApplication.processEvents()
    finally:
        net.trace = original
    assert calls == [(1, 1, 28, 28)], calls
