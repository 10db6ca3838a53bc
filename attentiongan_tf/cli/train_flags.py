"""How ``train.py`` flags map onto either kind's config: one flag -> fields table per kind, one function that
applies them, one "does not apply" check, one resume policy (``RESUMABLE_SETTINGS``)."""

from __future__ import annotations

import functools
from pathlib import Path

from attentiongan_tf.training.config import RESUMABLE_SETTINGS, TWO_DOMAIN_GAN_MODES, Config
from attentiongan_tf.training.config_errors import ConfigError
from attentiongan_tf.training.run_dir import CONFIG_NAME
from attentiongan_tf.training.tasks.registry import MULTI_DOMAIN, PRESET_KINDS, TWO_DOMAIN, RunConfig

# flag -> the two-domain config fields it sets ("section.field"); the CLI only maps flags onto the config.
FLAGS = {
    "dataroot": ("data.dataroot",),
    "output_dir": ("train.output_dir",),
    "image_size": ("data.crop_size",),
    "load_size": ("data.load_size",),
    "preprocess": ("data.preprocess",),
    "batch_size": ("data.batch_size",),
    "steps": ("train.steps",),
    "epochs": ("train.epochs",),
    "decay_fraction": ("train.decay_fraction",),
    "seed": ("train.seed",),
    "learning_rate": ("train.learning_rate",),
    "pool_size": ("train.pool_size",),
    "strategy": ("train.strategy",),
    "xla": ("train.xla",),
    "mixed_precision": ("train.mixed_precision",),
    "conv_algorithm": ("train.conv_algorithm",),
    "deterministic": ("train.deterministic",),
    "checkpoint_every": ("train.checkpoint_every",),
    "sample_every": ("train.sample_every",),
    "log_every": ("train.log_every",),
    "on_collapse": ("train.on_collapse",),
    "variant": ("model.variant",),
    "ngf": ("model.ngf",),
    "n_blocks": ("model.n_blocks",),
    "n_masks": ("model.n_masks",),
    "ndf": ("model.ndf",),
    "n_layers_d": ("model.n_layers_d",),
    "attention_discriminator": ("model.attention_discriminator",),
    "attention_kernel_size": ("model.attention_kernel_size",),
    "gan_mode": ("loss.gan_mode",),
    "lambda_cycle": ("loss.lambda_cycle_a", "loss.lambda_cycle_b"),
    "lambda_identity": ("loss.lambda_identity",),
    "lambda_attention_gan": ("loss.lambda_attention_gan",),
    "lambda_pixel": ("loss.lambda_pixel",),
    "lambda_tv": ("loss.lambda_tv",),
    "lambda_background": ("loss.lambda_background",),
    "background_target": ("loss.background_target",),
    "cycle_attention_gradient": ("loss.cycle_attention_gradient",),
    "identity_attention_gradient": ("loss.identity_attention_gradient",),
}
# flag -> the multi-domain config fields it sets (its fields are flat); --learning-rate sets both rates.
MULTI_DOMAIN_FLAGS = {
    **{name: (name,) for name in (
        "dataroot", "output_dir", "image_size", "batch_size", "steps", "decay_fraction", "seed", "strategy", "xla",
        "mixed_precision", "conv_algorithm", "deterministic", "checkpoint_every", "sample_every", "log_every",
        "on_collapse", "ngf", "n_blocks", "n_masks", "ndf", "n_layers_d", "gan_mode", "lambda_tv", "layout",
        "labels_csv", "attributes", "classification", "lambda_cls", "lambda_rec", "lambda_gp", "lambda_attention_l1",
        "g_learning_rate", "d_learning_rate", "n_critic")},
    "learning_rate": ("g_learning_rate", "d_learning_rate"),
}  # fmt: skip
FLAGS_BY_KIND = {TWO_DOMAIN: FLAGS, MULTI_DOMAIN: MULTI_DOMAIN_FLAGS}
KIND_NAMES = {TWO_DOMAIN: "two-domain", MULTI_DOMAIN: "multi-domain"}
# Flags of the attention machinery: meaningless for the attention-free CycleGAN ablation.
ATTENTION_FLAGS = ("n_masks", "attention_kernel_size", "attention_discriminator", "lambda_attention_gan",
                   "lambda_tv", "lambda_background", "background_target", "cycle_attention_gradient",
                   "identity_attention_gradient")  # fmt: skip


def config_field(config: RunConfig, field: str) -> object:
    """The value of ``field`` (dotted, as in the flag tables: ``train.steps``, or flat: ``steps``)."""
    return functools.reduce(getattr, field.split("."), config)


def set_config_field(config: RunConfig, field: str, value: object) -> None:
    """Set ``field`` (dotted or flat) to ``value``."""
    *parents, name = field.split(".")
    setattr(functools.reduce(getattr, parents, config), name, value)


