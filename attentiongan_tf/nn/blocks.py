"""The encoder and decoder heads that the AttentionGAN generators are made of."""

from __future__ import annotations

import contextlib

import keras
import tensorflow as tf

from attentiongan_tf.nn.conv_transpose import TorchConvTranspose2D
from attentiongan_tf.nn.layers import (
    PACKAGE,
    InstanceNormalization,
    ReflectionPadding2D,
    fresh_initializer,
    layers_of,
    switched_implementation,
)
from attentiongan_tf.nn.recompute import recompute_in_backward, recomputes
from attentiongan_tf.nn.resnet_block import ResnetBlock

_ZERO_PAD_1 = [[0, 0], [1, 1], [1, 1], [0, 0]]
ACTIVATIONS = ("tanh", "sigmoid", "softmax", "linear")
#: How :class:`DecoderHead` computes ``tanh``: the ``Tanh`` op, or ``2·sigmoid(2x) − 1`` (the same function).
TANH_IMPLEMENTATIONS = ("tanh", "sigmoid")


def official_initializer(std: float) -> keras.initializers.Initializer:
    """N(0, std) kernels, as the official code's ``weight_init(0, 0.02)``."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=std)


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResnetEncoder(keras.layers.Layer):
    """Shared encoder: 7×7 conv, two stride-2 3×3 convs, then ``n_blocks`` ResNet blocks.

    Output has ``4 * ngf`` channels at 1/4 of the input resolution. Convs are
    followed by instance norm and ReLU; the 7×7 conv uses reflection padding,
    the stride-2 convs zero padding of 1 (PyTorch ``padding=1`` alignment). In float32 training the norms,
    ReLUs and paddings are computed again in the backward pass instead of kept (``recompute_activations``, not
    part of the config: :mod:`attentiongan_tf.nn.recompute`).

    Args:
        ngf: channels of the first conv.
        n_blocks: number of ResNet blocks.
        init_std: standard deviation of the N(0, std) kernel initializer.
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> ResnetEncoder(ngf=4, n_blocks=1)(tf.zeros([1, 16, 16, 3])).shape
        TensorShape([1, 4, 4, 16])
    """

    def __init__(self, ngf: int = 64, n_blocks: int = 9, init_std: float = 0.02, **kwargs):
        super().__init__(**kwargs)
        self.ngf = ngf
        self.n_blocks = n_blocks
        self.init_std = init_std
        init = official_initializer(init_std)
        policy = self.dtype_policy
        self.pad_in = ReflectionPadding2D(3, name="pad_in")
        self.conv_in = keras.layers.Conv2D(
            ngf, 7, kernel_initializer=fresh_initializer(init), name="conv_in", dtype=policy
        )
        self.norm_in = InstanceNormalization(name="norm_in", dtype=self.variable_dtype)
        self.downs, self.down_norms = [], []
        for i, channels in enumerate((ngf * 2, ngf * 4)):
            self.downs.append(
                keras.layers.Conv2D(
                    channels,
                    3,
                    strides=2,
                    kernel_initializer=fresh_initializer(init),
                    name=f"down{i + 1}",
                    dtype=policy,
                )
            )
            self.down_norms.append(InstanceNormalization(name=f"down{i + 1}_norm", dtype=self.variable_dtype))
        self.recompute_activations = True  # see nn.recompute.use_recompute; not part of the config
        self.blocks = [
            ResnetBlock(ngf * 4, kernel_initializer=fresh_initializer(init), name=f"block{i}", dtype=policy)
            for i in range(n_blocks)
        ]

    def build(self, input_shape):
        self.conv_in.build((None, None, None, input_shape[-1]))
        self.downs[0].build((None, None, None, self.ngf))
        self.downs[1].build((None, None, None, self.ngf * 2))
        for block in self.blocks:
            block.build((None, None, None, self.ngf * 4))

    def call(self, inputs, training=None):
        recompute = recomputes(self, training)
        norms = [self.norm_in, *self.down_norms]
        # Each run keeps only its input: the image, then the previous convolution's output (nn.recompute).
        x = recompute_in_backward(lambda h: self.conv_in(self.pad_in(h)), inputs, recompute)
        for norm, conv in zip(norms[:-1], self.downs, strict=True):
            run = lambda h, norm=norm, conv=conv: conv(  # noqa: E731
                tf.pad(tf.cast(tf.nn.relu(norm(h, training=training)), self.compute_dtype), _ZERO_PAD_1)
            )
            x = recompute_in_backward(run, x, recompute)
        x = tf.cast(tf.nn.relu(norms[-1](x, training=training)), self.compute_dtype)
        for block in self.blocks:
            x = block(x, training=training)
        return x

    def get_config(self):
        return {**super().get_config(), "ngf": self.ngf, "n_blocks": self.n_blocks, "init_std": self.init_std}


@keras.saving.register_keras_serializable(package=PACKAGE)
class DecoderHead(keras.layers.Layer):
    """Two PyTorch-aligned ×2 transposed convs (IN, ReLU), then a final conv and activation.

    With ``kernel_size=7`` the final conv is reflection padded (the content head);
    with ``kernel_size=1`` it is a pointwise conv (the attention head). The
    activation runs in float32 so masks stay exact under mixed precision.
    ``tanh_implementation`` (not part of the config) is ``"tanh"`` or ``"sigmoid"``
    (``2·sigmoid(2x) − 1``: TF.js wasm has a vectorised sigmoid but computes
    ``Tanh`` per element); the exporters switch to it (:func:`deploy_tanh`). In float32 training the norms,
    ReLUs and padding are computed again in the backward pass instead of kept (``recompute_activations``:
    :mod:`attentiongan_tf.nn.recompute`).

    Args:
        ngf: base width; the ups have ``2 * ngf`` and ``ngf`` channels.
        out_channels: channels of the final conv.
        kernel_size: size of the final conv (odd).
        activation: one of ``tanh``, ``sigmoid``, ``softmax`` (over channels), ``linear``.
        init_std: standard deviation of the N(0, std) kernel initializer.
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> DecoderHead(4, 27, 7, "tanh")(tf.zeros([1, 4, 4, 16])).shape
        TensorShape([1, 16, 16, 27])
    """

    def __init__(
        self,
        ngf: int = 64,
        out_channels: int = 27,
        kernel_size: int = 7,
        activation: str = "tanh",
        init_std: float = 0.02,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        self.ngf = ngf
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.activation = activation
        self.init_std = init_std
        self.tanh_implementation = "tanh"
        self.recompute_activations = True  # see nn.recompute.use_recompute; not part of the config
        init = official_initializer(init_std)
        policy = self.dtype_policy
        self.ups = [
            TorchConvTranspose2D(ngf * 2, kernel_initializer=fresh_initializer(init), name="up1", dtype=policy),
            TorchConvTranspose2D(ngf, kernel_initializer=fresh_initializer(init), name="up2", dtype=policy),
        ]
        self.up_norms = [
            InstanceNormalization(name="up1_norm", dtype=self.variable_dtype),
            InstanceNormalization(name="up2_norm", dtype=self.variable_dtype),
        ]
        self.pad_out = ReflectionPadding2D(kernel_size // 2, name="pad_out")
        self.conv_out = keras.layers.Conv2D(
            out_channels, kernel_size, kernel_initializer=fresh_initializer(init), name="conv_out", dtype=policy
        )

    def build(self, input_shape):
        self.ups[0].build((None, None, None, input_shape[-1]))
        self.ups[1].build((None, None, None, self.ngf * 2))
        self.conv_out.build((None, None, None, self.ngf))

    def call(self, inputs, training=None):
        recompute = recomputes(self, training)
        x = self.ups[0](tf.cast(inputs, self.compute_dtype))

        def normalized(h: tf.Tensor, norm: InstanceNormalization) -> tf.Tensor:
            return tf.cast(tf.nn.relu(norm(h, training=training)), self.compute_dtype)

        # Each run keeps only the previous convolution's output (nn.recompute).
        x = recompute_in_backward(lambda h: self.ups[1](normalized(h, self.up_norms[0])), x, recompute)
        pad = self.pad_out if self.kernel_size > 1 else (lambda h: h)
        x = recompute_in_backward(lambda h: self.conv_out(pad(normalized(h, self.up_norms[1]))), x, recompute)
        logits = tf.cast(x, self.variable_dtype)
        if self.activation == "tanh" and self.tanh_implementation == "sigmoid":
            return 2.0 * tf.sigmoid(2.0 * logits) - 1.0
        if self.activation == "tanh":
            return tf.tanh(logits)
        if self.activation == "sigmoid":
            return tf.sigmoid(logits)
        if self.activation == "softmax":
            return tf.nn.softmax(logits, axis=-1)
        return logits

    def get_config(self):
        return {
            **super().get_config(),
            "ngf": self.ngf,
            "out_channels": self.out_channels,
            "kernel_size": self.kernel_size,
            "activation": self.activation,
            "init_std": self.init_std,
        }


def deploy_tanh(model: keras.Layer, implementation: str = "sigmoid") -> contextlib.AbstractContextManager[int]:
    """Temporarily switch the ``tanh`` of every :class:`DecoderHead` of ``model`` to ``implementation``.

    Yields the number of heads switched; the previous implementations are restored on exit.
    """
    heads = layers_of(model, DecoderHead)
    return switched_implementation(heads, implementation, TANH_IMPLEMENTATIONS, attribute="tanh_implementation")
