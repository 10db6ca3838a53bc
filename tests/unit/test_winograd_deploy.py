"""Winograd F(4×4, 3×3) for exported graphs: the same numbers as the direct convolution, in ops of rank ≤ 4, and
how a ResNet block switches to it for an export and back."""

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.nn.resnet_block import ResnetBlock, deploy_convolutions
from attentiongan_tf.nn.winograd_deploy import transform_kernel, winograd_conv3x3_constant
from attentiongan_tf.nn.winograd_transforms import F4X4


def _relative_error(actual, expected) -> float:
    return float(np.abs(actual - expected).max() / np.abs(expected).max())


@pytest.mark.parametrize("shape", [(1, 10, 10, 8), (2, 11, 13, 8), (1, 3, 3, 8), (3, 7, 18, 8), (1, 6, 10, 8)])
def test_matches_the_direct_convolution_for_static_and_dynamic_sizes(shape):
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=shape).astype(np.float32)
    kernel = rng.normal(size=(3, 3, 8, 5)).astype(np.float32)
    expected = tf.nn.conv2d(inputs, kernel, 1, "VALID").numpy()
    static = winograd_conv3x3_constant(tf.constant(inputs), kernel).numpy()
    dynamic = tf.function(
        lambda x: winograd_conv3x3_constant(x, kernel), input_signature=[tf.TensorSpec([None, None, None, 8])]
    )(inputs).numpy()
    for actual in (static, dynamic):
        assert actual.shape == expected.shape
        assert _relative_error(actual, expected) < 2e-5


def test_every_tensor_of_the_graph_has_rank_four_or_less():
    # TFLite has no builtin for the 5- and 6-D slices of the training form; this one must convert.
    kernel = np.ones((3, 3, 4, 4), np.float32)
    for spec in (tf.TensorSpec([1, 18, 18, 4]), tf.TensorSpec([1, 17, 18, 4]), tf.TensorSpec([None, None, None, 4])):
        graph = tf.function(lambda x: winograd_conv3x3_constant(x, kernel)).get_concrete_function(spec).graph
        ranks = {t.shape.rank for op in graph.get_operations() for t in op.outputs}
        assert max(r for r in ranks if r is not None) <= 4


def test_transform_kernel_is_the_training_forms_kernel_transform():
    kernel = np.random.default_rng(1).normal(size=(3, 3, 2, 3))
    expected = (F4X4.filter2 @ kernel.reshape(9, -1)).reshape(36, 2, 3)
    np.testing.assert_allclose(transform_kernel(kernel), expected, atol=1e-12)


def test_bad_kernels_and_inputs_are_refused():
    with pytest.raises(ValueError, match=r"must be \[3, 3, in, out\]"):
        transform_kernel(np.zeros((5, 5, 2, 2)))
    with pytest.raises(ValueError, match="inputs have 3 channels, the kernel takes 2"):
        winograd_conv3x3_constant(tf.zeros([1, 6, 6, 3]), np.zeros((3, 3, 2, 2), np.float32))


def test_resnet_block_traces_frozen_winograd_inside_deploy_convolutions_and_restores_its_algorithm():
    block = ResnetBlock(8)
    inputs = tf.random.stateless_normal([2, 9, 11, 8], seed=[1, 2])
    direct = block(inputs).numpy()
    block.conv_algorithm = "winograd"  # what a trainer sets
    with deploy_convolutions(block, "winograd") as switched:
        assert switched == 1 and block.conv_algorithm == "winograd_constant"
        concrete = tf.function(block).get_concrete_function(tf.TensorSpec([None, None, None, 8]))
        frozen = concrete(inputs).numpy()
    assert block.conv_algorithm == "winograd"
    assert _relative_error(frozen, direct) < 2e-5
    assert "BatchMatMulV2" in {op.type for op in concrete.graph.get_operations()}
    with pytest.raises(ValueError, match="deploy conv_algorithm must be one of"):
        deploy_convolutions(block, "fft")


def test_static_sizes_the_tiles_cover_exactly_need_no_pad_or_crop():
    kernel = np.ones((3, 3, 4, 4), np.float32)
    graph = tf.function(lambda x: winograd_conv3x3_constant(x, kernel)).get_concrete_function(
        tf.TensorSpec([1, 18, 10, 4])
    ).graph
    assert not {"Pad", "StridedSlice"} & {op.type for op in graph.get_operations()}


@pytest.mark.parametrize("size", [(10, 10), (14, 22), (6, 6)])
def test_one_image_of_whole_tiles_at_run_time_sizes_has_no_run_time_sized_op(size):
    # The any-size float32_winograd model: XNNPACK takes a reshape only to a constant shape with at most one
    # dimension left to the run time, and no pad or slice with run-time sizes; this form has none of them.
    rng = np.random.default_rng(2)
    inputs = rng.normal(size=(1, *size, 8)).astype(np.float32)
    kernel = rng.normal(size=(3, 3, 8, 5)).astype(np.float32)
    fn = tf.function(lambda x: winograd_conv3x3_constant(x, kernel, whole_tiles=True))
    concrete = fn.get_concrete_function(tf.TensorSpec([1, None, None, 8]))
    types = {op.type for op in concrete.graph.get_operations()}
    assert types <= {"Placeholder", "Const", "Identity", "Transpose", "Conv2D", "BatchMatMulV2", "DepthToSpace"}, types
    assert _relative_error(concrete(inputs).numpy(), tf.nn.conv2d(inputs, kernel, 1, "VALID").numpy()) < 2e-5


def test_whole_tiles_is_ignored_where_sizes_or_batch_are_static_or_not_one():
    rng = np.random.default_rng(3)
    kernel = rng.normal(size=(3, 3, 4, 4)).astype(np.float32)
    cases = ((tf.TensorSpec([1, 9, 11, 4]), (1, 9, 11, 4)), (tf.TensorSpec([None, None, None, 4]), (2, 9, 11, 4)))
    for spec, shape in cases:
        inputs = rng.normal(size=shape).astype(np.float32)
        fn = tf.function(lambda x: winograd_conv3x3_constant(x, kernel, whole_tiles=True), input_signature=[spec])
        expected = tf.nn.conv2d(inputs, kernel, 1, "VALID").numpy()
        assert _relative_error(fn(inputs).numpy(), expected) < 2e-5


def test_one_image_form_runs_whole_in_xnnpack_at_any_size():
    from ai_edge_litert.interpreter import Interpreter

    from attentiongan_tf.export.tflite import delegated_parts

    rng = np.random.default_rng(4)
    kernel = rng.normal(size=(3, 3, 8, 8)).astype(np.float32)
    fn = tf.function(lambda x: winograd_conv3x3_constant(x, kernel, whole_tiles=True))
    concrete = fn.get_concrete_function(tf.TensorSpec([1, None, None, 8]))
    content = tf.lite.TFLiteConverter.from_concrete_functions([concrete], fn).convert()
    interpreter = Interpreter(model_content=content, num_threads=1)
    for size in ((10, 14), (18, 6)):
        inputs = rng.normal(size=(1, *size, 8)).astype(np.float32)
        interpreter.resize_tensor_input(interpreter.get_input_details()[0]["index"], inputs.shape)
        interpreter.allocate_tensors()
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], inputs)
        interpreter.invoke()
        outputs = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
        assert _relative_error(outputs, tf.nn.conv2d(inputs, kernel, 1, "VALID").numpy()) < 2e-5
        assert delegated_parts(interpreter) == 1
