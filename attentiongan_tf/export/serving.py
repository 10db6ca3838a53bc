"""The any-size serving function shared by every exported artifact: pad -> generator -> crop.

The generator needs H and W divisible by 4 (and at least 8, so that the 1-pixel
reflection padding of the ResNet blocks fits the 2×2 bottleneck). Exported
graphs therefore pad every image at the bottom and right by *mirror reflection*
up to the next valid size, run the generator and crop the outputs back to the
input size. The padding is a ``gather`` with reflected indices rather than
``tf.pad(mode="REFLECT")`` because reflection padding requires ``pad < size``,
which tiny images (e.g. 5×7 or 1×1) violate; the index form reflects as often
as needed and lowers to builtin TFLite ops (GATHER, FLOOR_MOD) and TF.js ops.
"""

from __future__ import annotations

import keras
import tensorflow as tf

MULTIPLE = 4
MIN_SIZE = 8

#: Name of each exported signature and the dtype of its input.
UINT8_SIGNATURE = "serving_default"
FLOAT_SIGNATURE = "translate_float"
ENCODED_SIGNATURE = "translate_encoded"


def padded_size(size: tf.Tensor) -> tf.Tensor:
    """Smallest size >= ``size`` that is a multiple of 4 and at least 8."""
    rounded = (size + MULTIPLE - 1) // MULTIPLE * MULTIPLE
    return tf.maximum(rounded, MIN_SIZE)


def reflect_indices(size: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """Indices ``0..size-1`` followed by their mirror reflection, repeated until ``target`` indices.

    Reflection without repeating the edge pixel has period ``2 (size - 1)``:
    index ``i`` maps to ``i mod p`` if that is < size, else ``p - (i mod p)``.
    A 1-pixel axis (period 0) repeats its only pixel.
    """
    period = tf.maximum(2 * (size - 1), 1)
    position = tf.math.floormod(tf.range(target), period)
    reflected = tf.where(position < size, position, period - position)
    return tf.minimum(reflected, size - 1)


def pad_reflect(images: tf.Tensor) -> dict[str, tf.Tensor]:
    """Reflect-pad (B, H, W, C) images at the bottom/right to a valid generator size.

    Returns:
        dict with ``images`` (the padded batch), ``height`` and ``width`` (the original size).
    """
    shape = tf.shape(images)
    height, width = shape[1], shape[2]
    rows = reflect_indices(height, padded_size(height))
    cols = reflect_indices(width, padded_size(width))
    padded = tf.gather(tf.gather(images, rows, axis=1), cols, axis=2)
    return {"images": padded, "height": height, "width": width}


def crop(tensor: tf.Tensor, height: tf.Tensor, width: tf.Tensor) -> tf.Tensor:
    """Crop the top-left ``height`` × ``width`` region of a (B, H, W, ...) tensor."""
    return tensor[:, :height, :width]


def uint8_to_float(images: tf.Tensor) -> tf.Tensor:
    """uint8 [0, 255] -> float32 [-1, 1] (the training normalisation)."""
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def float_to_uint8(images: tf.Tensor) -> tf.Tensor:
    """float32 [-1, 1] -> uint8 [0, 255], rounded and clipped."""
    scaled = tf.clip_by_value((images + 1.0) * 127.5, 0.0, 255.0)
    return tf.cast(tf.round(scaled), tf.uint8)


def translate_any_size(model: keras.Model, images: tf.Tensor) -> dict[str, tf.Tensor]:
    """Run ``model`` on float [-1, 1] images of any size; outputs have the input's H and W.

    Returns:
        dict with ``image`` (B, H, W, 3), ``attention`` (B, H, W, n) and ``content`` (B, H, W, k, 3).
    """
    padded = pad_reflect(images)
    outputs = model(padded["images"])
    return {
        key: crop(tf.cast(outputs[key], tf.float32), padded["height"], padded["width"])
        for key in ("image", "attention", "content")
    }


def make_endpoints(model: keras.Model) -> dict[str, dict]:
    """The three serving endpoints of an exported generator.

    - ``serving_default``: ``images`` uint8 (B, H, W, 3) of any size -> ``image`` uint8 (B, H, W, 3)
      and ``attention`` float32 (B, H, W, n) in [0, 1] (last mask = background).
    - ``translate_float``: ``images`` float32 (B, H, W, 3) in [-1, 1] -> ``image`` float32 in [-1, 1],
      ``attention`` and ``content`` (B, H, W, k, 3).
    - ``translate_encoded``: ``image_bytes`` string (B,) of JPEG/PNG/BMP/GIF files -> ``png_bytes``
      string (B,), each the translated image as PNG at the input's size. For the TF Serving REST API
      send ``{"b64": ...}`` objects; the ``_bytes`` suffix of the output makes TF Serving return
      base64 ``{"b64": ...}`` too.

    Returns:
        dict mapping each endpoint name to ``{"fn": callable, "input_signature": [tf.TensorSpec]}``.
    """

    def translate_uint8(images):
        outputs = translate_any_size(model, uint8_to_float(images))
        return {"image": float_to_uint8(outputs["image"]), "attention": outputs["attention"]}

    def translate_float(images):
        return translate_any_size(model, images)

    def translate_encoded(image_bytes):
        def one(data):
            decoded = tf.io.decode_image(data, channels=3, dtype=tf.uint8, expand_animations=False)
            translated = translate_uint8(decoded[tf.newaxis])["image"][0]
            return tf.io.encode_png(translated)

        return {"png_bytes": tf.map_fn(one, image_bytes, fn_output_signature=tf.TensorSpec([], tf.string))}

    return {
        UINT8_SIGNATURE: {
            "fn": translate_uint8,
            "input_signature": [tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")],
        },
        FLOAT_SIGNATURE: {
            "fn": translate_float,
            "input_signature": [tf.TensorSpec([None, None, None, 3], tf.float32, name="images")],
        },
        ENCODED_SIGNATURE: {
            "fn": translate_encoded,
            "input_signature": [tf.TensorSpec([None], tf.string, name="image_bytes")],
        },
    }
