"""2-D maps of a layer's activations: PCA (fast, live) and a small exact t-SNE (on demand)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network_walk import as_batch, find_layer, penultimate_layer

METHODS = ("pca", "tsne")


@dataclass(frozen=True)
class Embedding:
    """``points (N, 2)``: one 2-D point per image; ``layer`` and ``method`` that made them."""

    layer: str
    method: str
    points: np.ndarray


def layer_features(net, images, layer: str | None = None, batch: int = 500) -> np.ndarray:
    """``layer``'s activations flattened, ``(N, D)`` float64 (the penultimate layer by default)."""
    return features_and_predictions(net, images, layer, batch)[0]


def features_and_predictions(net, images, layer: str | None = None, batch: int = 500
                             ) -> tuple[np.ndarray, np.ndarray]:
    """``(features (N, D) float64, predicted classes (N,))`` in one forward pass."""
    x = as_batch(net, images)
    name = layer or penultimate_layer(net).name
    stop = find_layer(net, name).index
    features, predictions = [], []
    for start in range(0, len(x), batch):
        out = x[start:start + batch]
        for position, (_, module) in enumerate(net.layers):
            out = module.forward(out)
            if position == stop:
                features.append(out.reshape(len(out), -1).astype(np.float64))
        predictions.append(out.argmax(axis=1))
    if not features:
        return np.zeros((0, 0)), np.zeros(0, dtype=int)
    return np.concatenate(features), np.concatenate(predictions)


def pca_2d(features: np.ndarray) -> np.ndarray:
    """``features (N, D)`` projected on their two principal axes: ``(N, 2)``, centred.

    The axes are the top eigenvectors of the ``(D, D)`` covariance (or of the ``(N, N)`` Gram
    matrix when there are fewer points than dimensions), found by ``top_eigenvectors``; each
    axis's sign is fixed so the point farthest along it is positive.
    """
    centred = features - features.mean(axis=0)
    n, d = centred.shape
    if d <= n:
        _, vectors = top_eigenvectors(centred.T @ centred, 2)
        points = centred @ vectors
    else:
        values, vectors = top_eigenvectors(centred @ centred.T, 2)
        points = vectors * np.sqrt(np.maximum(values, 0))
    if points.shape[1] < 2:
        points = np.pad(points, ((0, 0), (0, 2 - points.shape[1])))
    extreme = np.abs(points).argmax(axis=0)
    return points * np.where(points[extreme, [0, 1]] < 0, -1, 1)


