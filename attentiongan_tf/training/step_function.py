"""A traced training step that, once traced, keeps only what the runtime needs to run it."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable
from typing import Any

import tensorflow as tf
from tensorflow.python.eager import context
from tensorflow.python.framework import ops

__all__ = ["StepFunction"]


@dataclasses.dataclass(frozen=True)
class _Traced:
    """One traced signature: how to flatten the arguments, the runtime function, its captured inputs (the
    variables' handles) and how to pack its outputs."""

    function_type: Any  # the structured FunctionType of the concrete function (binds and flattens the arguments)
    runtime_function: Any  # AtomicFunction: names the function registered with the runtime; removes it when freed
    captures: list

    def __call__(self, args: tuple) -> Any:
        flat = self.function_type.unpack_inputs(self.function_type.bind(*args))
        captures = tf.nest.flatten([c() if callable(c) else c for c in self.captures], expand_composites=True)
        outputs_type = self.runtime_function.function_type
        outputs = context.context().call_function(
            self.runtime_function.name, list(flat) + captures, len(outputs_type.flat_outputs)
        )
        return outputs_type.pack_output(outputs)


class StepFunction:
    """``tf.function(python_function)`` for a step called many times with the same input signature, without the
    graph it traced.

    A ``tf.function`` keeps the graph it traced for as long as it lives: every op and tensor as a Python object,
    and the C++ graph with its shape-inference state. ``tf.custom_gradient`` (the recomputed runs, the Winograd
    convolutions) also registers a gradient function in a process-wide registry that is never emptied, which
    keeps the graph alive even after the ``tf.function`` is gone. Running the step needs none of it: the runtime
    runs the function definition it was given. So each signature is traced once, the runtime function and the
    captured variables are kept, and the graph and the gradient functions registered while tracing it are let
    go before the first run (a 0.18 GiB graph for the official model's Winograd step at 128² batch 1, about
    0.05 GiB off the process's peak RSS, docs/performance_log.md).

    Each new input signature (shapes, dtypes, structure) is traced anew, as ``tf.function`` would; under
    ``tf.config.run_functions_eagerly(True)`` the Python function runs as it is.

    Args:
        python_function: the step: tensors (any nest, distributed values included) in, tensors out.

    Example:
        >>> total = tf.Variable(0.0)
        >>> add = StepFunction(lambda x: total.assign_add(tf.reduce_sum(x)))
        >>> float(add(tf.ones([3])))
        3.0
        >>> float(add(tf.ones([3])))
        6.0
    """

    def __init__(self, python_function: Callable[..., Any]) -> None:
        self._python_function = python_function
        self._traced: dict[Any, _Traced] = {}

    def __call__(self, *args: Any) -> Any:
        if tf.config.functions_run_eagerly():
            return self._python_function(*args)
        key = _signature(args)
        traced = self._traced.get(key)
        if traced is None:
            traced = self._traced[key] = self._trace(args)
        return traced(args)

    def get_concrete_function(self, *args: Any) -> Any:
        """A new ``tf.function`` concrete function of the step for ``args``, for inspecting its graph; it keeps
        its graph, and running the step does not use it."""
        return tf.function(self._python_function).get_concrete_function(*args)

    def _trace(self, args: tuple) -> _Traced:
        registry = ops._gradient_registry._registry  # name -> custom gradient function
        registered_before = set(registry)
        concrete = tf.function(self._python_function).get_concrete_function(*args)
        for name in set(registry) - registered_before:  # this trace's tf.custom_gradient functions: its graph is built
            del registry[name]
        runtime_function = concrete._inference_function
        for function in (runtime_function, *runtime_function._children):
            function._cached_graph = None  # the graph it was made from, kept only for inspection
        traced = _Traced(concrete.function_type, runtime_function, list(concrete._captured_inputs))
        del concrete
        gc.collect()  # the graph is a web of reference cycles: free it now, before the first run needs memory
        return traced


def _signature(args: tuple) -> Any:
    """What decides a new trace: the nest structure and each leaf's type spec (shape, dtype; for distributed
    values, their components')."""
    leaves = tf.nest.flatten(args, expand_composites=True)
    specs = tuple((tuple(leaf.shape), leaf.dtype, leaf.device) if hasattr(leaf, "shape") else repr(leaf)
                  for leaf in leaves)  # fmt: skip
    return repr(tf.nest.map_structure(lambda _: 0, args)), specs
