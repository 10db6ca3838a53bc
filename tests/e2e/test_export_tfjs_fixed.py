"""export.py --tfjs-fixed-size: a [1, N, N, 3] TF.js graph model whose instance norms are average pools (TF.js
wasm transposes the tensor for every Mean) that matches the Keras model in Node; the runner pads smaller images
to N × N and refuses larger ones in one line."""

import json

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.export.serving import reflect_indices
from attentiongan_tf.inference import TFJSNodeRunner
from tests.e2e.export_helpers import (
    assert_translate_refuses_a_larger_image,
    fixed_size_export,
    random_uint8,
)
from tests.e2e.test_export_runtimes import FP32_TOLERANCE
from tests.e2e.test_export_tflite_fixed import keras_reference

pytestmark = pytest.mark.slow
SIZE = 32


@pytest.fixture(scope="module")
def fixed(tmp_path_factory):
    return fixed_size_export(tmp_path_factory.mktemp("tfjs_fixed"), "tfjs", "float32", SIZE)


def test_fixed_graph_has_a_static_input_and_pooled_norms(fixed):
    info = fixed["summary"]["tfjs"]["float32"]
    assert info["path"].endswith(f"tfjs/float32_fixed{SIZE}") and info["fixed_size"] == SIZE
    spec = json.loads((fixed["root"] / "out" / "tfjs" / f"float32_fixed{SIZE}" / "model.json").read_text())
    ops = {node["op"] for node in spec["modelTopology"]["node"]}
    assert "AvgPool" in ops and not ops & {"Mean", "DepthToSpace", "SplitV", "GatherV2", "Shape"}, ops
    dims = [int(d["size"]) for d in spec["signature"]["inputs"]["images"]["tensorShape"]["dim"]]
    assert dims == [1, SIZE, SIZE, 3]


def test_node_runner_matches_keras_pads_smaller_images_and_refuses_larger_ones(fixed):
    runner = TFJSNodeRunner(fixed["summary"]["tfjs"]["float32"]["path"])
    assert runner.fixed_size == (SIZE, SIZE)
    full, small = random_uint8((SIZE, SIZE, 3), 4), random_uint8((20, 28, 3), 6)
    results = runner.run_raw([full, small])
    rows = reflect_indices(tf.constant(20), tf.constant(SIZE)).numpy()
    cols = reflect_indices(tf.constant(28), tf.constant(SIZE)).numpy()
    cases = ((full, results[0], (SIZE, SIZE)), (small[rows][:, cols], results[1], (20, 28)))
    for image, result, (height, width) in cases:
        reference = keras_reference(fixed["model"], image[None].astype(np.float32) / 127.5 - 1.0)
        for key in ("image", "attention", "content"):
            assert result[key].shape[:2] == (height, width), key
            assert np.abs(result[key] - reference[key][0, :height, :width]).max() <= FP32_TOLERANCE, key
    with pytest.raises(ValueError, match=f"takes images up to {SIZE}×{SIZE} .* got 32×40"):
        runner.run([random_uint8((40, 32, 3), 7)])


def test_node_runner_threads_give_the_same_outputs(fixed):
    path = fixed["summary"]["tfjs"]["float32"]["path"]
    image = random_uint8((SIZE, SIZE, 3), 4)
    one, two = TFJSNodeRunner(path, num_threads=1), TFJSNodeRunner(path, num_threads=2)
    single, threaded = one.run_raw([image])[0], two.run_raw([image])[0]
    assert (one.last_threads, two.last_threads) == (1, 2)
    for key in ("image", "attention", "content"):
        assert np.abs(single[key] - threaded[key]).max() <= 1e-5, key


def test_translate_refuses_a_larger_image_in_one_line(fixed, tmp_path):
    assert_translate_refuses_a_larger_image(fixed["summary"]["tfjs"]["float32"]["path"], tmp_path)
