#!/usr/bin/env bash
# Rebuild the pre-trained model shipped in resources/model/lenet.npz.
# Run from the repository root; the result is deterministic for a given cnnviz version.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHONPATH=. python -m cnnviz train --preset lenet --epochs 3 --seed 0 --out resources/model/lenet.npz
chmod 644 resources/model/lenet.npz
PYTHONPATH=. python -m cnnviz eval --checkpoint resources/model/lenet.npz
