"""Values of the multi-domain loss terms against hand-computed numbers."""

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.training.tasks import multi_domain_losses as L


def test_wgan_terms():
    real = tf.constant([[[[2.0]], [[4.0]]], [[[0.0]], [[0.0]]]])  # (2, 2, 1, 1): means 3 and 0
    fake = tf.constant([[[[1.0]], [[1.0]]], [[[-1.0]], [[3.0]]]])  # means 1 and 1
    np.testing.assert_allclose(L.discriminator_adversarial_loss(real, fake, "wgan-gp"), [-2.0, 1.0])
    np.testing.assert_allclose(L.generator_adversarial_loss(fake, "wgan-gp"), [-1.0, -1.0])


def test_lsgan_terms():
    real, fake = tf.ones([1, 2, 2, 1]), tf.fill([1, 2, 2, 1], 0.5)
    np.testing.assert_allclose(L.discriminator_adversarial_loss(real, fake, "lsgan"), [0.125])
    np.testing.assert_allclose(L.generator_adversarial_loss(fake, "lsgan"), [0.25])
    with pytest.raises(ValueError, match="gan_mode"):
        L.generator_adversarial_loss(fake, "hinge")


def test_classification_losses():
    logits = tf.constant([[2.0, -1.0, 0.0]])
    labels = tf.constant([[1.0, 0.0, 1.0]])
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    bce = -(np.log(sig(2.0)) + np.log(1 - sig(-1.0)) + np.log(sig(0.0)))
    np.testing.assert_allclose(L.domain_classification_loss(logits, labels, "multi_label"), [bce], rtol=1e-6)
    one_hot = tf.constant([[0.0, 1.0, 0.0]])
    ce = -np.log(np.exp(-1.0) / np.exp([2.0, -1.0, 0.0]).sum())
    np.testing.assert_allclose(L.domain_classification_loss(logits, one_hot, "single_label"), [ce], rtol=1e-6)
    np.testing.assert_allclose(L.domain_accuracy(logits, one_hot, "single_label"), [0.0])
    np.testing.assert_allclose(L.domain_accuracy(logits, labels, "multi_label"), [2 / 3])
    with pytest.raises(ValueError, match="classification"):
        L.domain_classification_loss(logits, labels, "softmax")


def test_gradient_penalty_linear_critic():
    # critic(x) = sum(w * x) per example: the gradient is w everywhere, whatever x̂.
    w = tf.fill([1, 4, 4, 3], 0.25)
    critic = lambda x: tf.reduce_sum(w * x, axis=[1, 2, 3], keepdims=True)  # noqa: E731
    real, fake = tf.random.normal([2, 4, 4, 3], seed=1), tf.random.normal([2, 4, 4, 3], seed=2)
    alpha = tf.constant([0.3, 0.9])[:, None, None, None]
    norm = np.sqrt(48 * 0.25**2)
    np.testing.assert_allclose(L.gradient_penalty(critic, real, fake, alpha), [(norm - 1) ** 2] * 2, rtol=1e-5)


def test_gradient_penalty_uses_interpolates_in_tf_function():
    critic = lambda x: tf.reduce_sum(tf.square(x), axis=[1, 2, 3], keepdims=True)  # noqa: E731  grad = 2x̂
    real, fake = tf.ones([1, 2, 2, 1]), tf.zeros([1, 2, 2, 1])
    penalty = tf.function(L.gradient_penalty)(critic, real, fake, tf.fill([1, 1, 1, 1], 0.5))
    np.testing.assert_allclose(penalty, [(np.sqrt(4 * 1.0**2) - 1) ** 2], rtol=1e-5)  # x̂ = 0.5 → grad 1


def test_reconstruction_tv_and_attention_l1():
    attention = tf.concat([tf.fill([1, 2, 2, 1], 0.25), tf.fill([1, 2, 2, 1], 0.75)], -1)
    np.testing.assert_allclose(L.attention_l1_loss(attention), [0.25])
    np.testing.assert_allclose(L.reconstruction_loss(tf.ones([1, 2, 2, 3]), tf.zeros([1, 2, 2, 3])), [1.0])
    step = tf.constant([[[[0.0], [1.0]], [[0.0], [1.0]]]])
    np.testing.assert_allclose(L.total_variation_loss(step), [2.0])
