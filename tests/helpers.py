"""Shared helpers for the engine tests: gradient comparison and small data sets."""

from __future__ import annotations

import numpy as np

from cnnviz.nn.gradcheck import numerical_gradient, relative_error

# Entries whose gradients are both below this are compared absolutely: the relative error
# of two near-zero numbers measures only the rounding noise of the difference quotient.
TINY = 1e-6


def assert_gradients_match(analytic, numeric, indices=None, rtol=1e-5, atol=1e-8,
                           what="gradient") -> None:
    """Fail unless ``analytic`` and ``numeric`` agree at ``indices`` (flat; all by default)."""
    a = np.asarray(analytic, np.float64).reshape(-1)
    n = np.asarray(numeric, np.float64).reshape(-1)
    assert a.shape == n.shape, f"{what}: shapes differ"
    if indices is not None:
        a, n = a[indices], n[indices]
    big = (np.abs(a) + np.abs(n)) > TINY
    assert big.any(), f"{what}: every checked entry is ~0; the check would prove nothing"
    err = relative_error(a[big], n[big])
    assert err < rtol, f"{what}: relative error {err:.3g} (analytic {a[big]}, numeric {n[big]})"
    small_err = float(np.max(np.abs(a[~big] - n[~big]), initial=0.0))
    assert small_err < atol, f"{what}: absolute error {small_err:.3g} on near-zero entries"


def layer_gradients(layer, x: np.ndarray, seed: int = 0):
    """Analytic and numeric gradients of ``f = sum(layer(x) * R)`` for a fixed random ``R``.

    Returns ``(dx, numeric_dx, {param: (analytic, numeric)})``. ``R`` makes every output
    entry matter with a different weight, so a gradient routed to the wrong place shows.
    """
    rng = np.random.default_rng(seed)
    out = layer.forward(x)
    r = rng.standard_normal(out.shape)
    dx = layer.backward(r.copy())
    analytic = {k: g.copy() for k, g in layer.grads.items()}

    def f() -> float:
        return float(np.sum(layer.forward(x) * r))

    numeric_dx = numerical_gradient(f, x)
    params = {k: (analytic[k], numerical_gradient(f, p)) for k, p in layer.params.items()}
    return dx, numeric_dx, params


def check_indices(analytic: np.ndarray, rng: np.random.Generator, n_random=4, n_top=4):
    """A sample of flat indices: the largest analytic entries plus random ones."""
    flat = np.abs(np.asarray(analytic)).reshape(-1)
    top = np.argsort(flat)[-n_top:]
    rand = rng.choice(flat.size, size=min(n_random, flat.size), replace=False)
    return np.unique(np.concatenate([top, rand]))


def tie_free(shape, rng: np.random.Generator) -> np.ndarray:
    """A shuffled linspace: all values distinct and far apart compared with a finite-difference step."""
    values = np.linspace(-1.0, 1.0, int(np.prod(shape)))
    rng.shuffle(values)
    return values.reshape(shape)


def bundled_float(seed: int = 0):
    """The bundled split as float32 ``(N, 1, 28, 28)`` images and int64 labels."""
    from cnnviz.data import images_to_float, load_bundled

    ds = load_bundled(seed=seed)
    return (images_to_float(ds.train_images), np.asarray(ds.train_labels, np.int64),
            images_to_float(ds.test_images), np.asarray(ds.test_labels, np.int64))
