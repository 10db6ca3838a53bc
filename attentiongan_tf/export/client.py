"""TF Serving client helpers: the REST JSON bodies and gRPC ``PredictRequest`` protos of the exported signatures.

``docs/deploy.md`` shows these calls against a running ``tensorflow_model_server``;
the tests build and round-trip the same messages.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import numpy as np

from attentiongan_tf.export.serving import ENCODED_SIGNATURE, FLOAT_SIGNATURE, UINT8_SIGNATURE

if TYPE_CHECKING:
    from tensorflow_serving.apis.predict_pb2 import PredictRequest


def rest_predict_body(images: np.ndarray, signature: str = UINT8_SIGNATURE) -> dict:
    """JSON body for ``POST /v1/models/<name>:predict`` with uint8 (B, H, W, 3) or float [-1, 1] images.

    Example:
        >>> body = rest_predict_body(np.zeros((1, 4, 4, 3), np.uint8))
        >>> sorted(body)
        ['inputs', 'signature_name']
    """
    if signature not in (UINT8_SIGNATURE, FLOAT_SIGNATURE):
        raise ValueError(f"use rest_encoded_body for {ENCODED_SIGNATURE!r}; got signature {signature!r}")
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected images of shape (batch, height, width, 3), got {images.shape}")
    return {"signature_name": signature, "inputs": {"images": images.tolist()}}


def rest_encoded_body(files: list[bytes]) -> dict:
    """JSON body for the ``translate_encoded`` signature: each JPEG/PNG file as ``{"b64": ...}``."""
    encoded = [{"b64": base64.b64encode(data).decode("ascii")} for data in files]
    return {"signature_name": ENCODED_SIGNATURE, "inputs": {"image_bytes": encoded}}


def grpc_predict_request(
    model_name: str, images: np.ndarray | list[bytes], signature: str = UINT8_SIGNATURE
) -> PredictRequest:
    """A ``tensorflow_serving.apis.predict_pb2.PredictRequest`` for one of the exported signatures.

    Args:
        model_name: the TF Serving model name (``--model_name``).
        images: uint8 or float32 (B, H, W, 3) array, or a list of encoded image files for ``translate_encoded``.
        signature: ``serving_default``, ``translate_float`` or ``translate_encoded``.

    Example:
        >>> request = grpc_predict_request("attentiongan", np.zeros((1, 8, 8, 3), np.uint8))
        >>> request.model_spec.signature_name
        'serving_default'
    """
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    request = predict_pb2.PredictRequest()
    request.model_spec.name = model_name
    request.model_spec.signature_name = signature
    if signature == ENCODED_SIGNATURE:
        request.inputs["image_bytes"].CopyFrom(tf.make_tensor_proto(list(images), dtype=tf.string))
    elif signature in (UINT8_SIGNATURE, FLOAT_SIGNATURE):
        dtype = tf.uint8 if signature == UINT8_SIGNATURE else tf.float32
        request.inputs["images"].CopyFrom(tf.make_tensor_proto(np.asarray(images), dtype=dtype))
    else:
        raise ValueError(f"unknown signature {signature!r}")
    return request
