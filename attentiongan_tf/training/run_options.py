"""The settings both model families share (:class:`RunOptions`, the base of both kinds' configs), their allowed
values, and the one resume policy."""

from __future__ import annotations

from dataclasses import dataclass

from attentiongan_tf.nn.resnet_block import CONV_ALGORITHMS
from attentiongan_tf.training.config_errors import ConfigError
from attentiongan_tf.training.validation import FRACTION

ON_COLLAPSE = ("warn", "stop")
#: ``mixed_precision`` values: off (``False``/``"off"``), float16 (``True``/``"float16"``) or bfloat16.
MIXED_PRECISION = (False, True, "off", "float16", "bfloat16")
STRATEGIES = ("auto", "default", "mirrored", "multi_worker", "tpu")
#: ``conv_algorithm`` values: ``auto`` (what this machine trains fastest with) or one of the layers' algorithms.
TRAINING_CONV_ALGORITHMS = ("auto", *CONV_ALGORITHMS)
#: The one resume policy of both families: the only settings a resumed run may change (everything else,
#: architecture and objective above all, comes from the run's config.json).
RESUMABLE_SETTINGS = ("output_dir", "steps", "epochs", "checkpoint_every", "sample_every", "log_every", "strategy",
                      "xla", "conv_algorithm", "on_collapse")  # fmt: skip


@dataclass
class RunOptions:
    """Settings both model families share, with the same meaning and defaults (the base of ``TrainConfig`` and
    of ``MultiDomainConfig``).

    Args:
        decay_fraction: fraction of the steps with linear learning-rate decay at the end.
        seed: seed of weights, data order, augmentation and every random choice.
        strategy: ``auto``, ``default``, ``mirrored``, ``multi_worker`` or ``tpu``.
        xla: JIT-compile the per-replica gradient computations.
        mixed_precision: ``False``; ``True`` or ``"float16"``: float16 convs, float32 norms / softmax / tanh /
            losses, loss scaling per optimizer (GPUs); ``"bfloat16"``: bfloat16 convs, no loss scaling (TPUs and
            CPUs with AMX, where it is several times faster).
        conv_algorithm: the ResNet blocks' 3×3 convolutions in training: ``auto`` (what this machine trains
            fastest with, :func:`attentiongan_tf.training.precision.auto_conv_algorithm`: ``winograd`` on a CPU in
            float32, ``direct`` on GPUs and TPUs), ``direct`` (oneDNN / cuDNN, the official code's to float32
            round-off) or ``winograd`` (F(4×4, 3×3) in float32, 4× fewer multiplications; F(2×2, 3×3) with
            ``mixed_precision="bfloat16"``, 2.25× fewer; not with float16: faster training on CPUs, numbers within
            rounding of the direct ones; docs/performance.md).
            Exports use the direct convolution whatever this says (the Winograd TFLite variants have their own
            Winograd form).
        deterministic: the same numbers run after run: TF op determinism and each op on one thread, ops side by
            side (:mod:`attentiongan_tf.training.determinism`).
        keep_checkpoints: checkpoints kept by the CheckpointManager.
        on_collapse: what a mask collapse does (see ``summaries.collapse_warning``): ``warn`` (log it and go on)
            or ``stop`` (save a checkpoint and stop the run).
    """

    decay_fraction: float = 0.5
    seed: int = 0
    strategy: str = "auto"
    xla: bool = False
    mixed_precision: bool | str = False
    conv_algorithm: str = "auto"
    deterministic: bool = False
    keep_checkpoints: int = 3
    on_collapse: str = "warn"

    def validate_run_options(self, prefix: str = "") -> None:
        """Raise :class:`ConfigError` naming the first shared setting out of range.

        Args:
            prefix: where these settings sit in the config (``train.`` in a two-domain config, ``""`` in a flat
                multi-domain one).
        """
        for name, allowed in (("strategy", STRATEGIES), ("on_collapse", ON_COLLAPSE)):
            if getattr(self, name) not in allowed:
                raise ConfigError(prefix + name, f"must be one of {allowed}, got {getattr(self, name)!r}")
        if self.mixed_precision not in MIXED_PRECISION:
            raise ConfigError(prefix + "mixed_precision", f"must be float16 or bfloat16, got {self.mixed_precision!r}")
        if self.conv_algorithm not in TRAINING_CONV_ALGORITHMS:
            raise ConfigError(prefix + "conv_algorithm",
                              f"must be one of {TRAINING_CONV_ALGORITHMS}, got {self.conv_algorithm!r}")  # fmt: skip
        if self.conv_algorithm == "winograd" and self.mixed_precision in (True, "float16"):
            raise ConfigError((prefix + "conv_algorithm", prefix + "mixed_precision"),
                              "{0} winograd computes in float32 or bfloat16; "
                              "it cannot be combined with {1} float16")  # fmt: skip
        if self.keep_checkpoints <= 0:
            raise ConfigError(prefix + "keep_checkpoints", f"must be > 0, got {self.keep_checkpoints}")
        FRACTION.check(prefix + "decay_fraction", self.decay_fraction)
