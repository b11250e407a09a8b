"""``cnnviz data download`` (fetch the full MNIST into the cache) and ``cnnviz data path``."""

from __future__ import annotations

import argparse
import sys

from cnnviz.cli_common import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, InterruptFlag
from cnnviz.cli_progress import ProgressBar, format_bytes


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("data", help="download the full MNIST; show where data lives",
                              description="Manage datasets.")
    actions = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    d = actions.add_parser(
        "download", help="download the full MNIST (60,000 + 10,000 digits) into the cache",
        description="Download the four MNIST files, trying each mirror in turn and checking "
                    "each file's MD5. Files already present and correct are kept; a cancelled "
                    "or failed transfer never leaves a partial file behind. Ctrl-C cancels.")
    d.add_argument("--dest", metavar="DIR",
                   help="download into DIR instead of the cache (then use --data DIR)")
    d.add_argument("--mirror", action="append", metavar="URL",
                   help="a mirror to try (repeatable; replaces the built-in list)")
    d.add_argument("--timeout", type=float, default=30, metavar="SECONDS",
                   help="network timeout per request (default: 30)")
    d.set_defaults(func=run_download)
    w = actions.add_parser("path", help="print the folder where the full MNIST is cached")
    w.set_defaults(func=run_path)


def run_path(args: argparse.Namespace) -> int:
    from cnnviz.data import mnist_cache_dir

    print(mnist_cache_dir())
    return EXIT_OK


def run_download(args: argparse.Namespace) -> int:
    from cnnviz.data import DEFAULT_MIRRORS, DownloadCancelled, DownloadError, download_mnist

    bars: dict[str, ProgressBar] = {}

    def progress(name: str, done: int, total: int | None) -> None:
        bar = bars.get(name)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = bars[name] = ProgressBar(name, total, enabled=sys.stderr.isatty())
            print(f"downloading {name}" + (f" ({format_bytes(total)})" if total else ""),
                  file=sys.stderr, flush=True)
        bar.total = total
        bar.update(done, format_bytes(done))

    with InterruptFlag() as interrupted:
        try:
            dest = download_mnist(args.dest, mirrors=args.mirror or DEFAULT_MIRRORS,
                                  progress=progress, cancel=interrupted.is_set,
                                  timeout=args.timeout)
        except DownloadCancelled:
            _close(bars)
            print("cnnviz: download cancelled; no partial file was left behind", file=sys.stderr)
            return EXIT_INTERRUPTED
        except DownloadError as exc:
            _close(bars)
            print(f"cnnviz: error: {exc}", file=sys.stderr)
            return EXIT_FAILURE
    _close(bars)
    where = "--data mnist" if args.dest is None else f"--data {dest}"
    print(f"MNIST is ready in {dest} (use it with {where})")
    return EXIT_OK


def _close(bars: dict) -> None:
    for bar in bars.values():
        bar.close()
