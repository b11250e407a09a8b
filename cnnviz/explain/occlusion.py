"""Occlusion: how much the predicted class's probability drops when a grey square covers each
place of the image. All occluded copies go through one forward pass (or a few chunks).

With the defaults a 4 x 4 patch of grey (0.5) moves over a 28 x 28 digit at stride 3:
positions 0, 3, ..., 24 on each axis, 9 x 9 = 81 copies.
"""

from __future__ import annotations

import numpy as np

PATCH = 4                 # occluding square, pixels
PATCH_VALUE = 0.5         # grey
# Stride 3 puts 9 x 9 = 81 patches exactly across 28 pixels (0, 3, ..., 24): one forward of
# 81 images takes ~20-30 ms here, where stride 2 (169 images) takes ~60-90 ms.
OCCLUSION_STRIDE = 3


def occlusion_positions(size: int = 28, patch: int = PATCH, stride: int = OCCLUSION_STRIDE
                        ) -> np.ndarray:
    """Top-left offsets of the patch along one axis: ``0, stride, ..., size - patch``."""
    return np.arange(0, size - patch + 1, stride)


def occluded_batch(image: np.ndarray, patch: int = PATCH, stride: int = OCCLUSION_STRIDE,
                   value: float = PATCH_VALUE) -> np.ndarray:
    """``image (H, W)`` -> ``(K, 1, H, W)`` copies, copy ``i * n + j`` grey at position ``(i, j)``."""
    h, w = image.shape
    ys, xs = occlusion_positions(h, patch, stride), occlusion_positions(w, patch, stride)
    batch = np.repeat(image[None, None].astype(np.float32), len(ys) * len(xs), axis=0)
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            batch[i * len(xs) + j, 0, y:y + patch, x:x + patch] = value
    return batch


def occlusion_grid(image: np.ndarray, patch: int = PATCH, stride: int = OCCLUSION_STRIDE
                   ) -> tuple[int, int]:
    """``(rows, cols)`` of the occlusion map of ``image (H, W)``."""
    h, w = image.shape
    return len(occlusion_positions(h, patch, stride)), len(occlusion_positions(w, patch, stride))


def occlusion_drop(net, image: np.ndarray, class_index: int, patch: int = PATCH,
                   stride: int = OCCLUSION_STRIDE) -> np.ndarray:
    """``(H', W')`` drop of ``P(class_index)`` when each patch position is greyed out."""
    base = net.predict_proba(image[None, None])[0, class_index]
    probs = net.predict_proba(occluded_batch(image, patch, stride))[:, class_index]
    return (base - probs).reshape(occlusion_grid(image, patch, stride))
