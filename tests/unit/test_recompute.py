"""nn.recompute: activations computed again in the backward pass instead of kept (float32 training memory)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.models.generators import AttentionGANGenerator
from attentiongan_tf.nn.blocks import DecoderHead, ResnetEncoder
from attentiongan_tf.nn.recompute import recompute_in_backward, recomputes, use_recompute
from attentiongan_tf.nn.resnet_block import ResnetBlock, use_conv_algorithm

REPO_ROOT = Path(__file__).resolve().parents[2]


def kept_for_backward(layer, x: tf.Tensor) -> list[tuple[str, tuple]]:
    """(op type, shape) of each forward tensor of at least ``x``'s size that the backward pass of a training
    call of ``layer`` reads: what stays alive from the forward pass to the backward pass."""
    marks = {}

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            outputs = _outputs(layer(x, training=True))
        marks["backward_from"] = len(tf.compat.v1.get_default_graph().get_operations())
        return tape.gradient(outputs, [x, *layer.trainable_variables], output_gradients=_upstream(outputs))

    ops = step.get_concrete_function(x).graph.get_operations()
    backward = {op.name for op in ops[marks["backward_from"] :]}
    kept = []
    for op in ops[: marks["backward_from"]]:
        for out in op.outputs:
            large = out.dtype.is_floating and (out.shape.num_elements() or 0) >= x.shape.num_elements()
            if large and op.type != "ReadVariableOp" and any(c.name in backward for c in out.consumers()):
                kept.append((op.type, tuple(out.shape)))
    return kept


def _outputs(out) -> list[tf.Tensor]:
    return [out["image"], out["attention"]] if isinstance(out, dict) else [out]


def _upstream(outputs: list[tf.Tensor]) -> list[tf.Tensor]:
    """Fixed pseudo-random gradients for ``outputs`` (no loss op: nothing in the backward pass reads them)."""
    return [tf.random.stateless_normal(tf.shape(out), [i, 7]) for i, out in enumerate(outputs)]


def gradients(layer, x: tf.Tensor, function: bool = True) -> list[np.ndarray]:
    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            outputs = _outputs(layer(x, training=True))
        return tape.gradient(outputs, [x, *layer.trainable_variables], output_gradients=_upstream(outputs))

    return [g.numpy() for g in (tf.function(run) if function else run)(x)]


@pytest.mark.parametrize("algorithm", ["direct", "winograd"])
def test_resnet_block_keeps_its_input_and_the_two_convolution_outputs_only(algorithm):
    block = ResnetBlock(8)
    x = tf.random.normal([1, 16, 16, 8])
    block(x)
    use_conv_algorithm(block, algorithm)
    kept = kept_for_backward(block, x)
    # Before: the padded input, both norms' inputs, the ReLU's output and its padded copy (five, two of them 18²).
    assert sorted(shape for _, shape in kept) == [(1, 16, 16, 8)] * 3, kept
    use_recompute(block, False)
    assert len(kept_for_backward(block, x)) > 3


@pytest.mark.parametrize("algorithm", ["direct", "winograd"])
def test_generator_keeps_no_relu_output_or_padded_copy(algorithm):
    generator = AttentionGANGenerator(ngf=16, n_blocks=2)
    x = tf.random.uniform([1, 32, 32, 3], -1, 1)
    generator(x)
    use_conv_algorithm(generator, algorithm)
    kept = kept_for_backward(generator, x)
    kinds = [kind for kind, _ in kept]
    assert not {"MirrorPad", "Pad"} & set(kinds), kept
    assert kinds.count("Relu") <= 1, kept  # at most the encoder's output, the first block's input
    elements = lambda tensors: sum(int(np.prod(shape)) for _, shape in tensors)  # noqa: E731
    use_recompute(generator, False)
    # 0.50 (direct) and 0.53 (winograd) of what autodiff keeps at this width; 0.53 at the official width, 128².
    assert elements(kept) < 0.6 * elements(kept_for_backward(generator, x))


@pytest.mark.parametrize("algorithm", ["direct", "winograd"])
def test_generator_gradients_unchanged(algorithm):
    keras.utils.set_random_seed(3)
    generator = AttentionGANGenerator(ngf=4, n_blocks=2)
    x = tf.random.uniform([2, 16, 16, 3], -1, 1)
    generator(x)
    use_conv_algorithm(generator, algorithm)
    recomputed = gradients(generator, x)
    use_recompute(generator, False)
    kept = gradients(generator, x)
    for a, b in zip(recomputed, kept, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_use_recompute_counts_the_layers_that_recompute():
    generator = AttentionGANGenerator(ngf=4, n_blocks=3)
    generator(tf.zeros([1, 16, 16, 3]))
    # The encoder, its three blocks and the two decoder heads.
    assert use_recompute(generator, False) == 6
    assert not any(layer.recompute_activations for layer in generator._flatten_layers() if
                   hasattr(layer, "recompute_activations"))  # fmt: skip


@pytest.mark.parametrize("layer_type", [ResnetEncoder, DecoderHead])
def test_eager_gradients_unchanged(layer_type):
    """Eagerly the run is computed again in full (no graph to drop the copy's convolution): same gradients."""
    layer = layer_type(4, n_blocks=1) if layer_type is ResnetEncoder else layer_type(4, 6, 7, "tanh")
    x = tf.random.normal([1, 16, 16, 3 if layer_type is ResnetEncoder else 16])
    layer(x)
    recomputed = gradients(layer, x, function=False)
    use_recompute(layer, False)
    for a, b in zip(recomputed, gradients(layer, x, function=False), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_recompute_in_backward_gradients_match_autodiff():
    conv = keras.layers.Conv2D(4, 3)
    x = tf.random.normal([2, 9, 9, 4])
    run = lambda h: conv(tf.pad(tf.nn.relu(h), [[0, 0], [1, 1], [1, 1], [0, 0]]))  # noqa: E731
    conv.build(x.shape)

    def grads(enabled):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = recompute_in_backward(run, x, enabled)
        return tape.gradient(y, [x, conv.kernel, conv.bias])

    for a, b in zip(tf.function(grads)(True), grads(False), strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-6)


def test_only_float32_training_recomputes():
    block = ResnetBlock(4)
    assert recomputes(block, True)
    assert not recomputes(block, False) and not recomputes(block, None)
    assert not recomputes(ResnetBlock(4, dtype="mixed_bfloat16"), True)
    use_recompute(block, False)
    assert not recomputes(block, True)


_COUNT_CONVOLUTIONS = textwrap.dedent("""
    import keras, tensorflow as tf
    from attentiongan_tf.nn.recompute import recompute_in_backward
    conv = keras.layers.Conv2D(8, 3)
    x = tf.random.normal([1, 16, 16, 8])
    conv(x)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = recompute_in_backward(lambda h: conv(tf.nn.relu(h)), x)
        return y, tape.gradient(y, [x, conv.kernel])

    step(x)
    print("SECOND CALL", flush=True)
    step(x)
""")


def test_the_convolution_that_ends_a_run_runs_once_per_step():
    """The backward pass computes the run again, but a graph drops the copy's convolution: nothing reads it."""
    env = {**os.environ, "ONEDNN_VERBOSE": "1", "PYTHONPATH": str(REPO_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = subprocess.run([sys.executable, "-c", _COUNT_CONVOLUTIONS], env=env, capture_output=True, text=True,
                         timeout=300, check=True).stdout  # fmt: skip
    second = out.split("SECOND CALL", 1)[1].splitlines()
    convolutions = [line for line in second if line.startswith("onednn_verbose") and ",convolution," in line]
    if not convolutions:
        pytest.skip("TensorFlow runs convolutions without oneDNN here: nothing to count")
    assert sum(",forward" in line for line in convolutions) == 1, convolutions
    assert sum(",backward" in line for line in convolutions) == 2, convolutions
