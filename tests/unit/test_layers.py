"""Tiny-shape tests of the building blocks in attentiongan_tf.nn.layers."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.nn.layers import (
    InstanceNormalization,
    ReflectionPadding2D,
    ResnetBlock,
    deploy_normalization,
    deploy_reflection,
)


def test_instance_norm_normalises_each_channel_of_each_image():
    x = tf.random.stateless_normal([3, 8, 9, 4], seed=[1, 2]) * 5.0 + 3.0
    y = InstanceNormalization()(x).numpy()
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-5)
    # torch.nn.InstanceNorm2d uses the biased variance and eps inside the square root.
    x64 = x.numpy().astype(np.float64)
    expected = (x64 - x64.mean(axis=(1, 2), keepdims=True)) / np.sqrt(x64.var(axis=(1, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, expected, atol=1e-5)


def test_instance_norm_affine_and_config():
    layer = InstanceNormalization(epsilon=1e-3, affine=True)
    layer(tf.zeros([1, 4, 4, 2]))
    assert [w.shape for w in layer.weights] == [(2,), (2,)]
    clone = InstanceNormalization.from_config(layer.get_config())
    assert (clone.epsilon, clone.affine) == (1e-3, True)


@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("batch", [1, 3])
def test_instance_norm_fused_training_path_matches_inference_path(affine, batch):
    layer = InstanceNormalization(affine=affine)
    x = tf.random.stateless_normal([batch, 6, 10, 5], seed=[7, batch]) * 4.0 + 2.0
    layer(x)
    if affine:
        layer.gamma.assign(tf.random.stateless_normal([5], seed=[1, 1]))
        layer.beta.assign(tf.random.stateless_normal([5], seed=[2, 2]))
    dynamic = tf.function(lambda t: layer(t, training=True), input_signature=[tf.TensorSpec([None, None, None, 5])])
    for fused in (layer(x, training=True), dynamic(x)):
        np.testing.assert_allclose(fused.numpy(), layer(x).numpy(), atol=2e-6)
    ops = {op.type for op in dynamic.get_concrete_function().graph.get_operations()}
    assert "FusedBatchNormV3" in ops
    # Gradients agree too (the point of the fused path is a faster backward pass).
    grads = []
    for training in (True, False):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, training=training) ** 3)
        grads.append(tape.gradient(loss, x).numpy())
    np.testing.assert_allclose(grads[0], grads[1], atol=2e-4, rtol=1e-4)


@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("batch", [1, 3])
def test_fused_training_norm_has_no_shape_ops_where_the_shape_is_known(affine, batch):
    """The trainers trace at fixed sizes: the fused norm's layout and its unit scale then fold into constants
    instead of a handful of shape ops per call (168 calls in a training step)."""
    layer = InstanceNormalization(affine=affine)
    x = tf.random.stateless_normal([batch, 6, 10, 5], seed=[5, batch])
    step = tf.function(lambda t: layer(t, training=True))
    np.testing.assert_allclose(step(x).numpy(), layer(x).numpy(), atol=2e-6)
    ops = [op.type for op in step.get_concrete_function(x).graph.get_operations()]
    assert not {"Shape", "StridedSlice", "Pack", "Fill"} & set(ops), ops


@pytest.mark.parametrize("half", ["bfloat16", "float16"])
@pytest.mark.parametrize("batch", [1, 3])
def test_mixed_precision_training_norm_takes_the_half_precision_tensor_without_casts(half, batch):
    # Issue #15: a float32 norm between two mixed-precision convolutions. The fused kernel computes float32
    # statistics of the half-precision tensor itself; the result is the float32 norm's, rounded once.
    layer = InstanceNormalization(dtype="float32")
    x = tf.cast(tf.random.stateless_normal([batch, 6, 10, 5], seed=[3, batch]) * 4.0 + 2.0, half)
    step = tf.function(lambda t: layer(t, training=True))
    out = step(x)
    assert out.dtype == half
    reference = tf.cast(layer(tf.cast(x, "float32"), training=True), half)
    np.testing.assert_allclose(out.numpy().astype(np.float32), reference.numpy().astype(np.float32), atol=2e-2)
    ops = [op.type for op in step.get_concrete_function(x).graph.get_operations()]
    assert "FusedBatchNormV3" in ops and "Cast" not in ops, ops
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(tf.cast(layer(x, training=True), "float32") ** 3)
    assert tape.gradient(loss, x).dtype == half
    # Inference and float32 inputs are unchanged: the layer's own dtype.
    assert layer(x).dtype == tf.float32 and layer(tf.cast(x, "float32"), training=True).dtype == tf.float32


def test_instance_norm_rejects_non_4d():
    with pytest.raises(ValueError, match="NHWC"):
        InstanceNormalization()(tf.zeros([2, 4, 3]))


@pytest.mark.parametrize("affine", [False, True])
def test_pooled_instance_norm_equals_reduce_mean_with_a_fixed_size(affine):
    norm = InstanceNormalization(affine=affine)
    x = tf.random.stateless_normal([2, 12, 20, 3], seed=[4, 2]) * 3.0 + 1.5
    norm.build(x.shape)
    reference = norm(x).numpy()
    fn = tf.function(norm.call, input_signature=[tf.TensorSpec([2, 12, 20, 3])])
    with deploy_normalization(norm, "pool") as switched:
        assert switched == 1 and norm.implementation == "pool"
        np.testing.assert_allclose(fn(x).numpy(), reference, atol=2e-6)
        ops = {op.type for op in fn.get_concrete_function().graph.get_operations()}
    assert norm.implementation == "reduce"
    # TF.js wasm transposes NHWC for every Mean over H and W; its AvgPool reduces in place (3x faster).
    assert "Mean" not in ops and "AvgPool" in ops


def test_pooled_instance_norm_keeps_reduce_mean_for_an_unknown_size():
    norm = InstanceNormalization()
    fn = tf.function(norm.call, input_signature=[tf.TensorSpec([1, None, None, 3])])
    x = tf.random.stateless_normal([1, 8, 6, 3], seed=[1, 1])
    with deploy_normalization(norm, "pool"):
        np.testing.assert_allclose(fn(x).numpy(), norm(x).numpy(), atol=1e-6)
        ops = {op.type for op in fn.get_concrete_function().graph.get_operations()}
    assert "Mean" in ops and "AvgPool" not in ops
    with pytest.raises(ValueError, match="implementation"), deploy_normalization(norm, "sum"):
        pass


@pytest.mark.parametrize("affine", [False, True])
def test_matmul_instance_norm_equals_reduce_mean_at_any_size(affine):
    """The means as a product with a column of 1/(H·W): TF.js wasm runs them 7× faster than its Mean (docs/models.md),
    at sizes unknown when traced and any batch."""
    norm = InstanceNormalization(affine=affine)
    norm.build([None, None, None, 3])
    if affine:
        norm.gamma.assign([0.5, 2.0, -1.0])
        norm.beta.assign([0.1, -0.2, 0.3])
    fn = tf.function(norm.call, input_signature=[tf.TensorSpec([None, None, None, 3])])
    with deploy_normalization(norm, "matmul") as switched:
        assert switched == 1
        for shape in ([2, 12, 20, 3], [1, 7, 5, 3]):
            x = tf.random.stateless_normal(shape, seed=[4, 2]) * 3.0 + 1.5
            np.testing.assert_allclose(fn(x).numpy(), norm(x, training=False).numpy(), atol=1e-5)
        ops = {op.type for op in fn.get_concrete_function().graph.get_operations()}
    assert norm.implementation == "reduce"
    assert "Mean" not in ops and "BatchMatMulV2" in ops


def test_reflection_padding_matches_numpy_reflect():
    x = np.arange(2 * 5 * 6 * 1, dtype=np.float32).reshape(2, 5, 6, 1)
    y = ReflectionPadding2D(2)(x).numpy()
    np.testing.assert_array_equal(y, np.pad(x, [(0, 0), (2, 2), (2, 2), (0, 0)], mode="reflect"))
    assert ReflectionPadding2D(3).compute_output_shape((None, 8, None, 3)) == (None, 14, None, 3)


@pytest.mark.parametrize("padding", [1, 2, 3])
def test_slices_reflection_equals_mirror_pad_with_unknown_shapes(padding):
    x = np.arange(2 * 5 * 6 * 2, dtype=np.float32).reshape(2, 5, 6, 2)
    layer = ReflectionPadding2D(padding)
    fn = tf.function(layer.call, input_signature=[tf.TensorSpec([None, None, None, 2])])
    with deploy_reflection(layer) as switched:
        assert switched == 1 and layer.implementation == "slices"
        y = fn(x).numpy()
        ops = {op.type for op in fn.get_concrete_function().graph.get_operations()}
    assert layer.implementation == "pad"
    np.testing.assert_array_equal(y, np.pad(x, [(0, 0), (padding,) * 2, (padding,) * 2, (0, 0)], mode="reflect"))
    assert "MirrorPad" not in ops and "ConcatV2" in ops
    with pytest.raises(ValueError, match="implementation"), deploy_reflection(layer, "gather"):
        pass


def test_resnet_block_is_residual_and_serialisable():
    block = ResnetBlock(4)
    x = tf.random.stateless_normal([2, 8, 8, 4], seed=[5, 6])
    y = block(x)
    assert y.shape == x.shape
    for variable in block.weights:
        variable.assign(tf.zeros_like(variable))
    # With zero convs both instance norms output zeros, so the block is the identity.
    np.testing.assert_allclose(block(x).numpy(), x.numpy(), atol=1e-6)
    assert ResnetBlock.from_config(block.get_config()).channels == 4


def test_layers_sharing_an_unseeded_initializer_get_distinct_weights():
    from attentiongan_tf import build_discriminator, build_generator

    block = ResnetBlock(4, kernel_initializer=keras.initializers.RandomNormal(stddev=0.02))
    block.build((None, 8, 8, 4))
    assert not np.allclose(block.conv1.kernel.numpy(), block.conv2.kernel.numpy())
    generator = build_generator("scheme2", ngf=4, n_blocks=3)
    kernels = [b.conv1.kernel.numpy() for b in generator.encoder.blocks]
    assert not np.allclose(kernels[0], kernels[1]) and not np.allclose(kernels[1], kernels[2])
    heads = generator.content_head.ups[0].deconv.kernel.numpy(), generator.attention_head.ups[0].deconv.kernel.numpy()
    assert not np.allclose(*heads)
    convs = build_discriminator(ndf=4).convs
    first = [c.kernel.numpy().ravel()[:16] for c in convs]
    assert not np.allclose(first[1], first[2])  # different shapes must not share a random stream either
    np.testing.assert_allclose(np.std(generator.encoder.blocks[0].conv1.kernel.numpy()), 0.02, rtol=0.3)


def test_sigmoid_form_of_the_content_tanh_is_the_same_and_has_no_tanh_op():
    from attentiongan_tf.nn.blocks import DecoderHead, deploy_tanh

    head = DecoderHead(4, 6, 3, "tanh")
    x = tf.random.stateless_normal([1, 4, 4, 16], seed=[7, 7]) * 4.0
    reference = head(x).numpy()
    fn = tf.function(head.call, input_signature=[tf.TensorSpec([1, 4, 4, 16])])
    with deploy_tanh(head) as switched:
        assert switched == 1 and head.tanh_implementation == "sigmoid"
        np.testing.assert_allclose(fn(x).numpy(), reference, atol=1e-6)
        ops = {op.type for op in fn.get_concrete_function().graph.get_operations()}
    assert head.tanh_implementation == "tanh"
    # TF.js wasm computes Tanh per element (36 ms at 256² × 27); its Sigmoid is a vectorised kernel (3 ms).
    assert "Tanh" not in ops and "Sigmoid" in ops
    with pytest.raises(ValueError, match="implementation"), deploy_tanh(head, "erf"):
        pass


def test_fused_training_norm_calls_share_one_unit_scale_and_zero_offset():
    """A graph op costs memory however small its tensor (docs/performance_log.md): the fused norm's unit scale and zero
    offset are one tensor per size that every call captures, not two constants per call (168 calls a step).
    TensorFlow inlines captured tensors of up to 128 elements as constants: the 128- to 512-channel norms share."""
    layer = InstanceNormalization()
    x = tf.random.stateless_normal([1, 6, 10, 129], seed=[5, 6])

    @tf.function
    def step(t):
        return layer(t, training=True) + layer(t * 2.0, training=True) + layer(t - 1.0, training=True)

    graph = step.get_concrete_function(x).graph
    vectors = [op for op in graph.get_operations() if op.type in ("Const", "Fill") and op.outputs[0].shape == (129,)]
    assert not vectors, vectors
    assert len([t for t, _ in graph.captures if t.shape == (129,)]) == 2  # the ones and the zeros, once each
    np.testing.assert_allclose(step(x).numpy(), step.python_function(x).numpy(), atol=1e-5)
