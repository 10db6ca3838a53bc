import math

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.training import losses as L


def test_lsgan_hand_computed():
    logits = tf.constant([[[[0.5]], [[1.5]]], [[[2.0]], [[0.0]]]])  # (2, 2, 1, 1)
    np.testing.assert_allclose(L.adversarial_loss(logits, True), [(0.25 + 0.25) / 2, (1.0 + 1.0) / 2])
    np.testing.assert_allclose(L.adversarial_loss(logits, False), [(0.25 + 2.25) / 2, (4.0 + 0.0) / 2])


def test_vanilla_hand_computed():
    logits = tf.constant([[[[0.0]]], [[[2.0]]]])
    real = L.adversarial_loss(logits, True, "vanilla")
    fake = L.adversarial_loss(logits, False, "vanilla")
    np.testing.assert_allclose(real, [math.log(2.0), -math.log(1 / (1 + math.exp(-2.0)))], rtol=1e-6)
    np.testing.assert_allclose(fake, [math.log(2.0), -math.log(1 - 1 / (1 + math.exp(-2.0)))], rtol=1e-6)


def test_unknown_gan_mode():
    with pytest.raises(ValueError, match="gan_mode"):
        L.adversarial_loss(tf.zeros([1, 1, 1, 1]), True, "wgan")


def test_discriminator_loss_is_halved():
    real, fake = tf.fill([1, 2, 2, 1], 0.5), tf.fill([1, 2, 2, 1], 0.5)
    np.testing.assert_allclose(L.discriminator_loss(real, fake), [0.5 * (0.25 + 0.25)])


def test_l1_family_per_example():
    a = tf.constant([[[[1.0, -1.0, 0.0]]], [[[0.0, 0.0, 0.0]]]])
    b = tf.constant([[[[0.0, 0.0, 0.0]]], [[[0.5, 0.5, 0.5]]]])
    expected = [2.0 / 3.0, 0.5]
    for fn in (L.l1_loss, L.cycle_loss, L.identity_loss, L.pixel_loss):
        np.testing.assert_allclose(fn(a, b), expected, rtol=1e-6)


def test_total_variation_hand_computed():
    mask = tf.constant([[0.0, 1.0], [1.0, 1.0]])[tf.newaxis, :, :, tf.newaxis]
    # vertical diffs: |1-0| + |1-1| = 1; horizontal diffs: |1-0| + |1-1| = 1.
    np.testing.assert_allclose(L.total_variation_loss(tf.concat([mask, 2 * mask], 0)), [2.0, 4.0])


def test_curriculum_weight():
    assert float(L.curriculum_weight(0, 10)) == pytest.approx(0.01)
    assert float(L.curriculum_weight(9, 10)) == pytest.approx(0.01)
    assert float(L.curriculum_weight(10, 10)) == pytest.approx(0.5)


def test_foreground_and_mask_statistics():
    attention = tf.constant([[[[0.25, 0.75], [1.0, 0.0]]]])  # (1, 1, 2, 2); last channel = background
    np.testing.assert_allclose(L.foreground(attention)[..., 0], [[[0.25, 1.0]]])
    stats = L.mask_statistics(attention)
    assert float(stats["background_mean"]) == pytest.approx(0.375)
    entropy = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75)) / 2
    assert float(stats["entropy"]) == pytest.approx(entropy, rel=1e-5)
