"""No view runs the network on the UI thread: the probe's forward pass is the inference
service's (once per change, shared), everything else (gradients, occlusion, replays) runs
in a background job on a detached copy, and a result for a stale probe or network is dropped.

Every layer's ``forward`` / ``backward`` is wrapped to record the calling thread; the one
inference service's passes are told apart by a flag its methods set while they run.
"""

from __future__ import annotations

import threading
import traceback

import numpy as np
import pytest

from classroom_support import make_state
from cnnviz import explain
from cnnviz.app.background import BackgroundJob
from cnnviz.app.inference import Inference
from cnnviz.app.probe_job import COMPUTING, ProbeJob
from cnnviz.app.state import refresh_queue
from cnnviz.app.view_registry import VIEWS
from cnnviz.nn import layers as layer_module
from step_support import start_paused, step

WAIT_MS = 60_000
# the views that moved their passes to a ProbeJob: each draws once per probe or weight change
MOVED = ("grad_cam", "saliency", "timeline")


class PassRecorder:
    """Wraps every layer class's forward and backward; ``ui_calls``: the passes run on the
    UI thread outside the inference service (with the app frame that asked for them)."""

    def __init__(self, monkeypatch) -> None:
        self.ui_calls: list[str] = []
        self.worker_calls = 0
        self.service_calls = 0
        self._main = threading.main_thread()
        self._in_service = threading.local()
        for cls in _layer_classes():
            for method in ("forward", "backward"):
                if method in vars(cls):
                    monkeypatch.setattr(cls, method, self._wrap(vars(cls)[method]))
        for method in ("trace", "probabilities"):
            monkeypatch.setattr(Inference, method, self._service(getattr(Inference, method)))

    def _service(self, fn):
        def service(inference, *args, **kwargs):
            self._in_service.on = True
            try:
                return fn(inference, *args, **kwargs)
            finally:
                self._in_service.on = False
        return service

    def _wrap(self, fn):
        def recorded(layer, *args, **kwargs):
            if threading.current_thread() is not self._main:
                self.worker_calls += 1
            elif getattr(self._in_service, "on", False):
                self.service_calls += 1
            else:
                self.ui_calls.append(_asker())
            return fn(layer, *args, **kwargs)
        return recorded


def _layer_classes():
    found, todo = set(), [layer_module.Layer]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def _asker() -> str:
    """The innermost cnnviz/app frame of the current stack: who ran the pass."""
    for frame in reversed(traceback.extract_stack()):
        if "/cnnviz/app/" in frame.filename:
            return f"{frame.filename.split('/cnnviz/app/')[1]}:{frame.lineno} {frame.name}"
    return "outside the app"


def shown(qtbot, view, size=(900, 600)):
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return view


def moved_jobs(views) -> list[ProbeJob]:
    return [views[name].job for name in MOVED]


def wait_quiet(qtbot, views) -> None:
    """The moved views have drawn the state as it is now (no redraw of theirs waiting on a
    coalescing timer or in the refresh queue) and every background job of every view has
    reported back. Jobs alone are not enough: a Step's snapshot rendered after the timeline
    had replayed the worker's record of that step (the worker descheduled between the
    snapshot and the detail) replaced the record, and the timeline's replay of it was still
    on its 200 ms timer, no job busy, when the other views' jobs had all reported."""
    jobs = [job for view in views.values() for job in view.findChildren(BackgroundJob)]

    def quiet() -> bool:
        return not refresh_queue().pending and not any(views[name].dirty for name in MOVED) \
            and not any(job.busy for job in jobs)
    qtbot.waitUntil(quiet, timeout=WAIT_MS)


def test_no_view_runs_the_network_on_the_ui_thread(qtbot, monkeypatch):
    state = make_state(probe_index=0)
    views = {spec.name: shown(qtbot, spec.load()(state)) for spec in VIEWS}
    views["timeline"].record_interval_s = 0.0        # every step's snapshot shown at once
    ctl = start_paused(qtbot, state, timeline=views["timeline"],
                       step_view=views["step_explainer"])
    try:
        step(qtbot, ctl)                  # the timeline has a snapshot to replay
        wait_quiet(qtbot, views)
        recorder = PassRecorder(monkeypatch)
        ds = state.dataset
        with qtbot.waitSignals([job.ready for job in moved_jobs(views)], timeout=WAIT_MS):
            state.set_probe(ds.test_images[7] / 255.0, int(ds.test_labels[7]), index=7)
        with qtbot.waitSignals([job.ready for job in moved_jobs(views)], timeout=WAIT_MS):
            step(qtbot, ctl)
        conv = next(info.name for info in state.net.describe() if info.kind == "conv")
        state.select_pixel(conv, 0, 3, 3)               # the convolution explainer
        state.select_channel(conv, 1)                   # the channel card
        wait_quiet(qtbot, views)
    finally:
        ctl.abandon(5000)
    assert recorder.ui_calls == [], "passes on the UI thread:\n" + "\n".join(
        sorted(set(recorder.ui_calls)))
    assert recorder.worker_calls > 0 and recorder.service_calls > 0
    # what the moved views show is what the explain functions give for the new probe, weights
    cam = views["grad_cam"].cam
    expected = explain.grad_cam(state.net, state.probe_image, views["grad_cam"].class_index)
    np.testing.assert_allclose(cam.map, expected.map, rtol=1e-5, atol=1e-7)
    timeline = views["timeline"]
    assert timeline.replay_ready and len(timeline.timeline) == 2
    first = state.net.describe()[1].name                # the first layer after the input
    np.testing.assert_allclose(timeline.replayed_maps(first),
                               state.trace[first].output[0], rtol=1e-5, atol=1e-6)
    saliency = explain.gradient_saliency(state.net, state.probe_image)
    np.testing.assert_allclose(views["saliency"].saliency_map(), saliency.gradient,
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(views["saliency"].occlusion_map(), explain.occlusion_drop(
        state.net, state.probe_image, saliency.class_index), rtol=1e-5, atol=1e-6)


def test_a_result_for_a_stale_probe_is_dropped_and_the_newest_drawn(qtbot):
    state = make_state(probe_index=0)
    job = ProbeJob(state)
    release = threading.Event()
    got = []
    job.ready.connect(got.append)

    def slow_sum(net, probe):
        release.wait(30)
        return float(probe.sum())

    job.submit(slow_sum)
    qtbot.waitUntil(lambda: job.note.text() == COMPUTING, timeout=WAIT_MS)   # still running
    ds = state.dataset
    state.set_probe(ds.test_images[3] / 255.0, int(ds.test_labels[3]), index=3)
    job.submit(lambda net, probe: float(probe.sum()))      # the view asks again
    with qtbot.waitSignal(job.ready, timeout=WAIT_MS):
        release.set()
    assert job.dropped == 1
    assert got == [pytest.approx(float(state.probe_image.sum()))]
    assert job.note.text() == ""


def test_a_failed_computation_is_one_line_in_the_note(qtbot):
    state = make_state(probe_index=0)
    job = ProbeJob(state)

    def broken(net, probe):
        raise ValueError("no such layer\nsecond line")
    with qtbot.waitSignal(job.failed, timeout=WAIT_MS) as blocker:
        job.submit(broken)
    assert blocker.args == ["ValueError: no such layer"]
    assert job.note.text() == "ValueError: no such layer"
