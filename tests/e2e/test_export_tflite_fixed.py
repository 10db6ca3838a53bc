"""export.py --tflite-fixed-size: [1, N, N, 3] TFLite models with no shape, gather or MirrorPad ops that match
the Keras model in LiteRT; the runner pads smaller images to N × N and refuses larger ones in one line."""

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.export.serving import reflect_indices, translate_any_size
from attentiongan_tf.export.tflite import operator_names
from attentiongan_tf.inference import TFLiteRunner
from tests.e2e.export_helpers import (
    assert_translate_refuses_a_larger_image,
    fixed_size_export,
    random_uint8,
)
from tests.e2e.test_export_runtimes import FP32_TOLERANCE, QUANTIZED_BOUNDS

pytestmark = pytest.mark.slow
SIZE = 32


@pytest.fixture(scope="module")
def fixed(tmp_path_factory):
    return fixed_size_export(tmp_path_factory.mktemp("fixed"), "tflite", "float32,dynamic_range", SIZE)


def keras_reference(model, images):
    return {k: v.numpy() for k, v in translate_any_size(model, tf.constant(images)).items()}


@pytest.mark.parametrize("variant", ["float32", "dynamic_range"])
def test_fixed_model_matches_keras_and_has_no_dynamic_ops(fixed, variant):
    info = fixed["summary"]["tflite"][variant]
    assert info["path"].endswith(f"attentiongan_{variant}_fixed{SIZE}.tflite")
    assert info["input_shape"] == [1, SIZE, SIZE, 3] and info["fixed_size"] == SIZE
    with open(info["path"], "rb") as file:
        ops = set(operator_names(file.read()))
    assert not ops & {"MIRROR_PAD", "GATHER", "SHAPE", "RANGE", "TRANSPOSE_CONV"}, ops
    runner = TFLiteRunner(info["path"], num_threads=1)
    assert runner.fixed_size == (SIZE, SIZE)
    images = np.random.default_rng(0).uniform(-1, 1, (1, SIZE, SIZE, 3)).astype(np.float32)
    outputs = runner.interpreter.get_signature_runner("translate_float")(images=images)
    reference = keras_reference(fixed["model"], images)
    tolerance = FP32_TOLERANCE if variant == "float32" else QUANTIZED_BOUNDS[variant]
    for key in ("image", "attention", "content"):
        assert np.abs(outputs[key] - reference[key]).max() <= tolerance, key


def test_runner_pads_smaller_images_and_refuses_larger_ones(fixed):
    runner = TFLiteRunner(fixed["summary"]["tflite"]["float32"]["path"])
    image = random_uint8((20, 28, 3), 6)
    result = runner.run_raw([image])[0]
    rows = reflect_indices(tf.constant(20), tf.constant(SIZE)).numpy()
    cols = reflect_indices(tf.constant(28), tf.constant(SIZE)).numpy()
    padded = image[rows][:, cols][None].astype(np.float32) / 127.5 - 1.0
    reference = keras_reference(fixed["model"], padded)
    for key in ("image", "attention", "content"):
        assert result[key].shape[:2] == (20, 28)
        assert np.abs(result[key] - reference[key][0, :20, :28]).max() <= FP32_TOLERANCE, key
    with pytest.raises(ValueError, match=f"takes images up to {SIZE}×{SIZE} .* got 32×40"):
        runner.run([random_uint8((40, 32, 3), 7)])


def test_translate_refuses_a_larger_image_in_one_line(fixed, tmp_path):
    assert_translate_refuses_a_larger_image(fixed["summary"]["tflite"]["float32"]["path"], tmp_path)
