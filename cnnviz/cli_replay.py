"""``cnnviz replay RUN.cnnrun``: open a recorded run in the app, on its timeline bar."""

from __future__ import annotations

import argparse

from cnnviz.cli_common import CliError


def add_parsers(subparsers) -> None:
    p = subparsers.add_parser(
        "replay", help="open a recorded run (.cnnrun) in the app to scrub through it",
        description="Open the desktop app with a recording made by `cnnviz train --record` "
                    "or the app's Training > Record this run: drag the timeline bar under "
                    "the views to any recorded step.")
    p.add_argument("recording", metavar="RUN.cnnrun", help="the recording to open")
    p.set_defaults(func=run_replay)
    add_animate_parser(subparsers)


def open_recording(path: str):
    """The ``Recording`` at ``path``; a ``CliError`` (one line) if it cannot be used."""
    from cnnviz.training.recording import Recording, RecordingError

    try:
        return Recording.open(path)
    except RecordingError as exc:
        raise CliError(str(exc)) from None


def run_replay(args: argparse.Namespace) -> int:
    from cnnviz.cli import launch_app

    rec = open_recording(args.recording)
    print(rec.describe(), flush=True)
    for note in rec.damage:
        print(f"cnnviz: note: {note}")
    return launch_app([], recording=args.recording)


def add_animate_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "animate", help="write a view across a recording as an animated GIF (or MP4)",
        description="Draw one of the app's views at every recorded step of RUN.cnnrun, "
                    "offscreen with the app's own view code, and write the frames as an "
                    "animated GIF (MP4 if the ffmpeg program is installed). Ctrl-C cancels "
                    "and leaves no file.")
    p.add_argument("recording", metavar="RUN.cnnrun", help="the recording to animate")
    p.add_argument("--view", default="filters", metavar="VIEW",
                   help="filters (default), filter_changes (W - W0 since the recording's "
                        "start), activations, pooling, loss, timeline, confusion, saliency, "
                        "inspector, ...")
    p.add_argument("--probe", type=int, default=0, metavar="INDEX",
                   help="held-out digit whose activations are shown (default: 0)")
    p.add_argument("--size", default="640x480", metavar="WxH", type=_size,
                   help="frame size in pixels (default: 640x480)")
    p.add_argument("--fps", type=float, default=10.0, help="frames per second (default: 10)")
    p.add_argument("--out", required=True, metavar="FILE.gif",
                   help="where to write the animation (.gif, or .mp4 with ffmpeg)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="draw the progress bar (default: only when stderr is a terminal)")
    p.set_defaults(func=run_animate)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 640x480, got {text!r}") \
            from None
    if not (64 <= w <= 4096 and 64 <= h <= 4096):
        raise argparse.ArgumentTypeError(f"each side must be 64 to 4096 pixels, got {text!r}")
    return w, h


def run_animate(args: argparse.Namespace) -> int:
    import os
    import sys
    from pathlib import Path

    from cnnviz.cli_common import EXIT_INTERRUPTED, InterruptFlag
    from cnnviz.cli_progress import ProgressBar

    if not args.fps > 0:
        raise CliError(f"--fps must be greater than 0, got {args.fps:g}")
    out = Path(args.out)
    if not out.parent.is_dir() if str(out.parent) else False:
        raise CliError(f"--out {out}: folder {out.parent} does not exist")
    rec = open_recording(args.recording)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")     # no screen needed
    from cnnviz.app import animate

    try:
        animate.resolve_view(args.view)          # an unknown name fails here
        held_out = animate.dataset_for(rec).n_test
        if not 0 <= args.probe < max(held_out, 1):
            raise CliError(f"--probe {args.probe}: the recording's data set has {held_out:,} "
                           f"held-out digits; choose an index from 0 to {held_out - 1:,}")
        if out.suffix.lower() == ".mp4" and animate.ffmpeg_path() is None:
            raise CliError(f"--out {out.name}: writing MP4 needs the ffmpeg program, which is "
                           "not on PATH; install ffmpeg or write a .gif")
        if out.suffix.lower() not in (".gif", ".mp4"):
            raise CliError(f"--out {out.name}: write a .gif (or an .mp4 when ffmpeg is "
                           "installed)")
    except ValueError as exc:
        raise CliError(str(exc)) from None
    from PyQt6.QtCore import qInstallMessageHandler
    from PyQt6.QtWidgets import QApplication

    # the offscreen platform's notes ("does not support propagateSizeHints") are noise here
    qInstallMessageHandler(lambda _kind, _context, message: None
                           if "propagateSizeHints" in message else print(message, file=sys.stderr))
    app = QApplication.instance() or QApplication(["cnnviz"])     # noqa: F841
    show = sys.stderr.isatty() if args.progress is None else args.progress
    bar = ProgressBar(f"{args.view} frames", len(rec.steps), enabled=show)
    with InterruptFlag() as interrupted:
        frames = animate.render_frames(
            rec, args.view, size=args.size, probe=args.probe,
            progress=lambda done, total: bar.update(done, f"step {int(rec.steps[done - 1]):,}"),
            cancelled=interrupted.is_set)
        try:
            animate.write_animation(frames, out, fps=args.fps)
        except animate.AnimationCancelled:
            bar.close()
            print(f"cnnviz: cancelled; {out} was not written", file=sys.stderr)
            return EXIT_INTERRUPTED
        finally:
            bar.close()
            animate.release_render_widgets()
    print(f"wrote {out} ({len(rec.steps)} frames of {args.view}, "
          f"{out.stat().st_size / 1e6:.2f} MB)", flush=True)
    return 0
