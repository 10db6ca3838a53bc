"""Fréchet Inception Distance from feature arrays (Heusel et al., 2017), in numpy only.

``FID = |mu_1 - mu_2|^2 + tr(S_1) + tr(S_2) - 2 tr((S_1 S_2)^(1/2))``. The trace of the matrix square root
is taken without ``scipy.linalg.sqrtm``: ``S_1 S_2`` is similar to the symmetric PSD matrix
``S_1^(1/2) S_2 S_1^(1/2)``, so ``tr((S_1 S_2)^(1/2))`` is the sum of the square roots of that matrix's
eigenvalues, which ``numpy.linalg.eigh`` computes stably (tiny negative round-off eigenvalues are clipped to 0).
"""

from __future__ import annotations

import numpy as np


def feature_statistics(features: np.ndarray) -> dict[str, np.ndarray]:
    """Mean and (unbiased, rows = samples) covariance of (N, D) features; N must be at least 2."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"FID needs features of shape (N >= 2, D), got {features.shape}")
    return {"mu": features.mean(axis=0), "sigma": np.cov(features, rowvar=False)}


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    eigenvalues, eigenvectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))) @ eigenvectors.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Fréchet distance between the Gaussians N(mu1, sigma1) and N(mu2, sigma2)."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != mu1.shape * 2:
        raise ValueError(
            f"mismatched statistics: mu {mu1.shape} vs {mu2.shape}, sigma {sigma1.shape} vs {sigma2.shape}"
        )
    root1 = _sqrt_psd(sigma1)
    middle = root1 @ sigma2 @ root1
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt)


def fid_from_features(features1: np.ndarray, features2: np.ndarray) -> float:
    """FID between two (N, D) feature sets (e.g. Inception pool-3 features of real and translated images)."""
    stats1, stats2 = feature_statistics(features1), feature_statistics(features2)
    if stats1["mu"].shape != stats2["mu"].shape:
        raise ValueError(f"feature dimensions differ: {stats1['mu'].shape[0]} vs {stats2['mu'].shape[0]}")
    return frechet_distance(stats1["mu"], stats1["sigma"], stats2["mu"], stats2["sigma"])
