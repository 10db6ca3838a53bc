"""Multi-domain objective (StarGAN + AttentionGAN). Every term returns PER-EXAMPLE values (B,), in float32.

Reconstruction and attention TV reuse the two-domain terms (:mod:`attentiongan_tf.training.losses`); this module adds
the WGAN-GP critic terms, the gradient penalty, the domain-classification losses and the attention L1 term.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from attentiongan_tf.training import losses as base
from attentiongan_tf.training.losses import cycle_loss as reconstruction_loss
from attentiongan_tf.training.losses import total_variation_loss
from attentiongan_tf.training.tasks.multi_domain_config import CLASSIFICATION_MODES, MULTI_DOMAIN_GAN_MODES

__all__ = [
    "CLASSIFICATION_MODES",
    "MULTI_DOMAIN_GAN_MODES",
    "attention_l1_loss",
    "discriminator_adversarial_loss",
    "domain_accuracy",
    "domain_classification_loss",
    "generator_adversarial_loss",
    "gradient_penalty",
    "reconstruction_loss",
    "total_variation_loss",
]


def _patch_mean(logits: tf.Tensor) -> tf.Tensor:
    logits = tf.cast(logits, tf.float32)
    return tf.reduce_mean(tf.reshape(logits, [tf.shape(logits)[0], -1]), axis=1)


def discriminator_adversarial_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor, gan_mode: str) -> tf.Tensor:
    """Critic loss on real and fake patch maps.

    ``wgan-gp`` (StarGAN): ``−mean(D(x)) + mean(D(G(x, c)))`` (add :func:`gradient_penalty`);
    ``lsgan``: the two-domain LSGAN discriminator loss ``0.5 · ((D(x) − 1)² + D(G)²)``.
    """
    if gan_mode == "wgan-gp":
        return _patch_mean(fake_logits) - _patch_mean(real_logits)
    if gan_mode == "lsgan":
        return base.discriminator_loss(real_logits, fake_logits, "lsgan")
    raise ValueError(f"gan_mode must be one of {MULTI_DOMAIN_GAN_MODES}, got {gan_mode!r}")


def generator_adversarial_loss(fake_logits: tf.Tensor, gan_mode: str) -> tf.Tensor:
    """Generator loss on the critic's fake patch map: ``−mean(D(G))`` (wgan-gp) or ``(D(G) − 1)²`` (lsgan)."""
    if gan_mode == "wgan-gp":
        return -_patch_mean(fake_logits)
    if gan_mode == "lsgan":
        return base.adversarial_loss(fake_logits, True, "lsgan")
    raise ValueError(f"gan_mode must be one of {MULTI_DOMAIN_GAN_MODES}, got {gan_mode!r}")


def gradient_penalty(
    critic: Callable[[tf.Tensor], tf.Tensor], real: tf.Tensor, fake: tf.Tensor, alpha: tf.Tensor
) -> tf.Tensor:
    """WGAN-GP penalty ``(‖∇_x̂ Σ D(x̂)‖₂ − 1)²`` per example, with ``x̂ = α·real + (1 − α)·fake``.

    Args:
        critic: maps images (B, H, W, 3) to patch logits (B, h, w, 1); the gradient of their sum per example
            is taken, as StarGAN's ``grad_outputs=ones``.
        real: real images.
        fake: generated images (treated as constants).
        alpha: (B, 1, 1, 1) interpolation weights in [0, 1].
    """
    real, fake = tf.cast(real, tf.float32), tf.cast(tf.stop_gradient(fake), tf.float32)
    mixed = alpha * real + (1.0 - alpha) * fake
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        logits = tf.cast(critic(mixed), tf.float32)
    gradients = tape.gradient(logits, mixed)
    norm = tf.sqrt(tf.reduce_sum(tf.square(tf.reshape(gradients, [tf.shape(gradients)[0], -1])), axis=1) + 1e-12)
    return tf.square(norm - 1.0)


def domain_classification_loss(logits: tf.Tensor, labels: tf.Tensor, mode: str) -> tf.Tensor:
    """Auxiliary classifier loss per example.

    ``multi_label`` (CelebA attributes): sigmoid cross-entropy SUMMED over attributes (StarGAN's
    ``BCE(size_average=False) / batch``); ``single_label`` (RaFD expressions, one-hot labels): softmax
    cross-entropy.
    """
    logits, labels = tf.cast(logits, tf.float32), tf.cast(labels, tf.float32)
    if mode == "multi_label":
        return tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits), axis=1)
    if mode == "single_label":
        return tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    raise ValueError(f"classification mode must be one of {CLASSIFICATION_MODES}, got {mode!r}")


def domain_accuracy(logits: tf.Tensor, labels: tf.Tensor, mode: str) -> tf.Tensor:
    """Per-example classifier accuracy: argmax hit (single_label) or the fraction of attributes right at 0.5."""
    logits, labels = tf.cast(logits, tf.float32), tf.cast(labels, tf.float32)
    if mode == "single_label":
        return tf.cast(tf.equal(tf.argmax(logits, -1), tf.argmax(labels, -1)), tf.float32)
    if mode == "multi_label":
        return tf.reduce_mean(tf.cast(tf.equal(tf.cast(logits > 0.0, tf.float32), labels), tf.float32), axis=1)
    raise ValueError(f"classification mode must be one of {CLASSIFICATION_MODES}, got {mode!r}")


def attention_l1_loss(attention: tf.Tensor) -> tf.Tensor:
    """Mean foreground attention ``1 − background`` per example; a small weight keeps the masks sparse."""
    return tf.reduce_mean(base.foreground(attention), axis=[1, 2, 3])
