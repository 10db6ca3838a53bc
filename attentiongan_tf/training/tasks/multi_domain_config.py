"""Settings of a multi-domain run: one flat dataclass, saved as ``config.json`` next to the checkpoints."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import ClassVar

from attentiongan_tf.training.config_errors import ConfigError
from attentiongan_tf.training.run_options import RunOptions
from attentiongan_tf.training.validation import BETA, NON_NEGATIVE, POSITIVE

LAYOUTS = ("auto", "folders", "csv")
#: Adversarial objectives of the multi-domain family (the two-domain ones: ``config.TWO_DOMAIN_GAN_MODES``).
MULTI_DOMAIN_GAN_MODES = ("wgan-gp", "lsgan")
CLASSIFICATION_MODES = ("multi_label", "single_label")


@dataclasses.dataclass
class MultiDomainConfig(RunOptions):
    """Every setting of :func:`attentiongan_tf.multidomain.train_multidomain` (StarGAN defaults).

    Args:
        output_dir: run folder (config.json, checkpoints/, samples/, metrics.jsonl).
        dataroot: folder-per-domain root or image root of ``labels_csv``; ``None`` writes and uses the demo.
        layout: ``folders`` (one sub-folder per domain), ``csv`` (``labels_csv``) or ``auto``.
        labels_csv: CSV (``filename,attr1,...``) or CelebA ``list_attr_celeba.txt`` attribute file.
        attributes: columns of ``labels_csv`` to use (StarGAN ``--selected_attrs``); ``None`` = all.
        classification: ``auto`` (one-hot labels → ``single_label``, else ``multi_label``) or either mode.
        image_size: training resolution (images are resized to it).
        batch_size: global batch size.
        flip: random horizontal flips.
        ngf / n_blocks / n_masks: generator width, ResNet blocks, attention masks (background included).
        ndf / n_layers_d: discriminator width and stride-2 convs (``image_size`` divisible by ``2**n_layers_d``).
        gan_mode: ``wgan-gp`` (StarGAN) or ``lsgan``.
        lambda_cls / lambda_rec / lambda_gp: StarGAN weights 1, 10, 10.
        lambda_tv: attention total-variation weight (paper Eq. 7).
        lambda_attention_l1: weight of the mean foreground attention (keeps masks small).
        g_learning_rate / d_learning_rate / beta_1 / beta_2: Adam settings (StarGAN 1e-4, 1e-4, 0.5, 0.999).
        n_critic: discriminator steps per generator step.
        steps: total discriminator steps.
        log_every / sample_every / checkpoint_every: intervals (steps).
        demo_images: training images per domain of the procedural demo.
        decay_fraction, seed, strategy, xla, mixed_precision, deterministic, keep_checkpoints, on_collapse: the
            shared :class:`RunOptions` (StarGAN decays over the last half: 0.5; config.json files with the former
            ``decay_steps`` load as the same fraction).
        preset: the preset the settings started from (``multidomain`` or ``multidomain_demo``).

    Example:
        >>> MultiDomainConfig(output_dir="/tmp/run", image_size=32, ngf=8).validate()
    """

    output_dir: str = "runs/multidomain"
    dataroot: str | None = None
    layout: str = "auto"
    labels_csv: str | None = None
    attributes: list[str] | None = None
    classification: str = "auto"
    image_size: int = 128
    batch_size: int = 16
    flip: bool = True
    ngf: int = 64
    n_blocks: int = 6
    n_masks: int = 10
    ndf: int = 64
    n_layers_d: int = 6
    gan_mode: str = "wgan-gp"
    lambda_cls: float = 1.0
    lambda_rec: float = 10.0
    lambda_gp: float = 10.0
    lambda_tv: float = 1e-6
    lambda_attention_l1: float = 0.0
    g_learning_rate: float = 1e-4
    d_learning_rate: float = 1e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    n_critic: int = 5
    steps: int = 200_000
    log_every: int = 100
    sample_every: int = 1000
    checkpoint_every: int = 10_000
    demo_images: int = 64
    preset: str = "multidomain"

    kind: ClassVar[str] = "multidomain"

    @property
    def lr_decay_steps(self) -> int:
        """Steps of linear learning-rate decay at the end of the run."""
        return int(round(self.steps * self.decay_fraction))

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first invalid setting (as its field, ``image_size``)."""
        modes = ("auto", *CLASSIFICATION_MODES)
        choices = {"layout": LAYOUTS, "gan_mode": MULTI_DOMAIN_GAN_MODES, "classification": modes}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(name, f"must be one of {allowed}, got {getattr(self, name)!r}")
        positive = ("image_size", "batch_size", "ngf", "ndf", "n_layers_d", "n_critic", "steps", "log_every",
                    "sample_every", "checkpoint_every", "demo_images")  # fmt: skip
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ConfigError(name, f"must be a positive integer, got {getattr(self, name)}")
        if self.n_masks < 2:
            raise ConfigError("n_masks", f"must be at least 2 (foreground and background), got {self.n_masks}")
        if self.image_size % 4 or self.image_size % 2**self.n_layers_d:
            raise ConfigError(("image_size", "n_layers_d"), f"{{0}} {self.image_size} must be divisible by 4 and by "
                              f"2 ** {{1}} ({self.n_layers_d}) = {2**self.n_layers_d}")  # fmt: skip
        if self.n_blocks < 0:
            raise ConfigError("n_blocks", f"must be >= 0, got {self.n_blocks}")
        self.validate_run_options()
        if self.layout == "csv" and not self.labels_csv:
            raise ConfigError(("layout", "labels_csv"), "{0} csv needs {1}")
        for name in ("lambda_cls", "lambda_rec", "lambda_gp", "lambda_tv", "lambda_attention_l1"):
            NON_NEGATIVE.check(name, getattr(self, name))
        for name in ("g_learning_rate", "d_learning_rate"):
            POSITIVE.check(name, getattr(self, name))
        for name in ("beta_1", "beta_2"):
            BETA.check(name, getattr(self, name))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> MultiDomainConfig:
        """Build from a dict, refusing unknown keys (typos in a config file). Configs written before
        ``decay_fraction`` hold ``decay_steps``: it becomes the same fraction of ``steps``; those written before
        ``conv_algorithm`` trained with direct convolutions, and resume with them."""
        values = dict(values)
        values.setdefault("conv_algorithm", "direct")
        if "decay_steps" in values and "decay_fraction" not in values:
            decay_steps, steps = values.pop("decay_steps"), values.get("steps", cls.steps)
            values["decay_fraction"] = decay_steps / steps if steps else 0.0
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown multi-domain setting(s) {unknown}")
        return cls(**values)

    def save(self, path: str | os.PathLike, **extra: object) -> None:
        """Write ``{"kind": "multidomain", "preset": ..., "config": {...}, **extra}`` (extra: the resolved domains
        and classification mode)."""
        values = {"kind": self.kind, "preset": self.preset, "config": self.to_dict(), **extra}
        Path(path).write_text(json.dumps(values, indent=2))

    @classmethod
    def load(cls, path: str | os.PathLike) -> MultiDomainConfig:
        """Read a ``config.json`` written by :meth:`save` (or by a version before ``kind``)."""
        values = json.loads(Path(path).read_text())
        if not is_multidomain_values(values):
            raise ValueError(f"{path} is not the config of a multi-domain run")
        return cls.from_dict(values["config"])


