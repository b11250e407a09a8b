"""``cnnviz compare``: train architectures side by side on the same data, seed and batch order.

    cnnviz compare --arch "conv4x5 relu maxpool fc10" --arch "fc32 relu fc10" --epochs 1

prints one row per architecture: parameters, images/s, held-out accuracy and loss (and
``--json`` everything, curves included). With a single ``--arch`` the preset's own network
is the baseline it is compared with. A model that diverges stops there and says so in its
row; the others go on (exit code 0: a diverging challenger is a result, not an error).
"""

from __future__ import annotations

import argparse
import json
import sys

from cnnviz.cli_common import EXIT_INTERRUPTED, EXIT_OK, CliError, InterruptFlag, describe_data


def add_parser(subparsers) -> None:
    from cnnviz.cli_args import (add_data_arguments, add_schedule_arguments, add_threads_argument,
                                 positive_int, preset_names)
    from cnnviz.cli_common import architecture_arg

    p = subparsers.add_parser(
        "compare", help="train two or more architectures side by side and compare them",
        description="Train each --arch from fresh weights of the same seed, on the same "
                    "images in the same batch order with the same settings (taking turns, "
                    "one mini-batch each), and print parameters, images/s and held-out "
                    "accuracy side by side. With one --arch, the preset's network is the "
                    "baseline.")
    p.add_argument("--arch", action="append", required=True, type=architecture_arg,
                   metavar="TEXT", dest="archs",
                   help='an architecture (text or preset name); repeat it, e.g. --arch '
                        '"conv4x5 relu maxpool fc10" --arch "fc32 relu fc10"')
    p.add_argument("--preset", choices=preset_names(), default="lenet",
                   help="training settings (and the baseline network for a single --arch); "
                        "default lenet")
    add_schedule_arguments(p)
    add_data_arguments(p, seed_of="every model's initial weights")
    p.add_argument("--evaluations", type=positive_int, default=1, metavar="K",
                   help="held-out evaluations per epoch (default 1: at each epoch's end)")
    add_threads_argument(p)
    p.add_argument("--json", action="store_true",
                   help="print the settings and every model's results and curves as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from cnnviz.data import images_to_float, load_dataset
    from cnnviz.nn import get_preset
    from cnnviz.threads import ThreadPolicy
    from cnnviz.training.compare import Comparison

    preset = get_preset(args.preset)
    archs = list(args.archs)
    if len(archs) == 1:
        archs.insert(0, preset.network)
    config = preset.training.with_overrides(epochs=args.epochs, batch_size=args.batch_size,
                                            lr=args.lr, seed=args.seed)
    dataset = load_dataset(args.data)
    train_images, train_labels = dataset.train_images, dataset.train_labels
    if args.limit is not None:
        train_images, train_labels = train_images[:args.limit], train_labels[:args.limit]
    if len(train_labels) == 0 or dataset.n_test == 0:
        raise CliError(f"dataset {args.data!r} has no training or no held-out images")
    policy = ThreadPolicy.choose(args.threads)
    with InterruptFlag() as interrupted:
        comparison = Comparison(archs, images_to_float(train_images), np.asarray(train_labels),
                                images_to_float(dataset.test_images),
                                np.asarray(dataset.test_labels), config,
                                evaluations_per_epoch=args.evaluations,
                                should_stop=interrupted.is_set)
        log = sys.stderr if args.json else sys.stdout
        print(f"comparing {len(archs)} architectures on {describe_data(args.data)}: "
              f"{len(train_labels):,} images, {dataset.n_test:,} held out; {config.epochs} "
              f"epoch(s), batch {config.batch_size}, lr {config.lr:g}, momentum "
              f"{config.momentum:g}, seed {config.seed}; same batches in the same order for "
              f"all, one batch each in turn", file=log, flush=True)
        from cnnviz.training import TrainingInterrupted
        try:
            while not comparison.finished and not interrupted:
                policy.maybe_update()
                comparison.step()
        except TrainingInterrupted:
            pass
    if args.json:
        print(json.dumps(comparison.to_dict()))
    else:
        print(format_table(comparison.runs))
    if interrupted:
        print(f"cnnviz: interrupted after {comparison.step_count} batches: the table shows "
              "the runs so far", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


def format_table(runs) -> str:
    """One row per model: architecture, parameters, images/s, held-out accuracy and loss."""
    width = max(12, *(len(r.arch) for r in runs))
    lines = [f"{'architecture':<{width}}  {'parameters':>10}  {'images/s':>8}  "
             f"{'held-out acc':>12}  {'loss':>7}  status"]
    for r in runs:
        ips = f"{r.images_per_second:,.0f}" if r.images else "-"
        acc = f"{r.final_accuracy:.2%}" if r.eval_accuracy else "-"
        loss = f"{r.final_loss:.4f}" if r.eval_loss else "-"
        status = f"diverged: {r.diverged}" if r.diverged else f"{len(r.batch_loss)} batches"
        lines.append(f"{r.arch:<{width}}  {r.parameter_count:>10,}  {ips:>8}  {acc:>12}  "
                     f"{loss:>7}  {status}")
    return "\n".join(lines)
