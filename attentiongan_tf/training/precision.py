"""Mixed precision for both model families: the Keras dtype policy and the optimizer wrapper it needs."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import keras

from attentiongan_tf.training.config import MIXED_PRECISION
from attentiongan_tf.training.optimizers import TorchAdam

__all__ = [
    "MIXED_PRECISION",
    "auto_bfloat16_winograd",
    "auto_conv_algorithm",
    "auto_mixed_precision",
    "auto_one_thread_per_op",
    "dtype_policy",
    "make_adam",
    "policy_name",
    "training_conv_algorithm",
    "use_one_op_at_a_time",
    "use_one_thread_per_op",
]

logger = logging.getLogger(__name__)

#: ``/proc/cpuinfo``'s ``vendor_id`` of the CPUs whose AVX512-BF16 (without AMX) trains faster than float32.
AVX512_BF16_FASTER_VENDOR = "AuthenticAMD"


def auto_mixed_precision(cpu_flags: str | None = None, gpus: int | None = None, tpu: bool = False) -> str:
    """What ``--mixed-precision auto`` picks on this machine: ``bfloat16`` on TPUs (their native type); ``float16``
    on GPUs; ``bfloat16`` on CPUs with AMX, and on AMD CPUs with AVX512-BF16 (Zen 4: 2.5–2.8× the official float32
    code with Winograd convolutions, the float32 ones 1.5×); else ``off`` (float32). An Intel CPU with
    AVX512-BF16 and no AMX (Cooper Lake, or a Xeon whose AMX the virtual machine or kernel does not enable) stays
    in float32: on a Xeon with oneDNN held to AVX512-BF16 its bfloat16 products ran at 105 GMAC/s against
    float32's 148, and a training iteration took longer in bfloat16 than in float32 with Winograd convolutions
    (docs/performance_log.md).

    Args:
        cpu_flags: ``/proc/cpuinfo``'s text, or its flags (default: read ``/proc/cpuinfo``; none where it cannot
            be read).
        gpus: the number of GPUs (default: the ones TensorFlow sees).
        tpu: whether the run trains on a TPU (``--strategy tpu``).
    """
    if tpu:
        return "bfloat16"
    if gpus is None:
        import tensorflow as tf

        gpus = len(tf.config.list_physical_devices("GPU"))
    if gpus:
        return "float16"
    words = set(_cpu_flags(cpu_flags).split())
    bfloat16_faster = "amx_bf16" in words or ("avx512_bf16" in words and AVX512_BF16_FASTER_VENDOR in words)
    return "bfloat16" if bfloat16_faster else "off"


def _cpu_flags(cpu_flags: str | None) -> str:
    """``cpu_flags``, or this machine's ``/proc/cpuinfo`` (empty where it cannot be read)."""
    if cpu_flags is not None:
        return cpu_flags
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def auto_bfloat16_winograd(cpu_flags: str | None = None) -> bool:
    """Whether ``--mixed-precision auto``, when it picks bfloat16, also takes ``--conv-algorithm winograd``
    (F(2×2, 3×3) in bfloat16): on CPUs with AVX512-BF16 and without AMX, where it was measured faster
    (docs/performance_log.md). With AMX the direct kernels stay: there Winograd was slower at 128² batch 1 (1.22
    against 0.98 s) and 256² (4.75 / 16.25 against 4.45 / 14.97 s at batch 1 / 4), and as fast at 128² batch 4.

    Args:
        cpu_flags: the CPU flags (default: read ``/proc/cpuinfo``).
    """
    flags = set(_cpu_flags(cpu_flags).split())
    return "avx512_bf16" in flags and "amx_bf16" not in flags


def auto_conv_algorithm(mixed_precision: bool | str, accelerator: bool, cpu_flags: str | None = None) -> str:
    """What ``conv_algorithm="auto"`` (the default) trains the ResNet blocks' 3×3 convolutions with:
    ``winograd`` on a CPU in float32, where the direct kernels bound an iteration at 1.0–1.3× the official code's
    speed and Winograd's 4× fewer multiplications reach 1.3–1.7× (docs/performance.md), and in bfloat16 where
    :func:`auto_bfloat16_winograd` says so; ``direct`` on GPUs and TPUs (cuDNN and XLA choose their own
    algorithms), with float16, and in bfloat16 on CPUs with AMX, whose direct kernels are faster.

    Args:
        mixed_precision: the run's ``mixed_precision``.
        accelerator: whether the run trains on GPUs or TPUs.
        cpu_flags: the CPU flags (default: read ``/proc/cpuinfo``).

    Example:
        >>> auto_conv_algorithm(False, accelerator=False)
        'winograd'
        >>> auto_conv_algorithm("float16", accelerator=True)
        'direct'
    """
    if accelerator or mixed_precision in (True, "float16"):
        return "direct"
    if mixed_precision == "bfloat16":
        return "winograd" if auto_bfloat16_winograd(cpu_flags) else "direct"
    return "winograd"


