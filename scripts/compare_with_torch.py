"""Compare cnnviz's NumPy network with the same network in PyTorch, using our weights.

    python scripts/compare_with_torch.py [--arch "conv8x3p1 relu maxpool fc10" | --preset lenet]
                                         [--checkpoint model.npz] [--dtype float64] [--batch 16]

Builds the network in PyTorch from its description (``cnnviz.torch_mirror``), loads cnnviz's
parameters into it with ``load_state_dict`` (the names and shapes match by design), runs both
on the same images (``--dtype float64`` shows the agreement without float32 rounding; the
app computes in float32) and prints, for the
logits, the loss, the input gradient and every parameter's gradient, the largest absolute
difference and the largest difference relative to the tensor's largest value. Dropout is
compared in inference mode. PyTorch is optional for cnnviz; only this script and
``cnnviz bench`` use it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnnviz.nn import build_network, load_checkpoint  # noqa: E402
from cnnviz.torch_mirror import torch_model  # noqa: E402


def compare(net, x: np.ndarray, labels: np.ndarray) -> list[tuple[str, float, float]]:
    """``[(what, max |difference|, max |difference| / max |PyTorch value|)]``."""
    import torch

    model = torch_model(net).eval()
    loss, grads = net.loss_and_grads(x, labels)
    grads = {k: g.copy() for k, g in grads.items()}     # the next backward reuses the buffers
    logits = net.last_logits
    dx = net.input_gradient(x, labels)          # d logit[label] / d x

    tx = torch.from_numpy(x.copy())
    t_logits = model(tx)
    t_loss = torch.nn.functional.cross_entropy(t_logits, torch.from_numpy(labels))
    t_loss.backward()
    tx_in = torch.from_numpy(x.copy()).requires_grad_(True)
    picked = model(tx_in).gather(1, torch.from_numpy(labels)[:, None]).sum()
    (t_dx,) = torch.autograd.grad(picked, tx_in)     # leaves the parameters' .grad alone

    rows = []

    def row(what, ours, theirs):
        ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
        diff = float(np.abs(ours - theirs).max())
        rows.append((what, diff, diff / max(float(np.abs(theirs).max()), 1e-300)))

    row("logits", logits, t_logits.detach().numpy())
    row("loss", loss, t_loss.item())
    row("input gradient", dx, t_dx.numpy())
    params = dict(model.named_parameters())
    for name, g in grads.items():
        row(f"{name} grad", g, params[name].grad.numpy())
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--preset", help="a preset name (lenet, seed, tiny, padded, deep)")
    which.add_argument("--arch", help='architecture text, e.g. "conv8x3p1 relu maxpool fc10"')
    which.add_argument("--checkpoint", help="compare a saved model instead of a fresh one")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"],
                        help="float64 shows the agreement without float32 rounding")
    args = parser.parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("PyTorch is not installed; nothing to compare against.")
        return 1

    dtype = np.dtype(args.dtype).type
    if args.checkpoint:
        net = load_checkpoint(args.checkpoint, dtype=dtype)
    else:
        net = build_network(args.arch or args.preset or "lenet", seed=0, dtype=dtype)
    rng = np.random.default_rng(0)
    for name, p in net.params.items():    # non-zero biases so they are compared too
        if p.ndim == 1:
            p[...] = rng.normal(0, 0.1, p.shape)

    try:
        from cnnviz.data import images_to_float, load_bundled
        ds = load_bundled()
        x = images_to_float(ds.test_images[:args.batch]).astype(dtype)
        labels = np.asarray(ds.test_labels[:args.batch], np.int64) % net.classes
        source = "bundled held-out digits"
    except Exception:                       # the data package is optional here
        x = rng.random((args.batch, 1, 28, 28)).astype(dtype)
        labels = rng.integers(0, net.classes, args.batch)
        source = "random images"

    rows = compare(net, x, labels)
    print(f"{net.arch}  ({net.parameter_count:,} parameters), {args.batch} {source}, "
          f"{np.dtype(dtype).name}")
    print("what".ljust(28) + "max |diff|".rjust(12) + "max |diff| / max |torch|".rjust(28))
    for what, diff, rel in rows:
        print(what.ljust(28) + f"{diff:12.3g}" + f"{rel:28.3g}")
    print("largest relative difference".ljust(28) + f"{max(r for _, _, r in rows):40.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
