"""PSNR and SSIM between two images, in numpy.

SSIM follows Wang et al. (2004) exactly as ``tf.image.ssim`` computes it: an 11x11 Gaussian window with
sigma 1.5, "valid" filtering (so images need at least 11x11 pixels), K1 = 0.01, K2 = 0.03, computed per
channel and averaged over positions and channels.
"""

from __future__ import annotations

import numpy as np

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03


def _pair(image1: np.ndarray, image2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(image1, np.float64), np.asarray(image2, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"images must have the same shape, got {a.shape} and {b.shape}")
    if a.ndim == 2:
        a, b = a[..., None], b[..., None]
    if a.ndim != 3:
        raise ValueError(f"expected (H, W) or (H, W, C) images, got shape {a.shape}")
    return a, b


def psnr(image1: np.ndarray, image2: np.ndarray, data_range: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB; ``inf`` for identical images."""
    a, b = _pair(image1, image2)
    mse = np.mean((a - b) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(data_range**2 / mse))


def _gaussian_window(size: int) -> np.ndarray:
    coords = np.arange(size, dtype=np.float64) - (size - 1) / 2
    window = np.exp(-(coords**2) / (2 * SSIM_SIGMA**2))
    return window / window.sum()


def _filter_valid(x: np.ndarray, window: np.ndarray) -> np.ndarray:
    # Separable "valid" Gaussian filtering over H then W of an (H, W, C) array.
    size = window.shape[0]
    x = np.lib.stride_tricks.sliding_window_view(x, size, axis=0) @ window
    return np.lib.stride_tricks.sliding_window_view(x, size, axis=1) @ window


def ssim(image1: np.ndarray, image2: np.ndarray, data_range: float = 255.0) -> float:
    """Mean structural similarity of two (H, W[, C]) images with values in [0, data_range]."""
    a, b = _pair(image1, image2)
    if min(a.shape[:2]) < SSIM_WINDOW:
        raise ValueError(f"SSIM needs images of at least {SSIM_WINDOW}x{SSIM_WINDOW} pixels, got {a.shape[:2]}")
    window = _gaussian_window(SSIM_WINDOW)
    c1, c2 = (SSIM_K1 * data_range) ** 2, (SSIM_K2 * data_range) ** 2
    mu_a, mu_b = _filter_valid(a, window), _filter_valid(b, window)
    mean_product = mu_a * mu_b
    luminance = (2 * mean_product + c1) / (mu_a**2 + mu_b**2 + c1)
    cross = 2 * _filter_valid(a * b, window)
    energy = _filter_valid(a * a + b * b, window)
    contrast_structure = (cross - 2 * mean_product + c2) / (energy - mu_a**2 - mu_b**2 + c2)
    return float(np.mean(luminance * contrast_structure))
