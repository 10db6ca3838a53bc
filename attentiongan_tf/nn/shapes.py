"""Shapes as Python numbers where they are known when traced."""

from __future__ import annotations

import tensorflow as tf


def dims(x: tf.Tensor) -> list:
    """``x``'s shape, a Python int where known when traced, else a scalar tensor: arithmetic on the sizes then
    folds into constants instead of shape ops in the graph (a few per layer call, hundreds per training step)."""
    dynamic = tf.shape(x) if None in x.shape else None
    return [dynamic[i] if size is None else size for i, size in enumerate(x.shape)]  # type: ignore[index]
