"""Winograd F(4×4, 3×3) convolution (``train.conv_algorithm = "winograd"``): the same numbers and gradients as the
direct convolution to float32 rounding, on any size, and only where it applies."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.nn.resnet_block import CONV_ALGORITHMS, ResnetBlock, use_conv_algorithm
from attentiongan_tf.nn.winograd import winograd_conv3x3
from tests.unit.winograd_helpers import direct, relative_error, values_and_gradients


@pytest.mark.parametrize(
    "shape, out_channels",
    [((1, 18, 18, 8), 8), ((2, 11, 9, 5), 7), ((1, 3, 3, 4), 2), ((3, 14, 22, 6), 3), ((1, 7, 30, 2), 5)],
)
def test_values_and_both_gradients_match_the_direct_convolution(shape, out_channels):
    inputs = tf.random.stateless_normal(shape, seed=[1, 2])
    kernel = tf.random.stateless_normal((3, 3, shape[-1], out_channels), seed=[3, 4]) * 0.3
    expected = values_and_gradients(direct, inputs, kernel)
    got = values_and_gradients(winograd_conv3x3, inputs, kernel)
    assert got[0].shape == expected[0].shape == (shape[0], shape[1] - 2, shape[2] - 2, out_channels)
    for name, e, g in zip(("outputs", "input gradient", "kernel gradient"), expected, got, strict=True):
        assert relative_error(e, g) < 2e-5, name


def test_shapes_unknown_when_traced():
    signature = [tf.TensorSpec([None, None, None, 4]), tf.TensorSpec([3, 3, 4, 6])]
    traced = tf.function(lambda x, k: values_and_gradients(winograd_conv3x3, x, k), input_signature=signature)
    inputs = tf.random.stateless_normal((2, 13, 17, 4), seed=[5, 6])
    kernel = tf.random.stateless_normal((3, 3, 4, 6), seed=[7, 8])
    for e, g in zip(values_and_gradients(direct, inputs, kernel), traced(inputs, kernel), strict=True):
        assert relative_error(e, g) < 2e-5


def test_the_transformed_kernel_waits_for_the_inputs():
    # A graph runs an op once its inputs are ready: the kernel transform must not run (and stay in memory) from
    # the start of a step, so it waits for the layer's inputs (and, in the backward pass, for the gradient).
    kernel = tf.Variable(tf.ones([3, 3, 4, 4]))

    @tf.function
    def step(inputs):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(winograd_conv3x3(tf.nn.relu(inputs), kernel))
        return tape.gradient(loss, kernel)

    graph = step.get_concrete_function(tf.TensorSpec([1, 10, 10, 4])).graph
    kernel_reads = [op for op in graph.get_operations() if op.type == "Reshape" and "ReadVariableOp" in
                    op.inputs[0].op.type]  # fmt: skip
    assert len(kernel_reads) == 2, "the forward and the backward pass each transform the kernel once"
    for reshape in kernel_reads:
        (transform,) = reshape.outputs[0].consumers()
        assert transform.type == "MatMul"
        # (TensorFlow puts the control edge on the first ops without inputs: the constants these two ops read)
        near = [transform, reshape, *(t.op for t in transform.inputs), *(t.op for t in reshape.inputs)]
        assert any(op.control_inputs for op in near), f"{transform.name} runs as soon as the kernel is read"


def reflect_then_direct(inputs, kernel):
    return direct(tf.pad(inputs, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT"), kernel)


@pytest.mark.parametrize("shape", [(1, 16, 16, 8), (2, 9, 11, 5), (1, 2, 2, 3), (3, 13, 6, 4)])
def test_reflect_padding_matches_reflect_pad_then_direct_convolution(shape):
    inputs = tf.random.stateless_normal(shape, seed=[11, 12])
    kernel = tf.random.stateless_normal((3, 3, shape[-1], 6), seed=[13, 14]) * 0.3
    expected = values_and_gradients(reflect_then_direct, inputs, kernel)
    got = values_and_gradients(lambda x, k: winograd_conv3x3(x, k, padding="reflect"), inputs, kernel)
    assert got[0].shape == (*shape[:3], 6)
    for name, e, g in zip(("outputs", "input gradient", "kernel gradient"), expected, got, strict=True):
        assert relative_error(e, g) < 2e-5, name
    signature = [tf.TensorSpec([None, None, None, shape[-1]]), tf.TensorSpec([3, 3, shape[-1], 6])]
    traced = tf.function(lambda x, k: values_and_gradients(lambda a, b: winograd_conv3x3(a, b, "reflect"), x, k),
                         input_signature=signature)  # fmt: skip
    for e, g in zip(expected, traced(inputs, kernel), strict=True):
        assert relative_error(e, g) < 2e-5


def _input_transforms(graph: tf.Graph) -> list:
    """The MatMuls that transform input tiles (``B^T d B`` as one 36×36 matrix, a captured tensor shared by every
    call, times the gathered tiles); not the input gradient's adjoint transform, also 36×36, whose parts a split
    takes apart."""
    return [op for op in graph.get_operations() if op.type == "MatMul" and not op.get_attr("transpose_a")
            and op.inputs[0].op.type == "Placeholder" and op.inputs[0].shape == (36, 36)
            and all(not use.type.startswith("Split") for use in op.outputs[0].consumers())]  # fmt: skip


def _ancestors(op: tf.Operation) -> list:
    seen, stack = {}, [op]
    while stack:
        for parent in (t.op for t in stack.pop().inputs):
            if parent.name not in seen:
                seen[parent.name] = parent
                stack.append(parent)
    return list(seen.values())


@pytest.mark.parametrize("padding", ["valid", "reflect"])
def test_backward_pass_recomputes_the_input_tiles_instead_of_keeping_them(padding):
    # The transformed tiles are 2.25× the input: kept from the forward to the backward pass they held ~1 GiB per
    # step at 256² (108 calls). The forward's tiles must feed only the forward product; the backward pass transforms
    # again, and only once its upstream gradient exists (else the graph would run it early and hold it anyway).
    kernel = tf.Variable(tf.ones([3, 3, 4, 4]))

    @tf.function
    def step(inputs):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(winograd_conv3x3(tf.nn.relu(inputs), kernel, padding) ** 2)
        return tape.gradient(loss, kernel)

    graph = step.get_concrete_function(tf.TensorSpec([1, 10, 10, 4])).graph
    transforms = _input_transforms(graph)
    assert len(transforms) == 2, "one transform in the forward pass and one in the backward pass"
    uses = []
    for transform in transforms:
        (reshape,) = transform.outputs[0].consumers()
        products = reshape.outputs[0].consumers()
        assert len(products) == 1 and products[0].type == "BatchMatMulV2"
        uses.append(products[0].get_attr("adj_x"))  # the kernel gradient's product reads the tiles transposed
        waits = any(op.control_inputs for op in [transform, *_ancestors(transform)])
        assert waits == products[0].get_attr("adj_x"), f"{transform.name}: only the backward transform waits"
    assert sorted(uses) == [False, True]


def test_known_shapes_fold_the_tile_arithmetic_into_constants():
    """Traced with static shapes (training), the tile counts, pads and reshapes are Python numbers: no shape ops
    per call (108 calls per training step, about 18,000 graph nodes at 128-256²)."""
    kernel = tf.Variable(tf.ones([3, 3, 4, 4]))

    @tf.function
    def step(inputs):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(winograd_conv3x3(inputs, kernel, padding="reflect"))
        return tape.gradient(loss, kernel)

    graph = step.get_concrete_function(tf.TensorSpec([2, 11, 9, 4])).graph
    static = [op.type for op in graph.get_operations()]
    assert "Shape" not in static and "FloorDiv" not in static
    # The tiles are gathered straight from the unpadded input through reflected indices: no padded copy of the
    # input in either pass; the backward pass folds the reflection's gradient back with one MirrorPadGrad.
    assert "MirrorPad" not in static and static.count("MirrorPadGrad") == 1
    dynamic = [
        op.type for op in step.get_concrete_function(tf.TensorSpec([None, None, None, 4])).graph.get_operations()
    ]
    assert "Shape" in dynamic  # unknown sizes still work (test_shapes_unknown_when_traced)


def test_refuses_other_dtypes_and_kernel_sizes():
    x = tf.zeros([1, 8, 8, 4])
    with pytest.raises(ValueError, match="float32 or bfloat16.*float16"):
        winograd_conv3x3(tf.cast(x, tf.float16), tf.zeros([3, 3, 4, 4], tf.float16))
    with pytest.raises(ValueError, match="float32 or bfloat16"):  # one dtype for both
        winograd_conv3x3(x, tf.zeros([3, 3, 4, 4], tf.bfloat16))
    with pytest.raises(ValueError, match="3×3 kernel"):
        winograd_conv3x3(x, tf.zeros([5, 5, 4, 4]))
    with pytest.raises(ValueError, match="padding must be one of"):
        winograd_conv3x3(x, tf.zeros([3, 3, 4, 4]), padding="same")


def test_resnet_block_computes_the_same_with_either_algorithm():
    keras.utils.set_random_seed(0)
    block = ResnetBlock(6)
    x = tf.random.stateless_normal([2, 12, 12, 6], seed=[9, 10])
    results = {}
    for algorithm in CONV_ALGORITHMS:
        assert use_conv_algorithm(block, algorithm) == 1 and block.conv_algorithm == algorithm
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(block(x) ** 2)
        results[algorithm] = [loss, *tape.gradient(loss, block.trainable_variables)]
    np.testing.assert_allclose(results["winograd"][0], results["direct"][0], rtol=1e-5)
    # The biases before the instance norms get gradients of pure rounding noise: compare at the gradients' scale.
    scale = max(float(tf.reduce_max(tf.abs(g))) for g in results["direct"][1:])
    for direct_value, winograd_value in zip(results["direct"][1:], results["winograd"][1:], strict=True):
        assert float(tf.reduce_max(tf.abs(winograd_value - direct_value))) < 2e-5 * scale
    assert "conv_algorithm" not in block.get_config()  # a training setting, not part of the model


def test_use_conv_algorithm_sets_every_block_and_checks_the_name():
    from attentiongan_tf import build_generator

    generator = build_generator("scheme2", ngf=4, n_blocks=3)
    assert use_conv_algorithm(generator, "winograd") == 3
    assert {block.conv_algorithm for block in generator.encoder.blocks} == {"winograd"}
    with pytest.raises(ValueError, match="conv_algorithm must be one of"):
        use_conv_algorithm(generator, "fft")


def test_exports_trace_direct_convolutions_whatever_the_trainer_set():
    # An export straight from a trainer's generator (a notebook) must not carry the Winograd tiles: TFLite has
    # no builtin for their 5- and 6-D slices.
    from attentiongan_tf import build_generator
    from attentiongan_tf.export.deploy_graph import deploy_graph

    generator = build_generator("scheme2", ngf=4, n_blocks=2)
    use_conv_algorithm(generator, "winograd")

    def op_types() -> set[str]:
        concrete = tf.function(generator).get_concrete_function(tf.TensorSpec([1, 16, 16, 3]))
        return {op.type for op in concrete.graph.get_operations()}

    assert "BatchMatMulV2" in op_types()
    with deploy_graph(generator):
        assert "BatchMatMulV2" not in op_types()
    assert {block.conv_algorithm for block in generator.encoder.blocks} == {"winograd"}


def test_calls_share_the_transform_matrices():
    """A graph op costs memory however small its tensor (docs/performance_log.md): the transform matrices are captured
    tensors shared by every call (108 per training step), not constants of each call."""
    kernel = tf.Variable(tf.ones([3, 3, 4, 4]))

    @tf.function
    def step(inputs):
        with tf.GradientTape() as tape:
            x = winograd_conv3x3(inputs, kernel, padding="reflect")
            loss = tf.reduce_sum(winograd_conv3x3(x, kernel, padding="reflect"))
        return tape.gradient(loss, kernel)

    graph = step.get_concrete_function(tf.TensorSpec([1, 8, 8, 4])).graph
    matrices = [op for op in graph.get_operations() if op.type == "Const" and op.outputs[0].dtype == tf.float32
                and op.outputs[0].shape.rank == 2]  # fmt: skip
    assert not matrices, [op.outputs[0].shape for op in matrices]
    # B^T, G, A^T and B's rows grouped by part, once each for both calls and both passes.
    assert len([t for t, _ in graph.captures if t.shape.rank == 2 and t.dtype == tf.float32]) == 4

