"""SharedWeightCasts: one half-precision cast per variable and pass, gradients as without it."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.training.weight_casts import SharedWeightCasts


def _casts_of(graph: tf.Graph, dtype: tf.DType) -> int:
    return sum(1 for op in graph.get_operations() if op.type == "Cast" and op.get_attr("DstT") == dtype)


def _two_calls(layer: keras.layers.Layer, dtype: str | None, x: tf.Tensor):
    @tf.function
    def step(x):
        with tf.GradientTape() as tape, SharedWeightCasts(dtype):
            loss = tf.reduce_sum(tf.cast(layer(x) * layer(2 * x), tf.float32))
        return tape.gradient(loss, layer.trainable_variables)

    return step.get_concrete_function(x).graph, step(x)


@pytest.mark.parametrize("policy, half", [("mixed_bfloat16", tf.bfloat16), ("mixed_float16", tf.float16)])
def test_one_cast_per_variable_and_the_same_gradients(policy, half):
    keras.utils.set_random_seed(0)
    layer = keras.layers.Dense(4, dtype=policy)
    x = tf.constant(np.random.default_rng(0).standard_normal((2, 3)), tf.float32)
    layer(x)
    per_call_graph, per_call = _two_calls(layer, None, x)
    shared_graph, shared = _two_calls(layer, half.name, x)
    assert _casts_of(per_call_graph, half) >= 4 + 2  # kernel and bias at each call, and the inputs
    assert _casts_of(shared_graph, half) == _casts_of(per_call_graph, half) - 2
    for a, b in zip(per_call, shared, strict=True):
        assert b.dtype == tf.float32
        # The two calls' half-precision gradients are summed before the cast back: one more rounding.
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=2e-2, atol=1e-2)


def test_float32_changes_nothing():
    layer = keras.layers.Dense(4)
    x = tf.ones([2, 3])
    layer(x)
    graph, _ = _two_calls(layer, "float32", x)
    plain, _ = _two_calls(layer, None, x)
    assert sorted(op.type for op in graph.get_operations()) == sorted(op.type for op in plain.get_operations())


def test_casts_are_not_reused_after_the_scope():
    layer = keras.layers.Dense(2, dtype="mixed_bfloat16")
    x = tf.ones([1, 3])
    layer(x)
    scope = SharedWeightCasts("bfloat16")
    with scope:
        layer(x)
        assert len(scope._casts) == 2
    assert scope._casts == {}
    layer.kernel.assign(tf.zeros_like(layer.kernel))
    with scope:
        assert float(tf.reduce_sum(tf.abs(tf.cast(layer(x), tf.float32) - layer.bias))) == 0.0
