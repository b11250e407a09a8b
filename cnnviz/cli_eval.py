"""``cnnviz eval`` (accuracy and mean loss on labelled images) and ``cnnviz predict``
(top classes for picture files)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cnnviz.cli_common import (EXIT_OK, EXIT_USAGE, CliError, add_checkpoint_arguments,
                               architecture_arg, checkpoint_argument, describe_data,
                               load_network)


def _add_arch_options(p) -> None:
    which = p.add_mutually_exclusive_group()
    which.add_argument("--arch", type=architecture_arg, metavar="TEXT",
                       help="the architecture of a plain state_dict (np.savez of PyTorch "
                            "weights), which does not record it; cnnviz checkpoints do")
    which.add_argument("--preset", type=architecture_arg, metavar="NAME",
                       help="the same as --arch, by preset name (lenet, seed, ...)")


def _arch(args) -> str | None:
    chosen = args.arch or args.preset
    return chosen.text if chosen is not None else None


def add_parsers(subparsers) -> None:
    p = subparsers.add_parser(
        "eval", help="accuracy and mean loss of a checkpoint on held-out images",
        description="Evaluate a checkpoint (CKPT or --checkpoint CKPT) on the held-out split "
                    "of --data, or on an IDX pair given with --images and --labels.")
    add_checkpoint_arguments(p, "the model to evaluate")
    p.add_argument("--data", default="bundled", metavar="bundled|mnist|DIR",
                   help="evaluate on this dataset's held-out split (default: bundled)")
    p.add_argument("--images", metavar="IDX", help="an IDX file of (N, 28, 28) uint8 images")
    p.add_argument("--labels", metavar="IDX", help="the matching IDX file of (N,) labels")
    p.add_argument("--json", action="store_true",
                   help='print one JSON object {"accuracy": ..., "loss": ..., "n": ...}')
    _add_arch_options(p)
    p.set_defaults(func=run_eval)

    p = subparsers.add_parser(
        "predict", help="top-3 classes for PNG/JPEG pictures of digits",
        usage="cnnviz predict [-h] [CKPT] IMAGE [IMAGE ...] [--checkpoint CKPT] [--top K] "
              "[--json] [--arch TEXT | --preset NAME]",
        description="Classify pictures of single digits. Each picture is cropped to its ink, "
                    "scaled and centred like MNIST; dark ink on a light background is inverted. "
                    "The model: a .npz checkpoint given first (cnnviz predict model.npz "
                    "digit.png) or with --checkpoint; default: the bundled pre-trained model.")
    p.add_argument("images", nargs="+", metavar="IMAGE",
                   help="PNG (or, with Pillow, JPEG) files; a first argument ending in .npz is "
                        "the checkpoint")
    p.add_argument("--checkpoint", metavar="CKPT",
                   help="a .npz checkpoint (default: the bundled pre-trained model)")
    p.add_argument("--top", type=int, default=3, choices=range(1, 11), metavar="K",
                   help="how many classes to list per picture (1-10, default: 3)")
    p.add_argument("--json", action="store_true", help="print one JSON object per run")
    _add_arch_options(p)
    p.set_defaults(func=run_predict)


def run_eval(args: argparse.Namespace) -> int:
    from cnnviz.data import images_to_float
    from cnnviz.training import evaluate

    if (args.images is None) != (args.labels is None):
        raise CliError("--images and --labels must be given together")
    net, ckpt = load_network(checkpoint_argument(args), _arch(args))
    if args.images is not None:
        images, labels = _read_idx_pair(Path(args.images), Path(args.labels))
        source = f"{args.images} + {args.labels}"
    else:
        from cnnviz.data import load_dataset

        dataset = load_dataset(args.data)
        images, labels = dataset.test_images, dataset.test_labels
        source = f"the held-out split of {describe_data(args.data)}"
    if len(labels) == 0:
        raise CliError(f"{source}: no images to evaluate")
    if int(labels.max()) >= net.config.classes:
        raise CliError(f"{source}: labels go up to {int(labels.max())} but the network has "
                       f"only {net.config.classes} classes")
    result = evaluate(net, images_to_float(images), labels)
    if args.json:
        print(json.dumps({"accuracy": result.accuracy, "loss": result.loss, "n": result.n}))
    else:
        correct = int(round(result.accuracy * result.n))
        print(f"{ckpt.name} ({net.arch}) on {source}: accuracy {result.accuracy:.2%} "
              f"({correct:,}/{result.n:,}), mean loss {result.loss:.4f}")
    return EXIT_OK


def _read_idx_pair(images_path: Path, labels_path: Path):
    """Read and check an images/labels IDX pair: (N, 28, 28) uint8 and (N,) integers."""
    from cnnviz.data import read_idx

    for path in (images_path, labels_path):
        if not path.is_file():
            raise CliError(f"{path}: no such file")
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise CliError(f"{images_path}: expected images of shape (N, 28, 28), got {images.shape}")
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise CliError(f"{labels_path}: expected integer labels of shape (N,), got "
                       f"{labels.shape} {labels.dtype}")
    if len(images) != len(labels):
        raise CliError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                       f"{len(labels)} labels")
    if images.dtype != "uint8":
        raise CliError(f"{images_path}: expected uint8 pixels, got {images.dtype}")
    return images, labels


def _checkpoint_first(args: argparse.Namespace) -> None:
    """``cnnviz predict model.npz digit.png``: a first argument ending in .npz (never a
    picture) is the checkpoint, as with ``--checkpoint``."""
    first = args.images[0]
    if not first.lower().endswith(".npz"):
        return
    if args.checkpoint is not None:
        raise CliError(f"{first}: a checkpoint, not a picture (--checkpoint "
                       f"{args.checkpoint} is the model already)")
    if len(args.images) == 1:
        raise CliError(f"{first} is a checkpoint: give the pictures to classify after it")
    args.checkpoint, args.images = first, args.images[1:]


def run_predict(args: argparse.Namespace) -> int:
    """Top classes per picture. A picture that cannot be read or holds no ink is reported on
    its own line and the others are still classified; the exit code is then 2."""
    import sys

    import numpy as np

    from cnnviz.data import load_image_file, preprocess_digit

    _checkpoint_first(args)
    net, _ = load_network(args.checkpoint, _arch(args))
    results = []
    for name in args.images:
        path = Path(name)
        try:
            if not path.is_file():
                raise CliError(f"{path}: no such file")
            digit = preprocess_digit(load_image_file(path))
        except (CliError, ValueError, OSError) as exc:    # this file only
            results.append({"image": name, "error": str(exc)})
            continue
        if not digit.any():
            results.append({"image": name, "error": f"{path}: no ink found (a blank picture)"})
            continue
        probs = net.predict_proba(digit[np.newaxis, np.newaxis])[0]
        order = np.argsort(-probs, kind="stable")[:args.top]
        results.append({"image": name, "top": [{"class": int(c), "probability": float(probs[c])}
                                               for c in order]})
    if args.json:
        print(json.dumps({"predictions": results}))
    else:
        for item in results:
            if "error" in item:
                print(f"cnnviz: error: {item['error']}", file=sys.stderr)
                continue
            ranked = "   ".join(f"{t['class']} ({t['probability']:.1%})" for t in item["top"])
            print(f"{item['image']}: {ranked}")
    return EXIT_USAGE if any("error" in item for item in results) else EXIT_OK
