"""One half-precision copy of each weight per gradient pass, however many times the pass calls its layer."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


# Keras' own autocast scope (not exported): a layer whose compute dtype is the enclosing scope's keeps that scope,
# so a subclass sees every variable read of the pass. tests/unit/test_weight_casts.py fails if that changes.
class SharedWeightCasts(keras.src.backend.AutocastScope):
    """Mixed precision's weight casts, made once per pass and reused (what ``torch.autocast``'s cast cache does).

    Under a mixed policy Keras casts a float32 variable to the compute dtype each time a layer reads it, so a
    generator called three times in a step (translation, cycle, identity) casts every weight three times and
    casts three gradients back. Inside this scope the first read of a variable casts it and later reads in the
    same graph and replica reuse that tensor: one cast forward, and backward one cast of the summed
    half-precision gradients (summed in the compute dtype, as PyTorch's autocast cache does). Open it inside the
    ``GradientTape`` so the cast is recorded, once per pass (a variable updated between two passes must be cast
    again), and inside the replica function of a ``tf.distribute`` step: each replica traces in its own thread,
    and Keras' autocast scope is per thread. With a float32 policy (``dtype`` float32 or ``None``) it does
    nothing, nor for a layer whose own compute dtype differs from ``dtype`` (Keras opens its own scope for it).

    Args:
        dtype: the mixed policy's compute dtype (``"bfloat16"``, ``"float16"``), or ``None``/``"float32"``.

    Example:
        >>> layer = keras.layers.Dense(2, dtype="mixed_bfloat16")
        >>> with tf.GradientTape() as tape, SharedWeightCasts("bfloat16"):
        ...     loss = tf.reduce_sum(layer(tf.ones([1, 3])) + layer(tf.ones([1, 3])))
        >>> [g.dtype.name for g in tape.gradient(loss, layer.trainable_variables)]
        ['float32', 'float32']
    """

    def __init__(self, dtype: str | None) -> None:
        half = dtype is not None and keras.backend.standardize_dtype(dtype) in ("bfloat16", "float16")
        super().__init__(dtype if half else None)
        self._casts: dict[tuple[int, int], tf.Tensor] = {}

    def maybe_cast(self, value: Any) -> Any:
        if self.dtype is None or not isinstance(value, tf.Variable) or not value.dtype.is_floating:
            return super().maybe_cast(value)
        key = (id(value), id(tf.compat.v1.get_default_graph()))
        if key not in self._casts:
            self._casts[key] = tf.cast(value, self.dtype)
        return self._casts[key]

    def __enter__(self) -> SharedWeightCasts:
        if self.dtype is not None:  # float32: leave Keras' own scopes as they are
            super().__enter__()
        return self

    def __exit__(self, *args: Any) -> None:
        self._casts.clear()
        if self.dtype is not None:
            super().__exit__(*args)
