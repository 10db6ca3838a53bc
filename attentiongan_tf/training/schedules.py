"""Learning-rate schedules: linear decay counted in optimizer steps, and the official per-epoch rule."""

from __future__ import annotations

import keras
import tensorflow as tf

from attentiongan_tf.nn.layers import PACKAGE


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

    def __init__(self, initial_learning_rate: float, constant_steps: int, decay_steps: int) -> None:
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

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "constant_steps": self.constant_steps,
            "decay_steps": self.decay_steps,
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class EpochLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """The official ``lr_policy="linear"`` exactly: ``LambdaLR`` stepped after every epoch (``epoch_count=1``).

    ``lr(step) = initial · (1 − max(0, e + 1 − constant_epochs) / (decay_epochs + 1))`` with the epoch
    ``e = ⌊step / steps_per_epoch⌋`` (0-based), clipped at 0 after the run. So the first decayed epoch already
    runs at ``initial · decay / (decay + 1)`` and the last at ``initial / (decay + 1)``, never 0; after the run
    the rate is 0 (``decay_epochs=0``: constant forever). With ``steps_per_epoch=1`` every step is an epoch:
    the official code on a one-image dataset, batch 1.

    Args:
        initial_learning_rate: the rate during the constant phase (official ``lr`` 2e-4).
        constant_epochs: epochs at the initial rate (official ``niter`` / ``n_epochs``).
        decay_epochs: epochs of linear decay (official ``niter_decay`` / ``n_epochs_decay``).
        steps_per_epoch: optimizer steps per epoch (official: ⌈max(|A|, |B|) / batch⌉).

    Example:
        >>> schedule = EpochLinearDecay(2e-4, constant_epochs=3, decay_epochs=4)
        >>> [round(float(schedule(step)), 8) for step in range(2, 7)]
        [0.0002, 0.00016, 0.00012, 8e-05, 4e-05]
    """

    def __init__(
        self, initial_learning_rate: float, constant_epochs: int, decay_epochs: int, steps_per_epoch: int = 1
    ) -> None:
        if constant_epochs < 0 or decay_epochs < 0 or steps_per_epoch < 1:
            raise ValueError(
                "constant_epochs and decay_epochs must be >= 0 and steps_per_epoch >= 1, got "
                f"{constant_epochs}, {decay_epochs}, {steps_per_epoch}"
            )
        self.initial_learning_rate = initial_learning_rate
        self.constant_epochs = constant_epochs
        self.decay_epochs = decay_epochs
        self.steps_per_epoch = steps_per_epoch

    def __call__(self, step):
        if self.decay_epochs == 0:
            return tf.constant(self.initial_learning_rate, tf.float32)
        # Integer epochs and a float64 factor, as the official Python-float lambda computes it.
        epoch = tf.cast(step, tf.int64) // self.steps_per_epoch
        decayed = tf.maximum(epoch + 1 - self.constant_epochs, 0)
        factor = 1.0 - tf.cast(decayed, tf.float64) / float(self.decay_epochs + 1)
        return tf.cast(self.initial_learning_rate * tf.maximum(factor, 0.0), tf.float32)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "constant_epochs": self.constant_epochs,
            "decay_epochs": self.decay_epochs,
            "steps_per_epoch": self.steps_per_epoch,
        }
