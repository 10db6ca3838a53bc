"""TF Serving request builders: REST JSON bodies and gRPC PredictRequest protos that round-trip."""

import base64
import json

import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2

from attentiongan_tf.export.client import grpc_predict_request, rest_encoded_body, rest_predict_body


def test_grpc_uint8_request_serializes_and_round_trips():
    images = np.random.default_rng(0).integers(0, 256, (1, 25, 33, 3), dtype=np.uint8)
    request = grpc_predict_request("attentiongan", images)
    parsed = predict_pb2.PredictRequest.FromString(request.SerializeToString())
    assert parsed.model_spec.name == "attentiongan"
    assert parsed.model_spec.signature_name == "serving_default"
    assert parsed.inputs["images"].dtype == tf.uint8.as_datatype_enum
    np.testing.assert_array_equal(tf.make_ndarray(parsed.inputs["images"]), images)


def test_grpc_float_and_encoded_requests():
    floats = np.linspace(-1, 1, 2 * 8 * 8 * 3, dtype=np.float32).reshape(2, 8, 8, 3)
    request = predict_pb2.PredictRequest.FromString(
        grpc_predict_request("m", floats, "translate_float").SerializeToString()
    )
    np.testing.assert_array_equal(tf.make_ndarray(request.inputs["images"]), floats)
    files = [tf.io.encode_png(np.zeros((3, 5, 3), np.uint8)).numpy(), b"\x89PNG-not-really"]
    request = predict_pb2.PredictRequest.FromString(
        grpc_predict_request("m", files, "translate_encoded").SerializeToString()
    )
    assert tf.make_ndarray(request.inputs["image_bytes"]).tolist() == files
    with pytest.raises(ValueError, match="unknown signature"):
        grpc_predict_request("m", floats, "nope")


def test_rest_bodies_are_json_with_b64_files():
    body = json.loads(json.dumps(rest_predict_body(np.full((1, 2, 2, 3), 9, np.uint8))))
    assert body == {"signature_name": "serving_default", "inputs": {"images": [[[[9, 9, 9]] * 2] * 2]}}
    encoded = json.loads(json.dumps(rest_encoded_body([b"abc"])))
    assert base64.b64decode(encoded["inputs"]["image_bytes"][0]["b64"]) == b"abc"
    with pytest.raises(ValueError, match="batch, height, width, 3"):
        rest_predict_body(np.zeros((2, 2, 3), np.uint8))
