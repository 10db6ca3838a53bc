import numpy as np
import pytest

from attentiongan_tf.metrics.target_probe import fit_domain_probe


def test_probe_separates_domains_and_scores_translations():
    rng = np.random.default_rng(0)
    a = rng.normal(0.0, 1.0, (80, 16))
    b = rng.normal(0.0, 1.0, (120, 16))
    b[:, 0] += 4.0  # domain B differs along one feature only
    probe = fit_domain_probe(a, b)
    assert probe.share_classified_as_b(rng.normal(0.0, 1.0, (100, 16))) < 0.1
    shifted = rng.normal(0.0, 1.0, (100, 16))
    shifted[:, 0] += 4.0
    assert probe.share_classified_as_b(shifted) > 0.9
    assert np.argmax(np.abs(probe.weights)) == 0


def test_probe_balances_unequal_domain_sizes():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, (20, 4)), rng.normal(0, 1, (400, 4))  # indistinguishable, 1:20
    probe = fit_domain_probe(a, b)
    assert 0.2 < probe.share_classified_as_b(rng.normal(0, 1, (500, 4))) < 0.8


def test_probe_rejects_bad_shapes():
    with pytest.raises(ValueError, match="at least 2 images"):
        fit_domain_probe(np.zeros((1, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError):
        fit_domain_probe(np.zeros((5, 3)), np.zeros((5, 4)))