def top_eigenvectors(matrix: np.ndarray, k: int, block: int = 12, tol: float = 1e-13,
                     max_iterations: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest eigenvalues ``(k,)`` and eigenvectors ``(D, k)`` of a symmetric
    positive semi-definite ``matrix (D, D)``, largest first.

    Small matrices go to ``numpy.linalg.eigh``. Large ones by subspace iteration: a block of
    ``block`` vectors (a fixed start, so the result is deterministic) multiplied by the
    matrix and re-orthonormalised until the top ``k`` Ritz values stop changing. A full
    ``eigh`` of a 500-unit layer's 500 x 500 covariance takes ~60 ms here; this takes a few.
    """
    d = len(matrix)
    k = min(k, d)
    if d <= 4 * block:
        values, vectors = np.linalg.eigh(matrix)
        return values[::-1][:k], vectors[:, ::-1][:, :k]
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((d, block)))
    previous = None
    for _ in range(max_iterations):
        q, _ = np.linalg.qr(matrix @ q)
        values, small = np.linalg.eigh(q.T @ matrix @ q)
        top = values[::-1][:k]
        if previous is not None and np.all(np.abs(top - previous) <= tol * max(abs(top[0]), 1e-300)):
            break
        previous = top
    return top, (q @ small[:, ::-1])[:, :k]


def align(points: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    """``points (N, 2)`` rotated (or reflected) to lie closest to ``previous (N, 2)``.

    Orthogonal Procrustes: the 2 x 2 orthogonal ``R`` minimising ``|points R - previous|``
    is ``U V^T`` from the SVD of ``points^T previous``. Distances between points do not
    change, so a live view moves smoothly instead of flipping or spinning between refreshes.
    """
    if previous is None or previous.shape != points.shape:
        return points
    u, _, vt = np.linalg.svd(points.T @ previous)
    return points @ (u @ vt)


def tsne_2d(features: np.ndarray, perplexity: float = 30.0, iterations: int = 500,
            seed: int = 0) -> np.ndarray:
    """Exact t-SNE of ``features (N, D)`` to ``(N, 2)``; the same seed gives the same map.

    Per-point Gaussian widths found by bisection to match ``perplexity``; symmetric
    affinities; Student-t similarities in 2-D; gradient descent with momentum (0.5 then 0.8),
    per-coordinate gains and early exaggeration (x12 for the first 100 iterations). Costs
    ``O(N^2)`` per iteration: right for about a thousand points.
    """
    n = len(features)
    if n < 3:
        return np.zeros((n, 2))
    p = _affinities(features, min(perplexity, (n - 1) / 3))
    rng = np.random.default_rng(seed)
    y = 1e-4 * rng.standard_normal((n, 2))
    velocity, gains = np.zeros_like(y), np.ones_like(y)
    for it in range(iterations):
        exaggeration = 12.0 if it < 100 else 1.0
        momentum = 0.5 if it < 250 else 0.8
        squared = (y ** 2).sum(axis=1)
        inv = 1 / (1 + np.maximum(squared[:, None] + squared[None, :] - 2 * y @ y.T, 0))
        np.fill_diagonal(inv, 0)
        q = np.maximum(inv / inv.sum(), 1e-12)
        weight = (exaggeration * p - q) * inv                             # (N, N)
        # sum_j weight_ij (y_i - y_j), without the (N, N, 2) differences
        grad = 4 * (weight.sum(axis=1)[:, None] * y - weight @ y)
        same = np.sign(grad) == np.sign(velocity)
        gains = np.maximum(np.where(same, gains * 0.8, gains + 0.2), 0.01)
        velocity = momentum * velocity - 200.0 * gains * grad
        y = y + velocity
        y -= y.mean(axis=0)
    return y


def _affinities(features: np.ndarray, perplexity: float) -> np.ndarray:
    """Symmetric t-SNE input affinities ``P (N, N)`` summing to 1."""
    conditional = conditional_affinities(features, perplexity)
    n = len(features)
    return np.maximum((conditional + conditional.T) / (2 * n), 1e-12)


def conditional_affinities(features: np.ndarray, perplexity: float) -> np.ndarray:
    """``p(j | i)`` as ``(N, N)`` rows summing to 1 (zero diagonal), each row's Gaussian
    width chosen by bisection so the row's perplexity ``2 ** entropy`` is ``perplexity``."""
    squared = (features ** 2).sum(axis=1)
    dist = np.maximum(squared[:, None] + squared[None, :] - 2 * features @ features.T, 0)
    n = len(features)
    target = np.log(perplexity)
    beta = np.ones(n)
    low, high = np.full(n, 0.0), np.full(n, np.inf)
    off = ~np.eye(n, dtype=bool)
    d = dist[off].reshape(n, n - 1)
    d = d - d.min(axis=1, keepdims=True)   # shift per row: same P, no underflow
    for _ in range(64):                     # bisection on beta = 1 / (2 sigma^2), all rows at once
        w = np.exp(-d * beta[:, None])
        total = w.sum(axis=1)
        entropy = np.log(total) + beta * (d * w).sum(axis=1) / total
        too_flat = entropy > target
        low = np.where(too_flat, beta, low)
        high = np.where(too_flat, high, beta)
        beta = np.where(np.isinf(high), beta * 2, (low + high) / 2)
    w = np.exp(-d * beta[:, None])
    conditional = np.zeros((n, n))
    conditional[off] = (w / w.sum(axis=1, keepdims=True)).reshape(-1)
    return conditional


def embedding(net, images, layer: str | None = None, method: str = "pca", seed: int = 0,
              previous: np.ndarray | None = None) -> Embedding:
    """2-D points ``(N, 2)`` for ``images (N, 28, 28)`` from ``layer``'s activations (the
    penultimate layer by default) by ``method`` "pca" or "tsne" (``seed`` fixes t-SNE).

    Pass the last call's ``points`` as ``previous`` to get the new map rotated onto it
    (see ``align``): a live view then moves smoothly while the network trains.
    """
    if method not in METHODS:
        raise ValueError(f"unknown embedding method {method!r}; choose pca or tsne")
    name = layer or penultimate_layer(net).name
    features = layer_features(net, images, name)
    points = pca_2d(features) if method == "pca" else tsne_2d(features, seed=seed)
    return Embedding(name, method, align(points, previous))
