"""Activations whose gradients are written for Grappler, with the values and gradients of TensorFlow's own."""

from __future__ import annotations

import tensorflow as tf


def leaky_relu(inputs: tf.Tensor, alpha: float) -> tf.Tensor:
    """``tf.nn.leaky_relu`` whose gradient reads the activation's output instead of its input.

    With ``0 < alpha``, ``output > 0`` exactly where ``input > 0`` (an input whose ``alpha`` multiple rounds to
    zero gives the slope ``alpha`` either way), so ``LeakyReluGrad`` gives the same gradient from either. Reading the
    output leaves a convolution's bias-add with the activation as its only consumer: Grappler's remapper can fuse
    the three into one oneDNN op, where with TensorFlow's own gradient it fuses them anyway and then fails on the
    gradient's read of the removed bias-add, dropping that run of the pass for the graph
    (tests/training/test_grappler_remapper.py).

    Args:
        inputs: a float tensor.
        alpha: the slope for negative inputs, ``> 0``.

    Example:
        >>> import tensorflow as tf
        >>> leaky_relu(tf.constant([-2.0, 3.0]), 0.2).numpy().tolist()
        [-0.4000000059604645, 3.0]
    """
    if not alpha > 0:
        raise ValueError(f"leaky_relu: alpha must be > 0 (got {alpha}) for its output to tell the input's sign")

    @tf.custom_gradient
    def activation(x):
        outputs = tf.nn.leaky_relu(x, alpha)

        def gradient(upstream):
            return tf.raw_ops.LeakyReluGrad(gradients=upstream, features=outputs, alpha=alpha)

        return outputs, gradient

    return activation(inputs)
