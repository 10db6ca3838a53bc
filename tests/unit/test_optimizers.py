"""TorchAdam against a numpy transcription of ``torch.optim.Adam`` (torch 2.13, ``_single_tensor_adam``)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.training.optimizers import TorchAdam
from attentiongan_tf.training.schedules import ConstantThenLinearDecay


def torch_adam_reference(theta, gradients, learning_rates, beta_1, beta_2, eps, amsgrad=False):
    """``torch.optim.Adam.step`` in float64: lerp/addcmul moments, Python-float bias corrections."""
    theta = theta.copy()
    m, v, v_max = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    for t, (g, lr) in enumerate(zip(gradients, learning_rates, strict=True), start=1):
        m = m + (1 - beta_1) * (g - m)
        v = v * beta_2 + (1 - beta_2) * g * g
        v_max = np.maximum(v_max, v)
        denominator = np.sqrt(v_max if amsgrad else v) / (1 - beta_2**t) ** 0.5 + eps
        theta = theta - lr / (1 - beta_1**t) * m / denominator
    return theta


def _gradients(steps: int, size: int = 64) -> list[np.ndarray]:
    # Magnitudes from 1e-10 to 1: eps (1e-8) matters for the small ones, as for the biases before instance norm.
    rng = np.random.default_rng(1)
    scale = 10.0 ** rng.uniform(-10, 0, size)
    return [rng.standard_normal(size) * scale for _ in range(steps)]


@pytest.mark.parametrize("amsgrad", [False, True])
def test_matches_torch_adam_in_float64(amsgrad):
    schedule = ConstantThenLinearDecay(2e-4, constant_steps=2, decay_steps=4)
    optimizer = TorchAdam(schedule, beta_1=0.5, beta_2=0.999, amsgrad=amsgrad)
    theta0 = np.random.default_rng(0).standard_normal(64) * 0.02
    variable = keras.Variable(theta0, dtype="float64")
    gradients = _gradients(6)
    rates = [float(schedule(step)) for step in range(6)]
    for g in gradients:
        optimizer.apply([tf.constant(g)], [variable])
    expected = torch_adam_reference(theta0, gradients, rates, 0.5, 0.999, 1e-8, amsgrad)
    np.testing.assert_allclose(variable.numpy(), expected, rtol=0, atol=1e-15)
    assert np.abs(expected - theta0).max() > 1e-4  # the updates are far above the tolerance


def test_float32_is_within_round_off_of_the_float64_formula():
    optimizer = TorchAdam(2e-4, beta_1=0.5, beta_2=0.999)
    theta0 = np.random.default_rng(0).standard_normal(64).astype(np.float32) * 0.02
    variable = keras.Variable(theta0, dtype="float32")
    gradients = [g.astype(np.float32) for g in _gradients(5)]
    for g in gradients:
        optimizer.apply([tf.constant(g)], [variable])
    expected = torch_adam_reference(theta0.astype(np.float64), gradients, [2e-4] * 5, 0.5, 0.999, 1e-8)
    # Five updates of at most ~lr each: a few float32 ulps of |θ| ≈ 0.05 (ulp 3.7e-9).
    np.testing.assert_allclose(variable.numpy(), expected, rtol=0, atol=2e-8)


def test_keras_adam_differs_where_eps_matters():
    """The difference TorchAdam removes: Keras' epsilon hat on the uncorrected √v."""
    theta0 = np.zeros(64)
    gradients = _gradients(1)
    variable = keras.Variable(theta0, dtype="float64")
    keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.999).apply([tf.constant(gradients[0])], [variable])
    expected = torch_adam_reference(theta0, gradients, [2e-4], 0.5, 0.999, 1e-8)
    assert np.abs(variable.numpy() - expected).max() > 1e-5


def test_config_round_trip_and_serialization():
    optimizer = TorchAdam(ConstantThenLinearDecay(2e-4, 3, 5), beta_1=0.5, beta_2=0.99, amsgrad=True, name="g")
    config = optimizer.get_config()
    assert config["epsilon"] == 1e-8 and config["beta_1"] == 0.5 and config["amsgrad"] is True
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(restored) is TorchAdam
    assert restored.get_config() == config


def test_weight_decay_is_refused():
    with pytest.raises(ValueError, match="weight_decay"):
        TorchAdam(1e-3, weight_decay=0.01)


def test_restores_a_keras_adam_checkpoint(tmp_path):
    """Runs written with keras.optimizers.Adam resume with TorchAdam: same variables, same structure."""
    theta = keras.Variable(np.ones(4, np.float32))
    old = keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.999, amsgrad=True)
    old.build([theta])
    for g in ([0.1, -0.2, 0.3, 0.0], [0.5, 0.5, -0.5, 1e-6]):
        old.apply([tf.constant(g, tf.float32)], [theta])
    path = tf.train.Checkpoint(optimizer=old).save(str(tmp_path / "ckpt"))

    new = TorchAdam(1e-3, beta_1=0.5, beta_2=0.999, amsgrad=True)
    new.build([keras.Variable(np.ones(4, np.float32))])
    tf.train.Checkpoint(optimizer=new).restore(path).assert_consumed()
    assert int(new.iterations.numpy()) == 2
    for name in ("_momentums", "_velocities", "_velocity_hats"):
        np.testing.assert_array_equal(getattr(new, name)[0].numpy(), getattr(old, name)[0].numpy())


