"""``cnnviz export-views``: every view of the window as a PNG, drawn offscreen."""

from __future__ import annotations

import argparse
from pathlib import Path

from cnnviz.cli_common import EXIT_OK, CliError, add_checkpoint_arguments, checkpoint_argument


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "export-views", help="save every view of the window as a PNG (for slides, handouts)",
        description="Draw the app's window offscreen at a given size and write one PNG per "
                    "view (named by the view) and window.png. Exit code 2 with a one-line "
                    "error if any view fails.")
    add_checkpoint_arguments(p, "the model to show")
    p.add_argument("--recording", metavar="RUN", type=Path,
                   help="show a recorded run (.cnnrun) instead of a checkpoint, at --step")
    p.add_argument("--step", type=int, metavar="N",
                   help="with --recording: the training step to show (the nearest recorded "
                        "one; default: the last)")
    p.add_argument("--size", default="1920x1080", metavar="WxH",
                   help="window size in pixels (default: 1920x1080)")
    p.add_argument("--presentation", action="store_true",
                   help="in presentation mode (large type, one view at a time on the stage)")
    p.add_argument("--probe", type=int, default=0, metavar="INDEX",
                   help="the held-out digit shown (default: 0)")
    p.add_argument("--out", required=True, type=Path, metavar="DIR",
                   help="folder to write the PNGs into (created if missing)")
    p.set_defaults(func=run_export_views)


def run_export_views(args: argparse.Namespace) -> int:
    from cnnviz.cli_common import load_network

    try:
        from cnnviz.app.export_views import CheckpointSource, ExportError, export_views, parse_size
    except ImportError as exc:
        raise CliError(f"cannot draw the views: the Qt libraries are missing ({exc})") from None
    checkpoint = checkpoint_argument(args)
    args.checkpoint = Path(checkpoint) if checkpoint is not None else None
    try:
        size = parse_size(args.size)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.recording is not None:
        source = _recording_source(args)
    elif args.step is not None:
        raise CliError("--step needs --recording RUN")
    else:
        load_network(args.checkpoint)   # a missing or bad checkpoint fails here, in one line
        source = CheckpointSource(args.checkpoint)
    try:
        written = export_views(args.out, source, size=size, presentation=args.presentation,
                               probe=args.probe)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    if args.recording is not None:
        print(f"showing {source.name}")
    print(f"wrote {len(written)} PNGs ({size[0]}x{size[1]}"
          + (", presentation mode" if args.presentation else "") + f") to {args.out}")
    return EXIT_OK


def _recording_source(args: argparse.Namespace):
    """The ``RecordingSource`` for ``--recording RUN [--step N]``; one-line errors."""
    from cnnviz.app.export_views import RecordingSource
    from cnnviz.cli_replay import open_recording

    if args.checkpoint is not None:
        raise CliError("give either --checkpoint or --recording, not both")
    recording = open_recording(args.recording)
    if args.step is not None and not 0 <= args.step <= recording.last_step:
        raise CliError(f"--step {args.step}: {args.recording.name} recorded steps 0 to "
                       f"{recording.last_step:,}")
    step = recording.last_step if args.step is None else args.step
    return RecordingSource(recording, recording.nearest_step(step))