def is_multidomain_values(values: dict) -> bool:
    """Whether a ``config.json``'s content is a multi-domain run's: its ``kind``, or for files written before
    ``kind`` existed, their ``{"preset": "multidomain", "config": {...}}`` layout."""
    if "kind" in values:
        return values["kind"] == MultiDomainConfig.kind
    return values.get("preset") == "multidomain" and isinstance(values.get("config"), dict)


#: ``multidomain``: StarGAN's CelebA settings (128 px, WGAN-GP, n_critic 5). ``multidomain_demo``: a tiny model
#: that learns the procedural demo on a CPU in about a minute (the settings of the learning test).
MULTI_DOMAIN_PRESETS = {
    "multidomain": MultiDomainConfig(),
    "multidomain_demo": MultiDomainConfig(
        preset="multidomain_demo",
        output_dir="runs/multidomain_demo",
        image_size=32,
        batch_size=8,
        ngf=8,
        n_blocks=1,
        n_masks=3,
        ndf=16,
        n_layers_d=3,
        gan_mode="lsgan",
        n_critic=1,
        steps=400,
        decay_fraction=0.0,
        g_learning_rate=1e-3,
        d_learning_rate=1e-3,
        lambda_rec=2.5,
        demo_images=32,
        log_every=50,
        sample_every=100,
        checkpoint_every=200,
    ),
}


def config_from_flags(values: dict, preset: str = "multidomain") -> MultiDomainConfig:
    """A validated copy of ``MULTI_DOMAIN_PRESETS[preset]`` with the settings in ``values`` replaced.

    Args:
        values: setting names (``ngf``, ``output_dir``) -> values; ``None`` keeps the preset's. (``train.py``
            maps its flags onto the config itself, in ``cli/train_flags.py``.)
        preset: ``multidomain`` or ``multidomain_demo``.

    Raises ``ValueError`` for an unknown setting and :class:`ConfigError` for one out of range.
    """
    if preset not in MULTI_DOMAIN_PRESETS:
        raise ConfigError("preset", f"must be one of {sorted(MULTI_DOMAIN_PRESETS)}, got {preset!r}")
    given = {k: v for k, v in values.items() if v is not None}
    config = MultiDomainConfig.from_dict({**MULTI_DOMAIN_PRESETS[preset].to_dict(), **given})
    config.validate()
    return config
