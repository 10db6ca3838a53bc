"""StepFunction: a traced step that lets its graph go once traced (issue #15, peak RSS)."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python.framework import ops

from attentiongan_tf.training.step_function import StepFunction
from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer
from tests.unit.training_setup import tiny_config


@tf.custom_gradient
def _doubled(x):
    return 2.0 * x, lambda upstream: 2.0 * upstream


def _step_recording_its_graph(graphs: list, traces: list, variable: tf.Variable):
    """A step with a custom gradient (what keeps a tf.function's graph alive) that records each graph it is
    traced into, and a side effect on ``variable``."""

    def step(batch):
        traces.append(1)
        graphs.append(weakref.ref(ops.get_default_graph()))
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(_doubled(batch["x"] * variable))
        gradient = tape.gradient(loss, variable)
        variable.assign_sub(0.1 * gradient)
        return {"loss": loss}, (gradient, batch["x"].shape[0])

    return step


def test_tf_function_keeps_the_traced_graph_alive():
    # The leak StepFunction exists for: without it the graph outlives the tf.function itself.
    graphs, traces, variable = [], [], tf.Variable(1.0)
    function = tf.function(_step_recording_its_graph(graphs, traces, variable))
    function({"x": tf.ones([3])})
    del function
    gc.collect()
    assert graphs[0]() is not None


def test_graph_is_released_after_tracing_and_results_match_tf_function():
    graphs, traces = [], []
    ours_variable, reference_variable = tf.Variable(1.0), tf.Variable(1.0)
    ours = StepFunction(_step_recording_its_graph(graphs, traces, ours_variable))
    reference = tf.function(_step_recording_its_graph([], [], reference_variable))
    gc.disable()  # the graph must be gone before the first run, not whenever the collector next runs
    try:
        ours({"x": tf.constant(0.0, shape=[3])})
        assert graphs[0]() is None
    finally:
        gc.enable()
    reference({"x": tf.constant(0.0, shape=[3])})
    for x in ([1.0, 2.0, 3.0], [0.5, -1.0, 2.0]):
        got, want = ours({"x": tf.constant(x)}), reference({"x": tf.constant(x)})
        assert float(got[0]["loss"]) == pytest.approx(float(want[0]["loss"]))
        assert float(got[1][0]) == pytest.approx(float(want[1][0]))
        assert got[1][1] == 3  # a Python value in the outputs comes back as it was traced
    assert float(ours_variable.numpy()) == pytest.approx(float(reference_variable.numpy()))
    assert len(traces) == 1


def test_custom_gradients_registered_by_the_trace_are_dropped_and_others_kept():
    registry = ops._gradient_registry._registry
    _doubled(tf.constant(1.0))  # eager: registers nothing
    before = set(registry)
    StepFunction(_step_recording_its_graph([], [], tf.Variable(1.0)))({"x": tf.ones([2])})
    assert set(registry) == before


def test_new_signature_traces_again_and_known_one_does_not():
    traces, variable = [], tf.Variable(0.0)

    def step(x):
        traces.append(1)
        return variable.assign_add(tf.reduce_sum(x))

    function = StepFunction(step)
    function(tf.ones([2]))
    function(tf.ones([2]))
    assert len(traces) == 1
    assert float(function(tf.ones([3, 2]))) == pytest.approx(10.0)
    assert len(traces) == 2
    function(tf.ones([2]))
    assert len(traces) == 2


def test_runs_python_eagerly_when_functions_run_eagerly():
    traces = []

    def step(x):
        traces.append(tf.executing_eagerly())
        return x + 1.0

    function = StepFunction(step)
    tf.config.run_functions_eagerly(True)
    try:
        np.testing.assert_allclose(function(tf.ones([2])).numpy(), [2.0, 2.0])
        function(tf.ones([2]))
    finally:
        tf.config.run_functions_eagerly(False)
    assert traces == [True, True]


def test_trainer_step_keeps_no_traced_graph():
    """The trainer's step graph (with the recomputed runs' and the Winograd convolutions' custom gradients) is
    gone once the first step has run; the next steps run without tracing again."""
    from tensorflow.python.framework.func_graph import FuncGraph

    def step_graphs() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, FuncGraph) and "_train_step" in o.name)

    before = step_graphs()
    trainer = AttentionGANTrainer(tiny_config(conv_algorithm="winograd"))
    images = {k: tf.random.stateless_uniform([2, 16, 16, 3], [1, i], -1, 1) for i, k in enumerate("AB")}
    first = trainer.train_step(images).values
    assert step_graphs() == before
    second = trainer.train_step(images).values
    assert int(trainer.step.numpy()) == 2
    assert first.keys() == second.keys()
