"""Turn a drawing of any size into an MNIST-like 28x28 digit, the way MNIST itself was made.

MNIST's digits were (1) cropped to the ink, (2) scaled, anti-aliased, so the longer side is
20 pixels with the aspect ratio kept, and (3) placed in a 28x28 frame with the centre of
mass at the centre. :func:`preprocess_stages` keeps every intermediate so they can be shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PreprocessStages", "preprocess_stages", "preprocess_digit", "INK_THRESHOLD"]

#: A pixel brighter than this (on a 0..1 scale) counts as ink when finding the bounding box.
INK_THRESHOLD = 0.1
FRAME = 28  # side of the output image
BOX = 20  # side of the box the digit is scaled into
# Where the centre of mass goes, in pixel indices. MNIST's own digits have their centre of
# mass at (14.0, 14.0) on average (measured on the bundled 10,000), half a pixel below and
# right of the frame's geometric middle (13.5), so we use 14 to match what the net learned.
FRAME_CENTRE = 14.0


@dataclass(frozen=True, eq=False)
class PreprocessStages:
    """Every step of :func:`preprocess_stages`.

    raw:            (H, W) float32 in [0, 1], the input
    bbox:           (top, left, bottom, right) of the ink, bottom/right exclusive; None if no ink
    cropped:        (bottom-top, right-left) float32, the ink's bounding box; (0, 0) if no ink
    scaled:         (h, w) float32 with max(h, w) == 20; (0, 0) if no ink
    result:         (28, 28) float32 in [0, 1]
    center_of_mass: (row, col) of the ink in ``result``; None if no ink
    """

    raw: np.ndarray
    bbox: tuple[int, int, int, int] | None
    cropped: np.ndarray
    scaled: np.ndarray
    result: np.ndarray
    center_of_mass: tuple[float, float] | None


def preprocess_digit(image: np.ndarray, center: bool = True) -> np.ndarray:
    """A drawing (H, W) -> an MNIST-like (28, 28) float32 image in [0, 1]. See :func:`preprocess_stages`."""
    return preprocess_stages(image, center=center).result


def preprocess_stages(image: np.ndarray, center: bool = True) -> PreprocessStages:
    """Crop, scale and place a white-on-black drawing as MNIST did, keeping every stage.

    ``image`` is (H, W) of any size: uint8 0..255 or float 0..1. With ``center=True`` the
    digit's centre of mass lands on (14, 14), where MNIST puts it (within half a pixel:
    the shift is by whole pixels). With ``center=False`` the scaled digit keeps the place its bounding box
    had in the drawing (its centre mapped into 28x28 coordinates, then kept inside the
    frame), so a digit drawn in a corner stays in the corner. No ink gives zeros.
    """
    raw = _to_unit_float(image)
    empty = np.zeros((0, 0), np.float32)
    bbox = ink_bbox(raw)
    if bbox is None:
        return PreprocessStages(raw, None, empty, empty, np.zeros((FRAME, FRAME), np.float32), None)

    top, left, bottom, right = bbox
    cropped = raw[top:bottom, left:right]
    h, w = cropped.shape
    scale = BOX / max(h, w)
    out_h, out_w = max(1, round(h * scale)), max(1, round(w * scale))
    scaled = resize(cropped, out_h, out_w)

    if center:
        com_r, com_c = center_of_mass(scaled)
        row, col = round(FRAME_CENTRE - com_r), round(FRAME_CENTRE - com_c)
    else:
        height, width = raw.shape
        mid_r = (top + bottom) / 2 * FRAME / height
        mid_c = (left + right) / 2 * FRAME / width
        row, col = round(mid_r - out_h / 2), round(mid_c - out_w / 2)
    row = min(max(row, 0), FRAME - out_h)
    col = min(max(col, 0), FRAME - out_w)

    result = np.zeros((FRAME, FRAME), np.float32)
    result[row : row + out_h, col : col + out_w] = scaled
    return PreprocessStages(raw, bbox, cropped, scaled, result, center_of_mass(result))


def _to_unit_float(image: np.ndarray) -> np.ndarray:
    """(H, W) uint8 0..255 or float 0..1 -> a new (H, W) float32 array in [0, 1]."""
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"expected a 2-D grayscale image (H, W), got shape {image.shape}")
    if image.dtype == np.uint8:
        return image.astype(np.float32) / np.float32(255.0)
    if image.dtype == bool:
        return image.astype(np.float32)
    out = image.astype(np.float32)            # one full-size copy, then in place
    np.nan_to_num(out, copy=False)
    return np.clip(out, 0.0, 1.0, out=out)


def ink_bbox(image: np.ndarray, threshold: float = INK_THRESHOLD) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right) of the pixels above ``threshold`` in (H, W); None if there are none.

    bottom and right are exclusive, so ``image[top:bottom, left:right]`` is the crop.
    """
    ink = image > threshold
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def center_of_mass(image: np.ndarray) -> tuple[float, float] | None:
    """Intensity-weighted mean (row, col) of an (H, W) image, in pixel indices; None if all zero."""
    total = float(image.sum())
    if total <= 0:
        return None
    rows = np.arange(image.shape[0])
    cols = np.arange(image.shape[1])
    return float(image.sum(axis=1) @ rows / total), float(image.sum(axis=0) @ cols / total)


def resize(image: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Resample (H, W) -> (out_h, out_w) float32 as ``R_rows @ image @ R_cols.T``.

    Each axis is resampled by a weight matrix (see :func:`_resample_matrix`): area
    averaging when shrinking (anti-aliased: every input pixel contributes its overlap),
    linear interpolation when enlarging.
    """
    rows = _resample_matrix(image.shape[0], out_h)
    cols = _resample_matrix(image.shape[1], out_w)
    return (rows @ image.astype(np.float32) @ cols.T).astype(np.float32)


def _resample_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights, rows summing to 1, mapping a 1-D signal of n_in samples to n_out.

    Pixel i covers the interval [i, i+1). Shrinking: output pixel k covers
    [k*s, (k+1)*s) in input units (s = n_in / n_out) and takes each input pixel in
    proportion to their overlap (a box filter). Enlarging: output pixel k's centre sits at
    input position (k + 0.5) * s - 0.5 and blends its two nearest input pixels (a tent filter).
    """
    s = n_in / n_out
    k = np.arange(n_out)[:, np.newaxis]
    i = np.arange(n_in)[np.newaxis, :]
    if n_out <= n_in:
        overlap = np.minimum((k + 1) * s, i + 1) - np.maximum(k * s, i)
        weights = np.clip(overlap, 0.0, None) / s
    else:
        centre = np.clip((k + 0.5) * s - 0.5, 0, n_in - 1)
        weights = np.clip(1.0 - np.abs(centre - i), 0.0, None)
    return (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)
