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

from collections.abc import Callable
from dataclasses import dataclass

import keras
import tensorflow as tf

MULTIPLE = 4
MIN_SIZE = 8
#: What the any-size endpoints of a Winograd deploy graph pad images to: the ResNet blocks then work on maps of a
#: multiple of 4 pixels, which the 4×4 Winograd tiles cover exactly (nn.winograd_deploy, ``whole_tiles``).
WINOGRAD_MULTIPLE = 16

#: Name of each exported signature and the dtype of its input.
UINT8_SIGNATURE = "serving_default"
FLOAT_SIGNATURE = "translate_float"
ENCODED_SIGNATURE = "translate_encoded"
OUTPUT_KEYS = ("image", "attention", "content")
#: The extra input of a multi-domain generator's signatures: float32 (B, n_domains) target labels.
LABELS_INPUT = "labels"


@dataclass(frozen=True)
class LabelInput:
    """The optional extra input of a label-conditioned generator's endpoints (the target domain).

    The signatures take it as ``labels`` (:data:`LABELS_INPUT`), float32 (B, size).

    Attributes:
        size: label entries per image (the number of domains).
        model_key: the key of the model's input dict that receives it (``{"image": ..., "label": ...}``).
    """

    size: int
    model_key: str = "label"


@dataclass(frozen=True)
class Endpoint:
    """One serving endpoint: the function and the ``tf.TensorSpec`` of each of its inputs, in order."""

    fn: Callable[..., dict[str, tf.Tensor]]
    input_signature: list[tf.TensorSpec]


def label_input_of(model: keras.Model) -> LabelInput | None:
    """The label input of a multi-domain generator (it has ``n_domains``); ``None`` for a two-domain one."""
    n_domains = getattr(model, "n_domains", None)
    return None if n_domains is None else LabelInput(int(n_domains))


def padded_size(size: tf.Tensor, multiple: int = MULTIPLE) -> tf.Tensor:
    """Smallest size >= ``size`` that is a multiple of ``multiple`` (4, or 16) and at least 8."""
    rounded = (size + multiple - 1) // multiple * multiple
    return tf.maximum(rounded, max(MIN_SIZE, multiple))


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


@dataclass(frozen=True)
class Padded:
    """A reflect-padded batch (``images``) and the ``height`` and ``width`` to crop the outputs back to.

    ``height`` and ``width`` are Python ints when the batch needed no padding (static, valid shape).
    """

    images: tf.Tensor
    height: tf.Tensor | int
    width: tf.Tensor | int


def valid_size(size: int, multiple: int = MULTIPLE) -> bool:
    """Whether the generator takes ``size`` pixels along an axis as it is (a multiple of ``multiple``, 4 unless
    given, and at least 8)."""
    return size >= MIN_SIZE and size % multiple == 0


def pad_reflect(images: tf.Tensor, multiple: int = MULTIPLE) -> Padded:
    """Reflect-pad (B, H, W, C) images at the bottom/right to a valid generator size (a multiple of
    ``multiple``: 4, or :data:`WINOGRAD_MULTIPLE` for a Winograd deploy graph).

    A batch whose static H and W are already valid (a fixed-size export) is returned as it is, so that its
    graph has no gather or slice at all.

    Returns:
        :class:`Padded`: the padded batch and the original height and width.
    """
    static_height, static_width = images.shape[1], images.shape[2]
    if all(size is not None and valid_size(size, multiple) for size in (static_height, static_width)):
        return Padded(images, static_height, static_width)
    shape = tf.shape(images)
    height, width = shape[1], shape[2]
    rows = reflect_indices(height, padded_size(height, multiple))
    cols = reflect_indices(width, padded_size(width, multiple))
    padded = tf.gather(tf.gather(images, rows, axis=1), cols, axis=2)
    return Padded(padded, height, width)


def crop(tensor: tf.Tensor, height: tf.Tensor | int, width: tf.Tensor | int) -> tf.Tensor:
    """Crop the top-left ``height`` × ``width`` region of a (B, H, W, ...) tensor (none when it is that size)."""
    if isinstance(height, int) and isinstance(width, int) and tuple(tensor.shape[1:3]) == (height, width):
        return tensor
    return tensor[:, :height, :width]


def uint8_to_float(images: tf.Tensor) -> tf.Tensor:
    """uint8 [0, 255] -> float32 [-1, 1] (the training normalisation)."""
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def float_to_uint8(images: tf.Tensor) -> tf.Tensor:
    """float32 [-1, 1] -> uint8 [0, 255], rounded and clipped."""
    scaled = tf.clip_by_value((images + 1.0) * 127.5, 0.0, 255.0)
    return tf.cast(tf.round(scaled), tf.uint8)


def translate_any_size(
    model: Callable,
    images: tf.Tensor,
    labels: tf.Tensor | None = None,
    label: LabelInput | None = None,
    multiple: int = MULTIPLE,
) -> dict[str, tf.Tensor]:
    """Run ``model`` on float [-1, 1] images of any size; outputs have the input's H and W.

    Args:
        model: a generator taking (B, H, W, 3) images, or (with ``labels``) a dict of images and labels.
        images: float32 (B, H, W, 3) in [-1, 1].
        labels: float32 (B, n_domains) target labels of a multi-domain generator, else ``None``.
        label: how ``labels`` is fed to the model (default :class:`LabelInput` of the right size).
        multiple: pad images to a multiple of this (see :func:`pad_reflect`).

    Returns:
        dict with ``image`` (B, H, W, 3), ``attention`` (B, H, W, n) and ``content`` (B, H, W, k, 3).
    """
    padded = pad_reflect(images, multiple)
    if labels is None:
        outputs = model(padded.images)
    else:
        outputs = model({"image": padded.images, (label or LabelInput(0)).model_key: labels})
    return {key: crop(tf.cast(outputs[key], tf.float32), padded.height, padded.width) for key in OUTPUT_KEYS}


