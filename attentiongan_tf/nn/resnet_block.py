"""The residual block of the generators' encoders, and how its 3×3 convolutions are computed."""

from __future__ import annotations

import contextlib

import keras
import tensorflow as tf

from attentiongan_tf.nn.layers import (
    PACKAGE,
    InstanceNormalization,
    ReflectionPadding2D,
    fresh_initializer,
    layers_of,
    switched_implementation,
)
from attentiongan_tf.nn.recompute import recompute_in_backward, recomputes
from attentiongan_tf.nn.winograd import winograd_conv3x3
from attentiongan_tf.nn.winograd_deploy import winograd_conv3x3_constant

#: How :class:`ResnetBlock` computes its 3×3 convolutions: ``direct`` (Keras ``Conv2D``: oneDNN, cuDNN) or
#: ``winograd`` (:func:`~attentiongan_tf.nn.winograd.winograd_conv3x3`, float32 or bfloat16 training).
CONV_ALGORITHMS = ("direct", "winograd")
# The deploy form's value of ``ResnetBlock.conv_algorithm`` for each of DEPLOY_CONV_ALGORITHMS.
_DEPLOY_IMPLEMENTATION = {"direct": "direct", "winograd": "winograd_constant"}
#: How an exported graph computes them (:func:`deploy_convolutions`): ``direct``, or ``winograd`` with the weights
#: frozen as transformed constants (:func:`~attentiongan_tf.nn.winograd_deploy.winograd_conv3x3_constant`).
DEPLOY_CONV_ALGORITHMS = tuple(_DEPLOY_IMPLEMENTATION)


def use_conv_algorithm(model: keras.Layer, algorithm: str) -> int:
    """Set the ``conv_algorithm`` (one of :data:`CONV_ALGORITHMS`) of every :class:`ResnetBlock` of ``model``
    (for training: ``train.conv_algorithm``); returns the number of blocks set."""
    if algorithm not in CONV_ALGORITHMS:
        raise ValueError(f"conv_algorithm must be one of {CONV_ALGORITHMS}, got {algorithm!r}")
    blocks = layers_of(model, ResnetBlock)
    for block in blocks:
        block.conv_algorithm = algorithm
    return len(blocks)


def deploy_convolutions(model: keras.Layer, algorithm: str = "direct") -> contextlib.AbstractContextManager[int]:
    """Temporarily compute every :class:`ResnetBlock` of ``model`` the deploy way ``algorithm`` (one of
    :data:`DEPLOY_CONV_ALGORITHMS`), whatever a trainer set: exporters trace inside this block. The previous
    algorithms are restored on exit."""
    if algorithm not in DEPLOY_CONV_ALGORITHMS:
        raise ValueError(f"deploy conv_algorithm must be one of {DEPLOY_CONV_ALGORITHMS}, got {algorithm!r}")
    return switched_implementation(
        layers_of(model, ResnetBlock), _DEPLOY_IMPLEMENTATION[algorithm], attribute="conv_algorithm"
    )


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResnetBlock(keras.layers.Layer):
    """Residual block: reflect-pad, 3×3 conv, IN, ReLU, reflect-pad, 3×3 conv, IN, plus skip.

    ``conv_algorithm`` (not part of the config, see :func:`use_conv_algorithm`) is ``"direct"`` (Keras ``Conv2D``)
    or ``"winograd"`` (:func:`~attentiongan_tf.nn.winograd.winograd_conv3x3` on the same weights, float32 or
    bfloat16);
    exporters trace with ``"winograd_constant"`` (:func:`deploy_convolutions`: the weights' current values frozen
    into the graph, no gradient). In float32 training it keeps only its input and its convolutions' outputs for the
    backward pass (``recompute_activations``, not part of the config: :mod:`attentiongan_tf.nn.recompute`).

    Args:
        channels: input and output channels.
        kernel_initializer: initializer for both convolutions.
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> ResnetBlock(8)(tf.zeros([1, 16, 16, 8])).shape
        TensorShape([1, 16, 16, 8])
    """

    def __init__(self, channels: int, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.pad = ReflectionPadding2D(1, name="pad")
        self.conv1 = self._conv3x3("conv1")
        self.norm1 = InstanceNormalization(name="norm1", dtype=self.variable_dtype)
        self.conv2 = self._conv3x3("conv2")
        self.norm2 = InstanceNormalization(name="norm2", dtype=self.variable_dtype)
        self.conv_algorithm = "direct"
        self.recompute_activations = True  # see nn.recompute.use_recompute; not part of the config

    def _conv3x3(self, name: str) -> keras.layers.Conv2D:
        initializer = fresh_initializer(self.kernel_initializer)
        return keras.layers.Conv2D(self.channels, 3, kernel_initializer=initializer, name=name, dtype=self.dtype_policy)

    def build(self, input_shape):
        padded = (input_shape[0], None, None, self.channels)
        self.conv1.build(padded)
        self.conv2.build(padded)

    def call(self, inputs, training=None):
        recompute = recomputes(self, training)
        # The first convolution keeps the block's input rather than its padded copy (Winograd pads inside); the
        # second keeps only the first one's output, which its norm needs anyway (nn.recompute).
        x = recompute_in_backward(
            lambda h: self._pad_and_convolve(self.conv1, h), inputs, recompute and self.conv_algorithm == "direct"
        )
        x = recompute_in_backward(
            lambda h: self._pad_and_convolve(self.conv2, tf.nn.relu(self.norm1(h, training=training))), x, recompute
        )
        x = self.norm2(x, training=training)
        return inputs + tf.cast(x, inputs.dtype)

    def _pad_and_convolve(self, conv: keras.layers.Conv2D, inputs):
        if self.conv_algorithm == "winograd":  # pads inside, so that its backward pass keeps the unpadded inputs
            dtype = conv.compute_dtype  # bfloat16 under mixed precision, as the direct Conv2D computes
            kernel, bias = (tf.cast(weight, dtype) for weight in (conv.kernel, conv.bias))
            return tf.nn.bias_add(winograd_conv3x3(tf.cast(inputs, dtype), kernel, padding="reflect"), bias)
        if self.conv_algorithm == "winograd_constant":
            with tf.init_scope():  # the kernel's value now, even while a tf.function is being traced
                kernel = keras.ops.convert_to_numpy(conv.kernel)
            padded = self.pad(inputs)
            # The exported graphs pad images so that Winograd's tiles cover the blocks' maps (export.serving).
            outputs = winograd_conv3x3_constant(padded, kernel, whole_tiles=True)
            return tf.nn.bias_add(outputs, tf.cast(conv.bias, inputs.dtype))
        return conv(self.pad(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "channels": self.channels,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
