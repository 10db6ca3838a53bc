"""AttentionGAN objective (paper Sec. 3.3). Every term is a pure function returning PER-EXAMPLE values (B,).

Per-example values let the trainer average over the GLOBAL batch (``tf.nn.compute_average_loss``), so the
result does not depend on how many replicas share a batch. Inputs are float tensors; everything is computed
in float32 whatever the model's compute dtype.
"""

from __future__ import annotations

import tensorflow as tf

from attentiongan_tf.training.config import TWO_DOMAIN_GAN_MODES


def _per_example_mean(values: tf.Tensor) -> tf.Tensor:
    """Mean over every axis but the batch axis."""
    values = tf.cast(values, tf.float32)
    return tf.reduce_mean(tf.reshape(values, [tf.shape(values)[0], -1]), axis=1)


def adversarial_loss(logits: tf.Tensor, target_is_real: bool, gan_mode: str = "lsgan") -> tf.Tensor:
    """Adversarial loss of PatchGAN logits against an all-real or all-fake target (paper Eq. 5).

    ``lsgan`` (official default): mean of ``(logit - target)²`` with target 1 (real) or 0 (fake).
    ``vanilla``: binary cross-entropy with logits, ``-log σ(x)`` (real) or ``-log(1 - σ(x))`` (fake).
    Generators use ``target_is_real=True`` on their fakes.
    """
    logits = tf.cast(logits, tf.float32)
    target = tf.ones_like(logits) if target_is_real else tf.zeros_like(logits)
    if gan_mode == "lsgan":
        return _per_example_mean(tf.square(logits - target))
    if gan_mode == "vanilla":
        return _per_example_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=logits))
    raise ValueError(f"gan_mode must be one of {TWO_DOMAIN_GAN_MODES}, got {gan_mode!r}")


def discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor, gan_mode: str = "lsgan") -> tf.Tensor:
    """Discriminator loss, halved as in the official code: ``0.5 · (L(real, 1) + L(fake, 0))``."""
    real = adversarial_loss(real_logits, True, gan_mode)
    fake = adversarial_loss(fake_logits, False, gan_mode)
    return 0.5 * (real + fake)


def l1_loss(prediction: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """Mean absolute error per example; the cycle (Eq. 10), identity and pixel (Eq. 8) losses all use it."""
    return _per_example_mean(tf.abs(tf.cast(prediction, tf.float32) - tf.cast(target, tf.float32)))


def cycle_loss(reconstruction: tf.Tensor, original: tf.Tensor) -> tf.Tensor:
    """Cycle-consistency loss ``|F(G(x)) − x|₁`` (paper Eq. 10), unweighted."""
    return l1_loss(reconstruction, original)


def identity_loss(same_domain_output: tf.Tensor, image: tf.Tensor) -> tf.Tensor:
    """Identity loss ``|G(y) − y|₁`` (official ``loss_idt``), unweighted."""
    return l1_loss(same_domain_output, image)


def pixel_loss(translated: tf.Tensor, source: tf.Tensor) -> tf.Tensor:
    """Pixel loss ``|G(x) − x|₁`` (paper Eq. 8, scheme I): keeps the translation close to the input."""
    return l1_loss(translated, source)


def total_variation_loss(attention: tf.Tensor) -> tf.Tensor:
    """Total-variation attention loss (paper Eq. 7) per example.

    ``Σ_{w,h} |A_{w+1,h} − A_{w,h}| + |A_{w,h+1} − A_{w,h}|`` summed over pixels and mask channels, as in the
    paper; it is large, so its weight is small (``lambda_tv`` about 1e-6 in the paper's face experiments).
    """
    attention = tf.cast(attention, tf.float32)
    dy = tf.abs(attention[:, 1:, :, :] - attention[:, :-1, :, :])
    dx = tf.abs(attention[:, :, 1:, :] - attention[:, :, :-1, :])
    return tf.reduce_sum(dy, axis=[1, 2, 3]) + tf.reduce_sum(dx, axis=[1, 2, 3])


def background_prior(attention: tf.Tensor, target: float = 0.0) -> tf.Tensor:
    """Penalty on copying the input: ``max(0, mean background weight − target)`` per example.

    The background mask passes the input through unchanged, and the cycle and identity losses are smallest
    when it covers every pixel, so without a counterweight the attention collapses to "copy everything"
    (GANimation, Pumarola et al. 2018, regularise their copy mask for the same reason). With ``target`` 0
    this is GANimation's plain mean penalty; with ``target`` t it only acts once more than a share t of
    the image is copied, leaving the remaining share to the adversarial loss.
    """
    background = tf.cast(attention[..., -1], tf.float32)
    return tf.nn.relu(_per_example_mean(background) - target)


def curriculum_weight(step: tf.Tensor, switch_step: int, early: float = 0.01, late: float = 0.5) -> tf.Tensor:
    """Curriculum weight r of paper Eq. 9: ``early`` before ``switch_step`` (10 epochs in the paper), then ``late``."""
    early, late = tf.constant(early, tf.float32), tf.constant(late, tf.float32)
    return tf.where(tf.cast(step, tf.int64) < switch_step, early, late)


def foreground(attention: tf.Tensor) -> tf.Tensor:
    """Foreground attention ``1 − background`` (B, H, W, 1); the background is always the LAST mask."""
    return 1.0 - tf.cast(attention[..., -1:], tf.float32)


def mask_statistics(attention: tf.Tensor) -> dict[str, tf.Tensor]:
    """Batch statistics of softmax masks: mean background weight and mean per-pixel entropy (nats)."""
    attention = tf.cast(attention, tf.float32)
    entropy = -tf.reduce_sum(attention * tf.math.log(tf.maximum(attention, 1e-8)), axis=-1)
    return {"background_mean": tf.reduce_mean(attention[..., -1]), "entropy": tf.reduce_mean(entropy)}