def make_endpoints(
    model: keras.Model, label: LabelInput | None = None, fixed_size: int | None = None, winograd: bool = False
) -> dict[str, Endpoint]:
    """The three serving endpoints of an exported generator; a multi-domain one's also take ``labels``.

    - ``serving_default``: ``images`` uint8 (B, H, W, 3) of any size -> ``image`` uint8 (B, H, W, 3)
      and ``attention`` float32 (B, H, W, n) in [0, 1] (last mask = background).
    - ``translate_float``: ``images`` float32 (B, H, W, 3) in [-1, 1] -> ``image`` float32 in [-1, 1],
      ``attention`` and ``content`` (B, H, W, k, 3).
    - ``translate_encoded``: ``image_bytes`` string (B,) of JPEG/PNG/BMP/GIF files -> ``png_bytes``
      string (B,), each the translated image as PNG at the input's size. For the TF Serving REST API
      send ``{"b64": ...}`` objects; the ``_bytes`` suffix of the output makes TF Serving return
      base64 ``{"b64": ...}`` too.

    With a label input (a multi-domain generator) every endpoint takes a second input, ``labels`` float32
    (B, n_domains): the target domain of each image.

    With ``fixed_size`` N the uint8 and float endpoints take exactly one N × N image ([1, N, N, 3]; the
    graph then has no padding or cropping ops) and there is no ``translate_encoded`` endpoint: that is the
    source of the fixed-size TFLite models (``export.py --tflite-fixed-size``).

    With ``winograd`` (endpoints of a graph traced with Winograd deploy convolutions, the source of the any-size
    ``float32_winograd`` TFLite model) and no ``fixed_size``, the uint8 and float endpoints take one image of any
    size ([1, H, W, 3]) and pad it to a multiple of 16 (:data:`WINOGRAD_MULTIPLE`) instead of 4: their graph then
    has no run-time sized op between the padding and the crop, and XNNPACK runs it whole. At sizes that are not a
    multiple of 16 its outputs therefore differ from the direct graph's (most near the bottom and right edges:
    the generator runs on a larger image; docs/deploy.md has the sizes of the differences).

    Args:
        model: the generator.
        label: the extra label input (default :func:`label_input_of` the model: none for two domains).
        fixed_size: a valid generator size (a multiple of 4, at least 8) to fix the input shape to, or None.
        winograd: the endpoints of an any-size Winograd deploy graph (above).

    Returns:
        dict mapping each endpoint name to its :class:`Endpoint`.
    """
    label = label or label_input_of(model)
    one_image = winograd and fixed_size is None
    multiple = WINOGRAD_MULTIPLE if one_image else MULTIPLE

    def translate_float(images, labels):
        return translate_any_size(model, images, labels, label, multiple)

    def translate_uint8(images, labels):
        outputs = translate_float(uint8_to_float(images), labels)
        return {"image": float_to_uint8(outputs["image"]), "attention": outputs["attention"]}

    def translate_encoded(image_bytes, labels):
        def one(item):
            data, row = (item, None) if labels is None else item
            decoded = tf.io.decode_image(data, channels=3, dtype=tf.uint8, expand_animations=False)
            translated = translate_uint8(decoded[tf.newaxis], None if row is None else row[tf.newaxis])["image"][0]
            return tf.io.encode_png(translated)

        items = image_bytes if labels is None else (image_bytes, labels)
        return {"png_bytes": tf.map_fn(one, items, fn_output_signature=tf.TensorSpec([], tf.string))}

    if fixed_size is not None and not valid_size(fixed_size):
        raise ValueError(f"fixed_size must be a multiple of {MULTIPLE} and at least {MIN_SIZE}, got {fixed_size}")
    shape = [1 if one_image else None, None, None, 3] if fixed_size is None else [1, fixed_size, fixed_size, 3]
    uint8_spec = tf.TensorSpec(shape, tf.uint8, name="images")
    float_spec = tf.TensorSpec(shape, tf.float32, name="images")
    bytes_spec = tf.TensorSpec([None], tf.string, name="image_bytes")
    if label is None:  # the argument names are the signature's input names
        endpoints = {
            UINT8_SIGNATURE: Endpoint(lambda images: translate_uint8(images, None), [uint8_spec]),
            FLOAT_SIGNATURE: Endpoint(lambda images: translate_float(images, None), [float_spec]),
            ENCODED_SIGNATURE: Endpoint(lambda image_bytes: translate_encoded(image_bytes, None), [bytes_spec]),
        }
    else:
        label_spec = tf.TensorSpec([shape[0], label.size], tf.float32, name=LABELS_INPUT)
        endpoints = {
            UINT8_SIGNATURE: Endpoint(translate_uint8, [uint8_spec, label_spec]),
            FLOAT_SIGNATURE: Endpoint(translate_float, [float_spec, label_spec]),
            ENCODED_SIGNATURE: Endpoint(translate_encoded, [bytes_spec, label_spec]),
        }
    if fixed_size is not None:
        del endpoints[ENCODED_SIGNATURE]
    return endpoints
