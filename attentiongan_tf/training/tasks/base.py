"""What the one training loop needs from a model family: typed step results, run settings, the task protocol."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import tensorflow as tf


@dataclass(frozen=True)
class StepResult:
    """One optimizer step, reduced over replicas, as Python floats.

    Args:
        losses: the weighted loss terms and totals (``cycle_a``, ``generator_total``, ``d_total`` ...).
        metrics: everything else that is logged (learning rate, mask statistics, classifier accuracies).
    """

    losses: dict[str, float]
    metrics: dict[str, float]

    @property
    def values(self) -> dict[str, float]:
        """Losses and metrics in one row (what ``metrics.jsonl`` and TensorBoard get)."""
        return {**self.losses, **self.metrics}

    @classmethod
    def from_tensors(cls, losses: dict[str, Any], metrics: dict[str, Any]) -> StepResult:
        """Convert the tensors a ``tf.function`` step returns."""
        return cls({k: float(v) for k, v in losses.items()}, {k: float(v) for k, v in metrics.items()})


@dataclass(frozen=True)
class RunSettings:
    """The settings of a run that the loop itself reads (the same for every family).

    Args:
        output_dir: the run folder.
        steps: total steps.
        batch_size: global batch size (for images per second and the data position).
        seed: the run's seed.
        strategy: ``--strategy`` name.
        deterministic: TF op determinism.
        checkpoint_every / sample_every / log_every: intervals in steps.
        keep_checkpoints: checkpoints kept.
        on_collapse: ``warn`` or ``stop``.
        steps_field: the config field that holds ``steps`` (named in errors).
    """

    output_dir: Path
    steps: int
    batch_size: int
    seed: int
    strategy: str
    deterministic: bool
    checkpoint_every: int
    sample_every: int
    log_every: int
    keep_checkpoints: int
    on_collapse: str
    steps_field: str = "train.steps"


def gradient_pass(function: Callable[..., Any], xla: bool) -> Callable[..., Any]:
    """``function`` (a loss-and-gradient pass of a step) as an XLA-compiled ``tf.function`` of its own when
    ``xla``; otherwise ``function`` itself, traced into the calling step's graph: one function fewer for the
    runtime to instantiate and hold (about 0.1 GiB less peak memory for the official model at 128²)."""
    return tf.function(function, jit_compile=True) if xla else function


class Trainer(Protocol):
    """What the loop calls on a family's trainer."""

    step: tf.Variable
    strategy: tf.distribute.Strategy

    def train_step(self, batch: Any) -> StepResult: ...


class Task(Protocol):
    """One model family: everything the loop does differently for it. ``data`` is the task's own record of
    the prepared dataset (files, labels, domain names); the loop only passes it back."""

    kind: str

    def settings(self, config: Any) -> RunSettings: ...

    def check_resume(self, config: Any, output_dir: Path) -> None: ...

    def prepare_data(self, config: Any, output_dir: Path) -> Any: ...

    def build_trainer(self, config: Any, data: Any, strategy: tf.distribute.Strategy) -> Trainer: ...

    def checkpoint(self, trainer: Any) -> tf.train.Checkpoint: ...

    def config_writer(self, config: Any, data: Any) -> Callable[[Path], object]: ...

    def dataset(self, config: Any, data: Any, start_example: int) -> tf.data.Dataset: ...

    def samples(self, config: Any, data: Any) -> Any: ...

    def sample_grid(self, trainer: Any, samples: Any, data: Any) -> np.ndarray: ...

    def postfix(self, values: dict[str, float]) -> dict[str, str]: ...


