"""The attention fusion of the generators (paper Eq. 4): masked content images plus the masked background.

Both generator families sum their images here; the exporters switch it to two constant 1×1 convolutions
(:func:`deploy_fusion`), which the mobile and browser runtimes run faster than channel splits.
"""

from __future__ import annotations

import contextlib

import keras
import numpy as np
import tensorflow as tf

from attentiongan_tf.nn.layers import layers_of, switched_implementation

#: How :func:`attention_fusion` sums the masked images: channel splits, or two constant 1×1 convolutions.
FUSION_IMPLEMENTATIONS = ("split", "conv")


def attention_fusion(
    content: tf.Tensor, attention: tf.Tensor, background: tf.Tensor | None = None, implementation: str = "split"
) -> tf.Tensor:
    """``Σ_{i<n-1} content_i · attention_i + background · attention_{n-1}`` (paper Eq. 4).

    ``content`` holds RGB images in consecutive channel triples, ``attention`` the n masks (background last).
    ``background=None`` uses the n-th content image (the ``geo`` variant). Only 4D tensors are used (5D
    broadcasts lose precision in TF.js). ``implementation="split"`` takes channels with ``tf.split`` (its
    gradient is a concat, a slice's is a zero-filled scatter per slice); ``"conv"`` is the same sum as two
    constant 1×1 convolutions, for exports: TF.js wasm slices channels element by element.
    """
    if implementation not in FUSION_IMPLEMENTATIONS:
        raise ValueError(f"implementation must be one of {FUSION_IMPLEMENTATIONS}, got {implementation!r}")
    if implementation == "conv":
        return _conv_fusion(content if background is None else tf.concat([content, background], -1), attention)
    n_masks = attention.shape[-1]
    attention_parts = tf.split(attention, n_masks, axis=-1)
    content_parts = tf.split(content, content.shape[-1] // 3, axis=-1)
    image = (content_parts[-1] if background is None else background) * attention_parts[-1]
    for i in range(n_masks - 1):
        image += content_parts[i] * attention_parts[i]
    return image


def _conv_fusion(images: tf.Tensor, attention: tf.Tensor) -> tf.Tensor:
    # images: the n RGB images (background last) in channel triples. A 0/1 kernel copies mask i to channels
    # 3i..3i+2 (exact: one term per output), then another sums channel 3i+c of every product into c.
    n_masks = attention.shape[-1]
    spread = np.kron(np.eye(n_masks, dtype=np.float32), np.ones((1, 3), np.float32))  # (n, 3n)
    gather = np.tile(np.eye(3, dtype=np.float32), (n_masks, 1))  # (3n, 3)
    masks = tf.nn.conv2d(attention, tf.constant(spread[None, None], attention.dtype), 1, "VALID")
    return tf.nn.conv2d(images * masks, tf.constant(gather[None, None], images.dtype), 1, "VALID")


def deploy_fusion(model: keras.Layer, implementation: str = "conv") -> contextlib.AbstractContextManager[int]:
    """Temporarily switch the attention fusion of every generator in ``model`` (both families) to
    ``implementation``; exports trace inside the ``with`` block. Yields the number of generators switched.
    """
    generators = [layer for layer in layers_of(model, keras.Model) if hasattr(layer, "fusion")]
    return switched_implementation(generators, implementation, FUSION_IMPLEMENTATIONS, attribute="fusion")


def fuse_with_scaled_attention_gradient(
    output: dict, source: tf.Tensor, attention_gradient: float, background_is_source: bool = True
) -> tf.Tensor:
    """The generator's image again, with the gradient into its attention masks scaled by ``attention_gradient``.

    The value is ``output["image"]``; the content images get their full gradient, the masks a share
    ``attention_gradient`` of it (0: masks held constant, 1: ``output["image"]`` itself). ``background_is_source``
    False is the ``geo`` variant (the last content image is the background).
    """
    content, attention = output["content"], output["attention"]
    shape = tf.shape(content)
    flat = tf.reshape(content, tf.stack([shape[0], shape[1], shape[2], content.shape[3] * 3]))
    # Same value as ``attention``; d/d attention is multiplied by ``attention_gradient``.
    scaled = tf.stop_gradient(attention) + attention_gradient * (attention - tf.stop_gradient(attention))
    return attention_fusion(flat, scaled, source if background_is_source else None)
