"""Mixed precision for both model families: the Keras dtype policy and the optimizer wrapper it needs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import keras

from attentiongan_tf.training.config import MIXED_PRECISION
from attentiongan_tf.training.optimizers import TorchAdam

__all__ = ["MIXED_PRECISION", "auto_mixed_precision", "dtype_policy", "make_adam", "policy_name"]

#: CPU flags (``/proc/cpuinfo``) of bfloat16 matrix instructions: Intel AMX, AVX512-BF16 (Intel, AMD Zen 4).
CPU_BFLOAT16_FLAGS = ("amx_bf16", "avx512_bf16")


def auto_mixed_precision(cpu_flags: str | None = None, gpus: int | None = None) -> str:
    """What ``--mixed-precision auto`` picks on this machine: ``float16`` on GPUs, ``bfloat16`` on CPUs with
    bfloat16 matrix instructions (1.95× float32 on a 2-core AVX512-BF16 EPYC, benchmarks/RESULTS.md), else ``off``.

    Args:
        cpu_flags: the CPU flags (default: read ``/proc/cpuinfo``; none where it cannot be read).
        gpus: the number of GPUs (default: the ones TensorFlow sees).
    """
    if gpus is None:
        import tensorflow as tf

        gpus = len(tf.config.list_physical_devices("GPU"))
    if gpus:
        return "float16"
    if cpu_flags is None:
        try:
            cpu_flags = Path("/proc/cpuinfo").read_text()
        except OSError:
            cpu_flags = ""
    return "bfloat16" if set(cpu_flags.split()) & set(CPU_BFLOAT16_FLAGS) else "off"


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
