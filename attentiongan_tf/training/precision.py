"""Mixed precision for both model families: the Keras dtype policy and the optimizer wrapper it needs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keras

from attentiongan_tf.training.config import MIXED_PRECISION
from attentiongan_tf.training.optimizers import TorchAdam

__all__ = ["MIXED_PRECISION", "dtype_policy", "make_adam", "policy_name"]


def policy_name(mixed_precision: bool | str) -> str:
    """Keras dtype policy for ``train.mixed_precision``: off, ``float16`` (``True``) or ``bfloat16``."""
    if mixed_precision in (False, None, "off"):
        return "float32"
    return "mixed_bfloat16" if mixed_precision == "bfloat16" else "mixed_float16"


@contextlib.contextmanager
def dtype_policy(mixed_precision: bool | str) -> Iterator[None]:
    """Build models under the mixed policy when asked, restoring the previous global policy afterwards."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy_name(mixed_precision))
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def make_adam(
    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule,
    beta_1: float,
    beta_2: float,
    name: str,
    mixed_precision: bool | str = False,
) -> keras.optimizers.Optimizer:
    """PyTorch's Adam (:class:`TorchAdam`), with per-optimizer loss scaling under float16.

    Args:
        learning_rate: a rate or a schedule.
        beta_1: Adam β1.
        beta_2: Adam β2.
        name: the optimizer's name (and checkpoint key of its variables).
        mixed_precision: ``train.mixed_precision``; bfloat16 has float32's range and needs no loss scaling.
    """
    optimizer = TorchAdam(learning_rate, beta_1=beta_1, beta_2=beta_2, name=name)
    if policy_name(mixed_precision) == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer, name=f"{name}_loss_scale")
    return optimizer
