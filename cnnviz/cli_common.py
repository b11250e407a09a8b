"""Small pieces shared by the command-line subcommands."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

#: Exit codes: success, failure at run time (e.g. training diverged), bad input, Ctrl-C.
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class CliError(Exception):
    """A problem with the user's arguments or files: printed as one line, exit code 2."""


class InterruptFlag:
    """Turn the first Ctrl-C into a flag the work loop checks between steps.

    Stopping between steps (never inside one) means a half-applied update is never saved.
    A second Ctrl-C raises ``KeyboardInterrupt`` as usual, for when the loop is stuck.

        with InterruptFlag() as interrupted:
            while not interrupted.is_set(): ...
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._previous = None
        self._installed = False

    def is_set(self) -> bool:
        return self._event.is_set()

    def __bool__(self) -> bool:
        return self.is_set()

    def _handler(self, signum, frame) -> None:
        if self._event.is_set():
            raise KeyboardInterrupt
        self._event.set()
        sys.stderr.write("\ninterrupt received: stopping after the current step "
                         "(press Ctrl-C again to abort at once)\n")
        sys.stderr.flush()

    def __enter__(self) -> "InterruptFlag":
        # Signal handlers can only be set from the main thread (the CLI always is).
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
            self._installed = True
        return self

    def __exit__(self, *exc) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False


def add_checkpoint_arguments(parser, what: str = "the model") -> None:
    """``[CKPT]`` as an optional positional argument and ``--checkpoint CKPT``, the same:
    users type ``cnnviz eval model.npz`` as often as ``--checkpoint model.npz``."""
    help_text = f"{what}: a .npz checkpoint (default: the bundled pre-trained model)"
    parser.add_argument("checkpoint_pos", nargs="?", metavar="CKPT", help=help_text)
    parser.add_argument("--checkpoint", metavar="CKPT", help="the same as CKPT")


def checkpoint_argument(args) -> str | None:
    """The checkpoint given as ``CKPT`` or ``--checkpoint`` (None: neither); both, naming
    different files, is an error."""
    positional, option = getattr(args, "checkpoint_pos", None), args.checkpoint
    if positional is not None and option is not None and Path(positional) != Path(option):
        raise CliError(f"two checkpoints given ({positional} and --checkpoint {option}): "
                       "give one")
    return positional if positional is not None else option


def bundled_model_path() -> Path:
    """The pre-trained model shipped with cnnviz (``resources/model/lenet.npz``)."""
    from cnnviz.resources import resource_path

    return resource_path("model", "lenet.npz")


def load_network(checkpoint: str | None, arch: str | None = None):
    """The network in ``checkpoint``, or the bundled model when it is ``None``.

    ``arch`` (text or a preset name) says what a plain state_dict is; without it a guessed
    architecture is reported on stderr as ``cnnviz: warning: ...``. Raises ``CliError`` for
    a missing file; ``CheckpointError`` for a bad one.
    """
    import warnings

    from cnnviz.nn import load_checkpoint
    from cnnviz.nn.checkpoint import AssumedArchitectureWarning

    path = Path(checkpoint) if checkpoint is not None else bundled_model_path()
    if not path.exists():
        if checkpoint is None:
            raise CliError(f"the bundled model is missing ({path}); pass --checkpoint FILE")
        raise CliError(f"{path}: no such checkpoint file")
    if path.is_dir():
        raise CliError(f"{path}: is a folder, expected a .npz checkpoint file")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AssumedArchitectureWarning)
        net = load_checkpoint(path, arch=arch)
    for warning in caught:
        if issubclass(warning.category, AssumedArchitectureWarning):
            print(f"cnnviz: warning: {warning.message}", file=sys.stderr, flush=True)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename,
                                 warning.lineno)
    return net, path


def architecture_arg(text: str):
    """argparse type: architecture text or a preset name, checked at once (one-line error)."""
    import argparse

    from cnnviz.nn.arch import ArchitectureError, resolve_arch

    try:
        return resolve_arch(text)
    except ArchitectureError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def describe_data(spec: str) -> str:
    return {"bundled": "the bundled digits", "mnist": "the full MNIST"}.get(spec, spec)
