"""Learning-rate schedule of the official code, counted in optimizer steps."""

from __future__ import annotations

import keras
import tensorflow as tf

from attentiongan_tf.layers import PACKAGE


@keras.saving.register_keras_serializable(package=PACKAGE)
class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant learning rate, then linear decay to 0 (official ``lr_policy="linear"``), in steps.

    ``lr(step) = initial · min(1, max(0, 1 − (step − constant_steps) / decay_steps))``. The official code
    keeps the rate for ``n_epochs`` then decays it over ``n_epochs_decay``; counting optimizer steps instead
    of epochs means resuming and changing the number of replicas (same global batch) do not shift it.

    Args:
        initial_learning_rate: the rate during the constant phase (official 2e-4).
        constant_steps: steps at the initial rate.
        decay_steps: steps of the linear decay; 0 keeps the rate constant forever.

    Example:
        >>> schedule = ConstantThenLinearDecay(2e-4, constant_steps=100, decay_steps=100)
        >>> float(schedule(150))
        0.0001
    """

    def __init__(self, initial_learning_rate: float, constant_steps: int, decay_steps: int):
        if constant_steps < 0 or decay_steps < 0:
            raise ValueError(f"constant_steps and decay_steps must be >= 0, got {constant_steps}, {decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.constant_steps = constant_steps
        self.decay_steps = decay_steps

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        if self.decay_steps == 0:
            return tf.constant(self.initial_learning_rate, tf.float32)
        progress = tf.maximum(step - float(self.constant_steps), 0.0) / float(self.decay_steps)
        return self.initial_learning_rate * tf.clip_by_value(1.0 - progress, 0.0, 1.0)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "constant_steps": self.constant_steps,
            "decay_steps": self.decay_steps,
        }
