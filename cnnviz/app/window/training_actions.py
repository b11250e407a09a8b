"""The window's training actions: Start / Pause / Resume, Step, Stop, Reset, Apply an
architecture, and what the run reports.

``TrainingActions`` is mixed into ``MainWindow``; it drives the ``TrainingController``
(``self.controller``, the worker thread) from the controls and hands each drawn snapshot,
finished epoch and Step to the app state (``apply_snapshot``, ``publish_epoch``,
``publish_step``), whose signals the views listen to. It only adds the status bar's words.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QMessageBox

from ...nn import build_network
from .. import arch_actions
from ..dialogs import show_error


class TrainingActions:
    """Training for ``MainWindow`` (needs ``state``, ``controller``, ``training_data``,
    ``controls``, ``loss_view``)."""

    _start_after_stop = False       # Start pressed while the last run was stopping

    def _connect_training(self) -> None:
        """The controls drive the run; what the run reports goes to the app state."""
        c, ctl = self.controls, self.controller
        # Start / Pause / Resume act on the run's real state, not on the button's label, which
        # may lag behind it (a stop still finishing its batch)
        for request in (c.startRequested, c.pauseRequested, c.resumeRequested):
            request.connect(self.toggle_training)
        c.stepRequested.connect(self.step_training)
        c.stopRequested.connect(ctl.stop)
        c.resetRequested.connect(self.confirm_reset)
        c.learningRateChanged.connect(self._on_lr_changed)
        c.momentumChanged.connect(self._on_momentum_changed)
        c.speedChanged.connect(ctl.pacing.set_batches_per_second)
        c.pauseEachEpochChanged.connect(ctl.pacing.set_pause_each_epoch)
        ctl.pacing.set_batches_per_second(c.speed())
        # the run reaches the views through the app state's signals (views connect themselves)
        ctl.lossesArrived.connect(self.state.publish_losses)
        self.state.probeChanged.connect(lambda: ctl.set_probe(self.state.probe_image))
        ctl.set_probe(self.state.probe_image)
        ctl.renderSnapshot.connect(self._render_snapshot)
        ctl.epochFinished.connect(self._on_epoch)
        ctl.diverged.connect(self._on_diverged)
        ctl.errored.connect(self._on_errored)
        ctl.stepped.connect(self._on_stepped)
        ctl.stateChanged.connect(self._on_run_state)
        ctl.finished.connect(self._on_finished)

    def _training_data(self) -> tuple:
        ds = self.state.dataset
        if ds is None:
            raise RuntimeError("no dataset is loaded")
        return self.training_data.arrays(ds)

    def _worker_network(self):
        """The worker's own network: a copy of the shown one (its architecture and weights;
        the seed drives its dropout masks)."""
        net = build_network(config=self.state.net.config, seed=self.controls.seed_spin.value())
        net.load_params(self.state.net.copy_params())
        return net

    def _begin(self, start_paused: bool) -> bool:
        if self.controller.active:
            return True
        if self.state.dataset is None:
            show_error(self, "No data", "Open a dataset first (File menu).")
            return False
        try:
            self.controller.start(self._worker_network(), self._training_data(),
                                  self.controls.config(), start_paused=start_paused,
                                  on_trainer=self.replay.on_run_start)
        except (ValueError, RuntimeError) as exc:
            show_error(self, "Cannot start training", str(exc))
            return False
        self.loss_view.begin_run()
        self.state.epochs_before = self.loss_view.history.offset   # the plot's x starts there
        self.state.steps_before = self.loss_view.history.batches_seen
        self.controls.set_run_state("paused" if start_paused else "running")
        return True

    def toggle_training(self) -> None:
        """Space and the Start/Pause/Resume button: pause a running run, resume a paused one,
        start one when idle; pressed while a stopped run is still finishing its batch, start
        a new run as soon as it has ended."""
        ctl = self.controller
        if ctl.stopping:
            self._start_after_stop = True
        elif ctl.active and ctl.worker.paused:
            ctl.resume()
        elif ctl.active:
            ctl.pause()
        else:
            self.start_training()

    def start_training(self) -> None:
        """Start a run (or resume a paused one). Starting the untouched pre-trained model
        asks once whether to train fresh random weights instead (a flat loss near 0 from the
        start shows a first-time user nothing being learnt)."""
        if self.controller.active:
            self.controller.resume()
            return
        if self.state.pretrained and not self.state.modified \
                and getattr(self, "_asked_for", None) is not self.state.net:
            choice = self.ask_start_from_pretrained()
            if choice == "cancel":
                return
            self._asked_for = self.state.net
            if choice == "fresh":
                self.reset_weights()
        self._begin(start_paused=False)

    def ask_start_from_pretrained(self) -> str:
        """Ask how to start from a pre-trained model: "fresh", "continue" or "cancel"."""
        acc = self.state.model_accuracy
        box = QMessageBox(QMessageBox.Icon.Question, "Start training",
                          "The network is already trained"
                          + (f" ({100 * acc:.1f}% held-out accuracy)" if acc else "")
                          + ": its loss starts near zero and hardly moves.", parent=self)
        box.setObjectName("startFromPretrainedBox")
        # short answers, the advice in the text: at 20 pt on a 1366x768 projector the long
        # labels were cut to "fresh random weights (reco" and "ue training the pre-trained"
        box.setInformativeText("Recommended, to watch it learn: train fresh random weights "
                               f"(seed {self.controls.seed_spin.value()}) instead. Continue "
                               "keeps training the pre-trained model.")
        fresh = box.addButton("Train from fresh weights", QMessageBox.ButtonRole.AcceptRole)
        more = box.addButton("Continue", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(fresh)
        box.exec()
        clicked = box.clickedButton()
        return "fresh" if clicked is fresh else "continue" if clicked is more else "cancel"

    def step_training(self) -> None:
        """Train exactly one mini-batch (starting a paused run if none is active)."""
        if self._begin(start_paused=True):
            self.controller.step()

    def stop_training(self, timeout_ms: int = 2000) -> None:
        """End any run for good (a reset, another model): stop it, wait for its thread and
        drop whatever it still had queued, so its weights and progress never come back."""
        self._start_after_stop = False
        if self.controller.thread is not None:
            self.controller.abandon(timeout_ms)
            self.controls.set_run_state("idle")

    def confirm_reset(self) -> None:
        answer = QMessageBox.question(
            self, "Reset weights",
            "Replace the network's weights with fresh random ones? Training progress is lost.")
        if answer == QMessageBox.StandardButton.Yes:
            self.reset_weights()

    def reset_weights(self) -> None:
        self.stop_training()
        seed = self.controls.seed_spin.value()
        net = arch_actions.fresh_network(self, seed)               # same architecture
        name = arch_actions.network_name(net.arch)
        self.loss_view.clear()
        # views showing run history (timeline, step explainer, confusion) clear on modelChanged
        self.state.set_model(net, f"new {name} (seed {seed})")    # "*" marks it trained since
        self.controls.reset_progress()
        self.statusBar().showMessage(
            f"Fresh random weights (seed {seed}): press Start to watch the network learn.")

    def apply_architecture(self, text: str) -> bool:
        """Fresh weights of architecture ``text`` (from the editor; asks if trained)."""
        return arch_actions.apply_architecture(self, text)

    def _on_lr_changed(self, lr: float) -> None:
        try:
            self.controller.set_learning_rate(lr)
        except ValueError as exc:
            self.statusBar().showMessage(str(exc))

    def _on_momentum_changed(self, m: float) -> None:
        try:
            self.controller.set_momentum(m)
        except ValueError as exc:
            self.statusBar().showMessage(str(exc))

    def _render_snapshot(self, snapshot) -> None:
        self.state.apply_snapshot(snapshot)        # weights, then every view's progressed
        self.state.set_modified(True)

    def _on_epoch(self, event) -> None:
        self.state.publish_epoch(event)
        # a continued run: number the epoch as the loss plot's header does (its x axis
        # counts the epochs of earlier runs too)
        before = self.state.epochs_before
        name = f"Epoch {int(before + event.epoch + 1)} (this run: {event.epoch + 1})" \
            if before > 0 else f"Epoch {event.epoch + 1}"
        self.statusBar().showMessage(
            f"{name}: train loss {event.train_loss:.4f}, held-out accuracy "
            f"{100 * event.test_accuracy:.1f}% ({event.images_per_second:,.0f} images/s)"
            + (": paused, press Resume (Space) to go on" if self.controls.pause_epoch_box
               .isChecked() and event.epoch + 1 < self.controls.epochs_spin.value() else ""))

    def _on_stepped(self, detail) -> None:
        self.state.publish_step(detail)
        self.statusBar().showMessage(
            f"Step {detail.step}: batch loss {detail.loss_before:.4f} before the update, "
            f"{detail.loss_after:.4f} after.")

    def _on_diverged(self, message: str) -> None:
        """A run blew up or stopped learning (a dead network): paused, with the message."""
        what = "stopped learning" if message.startswith("training stopped learning") \
            else "diverged"
        self.controls.set_run_state("paused")
        self.statusBar().showMessage(f"Training {what} and was paused.")
        QMessageBox.warning(self, f"Training {what}", message)

    def _on_errored(self, message: str) -> None:
        """An unexpected exception ended the run: the window keeps the last weights it
        received and stays usable (Start trains on from them)."""
        self.statusBar().showMessage(f"Training stopped by an error: {message}")
        show_error(self, "Training stopped by an error",
                   f"{message}\n\nThe model keeps the weights of the last good batch shown; "
                   "press Start to train on from them.")

    def _on_run_state(self, state: str) -> None:
        self.controls.set_run_state(state)
        # the status bar never keeps an old run's "finished" while this one trains
        shown = self.statusBar().currentMessage()
        if state == "running":
            self.statusBar().showMessage("Training: Space pauses; the Speed slider slows it.")
        elif state == "paused" and not shown.startswith(("Epoch", "Step", "Training diverged",
                                                          "Training stopped learning")):
            self.statusBar().showMessage("Paused: Space resumes, S trains one mini-batch.")

    def _on_finished(self, completed: bool) -> None:
        self.controls.set_run_state("idle")
        if not self.statusBar().currentMessage().startswith("Training stopped by an error"):
            self.statusBar().showMessage("Training finished all its epochs." if completed
                                         else "Training stopped.")
        if self._start_after_stop:
            self._start_after_stop = False
            self.start_training()
