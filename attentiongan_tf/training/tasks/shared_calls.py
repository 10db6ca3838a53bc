"""Three generator calls per two-domain step instead of six: fewer, larger kernels for small steps.

A step runs each generator three times: on its source batch (the translation), on the other domain's batch (the
identity loss) and on the other generator's translation (the cycle's reconstruction). Instance norm is per image,
so calls on concatenated batches, split afterwards, give the same numbers up to rounding:
:func:`generator_calls_of_a_step` runs ``G_AB`` on [real A, real B], ``G_BA`` on [real B, real A, G_AB(real A)]
and ``G_AB`` on G_BA(real B). In float32 with Winograd convolutions, sharing the translation and identity calls
was 7–13% faster at 128² batch 1 on a 2-core Xeon, and slower with 0.45–0.6 GiB more at 256²; sharing the
reconstruction's call too, 4% more at 128² batch 1 (docs/performance_log.md, 2026-12-06). So the trainer shares
the calls for steps under :data:`SHARED_CALLS_BELOW_PIXELS` pixels per replica in that mode only (the mode
``conv_algorithm="auto"`` trains float32 with on a CPU); the direct convolutions keep the official code's separate
calls.

Example:
    >>> shares_generator_calls("winograd", False, 128 * 128)
    True
    >>> shares_generator_calls("direct", False, 128 * 128)
    False
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tensorflow as tf

#: Pixels per replica step (image side² × per-replica batch) below which the calls are shared.
SHARED_CALLS_BELOW_PIXELS = 256 * 256


def shares_generator_calls(conv_algorithm: str, mixed_precision: bool | str, pixels_per_replica_step: int) -> bool:
    """Whether a step shares its generator calls (:func:`generator_calls_of_a_step`).

    Args:
        conv_algorithm: the convolutions the run trains with (``train.conv_algorithm``, ``auto`` resolved).
        mixed_precision: the run's ``train.mixed_precision`` (``False`` for float32).
        pixels_per_replica_step: crop size² × the batch each replica trains on.
    """
    float32 = mixed_precision is False
    return float32 and conv_algorithm == "winograd" and pixels_per_replica_step < SHARED_CALLS_BELOW_PIXELS


@dataclass(frozen=True)
class CycleCalls:
    """A generator output dict per role, from separate or shared calls.

    Attributes:
        out_ab: ``G_AB(real A)``; out_ba: ``G_BA(real B)``.
        same_b: ``G_AB(real B)``; same_a: ``G_BA(real A)`` (identity; None where they run in calls of their own,
            or without the identity loss).
        cycle_input_b: the image ``G_BA`` reconstructs A from (``out_ab``'s image, its gradient scaled for the
            masks); cycle_input_a likewise for ``G_AB``.
        rec_a: ``G_BA(cycle_input_b)``; rec_b: ``G_AB(cycle_input_a)``.
    """

    out_ab: dict
    out_ba: dict
    same_b: dict | None
    same_a: dict | None
    cycle_input_b: tf.Tensor
    cycle_input_a: tf.Tensor
    rec_a: dict
    rec_b: dict


def generator_calls_of_a_step(
    generator_ab: Callable, generator_ba: Callable, real_a: tf.Tensor, real_b: tf.Tensor,
    cycle_input: Callable[[dict, tf.Tensor], tf.Tensor],
) -> CycleCalls:  # fmt: skip
    """The six generator outputs of a step with identity loss, in three calls.

    Args:
        generator_ab, generator_ba: the generators.
        real_a, real_b: the step's batches.
        cycle_input: ``(translation outputs, source image) -> the image the other generator reconstructs from``.
    """
    out_ab, same_b = _split(generator_ab(tf.concat([real_a, real_b], 0), training=True), 2)
    cycle_input_b = cycle_input(out_ab, real_a)
    out_ba, same_a, rec_a = _split(generator_ba(tf.concat([real_b, real_a, cycle_input_b], 0), training=True), 3)
    cycle_input_a = cycle_input(out_ba, real_b)
    rec_b = generator_ab(cycle_input_a, training=True)
    return CycleCalls(out_ab, out_ba, same_b, same_a, cycle_input_b, cycle_input_a, rec_a, rec_b)


def reconstruction_calls(
    generator_ab: Callable, generator_ba: Callable, out_ab: dict, out_ba: dict, real_a: tf.Tensor, real_b: tf.Tensor,
    cycle_input: Callable[[dict, tf.Tensor], tf.Tensor],
) -> CycleCalls:  # fmt: skip
    """The reconstructions of a step whose translations ran in calls of their own (the official code's calls):
    ``same_b`` and ``same_a`` are left None for calls of their own too."""
    cycle_input_b, cycle_input_a = cycle_input(out_ab, real_a), cycle_input(out_ba, real_b)
    rec_a = generator_ba(cycle_input_b, training=True)
    rec_b = generator_ab(cycle_input_a, training=True)
    return CycleCalls(out_ab, out_ba, None, None, cycle_input_b, cycle_input_a, rec_a, rec_b)


def _split(outputs: dict[str, tf.Tensor], parts: int) -> list[dict[str, tf.Tensor]]:
    """Each of a generator's outputs cut into ``parts`` equal parts along the batch."""
    pieces = {key: tf.split(value, parts, axis=0) for key, value in outputs.items()}
    return [{key: piece[i] for key, piece in pieces.items()} for i in range(parts)]
