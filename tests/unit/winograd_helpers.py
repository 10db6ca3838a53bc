"""Shared helpers of the Winograd tests (float32 F(4×4, 3×3) and bfloat16 F(2×2, 3×3)): the direct convolution
they are compared with, its values and both gradients, and the error measure."""

from __future__ import annotations

import tensorflow as tf


def relative_error(expected: tf.Tensor, got: tf.Tensor) -> float:
    """The largest absolute difference, relative to the largest magnitude of ``expected``."""
    return float(tf.reduce_max(tf.abs(expected - got)) / tf.reduce_max(tf.abs(expected)))


def values_and_gradients(conv, inputs: tf.Tensor, kernel: tf.Tensor, upstream_seed: int = 3):
    """``conv(inputs, kernel)`` and the gradients of its inputs and kernel for a seeded random upstream."""
    with tf.GradientTape() as tape:
        tape.watch([inputs, kernel])
        outputs = conv(inputs, kernel)
        upstream = tf.random.stateless_normal(tf.shape(outputs), seed=[upstream_seed, 0], dtype=outputs.dtype)
        loss = tf.reduce_sum(outputs * upstream)
    return (outputs, *tape.gradient(loss, [inputs, kernel]))


def direct(inputs, kernel):
    """The direct (oneDNN) 3×3 convolution, no padding."""
    return tf.nn.conv2d(inputs, kernel, 1, "VALID")
