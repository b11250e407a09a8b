"""A real Step of any network through the training controller, wired to views the way the
main window wires them (snapshot -> state -> timeline, step detail -> ``show_step``)."""

from __future__ import annotations

from cnnviz.app.worker import TrainingController
from cnnviz.data import images_to_float
from cnnviz.nn import build_network, get_preset


def start_paused(qtbot, state, timeline=None, step_view=None, batch_size: int = 8,
                 seed: int = 0) -> TrainingController:
    """A paused run on a copy of ``state.net`` and ``state.dataset``, its snapshots applied
    to ``state`` (and recorded by ``timeline``), its step details shown by ``step_view``."""
    ctl = TrainingController()
    if timeline is not None:
        ctl.lossesArrived.connect(timeline.add_worker_records)

    def render(snapshot) -> None:
        state.set_params(snapshot.params)
        if timeline is not None:
            timeline.record_from_state(
                snapshot.step, snapshot.epoch + snapshot.batch / max(1, snapshot.batches_per_epoch))

    ctl.renderSnapshot.connect(render)
    if step_view is not None:
        ctl.stepped.connect(step_view.show_step)
    ctl.set_probe(state.probe_image)
    worker_net = build_network(config=state.net.config, seed=seed)
    worker_net.load_params(state.net.copy_params())
    ds = state.dataset
    data = (images_to_float(ds.train_images), ds.train_labels,
            images_to_float(ds.test_images), ds.test_labels)
    config = get_preset("lenet").training.with_overrides(batch_size=batch_size, lr=0.05,
                                                         epochs=3)
    ctl.start(worker_net, data, config, start_paused=True)
    return ctl


def step(qtbot, ctl):
    """Train one mini-batch; returns its ``StepDetail`` once the views have been given it
    (the controller emits ``stepped`` after applying the step's snapshot)."""
    with qtbot.waitSignal(ctl.stepped, timeout=20000) as blocker:
        ctl.step()
    return blocker.args[0]
