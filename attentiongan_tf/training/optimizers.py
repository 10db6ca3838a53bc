"""Adam exactly as ``torch.optim.Adam`` computes it, so training follows the official PyTorch code."""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import ops

from attentiongan_tf.nn.layers import PACKAGE


def _bias_correction(beta, step):
    """``1 − βᵗ`` without float32 cancellation: ``−expm1(t · log β)`` with ``log β`` taken in float64."""
    if isinstance(beta, (int, float)):
        return ops.ones_like(step) if beta == 0 else -ops.expm1(step * math.log(beta))
    return 1.0 - ops.power(ops.cast(beta, step.dtype), step)


@keras.saving.register_keras_serializable(package=PACKAGE)
class TorchAdam(keras.optimizers.Adam):
    """``torch.optim.Adam`` (no weight decay) as a Keras optimizer, with the variables of ``keras.optimizers.Adam``.

    Keras' Adam adds ``epsilon`` to the UNcorrected ``√v`` ("epsilon hat", default 1e-7), i.e.
    ``epsilon / √(1 − β₂ᵗ)`` to the bias-corrected ``√v̂``: 3.2e-6 at step 1 with β₂ = 0.999. PyTorch adds
    ``eps`` (default 1e-8) to ``√v̂`` at every step::

        m ← β₁ m + (1 − β₁) g          v ← β₂ v + (1 − β₂) g²
        θ ← θ − lr / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)

    PyTorch computes the bias corrections in Python floats; ``1 − 0.999`` in float32 would be off by 1.3e-5
    relatively (0.999 itself rounds), so they are ``−expm1(t · log β)`` with ``log β`` taken in float64: float32
    ops only (TPUs have no float64), within an ulp of PyTorch's. With ``amsgrad=True``, ``√v`` is replaced by
    the running maximum ``√max(v)`` as in PyTorch. Dense gradients go through TensorFlow's fused Adam kernel
    (one pass over memory instead of a dozen; 4% of a 128² iteration), which rounds ``1 − β₂`` in the
    variable's dtype: in float32 its ``v`` is 1.3e-5 smaller relatively than PyTorch's, so updates differ by
    6e-6 relatively (float64: round-off only). The moment variables ("momentum", "velocity",
    "velocity_hat") are created by Keras' Adam, so checkpoints of a ``keras.optimizers.Adam`` restore into it.

    Args:
        learning_rate: a float or a ``LearningRateSchedule``.
        beta_1: PyTorch ``betas[0]``.
        beta_2: PyTorch ``betas[1]``.
        epsilon: PyTorch ``eps`` (1e-8).
        amsgrad: PyTorch ``amsgrad``.
        **kwargs: Keras optimizer options (``name``, ``clipnorm``, ...). ``weight_decay`` is refused: Keras
            applies it decoupled (AdamW), PyTorch's Adam adds it to the gradient.

    Example:
        >>> import numpy as np
        >>> variable = keras.Variable(np.float32(1.0))
        >>> TorchAdam(0.1).apply([np.float32(2.0)], [variable])
        >>> round(float(variable.numpy()), 6)
        0.9
    """

    def __init__(
        self,
        learning_rate: float | keras.optimizers.schedules.LearningRateSchedule = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        amsgrad: bool = False,
        **kwargs,
    ) -> None:
        if kwargs.get("weight_decay") is not None:
            raise ValueError("TorchAdam: weight_decay is not supported (PyTorch Adam's L2 term differs from Keras')")
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad, **kwargs)
        self._step_scalars = _StepScalars()

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        # The step's scalars are made once per apply and dtype and shared by every variable's update (the
        # trainers have 128 variables: about 2,000 graph nodes fewer); each apply starts afresh.
        self._step_scalars.entries.clear()
        try:
            return super()._backend_update_step(grads, trainable_variables, learning_rate)
        finally:
            self._step_scalars.entries.clear()

    def _all_reduce_sum_gradients(self, grads_and_vars):
        # With one replica the sum is the gradients themselves. Keras' all-reduce would still pass them through
        # ReplicaContext.all_reduce's custom-gradient IdentityN, and Grappler's dependency optimizer drops the
        # control edges that order a variable's reads before its update as redundant while that IdentityN links
        # every gradient to every update, then removes the IdentityN: a read made only for an input gradient (a
        # recomputed run's kernel, nn/recompute.py) could then run after the update
        # (tests/training/test_update_order.py).
        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync == 1:
            return list(grads_and_vars)
        return super()._all_reduce_sum_gradients(grads_and_vars)

    def _scalars(self, learning_rate, dtype) -> tuple:
        """PyTorch's step size ``lr / (1 − β₁ᵗ)`` and ``√(1 − β₂ᵗ)`` for this step, in ``dtype``."""
        # Keyed by the learning-rate tensor itself (each device of a distributed update may have its own), which
        # the entry keeps alive so that its id cannot be reused within the apply.
        entries = self._step_scalars.entries
        key = (id(learning_rate), dtype)
        if key not in entries:
            step = ops.cast(self.iterations + 1, dtype)
            step_size = ops.cast(learning_rate, dtype) / _bias_correction(self.beta_1, step)
            entries[key] = (learning_rate, step_size, ops.sqrt(_bias_correction(self.beta_2, step)))
        return entries[key][1:]

    def update_step(self, gradient, variable, learning_rate) -> None:
        """One PyTorch Adam update of ``variable``, in its dtype."""
        dtype = variable.dtype
        gradient = ops.cast(gradient, dtype)
        step_size, correction_2_sqrt = self._scalars(learning_rate, dtype)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        if isinstance(gradient, tf.IndexedSlices):
            self._composite_update(gradient, variable, m, v, index, step_size, correction_2_sqrt)
            return
        # TensorFlow's fused kernel updates m, v and θ in one pass over memory (the composite form takes a dozen).
        # It computes θ −= lr′ · m / (√v + eps′) after m and v as above, with lr′ = lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ)
        # built from the β powers it is given: zero powers make lr′ = lr, so passing PyTorch's step size times
        # √(1 − β₂ᵗ) as lr and eps · √(1 − β₂ᵗ) as eps gives PyTorch's update (both sides multiplied by
        # √(1 − β₂ᵗ)) with the bias corrections computed as accurately as above.
        zero = ops.zeros((), dtype)
        arguments = dict(
            var=_handle(variable), m=_handle(m), v=_handle(v), beta1_power=zero, beta2_power=zero,
            lr=step_size * correction_2_sqrt, epsilon=tf.constant(self.epsilon, dtype) * correction_2_sqrt,
            beta1=tf.constant(self.beta_1, dtype), beta2=tf.constant(self.beta_2, dtype), grad=gradient,
        )  # fmt: skip
        if self.amsgrad:
            tf.raw_ops.ResourceApplyAdamWithAmsgrad(vhat=_handle(self._velocity_hats[index]), **arguments)
        else:
            tf.raw_ops.ResourceApplyAdam(**arguments)

    def _composite_update(self, gradient, variable, m, v, index, step_size, correction_2_sqrt) -> None:
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1.0 - self.beta_1))
        self.assign(v, ops.add(ops.multiply(v, self.beta_2), ops.multiply(ops.square(gradient), 1.0 - self.beta_2)))
        if self.amsgrad:
            v_hat = self._velocity_hats[index]
            self.assign(v_hat, ops.maximum(v_hat, v))
            v = v_hat
        denominator = ops.add(ops.divide(ops.sqrt(v), correction_2_sqrt), self.epsilon)
        self.assign_sub(variable, ops.multiply(step_size, ops.divide(m, denominator)))


def _handle(variable) -> tf.Tensor:
    """The resource handle of a Keras or TensorFlow variable (inside ``Strategy.update``: this device's copy)."""
    return (variable.value if isinstance(variable, keras.Variable) else variable).handle


class _StepScalars:
    """The scalars of the apply in progress (an object of its own: a dict attribute would be tracked, and
    checkpointed, as part of the optimizer)."""

    def __init__(self) -> None:
        self.entries: dict = {}
