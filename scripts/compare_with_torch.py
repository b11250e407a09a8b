"""Compare cnnviz's NumPy network with the same network in PyTorch, using our weights.

    python scripts/compare_with_torch.py [--preset lenet|seed] [--checkpoint model.npz]

Builds the article's LeNet in PyTorch, loads cnnviz's parameters into it with
``load_state_dict`` (the names and shapes match by design), runs both on the same images and
prints the largest absolute difference of the logits, of the loss, and of every parameter's
gradient. PyTorch is optional for cnnviz; this script is the only place that needs it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnnviz.nn import build_network, load_checkpoint  # noqa: E402


def torch_net(hidden_activation: str):
    import torch
    from torch import nn

    class LeNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 20, 5)
            self.conv2 = nn.Conv2d(20, 50, 5)
            self.fc1 = nn.Linear(800, 500)
            self.fc2 = nn.Linear(500, 10)
            self.hidden = torch.sigmoid if hidden_activation == "sigmoid" else torch.relu

        def forward(self, x):
            x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
            x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
            x = torch.flatten(x, 1)            # (C, H, W) order
            return self.fc2(self.hidden(self.fc1(x)))

    return LeNet()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="lenet", choices=["lenet", "seed"])
    parser.add_argument("--checkpoint", help="compare a saved model instead of a fresh one")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"],
                        help="float64 shows the agreement without float32 rounding")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed; nothing to compare against.")
        return 1

    dtype = np.dtype(args.dtype)
    net = load_checkpoint(args.checkpoint) if args.checkpoint else build_network(args.preset, seed=0)
    if dtype != net.dtype:                   # the same weights, computed in the other dtype
        params = net.params
        net = build_network(config=net.config, seed=0, dtype=dtype)
        net.load_params(params)
    rng = np.random.default_rng(0)
    for name, p in net.params.items():    # non-zero biases so they are compared too
        if p.ndim == 1:
            p[...] = rng.normal(0, 0.1, p.shape)
    ours = torch_net(net.config.hidden_activation).to(torch.float64 if dtype == np.float64
                                                        else torch.float32)
    ours.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in net.params.items()})

    try:
        from cnnviz.data import images_to_float, load_bundled
        ds = load_bundled()
        x = images_to_float(ds.test_images[:args.batch]).astype(dtype)
        labels = np.asarray(ds.test_labels[:args.batch], np.int64)
        source = "bundled held-out digits"
    except Exception:                       # the data package is optional here
        x = rng.random((args.batch, 1, 28, 28)).astype(dtype)
        labels = rng.integers(0, 10, args.batch)
        source = "random images"

    loss, grads = net.loss_and_grads(x, labels)
    logits = net.last_logits
    tx = torch.from_numpy(x)
    t_logits = ours(tx)
    t_loss = torch.nn.functional.cross_entropy(t_logits, torch.from_numpy(labels))
    t_loss.backward()

    print(f"{net.config.hidden_activation} network, {dtype}, {args.batch} {source}")
    print(f"max |logits difference|".ljust(36) + f"{np.abs(logits - t_logits.detach().numpy()).max():.3g}"
          f"   (logits up to {np.abs(logits).max():.3g})")
    print(f"|loss difference|".ljust(36) + f"{abs(loss - t_loss.item()):.3g}   (loss {loss:.4f})")
    params = dict(ours.named_parameters())
    for name, g in grads.items():
        tg = params[name].grad.numpy()
        print(f"max |{name} grad difference|".ljust(36)
              + f"{np.abs(g - tg).max():.3g}   (grad up to {np.abs(tg).max():.3g})")
    same = (logits.argmax(1) == t_logits.detach().numpy().argmax(1)).mean()
    print(f"same predicted class".ljust(36) + f"{same:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
