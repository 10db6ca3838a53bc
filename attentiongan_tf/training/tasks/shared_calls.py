"""One generator call for the translation and the identity image: fewer, larger kernels for small steps.

Each generator of a two-domain step runs on its source batch (the translation) and, for the identity loss, on the
other domain's batch. Instance norm is per image, so one call on both batches, split afterwards, gives the same
numbers up to rounding. In float32 with Winograd convolutions that was 7–13% faster at 128² batch 1 on a 2-core
Xeon with no more memory, and slower with 0.45–0.6 GiB more at 256² (docs/performance_log.md, 2026-12-06), so the
trainer shares the calls for steps under :data:`SHARED_CALLS_BELOW_PIXELS` pixels per replica in that mode only;
the default direct convolutions keep the official code's separate calls.

Example:
    >>> shares_generator_calls("winograd", False, 128 * 128)
    True
    >>> shares_generator_calls("direct", False, 128 * 128)
    False
"""

from __future__ import annotations

import tensorflow as tf

#: Pixels per replica step (image side² × per-replica batch) below which the calls are shared.
SHARED_CALLS_BELOW_PIXELS = 256 * 256


def shares_generator_calls(conv_algorithm: str, mixed_precision: bool | str, pixels_per_replica_step: int) -> bool:
    """Whether a step translates and makes the identity images in one call per generator.

    Args:
        conv_algorithm: the run's ``train.conv_algorithm``.
        mixed_precision: the run's ``train.mixed_precision`` (``False`` for float32).
        pixels_per_replica_step: crop size² × the batch each replica trains on.
    """
    float32 = mixed_precision is False
    return float32 and conv_algorithm == "winograd" and pixels_per_replica_step < SHARED_CALLS_BELOW_PIXELS


def split_batch(outputs: dict[str, tf.Tensor]) -> tuple[dict[str, tf.Tensor], dict[str, tf.Tensor]]:
    """The first and second halves (along the batch) of each of a generator's outputs."""
    halves = {key: tf.split(value, 2, axis=0) for key, value in outputs.items()}
    return {key: h[0] for key, h in halves.items()}, {key: h[1] for key, h in halves.items()}