def training_conv_algorithm(
    conv_algorithm: str, mixed_precision: bool | str, accelerator: bool, cpu_flags: str | None = None
) -> str:
    """The convolutions a run trains with: its ``conv_algorithm``, ``auto`` resolved by
    :func:`auto_conv_algorithm` (same arguments)."""
    if conv_algorithm != "auto":
        return conv_algorithm
    picked = auto_conv_algorithm(mixed_precision, accelerator, cpu_flags)
    logger.info("conv_algorithm auto: the ResNet blocks' 3×3 convolutions train as %s here", picked)
    return picked


#: Pixels per step (image side² × batch) from which ``--mixed-precision auto`` leaves each bfloat16 op both cores
#: on a CPU with AMX.
AMX_BOTH_CORES_FROM_PIXELS = 256 * 256


def auto_one_thread_per_op(
    cpu_flags: str | None = None,
    cores: int | None = None,
    environ: Mapping[str, str] | None = None,
    conv_algorithm: str = "direct",
    pixels_per_step: int = 0,
) -> bool:
    """Whether ``--mixed-precision auto`` runs bfloat16 with one thread per op, ops side by side, on at most 2
    usable cores; from the benchmarks (docs/performance_log.md). On CPUs with AMX for steps of fewer than
    :data:`AMX_BOTH_CORES_FROM_PIXELS` pixels: at 128² batch 1 on a quiet Xeon 0.66–0.70 s against 0.77–0.79 s per
    iteration with each op on both cores (3 alternated rounds, 2026-12-06), and faster in all 7 runs on another;
    from 256² pixels per step each op on both cores was as fast or faster in most runs and met 3× in every set of
    rounds. On CPUs with AVX512-BF16 and no AMX with Winograd convolutions (2.84× instead of 2.62× at 128² batch
    1, as fast or faster at every size). Never where the user set TensorFlow's thread counts
    (``TF_NUM_INTRAOP_THREADS`` / ``TF_NUM_INTEROP_THREADS``).

    Args:
        cpu_flags: the CPU flags (default: read ``/proc/cpuinfo``).
        cores: usable cores (default: this process's CPU affinity).
        environ: the environment (default ``os.environ``).
        conv_algorithm: the ResNet blocks' convolutions the run trains with (``train.conv_algorithm``).
        pixels_per_step: training pixels per step, ``image_size² × batch_size`` (0: not known, taken as small).
    """
    if not _threads_unset(environ) or _cores(cores) > 2:
        return False
    flags = set(_cpu_flags(cpu_flags).split())
    if "amx_bf16" in flags:
        return conv_algorithm == "direct" and pixels_per_step < AMX_BOTH_CORES_FROM_PIXELS
    return "avx512_bf16" in flags and conv_algorithm == "winograd"


def _threads_unset(environ: Mapping[str, str] | None) -> bool:
    environ = os.environ if environ is None else environ
    return "TF_NUM_INTRAOP_THREADS" not in environ and "TF_NUM_INTEROP_THREADS" not in environ


def _cores(cores: int | None) -> int:
    return len(os.sched_getaffinity(0)) if cores is None else cores


def use_one_thread_per_op(cores: int | None = None) -> bool:
    """Run each TensorFlow op on one thread, ``cores`` ops side by side (default: the usable cores). Returns
    False, changing nothing, once TensorFlow has started (the thread pools are fixed then)."""
    return _use_threads(intra_op=1, inter_op=_cores(cores))


def use_one_op_at_a_time() -> bool:
    """Run one TensorFlow op at a time, each on all usable cores (one inter-op thread): fewer tensors alive at
    once. Returns False, changing nothing, once TensorFlow has started."""
    return _use_threads(intra_op=None, inter_op=1)


def _use_threads(intra_op: int | None, inter_op: int) -> bool:
    import tensorflow as tf

    try:
        if intra_op is not None:
            tf.config.threading.set_intra_op_parallelism_threads(intra_op)
        tf.config.threading.set_inter_op_parallelism_threads(inter_op)
    except RuntimeError:
        return False
    return True


def policy_name(mixed_precision: bool | str) -> str:
    """Keras dtype policy for ``train.mixed_precision``: off, ``float16`` (``True``) or ``bfloat16``."""
    if mixed_precision in (False, None, "off"):
        return "float32"
    return "mixed_bfloat16" if mixed_precision == "bfloat16" else "mixed_float16"


def compute_dtype(mixed_precision: bool | str) -> str:
    """The dtype layers compute in under ``train.mixed_precision``: float32, bfloat16 or float16."""
    return keras.DTypePolicy(policy_name(mixed_precision)).compute_dtype


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
