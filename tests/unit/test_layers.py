"""Tiny-shape tests of the building blocks in attentiongan_tf.layers."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.layers import InstanceNormalization, ReflectionPadding2D, ResnetBlock, TorchConvTranspose2D


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


def test_instance_norm_rejects_non_4d():
    with pytest.raises(ValueError, match="NHWC"):
        InstanceNormalization()(tf.zeros([2, 4, 3]))


def test_reflection_padding_matches_numpy_reflect():
    x = np.arange(2 * 5 * 6 * 1, dtype=np.float32).reshape(2, 5, 6, 1)
    y = ReflectionPadding2D(2)(x).numpy()
    np.testing.assert_array_equal(y, np.pad(x, [(0, 0), (2, 2), (2, 2), (0, 0)], mode="reflect"))
    assert ReflectionPadding2D(3).compute_output_shape((None, 8, None, 3)) == (None, 14, None, 3)


def _torch_conv_transpose_reference(x: np.ndarray, kernel: np.ndarray, stride: int, padding: int, out_pad: int):
    """Direct scatter definition of PyTorch ConvTranspose2d (NHWC input, Keras (kh, kw, out, in) kernel)."""
    batch, height, width, _ = x.shape
    k = kernel.shape[0]
    full = np.zeros((batch, (height - 1) * stride + k, (width - 1) * stride + k, kernel.shape[2]))
    for i in range(height):
        for j in range(width):
            full[:, i * stride : i * stride + k, j * stride : j * stride + k, :] += np.einsum(
                "bc,hwoc->bhwo", x[:, i, j, :], kernel
            )
    out_h = (height - 1) * stride + k - 2 * padding + out_pad
    out_w = (width - 1) * stride + k - 2 * padding + out_pad
    return full[:, padding : padding + out_h, padding : padding + out_w, :]


def test_torch_conv_transpose_alignment_matches_pytorch_definition():
    layer = TorchConvTranspose2D(3, kernel_size=3, strides=2, padding=1, output_padding=1)
    x = tf.random.stateless_normal([2, 4, 5, 2], seed=[3, 4])
    y = layer(x).numpy()
    assert y.shape == (2, 8, 10, 3)
    kernel, bias = (w.numpy() for w in layer.deconv.weights)
    expected = _torch_conv_transpose_reference(x.numpy(), kernel, 2, 1, 1) + bias
    np.testing.assert_allclose(y, expected, atol=1e-5)
    # Keras 'same' keeps rows [0, 2n-1]: a different crop, so official weights would shift by one pixel.
    same = keras.layers.Conv2DTranspose(3, 3, strides=2, padding="same")
    same.build(x.shape)
    same.set_weights(layer.deconv.get_weights())
    assert not np.allclose(same(x).numpy(), y, atol=1e-3)


def test_torch_conv_transpose_dynamic_shape_and_config():
    layer = TorchConvTranspose2D(4, kernel_initializer="ones")
    fn = tf.function(layer, input_signature=[tf.TensorSpec([None, None, None, 2])])
    assert fn(tf.zeros([1, 3, 7, 2])).shape == (1, 6, 14, 4)
    assert layer.compute_output_shape((None, None, 5, 2)) == (None, None, 10, 4)
    clone = TorchConvTranspose2D.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="output_padding"):
        TorchConvTranspose2D(4, strides=2, output_padding=2)


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
