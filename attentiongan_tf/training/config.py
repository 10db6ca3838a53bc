"""Training configuration: dataclasses that round-trip through JSON, and the named presets."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from attentiongan_tf.data.unpaired import PREPROCESS_MODES
from attentiongan_tf.training.config_errors import ConfigError
from attentiongan_tf.training.run_options import (
    MIXED_PRECISION,
    ON_COLLAPSE,
    RESUMABLE_SETTINGS,
    STRATEGIES,
    RunOptions,
)
from attentiongan_tf.training.validation import BETA, NON_NEGATIVE, POSITIVE

# Re-exported: the shared settings lived here before ``run_options``.
__all__ = ["MIXED_PRECISION", "ON_COLLAPSE", "RESUMABLE_SETTINGS", "STRATEGIES", "RunOptions", "ConfigError",
           "PREPROCESS_MODES", "Config", "ModelConfig", "LossConfig", "DataConfig", "TrainConfig",
           "preset"]  # fmt: skip
TWO_DOMAIN_PRESETS = ("demo", "official", "robust", "cyclegan-options", "paper-scheme1")
MODEL_VARIANTS = ("scheme2", "geo", "scheme1", "cyclegan")
#: Adversarial objectives of the two-domain family (the multi-domain ones: ``MULTI_DOMAIN_GAN_MODES``).
TWO_DOMAIN_GAN_MODES = ("lsgan", "vanilla")


@dataclass
class ModelConfig:
    """Architecture of the two generators and the discriminators.

    Args:
        variant: generator, ``scheme2`` (official), ``geo`` (official selfie2anime), ``scheme1`` (paper Eq. 1) or
            ``cyclegan`` (attention disabled: the ablation baseline).
        ngf: generator width.
        n_blocks: ResNet blocks per generator.
        n_masks: attention masks per generator, background included (ignored by scheme1, which has 2).
        ndf: discriminator width.
        n_layers_d: stride-2 convs per PatchGAN.
        attention_discriminator: add the paper's attention-guided discriminators (Eq. 6).
        attention_kernel_size: the attention head's last conv (scheme II / geo): 1 (official) or 3, which
            leaves no input-independent grid in the masks (see ``AttentionGANGenerator``).
    """

    variant: str = "scheme2"
    ngf: int = 64
    n_blocks: int = 9
    n_masks: int = 10
    ndf: int = 64
    n_layers_d: int = 3
    attention_discriminator: bool = False
    attention_kernel_size: int = 1


@dataclass
class LossConfig:
    """Weights of the objective (paper Sec. 3.3; official defaults).

    Args:
        gan_mode: ``lsgan`` (official) or ``vanilla``.
        lambda_cycle_a: weight of the A→B→A cycle loss (official 10).
        lambda_cycle_b: weight of the B→A→B cycle loss (official 10).
        lambda_identity: identity weight as a fraction of the cycle weight (official 0.5).
        lambda_attention_gan: weight of the attention-guided adversarial loss (Eq. 6).
        lambda_pixel: weight of the pixel loss (Eq. 8), multiplied by the curriculum weight r.
        lambda_tv: weight of the TV attention loss (Eq. 7).
        curriculum_switch_step: step at which r goes from ``curriculum_early`` to ``curriculum_late`` (Eq. 9).
        curriculum_early: r before the switch (paper 0.01).
        curriculum_late: r after the switch (paper 0.5).
        lambda_background: weight of the background prior (``losses.background_prior``): a penalty on
            copying the input that keeps the attention from collapsing to the background (0 = official).
        background_target: share of the image the background may take before the prior acts.
        cycle_attention_gradient: share of the cycle loss's gradient that passes through the attention masks
            (official 1; the content images always get all of it; a path through two masks gets its square).
            Copying the input is the cheapest way to a small cycle loss, so below 1 the adversarial loss gets
            more say over the masks (``robust``: 0.1; 0: the masks move only for the adversarial loss).
        identity_attention_gradient: the same for the identity loss (``robust``: 0.1).
    """

    gan_mode: str = "lsgan"
    lambda_cycle_a: float = 10.0
    lambda_cycle_b: float = 10.0
    lambda_identity: float = 0.5
    lambda_attention_gan: float = 0.0
    lambda_pixel: float = 0.0
    lambda_tv: float = 0.0
    curriculum_switch_step: int = 0
    curriculum_early: float = 0.01
    curriculum_late: float = 0.5
    lambda_background: float = 0.0
    background_target: float = 0.0
    cycle_attention_gradient: float = 1.0
    identity_attention_gradient: float = 1.0


@dataclass
class DataConfig:
    """Input pipeline (official ``resize_and_crop`` + flip).

    Args:
        dataroot: folder with ``trainA``, ``trainB`` (and optionally ``testA``, ``testB``); ``None`` = demo data.
        load_size: images are resized to ``load_size``² first.
        crop_size: then randomly cropped to ``crop_size``² (the training resolution).
        preprocess: how images are resized before the crop: ``resize_and_crop`` (to ``load_size``², official),
            ``scale_width_and_crop`` (width to ``load_size``, aspect kept) or ``none`` (no rescaling).
        flip: random horizontal flip.
        batch_size: GLOBAL batch size (split over replicas).
        demo_images: images per domain when the demo dataset is generated.
    """

    dataroot: str | None = None
    load_size: int = 286
    crop_size: int = 256
    preprocess: str = "resize_and_crop"
    flip: bool = True
    batch_size: int = 1
    demo_images: int = 256


@dataclass
class TrainConfig(RunOptions):
    """Optimisation, runtime and output settings (and the shared :class:`RunOptions`).

    Args:
        steps: total optimizer steps (derived from ``epochs`` when that is set).
        epochs: the schedule in epochs, as the official code states it; an epoch is max(|trainA|, |trainB|)
            images (the official unaligned dataset's length), so ``steps = ceil(epochs · that / batch_size)``,
            resolved once the dataset is scanned. ``None``: ``steps`` is the schedule.
        decay_fraction: as in ``RunOptions`` (official 100+100 epochs: 0.5).
        learning_rate: Adam learning rate (official 2e-4).
        beta_1: Adam β1 (official 0.5).
        beta_2: Adam β2 (official 0.999).
        pool_size: image-history size (official 50; 0 disables).
        output_dir: where config.json, checkpoints/, samples/ and logs/ go.
        checkpoint_every: steps between checkpoints (and one at the end).
        sample_every: steps between sample grids (and one at the end).
        log_every: steps between TensorBoard scalar writes.
    """

    steps: int = 1000
    epochs: float | None = None
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    pool_size: int = 50
    output_dir: str = "runs/demo"
    checkpoint_every: int = 500
    sample_every: int = 500
    log_every: int = 10


@dataclass
class Config:
    """The whole resolved configuration written to ``<output_dir>/config.json``.

    Example:
        >>> config = preset("demo")
        >>> Config.from_dict(config.to_dict()) == config
        True
    """

    kind: ClassVar[str] = "two_domain"

    preset: str = "official"
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        """The JSON form: ``{"kind": "two_domain", "preset": ..., "model": {...}, ...}``."""
        return {"kind": self.kind, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, values: dict) -> Config:
        """Build from the JSON form (config.json files written before ``kind`` existed have none; those written
        before ``train.conv_algorithm`` existed trained with direct convolutions, and resume with them)."""
        sections = {"model": ModelConfig, "loss": LossConfig, "data": DataConfig, "train": TrainConfig}
        unknown = set(values) - set(sections) - {"preset", "kind"}
        if unknown:
            raise ValueError(f"unknown config sections {sorted(unknown)}")
        if values.get("kind", cls.kind) != cls.kind:
            raise ValueError(f"kind {values['kind']!r} is not a two-domain config")
        kwargs = {"preset": values.get("preset", "official")}
        for name, section in sections.items():
            given = dict(values.get(name, {}))
            if name == "train" and name in values:
                given.setdefault("conv_algorithm", "direct")
            names = {f.name for f in dataclasses.fields(section)}
            if set(given) - names:
                raise ValueError(f"unknown keys in config section {name!r}: {sorted(set(given) - names)}")
            kwargs[name] = section(**given)
        config = cls(**kwargs)
        config.validate()
        return config

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def save(self, path: str | os.PathLike) -> None:
        Path(path).write_text(self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> Config:
        return cls.from_dict(json.loads(Path(path).read_text()))

    @property
    def n_masks(self) -> int:
        """Masks per generator, background included (2 for scheme1)."""
        return 2 if self.model.variant in ("scheme1", "cyclegan") else self.model.n_masks

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first setting out of range (as its dotted field, ``model.ngf``)."""
        m, lo, d, t = self.model, self.loss, self.data, self.train
        checks: list[tuple[str | tuple[str, ...], bool, str]] = [
            ("model.variant", m.variant in MODEL_VARIANTS, f"must be one of {MODEL_VARIANTS}, got {m.variant!r}"),
            ("model.ngf", m.ngf > 0, f"must be > 0, got {m.ngf}"),
            ("model.ndf", m.ndf > 0, f"must be > 0, got {m.ndf}"),
            ("model.n_blocks", m.n_blocks >= 0, f"must be >= 0, got {m.n_blocks}"),
            ("model.n_masks", m.n_masks >= 2, f"must be >= 2, got {m.n_masks}"),
            ("loss.gan_mode", lo.gan_mode in TWO_DOMAIN_GAN_MODES,
             f"must be one of {TWO_DOMAIN_GAN_MODES}, got {lo.gan_mode!r}"),
            ("model.attention_kernel_size",
             m.attention_kernel_size % 2 == 1 and (m.attention_kernel_size == 1 or m.variant in ("scheme2", "geo")),
             f"must be odd (and 1 for variant {m.variant}), got {m.attention_kernel_size}"),
            ("data.crop_size", d.crop_size > 0 and d.crop_size % 4 == 0,
             f"must be a positive multiple of 4, got {d.crop_size}"),
            (("data.load_size", "data.crop_size"), d.load_size >= d.crop_size,
             f"{{0}} {d.load_size} must be >= {{1}} {d.crop_size}"),
            ("data.preprocess", d.preprocess in PREPROCESS_MODES, f"must be one of {', '.join(PREPROCESS_MODES)}"),
            ("data.batch_size", d.batch_size > 0, f"must be > 0, got {d.batch_size}"),
            ("train.steps", t.steps > 0, f"must be > 0, got {t.steps}"),
            ("train.epochs", t.epochs is None or t.epochs > 0, f"must be > 0, got {t.epochs}"),
            ("loss.lambda_background", lo.lambda_background >= 0, f"must be >= 0, got {lo.lambda_background}"),
            ("loss.background_target", 0 <= lo.background_target < 1,
             f"must be in [0, 1), got {lo.background_target}"),
            *[(f"loss.{name}", 0 <= getattr(lo, name) <= 1, f"must be in [0, 1], got {getattr(lo, name)}")
              for name in ("cycle_attention_gradient", "identity_attention_gradient")],
            ("train.pool_size", t.pool_size >= 0, f"must be >= 0, got {t.pool_size}"),
            ("loss.curriculum_switch_step", lo.curriculum_switch_step >= 0,
             f"must be >= 0, got {lo.curriculum_switch_step}"),
            ("preset", self.preset in TWO_DOMAIN_PRESETS, f"must be one of {TWO_DOMAIN_PRESETS}, got {self.preset!r}"),
            *[(f"train.{name}", getattr(t, name) > 0, f"must be > 0, got {getattr(t, name)}")
              for name in ("checkpoint_every", "sample_every", "log_every")],
        ]  # fmt: skip
        for fields, ok, problem in checks:
            if not ok:
                raise ConfigError(fields, problem)
        t.validate_run_options("train.")
        POSITIVE.check("train.learning_rate", t.learning_rate)
        BETA.check("train.beta_1", t.beta_1)
        BETA.check("train.beta_2", t.beta_2)
        for name in ("lambda_cycle_a", "lambda_cycle_b", "lambda_identity", "lambda_attention_gan", "lambda_pixel",
                     "lambda_tv", "curriculum_early", "curriculum_late"):
            NON_NEGATIVE.check(f"loss.{name}", getattr(lo, name))

    def resolve_epochs(self, domain_sizes: tuple[int, int]) -> None:
        """Set ``train.steps`` from ``train.epochs`` (if set) for datasets of ``domain_sizes`` (|A|, |B|) images."""
        if self.train.epochs is not None:
            self.train.steps = max(1, math.ceil(self.train.epochs * max(domain_sizes) / self.data.batch_size))

    @property
    def lr_decay_steps(self) -> int:
        return int(round(self.train.steps * self.train.decay_fraction))

    @property
    def lr_constant_steps(self) -> int:
        return self.train.steps - self.lr_decay_steps


def preset(name: str) -> Config:
    """The two-domain preset ``name`` (``demo``, ``official``, ``robust``, ``cyclegan-options``, ``paper-scheme1``;
    described in :func:`attentiongan_tf.training.presets.two_domain_preset`)."""
    from attentiongan_tf.training.presets import two_domain_preset

    return two_domain_preset(name)
