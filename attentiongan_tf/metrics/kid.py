"""Kernel Inception Distance (Bińkowski et al., 2018): unbiased MMD² with the kernel ``(x·y / d + 1)^3``.

As in torch-fidelity and clean-fid, the estimate is averaged over ``num_subsets`` random subsets of
``subset_size`` samples drawn without replacement from each set (``subset_size`` is capped at the smaller
set; when that makes every subset the whole of both sets, KID is computed once and has no std).
AttentionGAN and U-GAT-IT report KID × 100 as mean ± standard deviation over the subsets.
"""

from __future__ import annotations

import numpy as np


def polynomial_mmd2_unbiased(features1: np.ndarray, features2: np.ndarray) -> float:
    """Unbiased MMD² between two equally sized (m, D) samples with the cubic polynomial kernel."""
    x, y = np.asarray(features1, np.float64), np.asarray(features2, np.float64)
    if x.shape != y.shape or x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"KID subsets must both be (m >= 2, D), got {x.shape} and {y.shape}")
    m, dim = x.shape
    k_xx = (x @ x.T / dim + 1) ** 3
    k_yy = (y @ y.T / dim + 1) ** 3
    k_xy = (x @ y.T / dim + 1) ** 3
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2 * k_xy.sum() / (m * m))


def kernel_inception_distance(
    features1: np.ndarray,
    features2: np.ndarray,
    num_subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> dict[str, float | int | None]:
    """KID between two feature sets.

    Returns ``{"mean", "std", "mean_x100", "std_x100", "subset_size", "requested_subset_size", "num_subsets"}``.
    When both sets have at most ``subset_size`` samples and the same count, every subset would be the whole of
    both sets: KID is computed once (``num_subsets`` 1) and ``std`` / ``std_x100`` are None, as for a
    single requested subset, rather than a spread of 0 over identical subsets.

    Args:
        features1: (N1, D) features.
        features2: (N2, D) features.
        num_subsets: number of random subsets averaged.
        subset_size: samples per subset, capped at min(N1, N2).
        seed: seed of the subset sampling, so reports are reproducible.
    """
    x, y = np.asarray(features1, np.float64), np.asarray(features2, np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"KID needs (N, D) features with equal D, got {x.shape} and {y.shape}")
    if num_subsets < 1:
        raise ValueError(f"num_subsets must be >= 1, got {num_subsets}")
    size = min(x.shape[0], y.shape[0], subset_size)
    if size < 2:
        raise ValueError(f"KID needs at least 2 samples in each set, got {x.shape[0]} and {y.shape[0]}")
    if size == x.shape[0] == y.shape[0]:
        # Every subset would be the whole of both sets: one value, and no spread to report.
        values, num_subsets = np.array([polynomial_mmd2_unbiased(x, y)]), 1
    else:
        rng = np.random.default_rng(seed)
        draws = []
        for _ in range(num_subsets):
            rows_x = rng.choice(x.shape[0], size, replace=False)
            rows_y = rng.choice(y.shape[0], size, replace=False)
            draws.append(polynomial_mmd2_unbiased(x[rows_x], y[rows_y]))
        values = np.array(draws)
    mean = float(values.mean())
    std = float(values.std()) if num_subsets > 1 else None
    return {
        "mean": mean,
        "std": std,
        "mean_x100": 100 * mean,
        "std_x100": None if std is None else 100 * std,
        "subset_size": int(size),
        "requested_subset_size": int(subset_size),
        "num_subsets": int(num_subsets),
    }
