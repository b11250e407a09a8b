"""``cnnviz export-views``: every view of the window as a PNG, drawn offscreen."""

from __future__ import annotations

import argparse
from pathlib import Path

from cnnviz.cli_common import EXIT_OK, CliError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "export-views", help="save every view of the window as a PNG (for slides, handouts)",
        description="Draw the app's window offscreen at a given size and write one PNG per "
                    "view (named by the view) and window.png. Exit code 2 with a one-line "
                    "error if any view fails.")
    p.add_argument("--checkpoint", metavar="CKPT", type=Path,
                   help="the model to show (default: the bundled pre-trained model)")
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
    size = parse_size(args.size)
    load_network(args.checkpoint)       # a missing or bad checkpoint fails here, in one line
    source = CheckpointSource(args.checkpoint)
    try:
        written = export_views(args.out, source, size=size, presentation=args.presentation,
                               probe=args.probe)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    print(f"wrote {len(written)} PNGs ({size[0]}x{size[1]}"
          + (", presentation mode" if args.presentation else "") + f") to {args.out}")
    return EXIT_OK
