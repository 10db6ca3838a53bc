"""Building blocks shared by the generators and discriminators.

Every layer here works on NHWC tensors, stores all constructor arguments and
returns them from ``get_config`` so models round-trip through ``.keras`` files.
Layers that must stay in full precision under mixed precision (normalisation) are
created with ``dtype=<owner.variable_dtype>`` (float32 for mixed_float16) by their owners.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keras
import tensorflow as tf

from attentiongan_tf.nn.captured import made_once
from attentiongan_tf.nn.shapes import dims

PACKAGE = "attentiongan_tf"
#: How :class:`ReflectionPadding2D` computes: one ``MirrorPad`` op, or edge slices concatenated around the input.
REFLECT_IMPLEMENTATIONS = ("pad", "slices")
#: How :class:`InstanceNormalization` takes means over H and W: ``reduce_mean``, a full-size average pool, or a
#: matrix product with a column of 1/(H·W).
NORM_IMPLEMENTATIONS = ("reduce", "pool", "matmul")


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
    Inference (``training`` falsy) uses 4D reductions only, which keeps TFLite
    and TF.js exact; ``training=True`` uses TensorFlow's fused batch-norm kernel
    (same numbers, faster and lighter for back-propagation). ``implementation``
    (not part of the config) is ``"reduce"`` (``reduce_mean``), ``"pool"``: an
    average pool over the whole H × W where both are known when traced (else
    ``reduce_mean``), or ``"matmul"``: the ``[H·W, C]`` image transposed times a
    column of 1/(H·W), at any size. TF.js wasm runs both in a fraction of the
    time of its ``Mean``, which transposes the tensor first (0.64 → 0.09 s for
    the 50 means of a 256² generator); its exports switch to them (see
    :func:`deploy_normalization`).

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
        self.implementation = "reduce"
        # Inputs keep their dtype (call casts them): see call.
        self._convert_input_args = False

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"InstanceNormalization expects NHWC input, got shape {input_shape}")
        channels = input_shape[-1]
        if self.affine:
            self.gamma = self.add_weight(name="gamma", shape=(channels,), initializer="ones")
            self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def call(self, inputs, training=None):
        # Under mixed precision (a float32 norm fed bfloat16 / float16 convolution outputs) the fused training
        # kernel takes the half-precision tensor itself and computes its statistics in float32; its output is
        # rounded to the input's dtype, which the next convolution would do anyway. That spares a cast on each
        # side of every norm, forward and backward. Everything else computes in the layer's own dtype.
        half = inputs.dtype in (tf.bfloat16, tf.float16) and self.compute_dtype == "float32"
        if not (training and half):
            inputs = tf.cast(inputs, self.compute_dtype)
        if training and inputs.dtype != tf.float64:  # the fused kernel has no float64 version
            return self._fused(inputs)
        pooled = self.implementation == "pool" and None not in inputs.shape[1:3]
        spatial_mean = _pooled_mean if pooled else _matmul_mean if self.implementation == "matmul" else _reduce_mean
        mean = spatial_mean(inputs)
        centered = inputs - mean
        variance = spatial_mean(tf.square(centered))
        outputs = centered * tf.math.rsqrt(variance + self.epsilon)
        if self.affine:
            outputs = outputs * self.gamma + self.beta
        return outputs

    def _fused(self, inputs):
        # Instance norm of (B, H, W, C) is batch norm of (1, H, W, B*C): the fused kernel and its gradient take
        # half the time of the composite ops and keep fewer activations for the backward pass. TFLite and TF.js
        # have no FusedBatchNorm builtin, so inference graphs (training=False) keep the composite form.
        single = inputs.shape[0] == 1
        batch, height, width, channels = dims(inputs)
        if not single:
            inputs = tf.reshape(tf.transpose(inputs, [1, 2, 0, 3]), [1, height, width, batch * channels])
        scale = tf.tile(self.gamma, [batch]) if self.affine else _filled(batch * channels, 1.0)
        offset = tf.tile(self.beta, [batch]) if self.affine else _filled(batch * channels, 0.0)
        outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(inputs, scale, offset, epsilon=self.epsilon, is_training=True)
        if single:
            return outputs
        return tf.transpose(tf.reshape(outputs, [height, width, batch, channels]), [2, 0, 1, 3])

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "affine": self.affine}


def _filled(size, value: float) -> tf.Tensor:
    """A float32 vector of ``size`` copies of ``value``: one captured tensor per size where ``size`` is known when
    traced (:func:`~attentiongan_tf.nn.captured.made_once`)."""
    return _captured_fill(size, value) if isinstance(size, int) else tf.fill([size], value)


@made_once
def _captured_fill(size: int, value: float) -> tf.Tensor:
    return tf.fill([size], value)


def _reduce_mean(inputs: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(inputs, axis=[1, 2], keepdims=True)


def _pooled_mean(inputs: tf.Tensor) -> tf.Tensor:
    size = inputs.shape[1:3]
    return tf.nn.avg_pool2d(inputs, size, size, "VALID")


def _matmul_mean(inputs: tf.Tensor) -> tf.Tensor:
    # The image [pixels, channels] transposed times a column of 1/pixels: TF.js wasm packs the right-hand operand
    # for each product, which costs next to nothing for the column (the image there would cost more than the product).
    shape = tf.shape(inputs)
    batch, pixels, channels = shape[0], shape[1] * shape[2], inputs.shape[-1]
    column = tf.fill(tf.stack([batch, pixels, 1]), 1.0 / tf.cast(pixels, inputs.dtype))
    image = tf.reshape(inputs, tf.stack([batch, pixels, channels]))
    mean = tf.matmul(image, column, adjoint_a=True)  # [batch, channels, 1]
    return tf.reshape(mean, tf.stack([batch, 1, 1, channels]))


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
        #: ``"pad"`` (training) or ``"slices"`` (exports, see :func:`deploy_reflection`); not part of the config.
        self.implementation = "pad"

    def call(self, inputs):
        p = self.padding
        if self.implementation == "slices":
            return _reflect_axis(_reflect_axis(inputs, p, 1), p, 2)
        return tf.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")

    def compute_output_shape(self, input_shape):
        grow = lambda n: None if n is None else n + 2 * self.padding  # noqa: E731
        return (input_shape[0], grow(input_shape[1]), grow(input_shape[2]), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


def _edge(inputs: tf.Tensor, start: int, axis: int) -> tf.Tensor:
    """The single row (``axis`` 1) or column (``axis`` 2) at ``start`` (negative: from the end), kept 4-D."""
    stop = start + 1 or None
    return inputs[:, start:stop] if axis == 1 else inputs[:, :, start:stop]


def _reflect_axis(inputs: tf.Tensor, padding: int, axis: int) -> tf.Tensor:
    """Reflection padding of one axis as slices and concatenations (the same numbers as ``MirrorPad``).

    XNNPACK (TFLite) has no MirrorPad: each one splits the delegated graph. Slices and concatenations of at
    most three inputs are delegated; the ``padding`` edge rows on each side are concatenated first.
    """
    before = [_edge(inputs, i, axis) for i in range(padding, 0, -1)]
    after = [_edge(inputs, -1 - i, axis) for i in range(1, padding + 1)]
    join = lambda parts: parts[0] if len(parts) == 1 else tf.concat(parts, axis)  # noqa: E731
    return tf.concat([join(before), inputs, join(after)], axis)


@contextlib.contextmanager
def switched_implementation(
    layers: list[keras.Layer],
    implementation: str,
    allowed: tuple[str, ...] | None = None,
    attribute: str = "implementation",
) -> Iterator[int]:
    """Set ``attribute`` to ``implementation`` on each of ``layers`` for the ``with`` block, restoring the previous
    values on exit.

    Raises ``ValueError`` when ``allowed`` is given and ``implementation`` is not in it. Yields the number of
    layers switched.
    """
    if allowed is not None and implementation not in allowed:
        raise ValueError(f"implementation must be one of {allowed}, got {implementation!r}")
    previous = [getattr(layer, attribute) for layer in layers]
    try:
        for layer in layers:
            setattr(layer, attribute, implementation)
        yield len(layers)
    finally:
        for layer, value in zip(layers, previous, strict=True):
            setattr(layer, attribute, value)


def layers_of(model: keras.Layer, kind: type) -> list:
    """Every layer of type ``kind`` in ``model`` (``model`` itself included)."""
    return [layer for layer in model._flatten_layers(include_self=True) if isinstance(layer, kind)]


def deploy_reflection(model: keras.Layer, implementation: str = "slices") -> contextlib.AbstractContextManager[int]:
    """Temporarily switch every :class:`ReflectionPadding2D` of ``model`` to ``implementation``.

    Trace (export) the model inside the ``with`` block; the previous implementations are restored on exit.
    Yields the number of layers switched.
    """
    return switched_implementation(layers_of(model, ReflectionPadding2D), implementation, REFLECT_IMPLEMENTATIONS)


def deploy_normalization(model: keras.Layer, implementation: str = "pool") -> contextlib.AbstractContextManager[int]:
    """Temporarily switch every :class:`InstanceNormalization` of ``model`` to ``implementation``.

    ``"pool"`` pools only where H and W are known when traced (a fixed-size graph), else keeps ``reduce_mean``;
    ``"matmul"`` works at any size.
    Yields the number of layers switched; the previous implementations are restored on exit.
    """
    return switched_implementation(layers_of(model, InstanceNormalization), implementation, NORM_IMPLEMENTATIONS)


def __getattr__(name: str):
    # ResnetBlock lived here before nn.resnet_block; the old import path keeps working (lazily: no import cycle).
    if name == "ResnetBlock":
        from attentiongan_tf.nn.resnet_block import ResnetBlock

        return ResnetBlock
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
