"""``cnnviz train --record RUN.cnnrun``: the recording options and their life cycle."""

from __future__ import annotations

from pathlib import Path


def add_arguments(p) -> None:
    p.add_argument("--record", metavar="RUN.cnnrun",
                   help="also record the run (weights over time, every batch's loss, epochs) "
                        "for `cnnviz replay` and `cnnviz animate`")
    p.add_argument("--record-dtype", choices=("float16", "float32"), default="float16",
                   help="how recorded weights are stored: float16 (default; half the size, "
                        "no visible difference) or float32 (exact)")


def check_path(args) -> Path | None:
    """``--record``'s path, checked before training starts (None without ``--record``)."""
    if not getattr(args, "record", None):
        return None
    from cnnviz.io_checks import check_output_file

    path = Path(args.record)
    check_output_file(path, "--record")
    return path


def start(args, trainer, dataset_name: str):
    """Begin recording ``trainer``'s run (writes the initial weights); None without --record."""
    import numpy as np

    from cnnviz.training.recording import RunRecorder

    path = check_path(args)
    if path is None:
        return None
    recorder = RunRecorder(path, trainer, dataset_name=dataset_name,
                           dtype=np.dtype(args.record_dtype),
                           extra={"command": "cnnviz " + " ".join(args.argv)})
    trainer.observers.append(recorder)
    return recorder


def finish(recorder, trainer, completed: bool, note: str = "") -> None:
    """Close the recording and say where it is (and if writing it failed on the way)."""
    import sys

    if recorder is None:
        return
    recorder.close(trainer, completed=completed, note=note)
    if recorder.error:
        print(f"cnnviz: warning: {recorder.error}; the steps before that are kept",
              file=sys.stderr)
    size = recorder.path.stat().st_size if recorder.path.exists() else 0
    print(f"recorded the run to {recorder.path} ({size / 1e6:.1f} MB)", flush=True)
