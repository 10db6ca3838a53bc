"""Tests of attentiongan_tf.nn.conv_transpose: PyTorch alignment of both implementations and the deploy switch."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf import build_generator
from attentiongan_tf.nn.conv_transpose import TorchConvTranspose2D, deploy_implementation, phase_taps


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


def _assert_matches_reference(layer: TorchConvTranspose2D, x: tf.Tensor) -> np.ndarray:
    y = layer(x).numpy()
    kernel, bias = (w.numpy() for w in layer.deconv.weights)
    expected = _torch_conv_transpose_reference(x.numpy(), kernel, layer.strides, layer.padding, layer.output_padding)
    np.testing.assert_allclose(y, expected + bias, atol=1e-5)
    return y


def test_torch_conv_transpose_alignment_matches_pytorch_definition():
    layer = TorchConvTranspose2D(3, kernel_size=3, strides=2, padding=1, output_padding=1)
    x = tf.random.stateless_normal([2, 4, 5, 2], seed=[3, 4])
    y = _assert_matches_reference(layer, x)
    assert y.shape == (2, 8, 10, 3)
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


# (kernel, stride, padding, output_padding): the official one first; all give exactly stride * n outputs.
PHASE_CONFIGS = [(3, 2, 1, 1), (4, 2, 1, 0), (5, 2, 2, 1), (3, 3, 0, 0), (6, 3, 2, 1)]


@pytest.mark.parametrize("implementation", ["transpose", "phases"])
@pytest.mark.parametrize("config", PHASE_CONFIGS)
def test_both_implementations_match_the_pytorch_definition(implementation, config):
    k, s, p, op = config
    layer = TorchConvTranspose2D(3, k, s, p, op, kernel_initializer="random_normal", implementation=implementation)
    x = tf.random.stateless_normal([2, 4, 5, 2], seed=[k, s])
    layer(x)
    layer.deconv.bias.assign(tf.random.stateless_normal([3], seed=[1, 2]))
    assert _assert_matches_reference(layer, x).shape == (2, 4 * s, 5 * s, 3)


def test_transpose_implementation_handles_outputs_other_than_stride_times_n():
    layer = TorchConvTranspose2D(2, kernel_size=3, strides=2, padding=1, output_padding=0)
    x = tf.random.stateless_normal([1, 4, 3, 2], seed=[9, 9])
    assert _assert_matches_reference(layer, x).shape == (1, 7, 5, 2)
    assert not layer.supports_phases
    with pytest.raises(ValueError, match="phases"):
        TorchConvTranspose2D(2, 3, 2, 1, 0, implementation="phases")
    with pytest.raises(ValueError, match="implementation"):
        TorchConvTranspose2D(2, implementation="winograd")


def test_phase_taps_cover_every_kernel_tap_once():
    for k, s, p, _ in PHASE_CONFIGS:
        taps = sorted(t for phase in phase_taps(k, s, p) for _, t in phase)
        assert taps == list(range(k))
    assert phase_taps(3, 2, 1) == [[(0, 1)], [(0, 2), (1, 0)]]


def test_phases_graph_has_no_transposed_convolution():
    layer = TorchConvTranspose2D(4, implementation="phases")
    fn = tf.function(layer, input_signature=[tf.TensorSpec([None, None, None, 2])])
    ops = {op.type for op in fn.get_concrete_function().graph.get_operations()}
    # DepthToSpace is a per-element loop in TF.js wasm (0.1 s at 128² × 128); concat + reshape interleave instead.
    assert "Conv2DBackpropInput" not in ops and "DepthToSpace" not in ops and "Conv2D" in ops


def test_deploy_implementation_switches_and_restores_every_layer():
    generator = build_generator(ngf=4, n_blocks=1)
    x = tf.random.stateless_uniform([1, 16, 16, 3], seed=[3, 3], minval=-1, maxval=1)
    reference = generator(x)["image"].numpy()
    layers = [layer for layer in generator._flatten_layers() if isinstance(layer, TorchConvTranspose2D)]
    assert len(layers) == 4
    with deploy_implementation(generator) as switched:
        assert switched == 4 and {layer.implementation for layer in layers} == {"phases"}
        np.testing.assert_allclose(generator(x)["image"].numpy(), reference, atol=1e-5)
    assert {layer.implementation for layer in layers} == {"transpose"}


def test_config_round_trip_keeps_the_implementation():
    layer = TorchConvTranspose2D(4, implementation="phases")
    clone = TorchConvTranspose2D.from_config(layer.get_config())
    assert clone.implementation == "phases" and clone.get_config() == layer.get_config()
    model = keras.Sequential([keras.Input((8, 8, 2)), layer])
    assert model(tf.zeros([1, 8, 8, 2])).shape == (1, 16, 16, 4)


@pytest.mark.parametrize("dtype", ["float32", "mixed_bfloat16"])
def test_transpose_graph_keeps_onednn_friendly_valid_padding(dtype):
    # Explicit paddings make TensorFlow fall back from oneDNN to Eigen: about 6x slower bfloat16 training.
    layer = TorchConvTranspose2D(4, dtype=dtype)
    fn = tf.function(layer, input_signature=[tf.TensorSpec([None, None, None, 2])])
    ops = [op for op in fn.get_concrete_function().graph.get_operations() if op.type == "Conv2DBackpropInput"]
    assert len(ops) == 1 and ops[0].get_attr("padding") == b"VALID"
