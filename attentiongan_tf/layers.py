"""Building blocks shared by the generators and discriminators.

Every layer here works on NHWC tensors, stores all constructor arguments and
returns them from ``get_config`` so models round-trip through ``.keras`` files.
Layers that must stay in full precision under mixed precision (normalisation) are
created with ``dtype=<owner.variable_dtype>`` (float32 for mixed_float16) by their owners.
"""

from __future__ import annotations

import keras
import tensorflow as tf

PACKAGE = "attentiongan_tf"


def fresh_initializer(initializer) -> keras.initializers.Initializer:
    """A copy of an unseeded initializer with a seed of its own, for one layer.

    A Keras 3 initializer instance draws its seed once: sharing one unseeded
    instance between layers gives them identical weights (same shape) or
    correlated ones (other shapes). Seeded initializers are returned as they are.
    """
    initializer = keras.initializers.get(initializer)
    config = initializer.get_config()
    if "seed" in config and config["seed"] is None:
        return initializer.__class__.from_config(config)
    return initializer


def base_model_config(model: keras.Model) -> dict:
    """The config keys every subclassed model of this package shares (name, trainable, dtype)."""
    return {
        "name": model.name,
        "trainable": model.trainable,
        "dtype": keras.dtype_policies.serialize(model.dtype_policy),
    }


@keras.saving.register_keras_serializable(package=PACKAGE)
class InstanceNormalization(keras.layers.Layer):
    """Instance normalisation over H and W of a 4D NHWC tensor.

    Matches ``torch.nn.InstanceNorm2d`` (biased variance, no running stats).
    Written with 4D reductions only, which keeps TFLite and TF.js exact.

    Args:
        epsilon: added to the variance before the square root.
        affine: learn a per-channel scale ``gamma`` and offset ``beta``.
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> norm = InstanceNormalization()
        >>> norm(tf.random.normal([2, 8, 8, 4])).shape
        TensorShape([2, 8, 8, 4])
    """

    def __init__(self, epsilon: float = 1e-5, affine: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon
        self.affine = affine

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"InstanceNormalization expects NHWC input, got shape {input_shape}")
        channels = input_shape[-1]
        if self.affine:
            self.gamma = self.add_weight(name="gamma", shape=(channels,), initializer="ones")
            self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def call(self, inputs):
        mean = tf.reduce_mean(inputs, axis=[1, 2], keepdims=True)
        centered = inputs - mean
        variance = tf.reduce_mean(tf.square(centered), axis=[1, 2], keepdims=True)
        outputs = centered * tf.math.rsqrt(variance + self.epsilon)
        if self.affine:
            outputs = outputs * self.gamma + self.beta
        return outputs

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "affine": self.affine}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ReflectionPadding2D(keras.layers.Layer):
    """Reflection padding of H and W (PyTorch ``F.pad(..., 'reflect')``).

    Args:
        padding: number of pixels added on every side.
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> ReflectionPadding2D(3)(tf.zeros([1, 8, 8, 3])).shape
        TensorShape([1, 14, 14, 3])
    """

    def __init__(self, padding: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.padding = padding

    def call(self, inputs):
        p = self.padding
        return tf.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")

    def compute_output_shape(self, input_shape):
        grow = lambda n: None if n is None else n + 2 * self.padding  # noqa: E731
        return (input_shape[0], grow(input_shape[1]), grow(input_shape[2]), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package=PACKAGE)
class TorchConvTranspose2D(keras.layers.Layer):
    """``ConvTranspose2d(k, stride, padding=p, output_padding=op)`` with PyTorch alignment.

    The full ('valid') transposed convolution of an n-pixel input has
    ``(n-1)*stride + k`` outputs. PyTorch drops ``p`` pixels at the start and
    ``p - op`` at the end; Keras ``'same'`` would keep a window shifted by one
    pixel, so official weights would give different images. We run 'valid' and
    crop exactly as PyTorch does. For the official ``k3, s2, p1, op1`` the
    output is ``2n`` pixels: rows and columns ``[1, 2n]`` of the full result.

    Args:
        filters: output channels.
        kernel_size: square kernel size.
        strides: upsampling factor.
        padding: PyTorch ``padding`` (pixels cropped from the start).
        output_padding: PyTorch ``output_padding`` (extra pixels kept at the end).
        kernel_initializer: initializer for the kernel.
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> TorchConvTranspose2D(4)(tf.zeros([1, 8, 8, 16])).shape
        TensorShape([1, 16, 16, 4])
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        strides: int = 2,
        padding: int = 1,
        output_padding: int = 1,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not 0 <= output_padding < strides:
            raise ValueError(f"output_padding must be in [0, strides), got {output_padding}")
        if output_padding > padding:
            raise ValueError("output_padding larger than padding is not supported")
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.output_padding = output_padding
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.deconv = keras.layers.Conv2DTranspose(
            filters,
            kernel_size,
            strides=strides,
            padding="valid",
            kernel_initializer=fresh_initializer(self.kernel_initializer),
            name="deconv",
            dtype=self.dtype_policy,
        )

    def build(self, input_shape):
        self.deconv.build(input_shape)

    def call(self, inputs):
        full = self.deconv(inputs)
        start = self.padding
        stop = self.padding - self.output_padding
        end_h = tf.shape(full)[1] - stop
        end_w = tf.shape(full)[2] - stop
        return full[:, start:end_h, start:end_w, :]

    def compute_output_shape(self, input_shape):
        def size(n):
            if n is None:
                return None
            return (n - 1) * self.strides + self.kernel_size - 2 * self.padding + self.output_padding

        return (input_shape[0], size(input_shape[1]), size(input_shape[2]), self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResnetBlock(keras.layers.Layer):
    """Residual block: reflect-pad, 3×3 conv, IN, ReLU, reflect-pad, 3×3 conv, IN, plus skip.

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
        self.conv1 = keras.layers.Conv2D(
            channels,
            3,
            kernel_initializer=fresh_initializer(self.kernel_initializer),
            name="conv1",
            dtype=self.dtype_policy,
        )
        self.norm1 = InstanceNormalization(name="norm1", dtype=self.variable_dtype)
        self.conv2 = keras.layers.Conv2D(
            channels,
            3,
            kernel_initializer=fresh_initializer(self.kernel_initializer),
            name="conv2",
            dtype=self.dtype_policy,
        )
        self.norm2 = InstanceNormalization(name="norm2", dtype=self.variable_dtype)

    def build(self, input_shape):
        padded = (input_shape[0], None, None, self.channels)
        self.conv1.build(padded)
        self.conv2.build(padded)

    def call(self, inputs):
        x = tf.nn.relu(self.norm1(self.conv1(self.pad(inputs))))
        x = self.norm2(self.conv2(self.pad(x)))
        return inputs + tf.cast(x, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "channels": self.channels,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
