"""FID and KID against independent computations on fixed features."""

import numpy as np
import pytest

from attentiongan_tf.metrics import fid_from_features, frechet_distance, kernel_inception_distance
from attentiongan_tf.metrics.kid import polynomial_mmd2_unbiased


def _features(seed: int, n: int = 60, d: int = 12, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(d, d)) / np.sqrt(d)
    return rng.normal(size=(n, d)) @ mixing + shift


def test_fid_matches_scipy_sqrtm_formula():
    linalg = pytest.importorskip("scipy.linalg")
    x, y = _features(0), _features(1, shift=0.3)
    mu1, mu2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2).real  # pytorch-fid's formula
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    assert fid_from_features(x, y) == pytest.approx(expected, rel=1e-8, abs=1e-10)


def test_fid_closed_form_for_diagonal_gaussians():
    # For diagonal covariances tr((S1 S2)^1/2) = sum(sqrt(s1 * s2)).
    s1, s2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = 1 + 4 + s1.sum() + s2.sum() - 2 * np.sqrt(s1 * s2).sum()
    assert frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected)


def test_fid_of_identical_sets_is_zero_and_rank_deficient_is_finite():
    x = _features(2, n=8, d=12)  # fewer samples than dimensions: singular covariance
    assert fid_from_features(x, x) == pytest.approx(0.0, abs=1e-6)
    assert np.isfinite(fid_from_features(x, _features(3, n=8, d=12)))


def test_fid_rejects_bad_shapes():
    with pytest.raises(ValueError, match="N >= 2"):
        fid_from_features(np.zeros((1, 4)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="dimensions differ"):
        fid_from_features(np.zeros((3, 4)), np.zeros((3, 5)))


def _mmd2_loops(x: np.ndarray, y: np.ndarray) -> float:
    m, d = x.shape
    kernel = lambda a, b: (np.dot(a, b) / d + 1) ** 3
    xx = sum(kernel(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(kernel(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(kernel(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_mmd2_matches_explicit_double_sum():
    x, y = _features(4, n=15, d=6), _features(5, n=15, d=6, shift=0.5)
    assert polynomial_mmd2_unbiased(x, y) == pytest.approx(_mmd2_loops(x, y), rel=1e-10)


def test_kid_subsets_mean_std_and_scaling():
    x, y = _features(6, n=30, d=6), _features(7, n=40, d=6, shift=0.4)
    result = kernel_inception_distance(x, y, num_subsets=5, subset_size=10, seed=3)
    rng = np.random.default_rng(3)
    values = []
    for _ in range(5):
        xs, ys = x[rng.choice(30, 10, replace=False)], y[rng.choice(40, 10, replace=False)]
        values.append(_mmd2_loops(xs, ys))
    assert result["mean"] == pytest.approx(np.mean(values), rel=1e-9)
    assert result["std"] == pytest.approx(np.std(values), rel=1e-9)
    assert result["mean_x100"] == pytest.approx(100 * np.mean(values), rel=1e-9)
    assert result["subset_size"] == 10


def test_kid_caps_subset_size_and_detects_shift():
    x = _features(8, n=20, d=6)
    same = kernel_inception_distance(x, _features(9, n=25, d=6), num_subsets=20)
    shifted = kernel_inception_distance(x, _features(9, n=25, d=6, shift=2.0), num_subsets=20)
    assert same["subset_size"] == 20
    assert shifted["mean"] > same["mean"] + 10 * same["std"]


def test_kid_rejects_bad_input():
    with pytest.raises(ValueError, match="equal D"):
        kernel_inception_distance(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="at least 2"):
        kernel_inception_distance(np.zeros((1, 3)), np.zeros((4, 3)))