def flag_setting(config: RunConfig, flag: str) -> object:
    """The value of the (first) field that ``flag`` (an argparse destination: ``output_dir``) sets in ``config``."""
    return config_field(config, FLAGS_BY_KIND[config.kind][flag][0])


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def flag_of(field: str) -> str | None:
    """The flag that sets config ``field`` (of either kind): the one that sets it alone, else one that sets it
    with others (``--lambda-cycle`` for ``loss.lambda_cycle_a``); ``None`` when no flag sets it."""
    if field == "preset":
        return "--preset"
    tables = FLAGS_BY_KIND.values()
    alone = [flag for table in tables for flag, fields in table.items() if fields == (field,)]
    shared = [flag for table in tables for flag, fields in table.items() if field in fields]
    found = alone or shared
    return _flag(found[0]) if found else None


def flag_message(error: Exception) -> str:
    """``error``'s message for the command line: a :class:`ConfigError` names the flags that set its fields
    (``--ngf must be > 0, got 0``; the config field where no flag sets it), any other error as it is."""
    return error.render(flag_of) if isinstance(error, ConfigError) else str(error)


def apply_flags(config: RunConfig, given: dict, resume: bool, output_dir: Path) -> RunConfig:
    """``config`` (a preset, or the resumed run's) with the given flags applied, checked and validated.

    Args:
        config: a fresh preset or the resumed run's config, of either kind; changed in place.
        given: argparse destinations -> values of the flags the user gave.
        resume: ``config`` is the run's: only ``RESUMABLE_SETTINGS`` may change.
        output_dir: the run folder (named in errors).

    Raises:
        ValueError: a flag that does not apply to ``config``'s kind or preset, that a resume may not change,
            or a value out of range (a :class:`ConfigError` naming fields, which the caller renders).
    """
    table = FLAGS_BY_KIND[config.kind]
    if resume:
        refuse_changes_on_resume([k for k in given if k in table and any(config_field(config, f) != given[k]
                                                                         for f in table[k])], output_dir)  # fmt: skip
    check_flags_apply(set(given), config, f"the run in {output_dir}" if resume else f"--preset {config.preset}")
    if not resume and "image_size" in given and "load_size" in table and "load_size" not in given:
        ratio = flag_setting(config, "load_size") / flag_setting(config, "image_size")  # type: ignore[operator]
        given = {**given, "load_size": int(round(given["image_size"] * ratio))}
    # A flag that sets several fields first, so that a flag setting one of them alone wins (--g-learning-rate).
    for key in sorted(given, key=lambda k: -len(table[k])):
        for field in table[key]:
            set_config_field(config, field, given[key])
    if "steps" in given and "epochs" in table:
        set_config_field(config, table["epochs"][0], None)  # the schedule is now stated in steps
    if isinstance(config, Config):
        check_two_domain_flags(set(given), config)
    dataroot = flag_setting(config, "dataroot")
    if dataroot is not None and not Path(str(dataroot)).is_dir():
        raise ValueError(f"--dataroot {dataroot} does not exist")
    config.validate()
    return config


def refuse_changes_on_resume(changed: list[str], output_dir: Path) -> None:
    """The one resume policy (``RESUMABLE_SETTINGS``) for both kinds: ``changed`` lists the given flags whose
    value differs from the run's config.json."""
    fixed = sorted(k for k in changed if k not in RESUMABLE_SETTINGS)
    if fixed:
        raise ValueError(f"cannot change {', '.join(map(_flag, fixed))} when resuming {output_dir}; they come "
                         f"from {output_dir / CONFIG_NAME}")  # fmt: skip


def check_flags_apply(given: set[str], config: RunConfig, where: str) -> None:
    """Refuse flags that set no field of ``config``'s kind (they would be silently ignored), naming them.

    Args:
        given: the flags the user gave (argparse destinations).
        config: the config they are applied to.
        where: how errors name ``config`` (``--preset official``, ``the run in runs/x``).
    """
    foreign = sorted(given - set(FLAGS_BY_KIND[config.kind]))
    if foreign:
        other = next(kind for kind in FLAGS_BY_KIND if kind != config.kind)
        presets = ", ".join(name for name, kind in PRESET_KINDS.items() if kind == other)
        raise ValueError(f"{', '.join(map(_flag, foreign))} only apply to the {KIND_NAMES[other]} presets "
                         f"({presets}), not to {where}")  # fmt: skip


def check_two_domain_flags(given: set[str], config: Config) -> None:
    """Refuse two-domain flags that the chosen variant or the other settings make meaningless."""
    if config.model.variant == "cyclegan":
        attention = sorted(given & set(ATTENTION_FLAGS))
        if attention:
            raise ValueError(f"{', '.join(map(_flag, attention))} do not apply to --variant cyclegan (no attention)")
    if "lambda_attention_gan" in given and not config.model.attention_discriminator:
        raise ValueError("--lambda-attention-gan needs --attention-discriminator (or a preset that has it)")
    if "background_target" in given and config.loss.lambda_background == 0:
        raise ValueError("--background-target needs --lambda-background > 0 (or --preset robust)")
    if config.loss.gan_mode not in TWO_DOMAIN_GAN_MODES:
        raise ValueError(f"--gan-mode {config.loss.gan_mode} only applies to the multi-domain presets")
    if {"steps", "epochs"} <= given:
        raise ValueError("give --steps or --epochs, not both")
