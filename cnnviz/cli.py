"""The ``cnnviz`` command: the desktop app with no arguments, headless subcommands otherwise.

    cnnviz                      open the desktop app
    cnnviz train ...            train and save a checkpoint
    cnnviz eval ...             accuracy and mean loss of a checkpoint
    cnnviz predict IMAGE...     top-3 classes of pictures of digits
    cnnviz compare --arch A --arch B   train architectures side by side
    cnnviz bench ...            speed of the NumPy network (and PyTorch's, if installed)
    cnnviz data download        fetch the full MNIST into the cache
    cnnviz export-views --out D every view of the window as a PNG
    cnnviz --reset-settings     forget the saved window layout and preferences

Bad arguments or files print one line ``cnnviz: error: ...`` and exit with code 2.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys

from cnnviz import __version__
from cnnviz.cli_common import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, CliError

#: Errors that mean "your input is wrong", reported in one line with exit code 2.
#: (The data and engine errors below all derive from ValueError; OSError covers unreadable
#: or unwritable files.)
_INPUT_ERRORS = (CliError, ValueError, OSError)


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a bad argument gives one line (and exit code 2), not the whole usage."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"cnnviz: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    from cnnviz import (bench, cli_compare, cli_data, cli_eval, cli_export, cli_replay,
                        cli_train)

    parser = OneLineErrorParser(
        prog="cnnviz",
        description="Watch a LeNet-style CNN written in pure NumPy learn MNIST. With no "
                    "command, opens the desktop app.")
    parser.add_argument("--version", action="version", version=f"cnnviz {__version__}")
    parser.add_argument("--reset-settings", action="store_true",
                        help="forget the saved window layout and preferences, then exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    cli_train.add_parser(subparsers)
    cli_eval.add_parsers(subparsers)
    cli_compare.add_parser(subparsers)
    bench.add_parser(subparsers)
    cli_data.add_parser(subparsers)
    cli_export.add_parser(subparsers)
    cli_replay.add_parsers(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        return launch_app([])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.reset_settings:
        from cnnviz.app.window_settings import reset_settings
        print(f"cnnviz: settings reset ({reset_settings()})")
        return 0
    if args.command is None:          # only global options such as --version were given
        return launch_app(argv)
    args.argv = argv
    try:
        return int(args.func(args) or 0)
    except _INPUT_ERRORS as exc:
        print(f"cnnviz: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ncnnviz: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def launch_app(argv: list[str], recording: str | None = None) -> int:
    """Start the desktop app (``cnnviz.app.main.run_app``); a clear message if it is missing."""
    try:
        available = importlib.util.find_spec("cnnviz.app.main") is not None
    except ImportError:
        available = False
    if not available:
        print("cnnviz: the desktop app is not part of this build yet; the headless commands "
              "work: run `cnnviz --help`", file=sys.stderr)
        return EXIT_FAILURE
    try:
        from cnnviz.app.main import run_app
    except ImportError as exc:
        print(f"cnnviz: cannot start the desktop app: {_one_line(exc)}\n"
              "cnnviz: on Debian/Ubuntu the Qt runtime libraries may be missing; see the "
              "README's install section. The headless commands still work (`cnnviz --help`).",
              file=sys.stderr)
        return EXIT_FAILURE
    if recording is not None:
        return int(run_app(["cnnviz", *argv], recording=recording) or 0)
    return int(run_app(["cnnviz", *argv]) or 0)


def _one_line(exc: BaseException) -> str:
    """The exception's message on one line (some messages list several causes)."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}"
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


if __name__ == "__main__":
    sys.exit(main())
