"""The training worker in a real QThread: train, pause, resume, step, stop, diverge."""

import numpy as np
import pytest

from cnnviz.app.worker import TrainingController, TrainingWorker
from cnnviz.data import images_to_float, load_bundled
from cnnviz.nn import build_network, get_preset
from thread_gates import MethodGate


@pytest.fixture(scope="module")
def data():
    ds = load_bundled()
    return (images_to_float(ds.train_images[:400]), ds.train_labels[:400],
            images_to_float(ds.test_images[:50]), ds.test_labels[:50])


@pytest.fixture
def controller(qtbot):
    ctl = TrainingController()
    yield ctl
    ctl.shutdown(2000)


def config(**kw):
    return get_preset("lenet").training.with_overrides(**{"batch_size": 16, "epochs": 5, **kw})


def test_trains_and_sends_snapshots_with_copied_weights(qtbot, controller, data):
    net = build_network(seed=1)
    snapshots = []
    controller.lossesArrived.connect(snapshots.append)
    worker = controller.start(net, data, config())
    qtbot.waitUntil(lambda: sum(len(s.losses) for s in snapshots) >= 3, timeout=10000)
    steps = np.concatenate([s.steps for s in snapshots])
    assert steps[0] == 1 and np.all(np.diff(steps) == 1)     # no batch lost between snapshots
    s = snapshots[-1]
    assert np.all(np.isfinite(s.losses))
    for name, value in s.params.items():
        assert not value.flags.writeable
        assert not np.shares_memory(value, worker.net.params[name])


@pytest.fixture
def hold_after(monkeypatch):
    """``hold_after(free)``: the worker held before every batch after its first ``free``
    (a ``MethodGate``: a whole run here is 125 batches, ~3 s on a loaded machine), released
    at the test's end whatever happened (a held worker would keep its thread from being
    joined)."""
    gates = []

    def make(free: int) -> MethodGate:
        gates.append(MethodGate(monkeypatch, TrainingWorker, "_train_one", free, 60))
        return gates[-1]
    yield make
    for gate in gates:
        gate.release()


def test_pause_stops_and_resume_continues(qtbot, controller, data, hold_after):
    gate = hold_after(2)
    worker = controller.start(build_network(), data, config())
    qtbot.waitUntil(gate.passed.is_set, timeout=10000)
    with qtbot.waitSignal(controller.stateChanged, check_params_cb=lambda s: s == "paused",
                          timeout=30000):
        controller.pause()
        gate.release()
    paused_at = worker.trainer.step_count
    qtbot.wait(300)
    assert worker.trainer.step_count == paused_at
    controller.resume()
    qtbot.waitUntil(lambda: worker.trainer.step_count > paused_at + 1, timeout=10000)


def test_step_trains_exactly_one_batch(qtbot, controller, data):
    worker = controller.start(build_network(), data, config(), start_paused=True)
    before = worker.net.copy_params()
    with qtbot.waitSignal(controller.stepped, timeout=30000) as blocker:
        controller.step()
    qtbot.wait(300)
    assert worker.trainer.step_count == 1
    detail = blocker.args[0]
    assert detail.step == 1 and len(detail.indices) == 16
    changed = [k for k in before if not np.array_equal(before[k], worker.net.params[k])]
    assert changed
    np.testing.assert_array_equal(detail.delta("fc2.weight"),
                                  worker.net.params["fc2.weight"] - before["fc2.weight"])
    with qtbot.waitSignal(controller.stepped, timeout=30000):
        controller.step()
    qtbot.wait(200)
    assert worker.trainer.step_count == 2


def test_learning_rate_change_applies_to_next_batch(qtbot, controller, data):
    worker = controller.start(build_network(), data, config(), start_paused=True)
    controller.set_learning_rate(0.0123)
    controller.set_momentum(0.5)
    with qtbot.waitSignal(controller.stepped, timeout=30000):
        controller.step()
    assert worker.trainer.optimizer.lr == pytest.approx(0.0123)
    assert worker.trainer.optimizer.momentum == 0.5


def test_stop_ends_the_thread(qtbot, controller, data, hold_after):
    gate = hold_after(1)
    controller.start(build_network(), data, config())
    qtbot.waitUntil(gate.passed.is_set, timeout=10000)
    with qtbot.waitSignal(controller.finished, timeout=30000) as blocker:
        controller.stop()
        gate.release()
    assert blocker.args == [False]
    assert controller.thread.wait(2000)
    assert not controller.active


def test_runs_to_completion(qtbot, controller, data):
    tiny = tuple(a[:32] for a in data[:2]) + data[2:]
    epochs = []
    controller.epochFinished.connect(epochs.append)
    with qtbot.waitSignal(controller.finished, timeout=20000) as blocker:
        controller.start(build_network(), tiny, config(epochs=2))
    assert blocker.args == [True]
    assert [e.epoch for e in epochs] == [0, 1]


def test_divergence_pauses_and_keeps_finite_weights(qtbot, controller, data):
    worker = controller.start(build_network(), data, config(lr=1e6, momentum=0.99))
    with qtbot.waitSignal(controller.diverged, timeout=10000) as blocker:
        pass
    assert "learning rate" in blocker.args[0]
    qtbot.waitUntil(lambda: controller.state == "paused", timeout=30000)
    assert worker.paused
    assert all(np.isfinite(v).all() for v in worker.net.params.values())


class _TickClock:
    """A stand-in for the trainer's ``time``: every reading is 10 ms after the previous."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        self.now += 0.01
        return self.now


def test_images_per_second_counts_training_time_only(qtbot, controller, data, monkeypatch):
    # each batch of 16 takes exactly 10 ms by the trainer's clock: 1,600 images/s
    monkeypatch.setattr("cnnviz.training.trainer.time", _TickClock())
    snapshots = []
    controller.lossesArrived.connect(snapshots.append)
    worker = controller.start(build_network(), data, config(), start_paused=True)
    for _ in range(2):
        qtbot.wait(400)        # a user looking at the views between two Steps
        with qtbot.waitSignal(controller.stepped, timeout=30000):
            controller.step()
        qtbot.waitUntil(lambda: bool(snapshots)
                        and snapshots[-1].step == worker.trainer.step_count, timeout=30000)
        s = snapshots[-1]
        assert s.images_per_second == pytest.approx(1600, rel=1e-6)
        remaining = (s.total_steps - s.step) * 16
        assert s.eta_seconds == pytest.approx(remaining / 1600, rel=1e-6)
