"""Did a translation happen at all? A linear probe that tells domain A from domain B on Inception features.

At small budgets FID and KID reward a generator that copies its input (the copy is a real photo), so they
cannot say whether horses became zebras. The probe can: an L2-regularised logistic regression fitted on the
FID-Inception features of real ``trainA`` (label 0) and ``trainB`` (label 1) images, then applied to the
translations of ``testA``. Its *target-domain score* is the share of translations classified as B: an
untranslated input scores about the probe's false-positive rate, a convincing translation close to the
probe's accuracy on real B images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class DomainProbe:
    """A fitted linear probe: ``P(B | features) = σ(((features − mean) / scale) · weights + bias)``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> a, b = rng.normal(0, 1, (50, 8)), rng.normal(1, 1, (50, 8))
        >>> probe = fit_domain_probe(a, b)
        >>> probe.share_classified_as_b(b) > 0.9 > 0.1 > probe.share_classified_as_b(a)
        True
    """

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def probability_b(self, features: np.ndarray) -> np.ndarray:
        """P(domain B) for each row of ``features`` (N, D)."""
        logits = ((np.asarray(features, np.float64) - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -60.0, 60.0)))

    def share_classified_as_b(self, features: np.ndarray) -> float:
        """Share of rows with P(B) > 0.5: the target-domain score of A→B translations."""
        return float(np.mean(self.probability_b(features) > 0.5))


def fit_domain_probe(
    features_a: np.ndarray, features_b: np.ndarray, l2: float = 1e-2, iterations: int = 300
) -> DomainProbe:
    """Fit the probe on real domain-A (label 0) and domain-B (label 1) features by Newton's method.

    Args:
        features_a: (N_a, D) features of real A images.
        features_b: (N_b, D) features of real B images.
        l2: weight of the L2 penalty on the weights (standardised features), per example.
        iterations: Newton steps at most (it stops when the step is below 1e-8).

    The two classes are weighted equally whatever their counts, so the decision threshold 0.5 does not
    favour the larger domain.
    """
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ValueError(f"need (N, D) features of at least 2 images per domain, got {a.shape} and {b.shape}")
    x = np.concatenate([a, b])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    x = np.concatenate([(x - mean) / scale, np.ones((len(x), 1))], axis=1)
    y = np.concatenate([np.zeros(len(a)), np.ones(len(b))])
    sample_weight = np.where(y == 1, 0.5 / len(b), 0.5 / len(a))
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0  # no penalty on the bias
    theta = np.zeros(x.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ theta, -60.0, 60.0)))
        gradient = x.T @ (sample_weight * (p - y)) + penalty * theta
        curvature = sample_weight * p * (1.0 - p)
        hessian = (x * curvature[:, None]).T @ x + np.diag(penalty + 1e-10)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return DomainProbe(mean=mean, scale=scale, weights=theta[:-1], bias=float(theta[-1]))
