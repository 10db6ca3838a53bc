"""What the passes of a two-domain training step return to the step (``two_domain.AttentionGANTrainer``)."""

from __future__ import annotations

from typing import NamedTuple

import tensorflow as tf


class GeneratorForward(NamedTuple):
    """Both cycles of one batch: per-example loss terms, each generator's outputs and foregrounds."""

    terms: dict[str, tf.Tensor]
    out_ab: dict[str, tf.Tensor]
    out_ba: dict[str, tf.Tensor]
    fg_ab: tf.Tensor
    fg_ba: tf.Tensor


class Fakes(NamedTuple):
    """The translations of a batch and their foreground attention (what the image pools get)."""

    fake_a: tf.Tensor
    fake_b: tf.Tensor
    fg_ab: tf.Tensor
    fg_ba: tf.Tensor


class Gradients(NamedTuple):
    """Gradients of one network group, its averaged loss terms and metrics, and (generators) the fakes."""

    gradients: list[tf.Tensor]
    losses: dict[str, tf.Tensor]
    metrics: dict[str, tf.Tensor]
    fakes: Fakes | None = None