def test_float32_update_uses_no_float64_ops():
    """TPUs have no float64: the float32 update must stay in float32 (bias corrections included)."""
    variable = keras.Variable(np.zeros(4, np.float32))
    optimizer = TorchAdam(ConstantThenLinearDecay(2e-4, 3, 5), beta_1=0.5, beta_2=0.999)
    optimizer.build([variable])
    step = tf.function(lambda g: optimizer.apply([g], [variable]))
    graph = step.get_concrete_function(tf.TensorSpec([4], tf.float32)).graph.as_graph_def()
    nodes = list(graph.node) + [n for f in graph.library.function for n in f.node_def]
    attrs = [a for n in nodes for a in n.attr.values()]
    dtypes = {a.type for a in attrs} | {t for a in attrs for t in a.list.type}
    assert tf.float64.as_datatype_enum not in dtypes


@pytest.mark.parametrize("amsgrad", [False, True])
def test_dense_update_is_one_fused_kernel_per_variable(amsgrad):
    """The moments and the variable are updated by TensorFlow's fused Adam op, not a chain of elementwise ops."""
    variables = [keras.Variable(np.zeros(4, np.float32)), keras.Variable(np.zeros((2, 3), np.float32))]
    optimizer = TorchAdam(2e-4, beta_1=0.5, beta_2=0.999, amsgrad=amsgrad)
    optimizer.build(variables)
    step = tf.function(lambda g, h: optimizer.apply([g, h], variables))
    graph = step.get_concrete_function(tf.TensorSpec([4], tf.float32), tf.TensorSpec([2, 3], tf.float32)).graph
    ops = [op.type for op in graph.get_operations()]
    fused = "ResourceApplyAdamWithAmsgrad" if amsgrad else "ResourceApplyAdam"
    assert ops.count(fused) == 2
    assert "AssignSubVariableOp" not in ops  # the composite form's θ update


def test_sparse_gradients_take_the_composite_update(monkeypatch):
    """IndexedSlices (embedding lookups) have no fused kernel here: they give the same update as dense ones."""
    calls = []
    composite = TorchAdam._composite_update
    monkeypatch.setattr(TorchAdam, "_composite_update", lambda self, *a: calls.append(1) or composite(self, *a))
    theta0 = np.random.default_rng(0).standard_normal((3, 2))
    dense, sparse = keras.Variable(theta0), keras.Variable(theta0)
    g = np.array([[0.1, -0.2], [0.0, 0.0], [3.0, 1e-9]])
    TorchAdam(1e-3).apply([tf.constant(g)], [dense])
    rows = tf.IndexedSlices(tf.constant(g[[0, 2]]), tf.constant([0, 2]), tf.constant([3, 2]))
    TorchAdam(1e-3).apply([rows], [sparse])
    assert calls == [1]
    np.testing.assert_allclose(sparse.numpy(), dense.numpy(), rtol=0, atol=1e-15)


def test_step_scalars_are_computed_once_per_step_not_per_variable():
    """The step size and √(1 − β₂ᵗ) depend on the step only: one set per apply (per dtype) for all variables,
    not one per variable (128 in the two-domain trainer: about 2,000 graph nodes)."""
    variables = [keras.Variable(np.zeros(n, np.float32)) for n in (2, 3, 4)]
    variables.append(keras.Variable(np.zeros(2), dtype="float64"))
    optimizer = TorchAdam(ConstantThenLinearDecay(2e-4, 3, 5), beta_1=0.5, beta_2=0.999)
    optimizer.build(variables)
    step = tf.function(lambda *g: optimizer.apply(list(g), variables))
    specs = [tf.TensorSpec(v.shape, v.dtype) for v in variables]
    ops = [op.type for op in step.get_concrete_function(*specs).graph.get_operations()]
    assert ops.count("ResourceApplyAdam") == 4
    assert ops.count("Expm1") == 2 * 2  # β₁ and β₂, once for the float32 variables and once for the float64 one
    assert ops.count("Sqrt") == 2


def test_step_scalars_follow_the_step_in_eager_and_graph_calls():
    """Two applies in one traced function (two steps) each see their own step count: nothing cached leaks
    from one apply into the next."""
    theta0 = np.array([1.0, -2.0, 3e-3])
    g1, g2 = np.array([0.1, 1e-9, -3.0]), np.array([-0.2, 2e-9, 1.0])
    rate = 2.0**-10  # exact in the optimizer's float32 learning-rate variable
    expected = torch_adam_reference(theta0, [g1, g2], [rate, rate], 0.5, 0.999, 1e-8)
    variable = keras.Variable(theta0, dtype="float64")
    optimizer = TorchAdam(rate, beta_1=0.5, beta_2=0.999)
    optimizer.build([variable])

    @tf.function
    def two_steps():
        optimizer.apply([tf.constant(g1)], [variable])
        optimizer.apply([tf.constant(g2)], [variable])

    two_steps()
    np.testing.assert_allclose(variable.numpy(), expected, rtol=0, atol=1e-15)
    assert np.abs(expected - theta0).max() > 1e-4
