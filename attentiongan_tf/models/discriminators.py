"""PatchGAN discriminators: the official plain one and the paper's attention-guided one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import tensorflow as tf

from attentiongan_tf.nn.activations import leaky_relu
from attentiongan_tf.nn.blocks import official_initializer
from attentiongan_tf.nn.layers import PACKAGE, InstanceNormalization, base_model_config, fresh_initializer


@keras.saving.register_keras_serializable(package=PACKAGE)
class PatchGANDiscriminator(keras.Model):
    """70×70 PatchGAN (official ``NLayerDiscriminator`` with instance norm).

    4×4 convs with zero padding 1: the first and the next ``n_layers - 1`` have
    stride 2, then one stride-1 conv and a stride-1 conv to one logit per patch.
    Every conv but the first and last is followed by instance norm; LeakyReLU
    0.2 after each but the last. Returns raw logits (B, h, w, 1); at 256² and
    ``n_layers=3`` that is a 30×30 map.

    Args:
        ndf: width of the first conv (official 64).
        n_layers: number of stride-2 convs (official 3).
        init_std: standard deviation of the N(0, std) kernel initializer.
        **kwargs: passed to ``keras.Model``.

    Example:
        >>> d = PatchGANDiscriminator(ndf=4)
        >>> d(tf.zeros([2, 64, 64, 3])).shape
        TensorShape([2, 6, 6, 1])
    """

    def __init__(self, ndf: int = 64, n_layers: int = 3, init_std: float = 0.02, **kwargs):
        super().__init__(**kwargs)
        if n_layers < 1:
            raise ValueError(f"n_layers must be at least 1, got {n_layers}")
        self.ndf = ndf
        self.n_layers = n_layers
        self.init_std = init_std
        init = official_initializer(init_std)
        widths = [ndf * min(2**i, 8) for i in range(n_layers + 1)] + [1]
        strides = [2] * n_layers + [1, 1]
        self.convs = [
            keras.layers.Conv2D(
                width,
                4,
                strides=s,
                kernel_initializer=fresh_initializer(init),
                name=f"conv{i}",
                dtype=self.dtype_policy,
            )
            for i, (width, s) in enumerate(zip(widths, strides, strict=True))
        ]
        self.norms = [InstanceNormalization(name=f"norm{i}", dtype=self.variable_dtype) for i in range(1, n_layers + 1)]

    def build(self, input_shape):
        channels = input_shape[-1]
        for conv in self.convs:
            conv.build((None, None, None, channels))
            channels = conv.filters
        self.built = True

    @property
    def min_input_size(self) -> int:
        """Smallest H and W that still give a 1×1 patch map: ``3 · 2**n_layers``."""
        return 3 * 2**self.n_layers

    def call(self, inputs):
        for size in inputs.shape[1:3]:
            if size is not None and size < self.min_input_size:
                raise ValueError(
                    f"images of {size} px are too small for a {self.n_layers}-layer PatchGAN "
                    f"(minimum {self.min_input_size} px); use fewer layers or larger images"
                )
        x = tf.cast(inputs, self.compute_dtype)
        last = len(self.convs) - 1
        for i, conv in enumerate(self.convs):
            x = conv(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]))
            if i == last:
                break
            if i > 0:
                x = self.norms[i - 1](x)
            x = tf.cast(leaky_relu(x, 0.2), self.compute_dtype)
        return tf.cast(x, self.variable_dtype)

    def get_config(self):
        return {**base_model_config(self), "ndf": self.ndf, "n_layers": self.n_layers, "init_std": self.init_std}


@keras.saving.register_keras_serializable(package=PACKAGE)
class AttentionGuidedDiscriminator(PatchGANDiscriminator):
    """Attention-guided PatchGAN (paper Eq. 6): judges the pair [attention mask, image].

    The official code has no such discriminator. It takes either a dict
    ``{"image": (B,H,W,3), "attention": (B,H,W,m)}`` or a pair ``(image,
    attention)`` and concatenates them on the channel axis, so it learns
    whether an image AND the region the generator chose to change are
    plausible together. ``attention`` is usually the foreground mask
    ``1 − background`` (m = 1) or all masks.

    Args:
        ndf: width of the first conv.
        n_layers: number of stride-2 convs.
        init_std: standard deviation of the N(0, std) kernel initializer.
        **kwargs: passed to ``keras.Model``.

    Example:
        >>> d = AttentionGuidedDiscriminator(ndf=4)
        >>> d({"image": tf.zeros([1, 32, 32, 3]), "attention": tf.zeros([1, 32, 32, 1])}).shape
        TensorShape([1, 2, 2, 1])
    """

    def build(self, input_shape):
        if isinstance(input_shape, Mapping):
            image_shape, attention_shape = input_shape["image"], input_shape["attention"]
        else:
            image_shape, attention_shape = input_shape
        super().build((None, None, None, image_shape[-1] + attention_shape[-1]))

    def call(self, inputs: Mapping[str, tf.Tensor] | Sequence[tf.Tensor]):
        if isinstance(inputs, Mapping):
            image, attention = inputs["image"], inputs["attention"]
        else:
            image, attention = inputs
        pair = [tf.cast(image, self.variable_dtype), tf.cast(attention, self.variable_dtype)]
        return super().call(tf.concat(pair, axis=-1))


def build_discriminator(
    ndf: int = 64, n_layers: int = 3, attention_channels: int = 0, **kwargs
) -> PatchGANDiscriminator:
    """Build a discriminator with its weights created; ``attention_channels > 0`` makes it attention-guided."""
    if attention_channels:
        model = AttentionGuidedDiscriminator(ndf=ndf, n_layers=n_layers, **kwargs)
        model.build({"image": (None, None, None, 3), "attention": (None, None, None, attention_channels)})
    else:
        model = PatchGANDiscriminator(ndf=ndf, n_layers=n_layers, **kwargs)
        model.build((None, None, None, 3))
    return model
