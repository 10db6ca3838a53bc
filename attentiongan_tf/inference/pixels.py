"""Pixels in and out of a generator: uint8 images to the [-1, 1] model input, and the ``--load-size`` scaling."""

from __future__ import annotations

import numpy as np


def to_model_input(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> (1, H, W, 3) float32 in [-1, 1]."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"expected a (H, W, 3) uint8 image, got {image.dtype} {image.shape}")
    return (image.astype(np.float32) / 127.5 - 1.0)[np.newaxis]


def working_size(height: int, width: int, load_size: int) -> tuple[int, int]:
    """(H, W) with the shorter side scaled to ``load_size`` and the aspect ratio kept (``translate --load-size``)."""
    scale = load_size / min(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize_uint8(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bicubic resize of a uint8 (H, W, 3) image to ``size`` = (H, W); unchanged when already that size."""
    from PIL import Image

    if image.shape[:2] == tuple(size):
        return image
    return np.asarray(Image.fromarray(image).resize((size[1], size[0]), Image.Resampling.BICUBIC))
