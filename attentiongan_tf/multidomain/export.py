"""SavedModel export of a multi-domain generator with a LABEL input, for TF Serving, TFLite and TF.js.

The signatures have the two-domain names and outputs plus a ``labels`` input (float32 (B, n_domains)), so
the two-domain converters take the SavedModel as it is: ``attentiongan_tf.export.tflite.export_tflite``
(float32, float16, dynamic_range) and ``attentiongan_tf.export.tfjs.export_tfjs`` (``translate_float``).
Images of any size are reflect-padded to a valid size and the outputs cropped back, as for two domains.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import keras
import tensorflow as tf

from attentiongan_tf.export.savedmodel import model_metadata, write_savedmodel
from attentiongan_tf.export.serving import (
    ENCODED_SIGNATURE,
    FLOAT_SIGNATURE,
    UINT8_SIGNATURE,
    float_to_uint8,
    translate_any_size,
    uint8_to_float,
)


def make_multidomain_endpoints(model: keras.Model) -> dict[str, dict]:
    """The serving endpoints of a :class:`ConditionalAttentionGenerator`; each takes ``labels`` (B, n_domains).

    - ``serving_default``: ``images`` uint8 (B, H, W, 3), ``labels`` -> ``image`` uint8, ``attention`` float32.
    - ``translate_float``: ``images`` float32 in [-1, 1], ``labels`` -> ``image``, ``attention``, ``content``.
    - ``translate_encoded``: ``image_bytes`` string (B,) of JPEG/PNG files, ``labels`` -> ``png_bytes`` (B,).

    Returns:
        dict mapping each endpoint name to ``{"fn": callable, "input_signature": [tf.TensorSpec, ...]}``.
    """
    n_domains = model.n_domains
    label_spec = tf.TensorSpec([None, n_domains], tf.float32, name="labels")

    def translate_float(images, labels):
        return translate_any_size(lambda padded: model({"image": padded, "label": labels}), images)

    def translate_uint8(images, labels):
        outputs = translate_float(uint8_to_float(images), labels)
        return {"image": float_to_uint8(outputs["image"]), "attention": outputs["attention"]}

    def translate_encoded(image_bytes, labels):
        def one(item):
            decoded = tf.io.decode_image(item[0], channels=3, dtype=tf.uint8, expand_animations=False)
            translated = translate_uint8(decoded[tf.newaxis], item[1][tf.newaxis])["image"][0]
            return tf.io.encode_png(translated)

        pngs = tf.map_fn(one, (image_bytes, labels), fn_output_signature=tf.TensorSpec([], tf.string))
        return {"png_bytes": pngs}

    return {
        UINT8_SIGNATURE: {
            "fn": translate_uint8,
            "input_signature": [tf.TensorSpec([None, None, None, 3], tf.uint8, name="images"), label_spec],
        },
        FLOAT_SIGNATURE: {
            "fn": translate_float,
            "input_signature": [tf.TensorSpec([None, None, None, 3], tf.float32, name="images"), label_spec],
        },
        ENCODED_SIGNATURE: {
            "fn": translate_encoded,
            "input_signature": [tf.TensorSpec([None], tf.string, name="image_bytes"), label_spec],
        },
    }


def export_multidomain_savedmodel(
    model: keras.Model,
    output: str | os.PathLike,
    domains: Sequence[str] | None = None,
    name: str = "attentiongan_multidomain",
    version: int = 1,
    overwrite: bool = False,
) -> dict:
    """Write ``output/savedmodel/<name>/<version>`` (TF Serving layout) with the label-input endpoints.

    Args:
        model: a built :class:`ConditionalAttentionGenerator`.
        output: export root.
        domains: names of the label columns, stored in ``assets.extra/attentiongan_export.json``
            (default: ``model.domain_names`` when set, else ``domain_0 ...``).
        name: TF Serving model name.
        version: TF Serving version (a positive integer).
        overwrite: replace an existing export of the same name and version.

    Returns:
        dict with ``path``, ``size_bytes``, ``signatures`` and ``domains``.

    Example:
        >>> from attentiongan_tf.multidomain import build_multidomain_generator
        >>> g = build_multidomain_generator(3, ngf=4, n_blocks=1, n_masks=3)
        >>> export_multidomain_savedmodel(g, "/tmp/out", ["red", "blue", "violet"])["signatures"]  # doctest: +SKIP
        ['serving_default', 'translate_float', 'translate_encoded']
    """
    if not hasattr(model, "n_domains"):
        raise ValueError(f"{type(model).__name__} is not a multi-domain generator (it has no n_domains)")
    domains = list(domains or getattr(model, "domain_names", None) or [f"domain_{i}" for i in range(model.n_domains)])
    if len(domains) != model.n_domains:
        raise ValueError(f"{len(domains)} domain names given for a generator with {model.n_domains} label entries")
    metadata = {**model_metadata(model), "domains": domains, "label_input": "labels"}
    endpoints = make_multidomain_endpoints(model)
    written = write_savedmodel(model, endpoints, output, name, version, overwrite, metadata)
    return {**written, "domains": domains}
