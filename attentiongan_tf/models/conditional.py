"""Multi-domain AttentionGAN models (paper Sec. 4.2.2): a label-conditioned generator and a StarGAN critic.

The generator reuses the two-domain encoder and content / attention heads; its input is the image
concatenated with the target label tiled over H and W (StarGAN), and the label is injected again at the
bottleneck, because instance norm removes constant input maps (see :class:`LabelConditioning`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import tensorflow as tf

from attentiongan_tf.models.fusion import attention_fusion
from attentiongan_tf.models.generators import check_spatial_size, split_channels
from attentiongan_tf.nn.activations import leaky_relu
from attentiongan_tf.nn.blocks import DecoderHead, ResnetEncoder, official_initializer
from attentiongan_tf.nn.layers import PACKAGE, base_model_config, fresh_initializer


def split_inputs(inputs: Mapping[str, tf.Tensor] | Sequence[tf.Tensor]) -> dict[str, tf.Tensor]:
    """``{"image": ..., "label": ...}`` from a dict or an ``(image, label)`` pair."""
    if isinstance(inputs, Mapping):
        missing = {"image", "label"} - set(inputs)
        if missing:
            raise ValueError(f"multi-domain models take a dict with 'image' and 'label'; missing {sorted(missing)}")
        return {"image": inputs["image"], "label": inputs["label"]}
    if not isinstance(inputs, (tuple, list)) or len(inputs) != 2:
        raise ValueError("multi-domain models take {'image': (B,H,W,3), 'label': (B,n_domains)} or (image, label)")
    return {"image": inputs[0], "label": inputs[1]}


def tile_label(image: tf.Tensor, label: tf.Tensor) -> tf.Tensor:
    """(B, c) label -> (B, H, W, c) constant maps at the image's size (StarGAN's ``c.repeat(1, 1, H, W)``)."""
    label = tf.cast(label, image.dtype)
    return tf.ones_like(image[..., :1]) * label[:, tf.newaxis, tf.newaxis, :]


@keras.saving.register_keras_serializable(package=PACKAGE)
class LabelConditioning(keras.layers.Layer):
    """Residual label injection at the bottleneck: ``f + conv1x1(relu(conv1x1([f, tiled label])))``.

    Constant label maps concatenated to the INPUT (StarGAN) are added to every pixel of the first conv's
    output as a per-channel constant, which the following instance norm subtracts: with reflection padding
    the label is removed exactly. Adding it before a ReLU here makes the features depend on the label.

    Args:
        channels: feature channels (``4 · ngf``).
        kernel_initializer: initializer of both 1×1 convs.
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> LabelConditioning(16)(tf.zeros([2, 8, 8, 16]), tf.one_hot([0, 1], 3)).shape
        TensorShape([2, 8, 8, 16])
    """

    def __init__(self, channels: int, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        policy = self.dtype_policy
        init = self.kernel_initializer
        self.mix = keras.layers.Conv2D(
            channels, 1, kernel_initializer=fresh_initializer(init), name="mix", dtype=policy
        )
        self.out = keras.layers.Conv2D(
            channels, 1, kernel_initializer=fresh_initializer(init), name="out", dtype=policy
        )

    def build(self, features_shape, label_shape=None):
        n_domains = 0 if label_shape is None else label_shape[-1]
        self.mix.build((None, None, None, self.channels + n_domains))
        self.out.build((None, None, None, self.channels))

    def call(self, features, label):
        features = tf.cast(features, self.compute_dtype)
        x = tf.concat([features, tile_label(features, label)], axis=-1)
        return features + self.out(tf.nn.relu(self.mix(x)))

    def get_config(self):
        return {
            **super().get_config(),
            "channels": self.channels,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class ConditionalAttentionGenerator(keras.Model):
    """AttentionGAN scheme II generator conditioned on a target-domain label (multi-domain, paper Sec. 4.2.2).

    The label is tiled to constant maps and concatenated to the image (StarGAN), encoded by the two-domain
    :class:`ResnetEncoder`, injected again at the bottleneck (:class:`LabelConditioning`), then decoded by the
    same content and attention heads and fused as in the two-domain generator:
    ``image = Σ_{i<n-1} content_i · attention_i + input · attention_{n-1}``.

    Input ``{"image": (B, H, W, 3) in [-1, 1], "label": (B, n_domains)}`` (one-hot for single-label datasets
    such as RaFD, multi-hot for CelebA attributes) or ``(image, label)``; output the two-domain dict:
    ``image`` (B, H, W, 3), ``attention`` (B, H, W, n_masks) with the background LAST, ``content``
    (B, H, W, n_masks - 1, 3).

    Args:
        n_domains: length of the label vector.
        ngf: width of the first conv.
        n_blocks: ResNet blocks (StarGAN uses 6).
        n_masks: attention masks, background included.
        init_std: standard deviation of the N(0, std) kernel initializer.
        **kwargs: passed to ``keras.Model``.

    Example:
        >>> g = ConditionalAttentionGenerator(n_domains=3, ngf=4, n_blocks=1, n_masks=3)
        >>> out = g({"image": tf.zeros([2, 32, 32, 3]), "label": tf.one_hot([0, 2], 3)})
        >>> out["image"].shape, out["attention"].shape
        (TensorShape([2, 32, 32, 3]), TensorShape([2, 32, 32, 3]))
    """

    def __init__(
        self, n_domains: int, ngf: int = 64, n_blocks: int = 6, n_masks: int = 10, init_std: float = 0.02, **kwargs
    ):
        super().__init__(**kwargs)
        if int(n_domains) < 2:
            raise ValueError(f"n_domains must be at least 2, got {n_domains}")
        if n_masks < 2:
            raise ValueError(f"n_masks must be at least 2 (one foreground, one background), got {n_masks}")
        self.n_domains = int(n_domains)
        self.ngf = ngf
        self.n_blocks = n_blocks
        self.n_masks = n_masks
        self.init_std = init_std
        self.n_content = n_masks - 1
        self.fusion = "split"  # see models.fusion.deploy_fusion
        policy = self.dtype_policy
        init = official_initializer(init_std)
        self.encoder = ResnetEncoder(ngf, n_blocks, init_std, name="encoder", dtype=policy)
        self.conditioning = LabelConditioning(ngf * 4, fresh_initializer(init), name="conditioning", dtype=policy)
        self.content_head = DecoderHead(ngf, 3 * self.n_content, 7, "tanh", init_std, name="content_head", dtype=policy)
        self.attention_head = DecoderHead(ngf, n_masks, 1, "softmax", init_std, name="attention_head", dtype=policy)

    def build(self, input_shape=None):
        self.encoder.build((None, None, None, 3 + self.n_domains))
        self.conditioning.build((None, None, None, self.ngf * 4), (None, self.n_domains))
        self.content_head.build((None, None, None, self.ngf * 4))
        self.attention_head.build((None, None, None, self.ngf * 4))
        self.built = True

    def call(self, inputs):
        parts = split_inputs(inputs)
        image, label = parts["image"], parts["label"]
        check_spatial_size(image)
        if image.shape[-1] != 3:
            raise ValueError(f"image must have shape (batch, height, width, 3), got {image.shape}")
        if label.shape.rank != 2 or label.shape[-1] not in (None, self.n_domains):
            raise ValueError(f"label must have shape (batch, {self.n_domains}), got {label.shape}")
        label = tf.cast(label, self.variable_dtype)
        features = self.encoder(tf.concat([image, tile_label(image, label)], axis=-1))
        features = self.conditioning(features, label)
        content = self.content_head(features)
        attention = self.attention_head(features)
        fused = attention_fusion(content, attention, tf.cast(image, self.variable_dtype), self.fusion)
        return {"image": fused, "attention": attention, "content": split_channels(content, self.n_content)}

    def get_config(self):
        return {
            **base_model_config(self),
            "n_domains": self.n_domains,
            "ngf": self.ngf,
            "n_blocks": self.n_blocks,
            "n_masks": self.n_masks,
            "init_std": self.init_std,
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class MultiDomainDiscriminator(keras.Model):
    """StarGAN discriminator: a real/fake patch map and an auxiliary domain classifier on one trunk.

    ``n_layers`` 4×4 stride-2 convs (zero padding 1, LeakyReLU 0.01, no normalisation, widths
    ``ndf · 2^i``), then ``logits``: a 3×3 conv to one value per patch (WGAN critic or LSGAN logits), and
    ``domain_logits``: a conv whose kernel covers the remaining ``image_size / 2^n_layers`` pixels, giving
    ``n_domains`` logits per image. ``image_size`` is therefore fixed (StarGAN: 128, ``n_layers`` 6).

    Args:
        n_domains: number of domain logits.
        image_size: training resolution (H = W), divisible by ``2**n_layers``.
        ndf: width of the first conv.
        n_layers: number of stride-2 convs.
        init_std: standard deviation of the N(0, std) kernel initializer.
        **kwargs: passed to ``keras.Model``.

    Example:
        >>> d = MultiDomainDiscriminator(n_domains=3, image_size=32, ndf=4, n_layers=3)
        >>> out = d(tf.zeros([2, 32, 32, 3]))
        >>> out["logits"].shape, out["domain_logits"].shape
        (TensorShape([2, 4, 4, 1]), TensorShape([2, 3]))
    """

    def __init__(
        self, n_domains: int, image_size: int = 128, ndf: int = 64, n_layers: int = 6, init_std: float = 0.02, **kwargs
    ):
        super().__init__(**kwargs)
        if n_layers < 1 or image_size % (2**n_layers):
            raise ValueError(f"image_size {image_size} must be divisible by 2**n_layers = {2**n_layers}")
        self.n_domains = int(n_domains)
        self.image_size = int(image_size)
        self.ndf = ndf
        self.n_layers = n_layers
        self.init_std = init_std
        init = official_initializer(init_std)
        policy = self.dtype_policy
        self.convs = [
            keras.layers.Conv2D(
                ndf * 2**i, 4, strides=2, kernel_initializer=fresh_initializer(init), name=f"conv{i}", dtype=policy
            )
            for i in range(n_layers)
        ]
        self.source_conv = keras.layers.Conv2D(
            1, 3, use_bias=False, kernel_initializer=fresh_initializer(init), name="src", dtype=policy
        )
        self.domain_conv = keras.layers.Conv2D(
            n_domains,
            image_size // 2**n_layers,
            use_bias=False,
            kernel_initializer=fresh_initializer(init),
            name="cls",
            dtype=policy,
        )

    def build(self, input_shape):
        channels = input_shape[-1]
        for conv in self.convs:
            conv.build((None, None, None, channels))
            channels = conv.filters
        self.source_conv.build((None, None, None, channels))
        self.domain_conv.build((None, None, None, channels))
        self.built = True

    def call(self, inputs):
        for size in inputs.shape[1:3]:
            if size is not None and size != self.image_size:
                raise ValueError(
                    f"this discriminator was built for {self.image_size}px images (image_size), got {inputs.shape}"
                )
        x = tf.cast(inputs, self.compute_dtype)
        for conv in self.convs:
            x = leaky_relu(conv(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])), 0.01)
        logits = self.source_conv(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]))
        domain_logits = self.domain_conv(x)
        return {
            "logits": tf.cast(logits, self.variable_dtype),
            "domain_logits": tf.cast(tf.reshape(domain_logits, [-1, self.n_domains]), self.variable_dtype),
        }

    def get_config(self):
        return {
            **base_model_config(self),
            "n_domains": self.n_domains,
            "image_size": self.image_size,
            "ndf": self.ndf,
            "n_layers": self.n_layers,
            "init_std": self.init_std,
        }


def build_multidomain_generator(n_domains: int, **kwargs) -> ConditionalAttentionGenerator:
    """A :class:`ConditionalAttentionGenerator` with its weights created."""
    model = ConditionalAttentionGenerator(n_domains, **kwargs)
    model.build({"image": (None, None, None, 3), "label": (None, n_domains)})
    return model


def build_multidomain_discriminator(n_domains: int, image_size: int, **kwargs) -> MultiDomainDiscriminator:
    """A :class:`MultiDomainDiscriminator` with its weights created."""
    model = MultiDomainDiscriminator(n_domains, image_size, **kwargs)
    model.build((None, image_size, image_size, 3))
    return model
