"""The main window's architecture actions: Apply from the editor, and a training preset
whose network differs from the current one.

Both replace the network through the same path as Reset and Open model: stop any run,
clear the run's history, ``AppState.set_model``. Nothing is replaced without asking when the
current model is trained (pre-trained, or trained since it was loaded) and unsaved.
"""

from __future__ import annotations

import warnings

from PyQt6.QtWidgets import QMessageBox

from ..nn import PRESETS, build_network, get_preset, load_checkpoint
from ..nn.arch import ArchitectureError, parse_arch
from ..nn.checkpoint import AssumedArchitectureWarning
from .dialogs import show_error


def load_with_note(path, editor_text: str | None = None):
    """``(network, note)``: the checkpoint at ``path``. A plain state_dict (no architecture
    stored) is read with ``editor_text`` when its shapes fit that, else with the guessed
    architecture; ``note`` then says which (None for a cnnviz checkpoint)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AssumedArchitectureWarning)
        net = load_checkpoint(path)
    if not any(issubclass(w.category, AssumedArchitectureWarning) for w in caught):
        return net, None
    name = getattr(path, "name", str(path))
    if editor_text and editor_text != net.arch:
        try:
            net = load_checkpoint(path, arch=editor_text)
            return net, (f"{name} holds no architecture (a plain state_dict): read as the "
                         f"Architecture editor's {net.arch}.")
        except ValueError:
            pass
    return net, (f"{name} holds no architecture (a plain state_dict): assumed {net.arch}. If "
                 "it was trained with other activations or pooling, type its architecture in "
                 "the Architecture editor (no need to Apply) and open the file again.")


def model_at_stake(window) -> bool:
    """True if replacing the network would lose training (pre-trained or trained since)."""
    return bool(window.state.pretrained or window._modified)


def apply_architecture(window, text: str, ask: bool = True) -> bool:
    """Replace the network with fresh weights of ``text`` (seed from the controls)."""
    try:
        arch = parse_arch(text)
    except ArchitectureError as exc:
        show_error(window, "Cannot apply the architecture", str(exc))
        return False
    if ask and model_at_stake(window):
        if window._modified:
            what = "which is trained and not saved"
            keep = "Save it first (File > Save model) to keep it."
        else:                   # a checkpoint as loaded: it is on disk, not "unsaved"
            what = f"the trained model {window.state.model_name}"
            keep = ("File > Open model (or Reload pre-trained model) brings it back.")
        answer = QMessageBox.question(
            window, "Apply architecture",
            f"Replace the current network ({window.state.net.arch}), {what}, with fresh "
            f"random weights of\n\n{arch.text}?\n\n{keep}")
        if answer != QMessageBox.StandardButton.Yes:
            return False
    window.stop_training()
    seed = window.controls.seed_spin.value()
    net = build_network(arch, seed=seed)
    window.loss_view.clear()
    window._modified = False
    window.state.set_model(net, f"new {network_name(arch.text)} (seed {seed})")
    window.controls.reset_progress()
    window.statusBar().showMessage(
        f"New network {arch.text} ({net.parameter_count:,} parameters), fresh random weights "
        f"(seed {seed}): press Start to train it.")
    return True


def fresh_network(window, seed: int):
    """Fresh weights of the current architecture; the chosen training preset's own starting
    scale too when that preset trains this architecture (e.g. classroom)."""
    preset = get_preset(window.controls.preset_name())
    spec = preset.name if preset.arch == window.state.net.arch else window.state.net.arch
    return build_network(spec, seed=seed)


def network_name(text: str) -> str:
    """The preset whose network ``text`` is, else "custom network"."""
    return next((name for name, p in PRESETS.items() if p.arch == text), "custom network")


def on_training_preset(window) -> None:
    """The training preset changed. If its network differs from the current one: an
    untouched fresh network is swapped for it at once; otherwise the editor is given the
    preset's architecture to Apply (the trained model is never dropped silently)."""
    name = window.controls.preset_name()
    arch = get_preset(name).arch
    if arch == window.state.net.arch or window.controller.active:
        return
    if not model_at_stake(window):
        apply_architecture(window, arch, ask=False)
        return
    editor = window.views.get("arch_editor")
    if editor is not None:
        editor.set_text(arch)
    window.statusBar().showMessage(
        f"Preset '{name}' trains another network ({arch}): Apply it in the Architecture "
        "editor to use it; until then its settings train the current network.")
