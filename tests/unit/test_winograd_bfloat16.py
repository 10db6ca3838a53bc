"""Winograd in bfloat16 (``--mixed-precision bfloat16 --conv-algorithm winograd``): F(2×2, 3×3), whose errors stay
within a few times the direct bfloat16 kernel's, in the convolution and in a ResNet block."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.nn.resnet_block import CONV_ALGORITHMS, ResnetBlock, use_conv_algorithm
from attentiongan_tf.nn.winograd import winograd_conv3x3
from tests.unit.winograd_helpers import direct, relative_error, values_and_gradients


def bfloat16(*tensors):
    return [tf.cast(t, tf.bfloat16) for t in tensors]


@pytest.mark.parametrize("shape, out_channels, padding", [
    ((1, 18, 18, 32), 32, "valid"), ((2, 11, 9, 16), 8, "valid"), ((1, 3, 3, 8), 4, "valid"),
    ((2, 10, 14, 16), 16, "reflect"), ((1, 7, 9, 8), 8, "reflect"), ((1, 2, 2, 8), 8, "reflect"),
])  # fmt: skip
def test_bfloat16_runs_f2x2_within_bfloat16_rounding_of_the_direct_convolution(shape, out_channels, padding):
    """In bfloat16 the transforms are F(2×2, 3×3)'s (F(4×4)'s would amplify bfloat16's rounding to several
    percent): values and both gradients stay within a few times the direct bfloat16 kernel's own error."""
    inputs = tf.nn.relu(tf.random.stateless_normal(shape, seed=[1, 2]))  # a ResNet block's input: after a ReLU
    kernel = tf.random.stateless_normal((3, 3, shape[-1], out_channels), seed=[3, 4]) / (3 * shape[-1] ** 0.5)

    def reference(x, k):  # float32 direct convolution, reflection-padded where asked
        return direct(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT") if padding == "reflect" else x, k)

    expected = values_and_gradients(reference, inputs, kernel)
    direct_bfloat16 = values_and_gradients(reference, *bfloat16(inputs, kernel))
    got = values_and_gradients(lambda x, k: winograd_conv3x3(x, k, padding), *bfloat16(inputs, kernel))
    for name, e, d, g in zip(("outputs", "input gradient", "kernel gradient"), expected, direct_bfloat16, got,
                             strict=True):  # fmt: skip
        assert g.dtype == tf.bfloat16 and g.shape == e.shape, name
        direct_error = relative_error(e, tf.cast(d, tf.float32))
        winograd_error = relative_error(e, tf.cast(g, tf.float32))
        assert winograd_error < max(4 * direct_error, 4e-3), (name, winograd_error, direct_error)
        assert winograd_error < 2e-2, name


def test_bfloat16_multiplies_16_tile_positions_not_36():
    traced = tf.function(winograd_conv3x3).get_concrete_function(
        tf.TensorSpec([1, 8, 8, 4], tf.bfloat16), tf.TensorSpec([3, 3, 4, 4], tf.bfloat16)
    )
    products = [op.outputs[0].shape for op in traced.graph.get_operations() if op.type == "BatchMatMulV2"]
    assert products and all(shape[0] == 16 for shape in products), products  # 4×4 input tiles: F(2×2, 3×3)


def test_bfloat16_with_shapes_unknown_when_traced():
    signature = [tf.TensorSpec([None, None, None, 4], tf.bfloat16), tf.TensorSpec([3, 3, 4, 6], tf.bfloat16)]
    traced = tf.function(lambda x, k: values_and_gradients(winograd_conv3x3, x, k), input_signature=signature)
    inputs, kernel = bfloat16(tf.random.stateless_normal((2, 13, 17, 4), seed=[5, 6]),
                              tf.random.stateless_normal((3, 3, 4, 6), seed=[7, 8]) * 0.3)  # fmt: skip
    for e, g in zip(values_and_gradients(winograd_conv3x3, inputs, kernel), traced(inputs, kernel), strict=True):
        np.testing.assert_array_equal(tf.cast(e, tf.float32), tf.cast(g, tf.float32))


def test_resnet_block_in_mixed_bfloat16_is_as_close_to_float32_with_either_algorithm():
    """Under the ``mixed_bfloat16`` policy the Winograd block computes in bfloat16 like the direct one, and its
    output and kernel gradients stay about as close to the float32 block's (root mean square, within 2.5× the
    direct bfloat16 block's error; the instance norms' backward pass makes both several percent)."""
    keras.utils.set_random_seed(0)
    blocks = {"float32": ResnetBlock(16), "mixed_bfloat16": ResnetBlock(16, dtype="mixed_bfloat16")}
    x = tf.nn.relu(tf.random.stateless_normal([2, 12, 12, 16], seed=[9, 10]))
    upstream = tf.random.stateless_normal([2, 12, 12, 16], seed=[1, 1])
    for block in blocks.values():
        block(x)
    blocks["mixed_bfloat16"].set_weights(blocks["float32"].get_weights())

    def output_and_kernel_gradients(block: ResnetBlock, algorithm: str) -> list[tf.Tensor]:
        use_conv_algorithm(block, algorithm)
        kernels = [block.conv1.kernel, block.conv2.kernel]
        with tf.GradientTape() as tape:
            y = block(x)
            loss = tf.reduce_sum(tf.cast(y, tf.float32) * upstream)
        assert y.dtype == block.compute_dtype
        return [tf.cast(y, tf.float32), *tape.gradient(loss, kernels)]

    expected = output_and_kernel_gradients(blocks["float32"], "direct")
    errors = {}
    for algorithm in CONV_ALGORITHMS:
        got = output_and_kernel_gradients(blocks["mixed_bfloat16"], algorithm)
        errors[algorithm] = [float(tf.norm(e - g) / tf.norm(e)) for e, g in zip(expected, got, strict=True)]
    for name, direct_error, winograd_error in zip(("output", "conv1", "conv2"), *errors.values(), strict=True):
        assert 0 < winograd_error < 2.5 * direct_error, (name, errors)
