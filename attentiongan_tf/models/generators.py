"""AttentionGAN generators (Tang et al., arXiv 1911.11897).

Both generators return a dict:

- ``image``: the translated image, (B, H, W, 3) in [-1, 1];
- ``attention``: all attention masks, (B, H, W, n); they sum to 1 over the last
  axis and the LAST mask is always the background mask (the one applied to the
  input image in scheme II and scheme I);
- ``content``: the content images, (B, H, W, k, 3) in [-1, 1].

Inputs are (B, H, W, 3) images in [-1, 1] with H and W divisible by 4.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from attentiongan_tf.models.fusion import attention_fusion
from attentiongan_tf.nn.blocks import DecoderHead, ResnetEncoder
from attentiongan_tf.nn.layers import PACKAGE, base_model_config

VARIANTS = ("scheme2", "geo")


def check_spatial_size(inputs: tf.Tensor, multiple: int = 4) -> None:
    """Raise a clear ``ValueError`` when a known H or W is not divisible by ``multiple``."""
    if inputs.shape.rank != 4:
        raise ValueError(f"expected images of shape (batch, height, width, channels), got {inputs.shape}")
    for axis, label in ((1, "height"), (2, "width")):
        size = inputs.shape[axis]
        if size is not None and size % multiple:
            raise ValueError(
                f"image {label} {size} is not divisible by {multiple}; pad the image first "
                "(translate.py and the exported models do this for you)"
            )


def source_image(inputs: tf.Tensor, dtype: str) -> tf.Tensor:
    """The RGB channels of the generator input (conditional inputs carry extra channels) in ``dtype``."""
    if inputs.shape[-1] != 3:
        inputs = tf.split(inputs, [3, inputs.shape[-1] - 3], axis=-1)[0]
    return tf.cast(inputs, dtype)


def split_channels(tensor: tf.Tensor, parts: int) -> tf.Tensor:
    """(B, H, W, parts*3) -> (B, H, W, parts, 3): the official channel order, image i = channels 3i..3i+2."""
    shape = tf.shape(tensor)
    return tf.reshape(tensor, tf.stack([shape[0], shape[1], shape[2], parts, 3]))


@keras.saving.register_keras_serializable(package=PACKAGE)
class AttentionGANGenerator(keras.Model):
    """Scheme II generator: shared encoder, content head and attention head (paper Eq. 2–4).

    ``image = Σ_{i<n-1} content_i · attention_i + input · attention_{n-1}``
    (``variant="scheme2"``, the paper and official default). ``variant="geo"``
    is the official selfie2anime code: n content images and the background
    term uses the n-th content image instead of the input.

    Args:
        ngf: width of the first conv (official 64).
        n_blocks: ResNet blocks in the encoder (official 9).
        n_masks: number of attention masks n, background included (official 10).
        variant: ``"scheme2"`` or ``"geo"``.
        init_std: standard deviation of the N(0, std) kernel initializer.
        attention_kernel_size: size of the attention head's last conv: 1 (official) or an odd size. The
            official 1×1 conv sees one pixel of the last transposed conv's output, where every (even, even)
            pixel gets a single kernel tap; after instance norm and ReLU those pixels can be dead (all zero),
            and the 1×1 conv then outputs only its bias there: an input-independent grid in every mask.
            A 3×3 conv (reflection padded) mixes each pixel with its neighbours and leaves no such grid.
        **kwargs: passed to ``keras.Model`` (``name``, ``dtype``...).

    Example:
        >>> g = AttentionGANGenerator(ngf=4, n_blocks=1)
        >>> out = g(tf.zeros([2, 32, 32, 3]))
        >>> out["image"].shape, out["attention"].shape, out["content"].shape
        (TensorShape([2, 32, 32, 3]), TensorShape([2, 32, 32, 10]), TensorShape([2, 32, 32, 9, 3]))
    """

    def __init__(
        self,
        ngf: int = 64,
        n_blocks: int = 9,
        n_masks: int = 10,
        variant: str = "scheme2",
        init_std: float = 0.02,
        attention_kernel_size: int = 1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        if n_masks < 2:
            raise ValueError(f"n_masks must be at least 2 (one foreground, one background), got {n_masks}")
        self.ngf = ngf
        self.n_blocks = n_blocks
        self.n_masks = n_masks
        self.variant = variant
        self.init_std = init_std
        self.attention_kernel_size = attention_kernel_size
        self.n_content = n_masks if variant == "geo" else n_masks - 1
        #: How the masked images are summed (see :func:`attentiongan_tf.models.fusion.deploy_fusion`), not config.
        self.fusion = "split"
        policy = self.dtype_policy
        self.encoder = ResnetEncoder(ngf, n_blocks, init_std, name="encoder", dtype=policy)
        self.content_head = DecoderHead(ngf, 3 * self.n_content, 7, "tanh", init_std, name="content_head", dtype=policy)
        self.attention_head = DecoderHead(
            ngf, n_masks, attention_kernel_size, "softmax", init_std, name="attention_head", dtype=policy
        )

    def build(self, input_shape):
        self.encoder.build(input_shape)
        self.content_head.build((None, None, None, self.ngf * 4))
        self.attention_head.build((None, None, None, self.ngf * 4))
        self.built = True

    def call(self, inputs):
        check_spatial_size(inputs)
        features = self.encoder(inputs)
        content = self.content_head(features)
        attention = self.attention_head(features)
        background = None if self.variant == "geo" else source_image(inputs, self.variable_dtype)
        image = attention_fusion(content, attention, background, self.fusion)
        return {"image": image, "attention": attention, "content": split_channels(content, self.n_content)}

    def get_config(self):
        return {
            **base_model_config(self),
            "ngf": self.ngf,
            "n_blocks": self.n_blocks,
            "n_masks": self.n_masks,
            "variant": self.variant,
            "init_std": self.init_std,
            "attention_kernel_size": self.attention_kernel_size,
        }


class SingleHeadGenerator(keras.Model):
    """Encoder plus ONE decoder head (``HEAD_CHANNELS`` outputs, ``HEAD_ACTIVATION``); subclasses fuse its output."""

    HEAD_CHANNELS = 3
    HEAD_ACTIVATION = "tanh"
    n_masks = 2

    def __init__(self, ngf: int = 64, n_blocks: int = 9, init_std: float = 0.02, **kwargs):
        super().__init__(**kwargs)
        self.ngf = ngf
        self.n_blocks = n_blocks
        self.init_std = init_std
        policy = self.dtype_policy
        self.encoder = ResnetEncoder(ngf, n_blocks, init_std, name="encoder", dtype=policy)
        self.head = DecoderHead(ngf, self.HEAD_CHANNELS, 7, self.HEAD_ACTIVATION, init_std, name="head", dtype=policy)

    def build(self, input_shape):
        self.encoder.build(input_shape)
        self.head.build((None, None, None, self.ngf * 4))
        self.built = True

    def head_output(self, inputs: tf.Tensor) -> tf.Tensor:
        check_spatial_size(inputs)
        return self.head(self.encoder(inputs))

    def get_config(self):
        return {**base_model_config(self), "ngf": self.ngf, "n_blocks": self.n_blocks, "init_std": self.init_std}


@keras.saving.register_keras_serializable(package=PACKAGE)
class SchemeIGenerator(SingleHeadGenerator):
    """Scheme I generator (paper Eq. 1): one network, one content image, one attention mask.

    ``image = content · A + input · (1 − A)`` with ``A = sigmoid(·)`` and
    ``content = tanh(·)`` from the last 7×7 conv of a single decoder. The
    returned ``attention`` holds ``[A, 1 − A]`` so that, as for scheme II, the
    last mask is the background.

    Args:
        ngf: width of the first conv.
        n_blocks: ResNet blocks in the encoder.
        init_std: standard deviation of the N(0, std) kernel initializer.
        **kwargs: passed to ``keras.Model``.

    Example:
        >>> g = SchemeIGenerator(ngf=4, n_blocks=1)
        >>> g(tf.zeros([1, 16, 16, 3]))["attention"].shape
        TensorShape([1, 16, 16, 2])
    """

    HEAD_CHANNELS = 4
    HEAD_ACTIVATION = "linear"

    def call(self, inputs):
        logits = self.head_output(inputs)
        content_logits, mask_logits = tf.split(logits, [3, 1], axis=-1)
        content = tf.tanh(content_logits)
        mask = tf.sigmoid(mask_logits)
        source = source_image(inputs, self.variable_dtype)
        image = content * mask + source * (1.0 - mask)
        return {
            "image": image,
            "attention": tf.concat([mask, 1.0 - mask], axis=-1),
            "content": content[:, :, :, tf.newaxis, :],
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class CycleGANGenerator(SingleHeadGenerator):
    """The same encoder and decoder with attention disabled: the CycleGAN ablation of the paper's tables.

    One 7×7 head outputs the image directly (``tanh``). For compatibility with
    the attention tools the dict holds ``attention = [1, 0]`` (everything is
    foreground, the background mask is zero) and ``content = image``.

    Args:
        ngf: width of the first conv.
        n_blocks: ResNet blocks in the encoder.
        init_std: standard deviation of the N(0, std) kernel initializer.
        **kwargs: passed to ``keras.Model``.

    Example:
        >>> g = CycleGANGenerator(ngf=4, n_blocks=1)
        >>> g(tf.zeros([1, 16, 16, 3]))["image"].shape
        TensorShape([1, 16, 16, 3])
    """

    def call(self, inputs):
        image = self.head_output(inputs)
        foreground = tf.ones_like(image[..., :1])
        return {
            "image": image,
            "attention": tf.concat([foreground, tf.zeros_like(foreground)], axis=-1),
            "content": image[:, :, :, tf.newaxis, :],
        }


def build_generator(
    variant: str = "scheme2",
    ngf: int = 64,
    n_blocks: int = 9,
    n_masks: int = 10,
    attention_kernel_size: int = 1,
    **kwargs,
) -> keras.Model:
    """Build a generator by name, with its weights created.

    ``scheme2`` (default), ``geo``, ``scheme1`` or ``cyclegan`` (attention disabled, for ablations);
    ``n_masks`` and ``attention_kernel_size`` only apply to ``scheme2`` and ``geo``.
    """
    if variant == "scheme1":
        model = SchemeIGenerator(ngf=ngf, n_blocks=n_blocks, **kwargs)
    elif variant == "cyclegan":
        model = CycleGANGenerator(ngf=ngf, n_blocks=n_blocks, **kwargs)
    else:
        model = AttentionGANGenerator(
            ngf=ngf,
            n_blocks=n_blocks,
            n_masks=n_masks,
            variant=variant,
            attention_kernel_size=attention_kernel_size,
            **kwargs,
        )
    model.build((None, None, None, 3))
    return model
