"""The convolution kernels of one training iteration, read off the trainer's traced graphs, and each one timed
alone on random tensors of its shapes (for ``kernel_floor.py``)."""

from __future__ import annotations

import collections
import math
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CONV_OPS = ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter")


def iteration_kernels(size: int, batch: int, mode: str) -> list[dict]:
    """Every convolution kernel of one training iteration of a train_speed ``mode`` (``float32`` or ``bfloat16``: the
    direct kernels), as it appears in the trainer's traced graphs."""
    sys.path.insert(0, str(REPO_ROOT))
    import tensorflow as tf
    from train_speed import mode_config

    from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer

    trainer = AttentionGANTrainer(mode_config(mode, size, batch))
    image = tf.TensorSpec([batch, size, size, 3], tf.float32)
    step = tf.TensorSpec([], tf.int64)
    graphs = [
        tf.function(trainer._generator_gradients).get_concrete_function(image, image, step).graph,
        tf.function(trainer._discriminator_gradients).get_concrete_function(
            image, image, image, image, tf.TensorSpec([batch, size, size, 1]), tf.TensorSpec([batch, size, size, 1])
        ).graph,
    ]
    kernels = collections.Counter()
    for graph in graphs:
        for op in _live_operations(graph):
            if op.type not in CONV_OPS:
                continue
            shapes = [tuple(t.shape.as_list()) for t in op.inputs if t.shape.rank == 4]
            out = tuple(op.outputs[0].shape.as_list())
            dtype = op.inputs[1 if op.type == "Conv2DBackpropInput" else 0].dtype.name
            key = (op.type, tuple(shapes), out, tuple(op.get_attr("strides")), op.get_attr("padding").decode(), dtype)
            kernels[key] += 1
    return [
        {"op": k[0], "shapes": k[1], "output": k[2], "strides": k[3], "padding": k[4], "dtype": k[5], "count": n}
        for k, n in kernels.items()
    ]


def _live_operations(graph) -> list:
    """The graph's operations that its outputs depend on (e.g. no input gradient of a real image's first conv)."""
    live, stack = set(), [t.op for t in graph.outputs] + list(graph.control_outputs)
    while stack:
        op = stack.pop()
        if op.name in live:
            continue
        live.add(op.name)
        stack += [t.op for t in op.inputs] + list(op.control_inputs)
    return [op for op in graph.get_operations() if op.name in live]


def kernel_macs(kernel: dict) -> int:
    """Multiply-accumulates of one kernel: every output (forward) or every out_backprop element meets the taps."""
    if kernel["op"] == "Conv2D":
        kh, kw, cin, _ = kernel["shapes"][1]
        return math.prod(kernel["output"]) * kh * kw * cin
    filt = kernel["shapes"][0] if kernel["op"] == "Conv2DBackpropInput" else kernel["output"]
    out_backprop = kernel["shapes"][-1]
    kh, kw, cin, _ = filt
    return math.prod(out_backprop) * kh * kw * cin


def _kernel_call(kernel: dict):
    """A tf.function running ``kernel`` on random tensors of its shapes and dtype."""
    import tensorflow as tf

    dtype = tf.as_dtype(kernel["dtype"])
    first, second = (tf.cast(tf.random.normal(s), dtype) for s in kernel["shapes"])
    options = {"strides": list(kernel["strides"]), "padding": kernel["padding"]}
    sizes = tf.constant(kernel["output"], tf.int32)
    if kernel["op"] == "Conv2D":
        return tf.function(lambda: tf.raw_ops.Conv2D(input=first, filter=second, **options))
    if kernel["op"] == "Conv2DBackpropInput":
        return tf.function(
            lambda: tf.raw_ops.Conv2DBackpropInput(input_sizes=sizes, filter=first, out_backprop=second, **options)
        )
    return tf.function(
        lambda: tf.raw_ops.Conv2DBackpropFilter(input=first, filter_sizes=sizes, out_backprop=second, **options)
    )


def time_kernels(kernels: list[dict], repeats: int) -> list[float]:
    """Seconds per call of each kernel, alone (the process's thread settings apply)."""
    seconds = []
    for kernel in kernels:
        fn = _kernel_call(kernel)
        fn().numpy()
        fn().numpy()
        start = time.perf_counter()
        for _ in range(repeats):
            fn().numpy()
        seconds.append((time.perf_counter() - start) / repeats)
    return seconds
