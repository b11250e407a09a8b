"""``cnnviz train``: train a network on a dataset, with a progress bar and one line per epoch."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from cnnviz.cli_common import (EXIT_INTERRUPTED, EXIT_OK, CliError, InterruptFlag,
                               describe_data)
from cnnviz import cli_record
from cnnviz.cli_args import (add_data_arguments, add_schedule_arguments, add_threads_argument,
                             fraction, non_negative_float, positive_float, positive_int,
                             preset_names)
from cnnviz.cli_common import architecture_arg
from cnnviz.cli_progress import ProgressBar

EXIT_DIVERGED = 3       # training blew up: nothing saved
from cnnviz.io_checks import check_output_file, check_room_for, checkpoint_bytes, save_model


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="train a network and save it as a .npz checkpoint",
        description="Train the CNN on a dataset. A progress bar runs on stderr while an epoch "
                    "trains and one summary line per epoch goes to stdout. Ctrl-C stops after "
                    "the current mini-batch and saves what was learnt so far.")
    p.add_argument("--preset", choices=preset_names(),
                   help="network and training defaults (default: the preset whose network "
                        "--arch is, else lenet)")
    p.add_argument("--arch", type=architecture_arg, metavar="TEXT",
                   help='the network, e.g. "conv8x3p1 relu maxpool conv16x3p1 relu maxpool '
                        'fc64 relu fc10" (default: the preset\'s); training settings still '
                        'come from --preset')
    add_schedule_arguments(p)
    p.add_argument("--momentum", type=fraction, help="SGD momentum in [0, 1)")
    p.add_argument("--weight-decay", type=non_negative_float, help="L2 weight decay")
    p.add_argument("--lr-schedule", choices=("cosine", "step"),
                   help="cosine: fall smoothly to 5%% of --lr by the last epoch; step: "
                        "multiply by --lr-decay every --lr-decay-every epochs, down to 5%% of --lr (preset's "
                        "default; step when --lr-decay is given)")
    p.add_argument("--lr-decay", type=positive_float, metavar="FACTOR",
                   help="multiply the learning rate by FACTOR every --lr-decay-every epochs")
    p.add_argument("--lr-decay-every", type=positive_int, metavar="EPOCHS",
                   help="epochs between learning-rate decays")
    add_data_arguments(p, seed_of="the initial weights")
    p.add_argument("--out", default="model.npz", metavar="FILE",
                   help="where to save the trained model (default: model.npz)")
    cli_record.add_arguments(p)
    add_threads_argument(p)
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="draw the progress bar (default: only when stderr is a terminal)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from cnnviz.data import images_to_float, load_dataset
    from cnnviz.nn import build_network, get_preset
    from cnnviz.nn.schedule import describe as describe_schedule
    from cnnviz.training import DivergenceError, Trainer
    from cnnviz.training.classes import class_count_problem, classes_needed, last_dense_token

    out = Path(args.out)
    check_output_file(out)           # a folder, device, FIFO or socket is refused up front
    cli_record.check_path(args)

    preset = get_preset(args.preset or _preset_of(args.arch))
    config = preset.training.with_overrides(
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, momentum=args.momentum,
        weight_decay=args.weight_decay, lr_decay=args.lr_decay,
        lr_decay_every=args.lr_decay_every, seed=args.seed,
        lr_schedule=args.lr_schedule or ("step" if args.lr_decay or args.lr_decay_every
                                         else None))
    dataset = load_dataset(args.data)
    train_images, train_labels = dataset.train_images, dataset.train_labels
    if args.limit is not None:
        train_images, train_labels = train_images[:args.limit], train_labels[:args.limit]
    if len(train_labels) == 0 or dataset.n_test == 0:
        raise CliError(f"dataset {args.data!r} has no training or no held-out images")

    net = build_network(config=args.arch or preset.network, seed=args.seed)
    if args.arch is not None:        # fc5 or fc11 for ten digits: a typo, refused up front
        problem = class_count_problem(net.classes,
                                      classes_needed(train_labels, dataset.test_labels),
                                      last_dense_token(net.describe()))
        if problem:
            raise CliError(f"--arch: {problem}")
    check_room_for(out, checkpoint_bytes(net))
    trainer = Trainer(net, images_to_float(train_images), np.asarray(train_labels),
                      images_to_float(dataset.test_images), np.asarray(dataset.test_labels),
                      config)
    print(f"training preset {preset.name!r} on {describe_data(args.data)}: {net.arch} "
          f"({net.parameter_count:,} parameters); "
          f"{len(train_labels):,} images, {dataset.n_test:,} held out; {config.epochs} epoch(s), "
          f"batch {config.batch_size}, lr {config.lr:g} ({describe_schedule(config)}), "
          f"momentum {config.momentum:g}, "
          f"weight decay {config.weight_decay:g}, seed {config.seed}", flush=True)

    from cnnviz.threads import ThreadPolicy

    policy = ThreadPolicy.choose(getattr(args, "threads", None))
    print(policy.describe(), flush=True)
    show_progress = sys.stderr.isatty() if args.progress is None else args.progress
    recorder = cli_record.start(args, trainer, args.data)
    metadata = {
        "preset": preset.name,
        "arch": net.arch,
        "data": args.data,
        "n_train": int(len(train_labels)),
        "seed": args.seed,
        "training": {k: getattr(config, k) for k in (
            "epochs", "batch_size", "lr", "momentum", "weight_decay", "lr_decay",
            "lr_decay_every", "lr_schedule", "lr_floor")},
        "command": "cnnviz " + shlex.join(args.argv),
    }

    bar = None
    # A diverging run overflows before the trainer's finiteness check stops it; that check
    # gives the one clear message, so NumPy's overflow warnings would only be noise.
    with InterruptFlag() as interrupted, np.errstate(over="ignore", invalid="ignore"):
        try:
            while not trainer.finished and not interrupted:
                if bar is None:
                    bar = ProgressBar(f"epoch {trainer.epoch + 1}/{config.epochs}",
                                      trainer.batches_per_epoch, enabled=show_progress)
                policy.maybe_update()          # follows the machine's load (cheap)
                result = trainer.step()
                b = result.batch
                bar.update(b.batch + 1, f"loss {b.loss:.4f}  {b.images_per_second:,.0f} img/s")
                if result.epoch is not None:
                    bar.close()
                    bar = None
                    _print_epoch(result.epoch, config.epochs)
        except DivergenceError as exc:
            if bar is not None:
                bar.close()
            print(f"cnnviz: error: training {exc.verb} at step {exc.step} with learning rate "
                  f"{exc.lr:g} ({exc.reason}); try --lr {exc.suggested_lr:g}; nothing was "
                  f"saved to {out}", file=sys.stderr)
            cli_record.finish(recorder, trainer, completed=False,
                              note=exc.verb.replace(" ", "_"))
            return EXIT_DIVERGED
        if bar is not None:
            bar.close()

    if interrupted:
        # Evaluate what the interrupted run learnt, so the saved metadata is honest.
        from cnnviz.training import evaluate

        result = evaluate(net, trainer.test_images, trainer.test_labels)
        epochs_done = trainer.epoch + trainer.batch / trainer.batches_per_epoch
        metadata.update(interrupted=True, epochs_trained=round(epochs_done, 3),
                        held_out_accuracy=result.accuracy, held_out_loss=result.loss)
        save_model(net, out, metadata)
        cli_record.finish(recorder, trainer, completed=False, note="interrupted")
        print(f"interrupted after {epochs_done:.2f} epoch(s) (step {trainer.step_count}); "
              f"held-out accuracy {result.accuracy:.2%}; saved the model trained so far "
              f"to {out}", flush=True)
        return EXIT_INTERRUPTED

    last = trainer.history[-1]
    metadata.update(interrupted=False, epochs_trained=trainer.epoch,
                    held_out_accuracy=last.test_accuracy, held_out_loss=last.test_loss)
    save_model(net, out, metadata)
    cli_record.finish(recorder, trainer, completed=True)
    print(f"saved {out} (held-out accuracy {last.test_accuracy:.2%})", flush=True)
    return EXIT_OK


def _print_epoch(event, epochs: int) -> None:
    print(f"epoch {event.epoch + 1}/{epochs}: train loss {event.train_loss:.4f}  "
          f"acc {event.train_accuracy:.2%} | held-out loss {event.test_loss:.4f}  "
          f"acc {event.test_accuracy:.2%} | {event.images_per_second:,.0f} img/s  "
          f"{event.seconds:.1f} s", flush=True)


def _preset_of(arch) -> str:
    """The name of the preset whose network is ``arch`` (an Architecture or None), else lenet."""
    from cnnviz.nn import PRESETS

    return next((name for name, p in PRESETS.items() if arch is not None and p.arch == arch.text),
                "lenet")
