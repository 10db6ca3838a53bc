"""How ``train.py`` flags map onto the config: which fields each flag sets, which flags apply to which runs, and
which ones a resume may change (``RESUMABLE_SETTINGS``, the one resume policy of both kinds)."""

from __future__ import annotations

from pathlib import Path

from attentiongan_tf.training.config import RESUMABLE_SETTINGS, TWO_DOMAIN_GAN_MODES, Config
from attentiongan_tf.training.config_errors import ConfigError
from attentiongan_tf.training.run_dir import CONFIG_NAME

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
        "mixed_precision", "deterministic", "checkpoint_every", "sample_every", "log_every", "on_collapse", "ngf",
        "n_blocks", "n_masks", "ndf", "n_layers_d", "gan_mode", "lambda_tv", "layout", "labels_csv", "attributes",
        "classification", "lambda_cls", "lambda_rec", "lambda_gp", "lambda_attention_l1", "g_learning_rate",
        "d_learning_rate", "n_critic")},
    "learning_rate": ("g_learning_rate", "d_learning_rate"),
}  # fmt: skip
# Flags of the attention machinery: meaningless for the attention-free CycleGAN ablation.
ATTENTION_FLAGS = ("n_masks", "attention_kernel_size", "attention_discriminator", "lambda_attention_gan",
                   "lambda_tv", "lambda_background", "background_target", "cycle_attention_gradient",
                   "identity_attention_gradient")  # fmt: skip
MULTIDOMAIN_ONLY = ("layout", "labels_csv", "attributes", "classification", "lambda_cls", "lambda_rec", "lambda_gp",
                    "lambda_attention_l1", "g_learning_rate", "d_learning_rate", "n_critic")  # fmt: skip


def config_field(config: Config, field: str) -> object:
    """The value of ``field`` (``"section.field"``, as in :data:`FLAGS`)."""
    section, name = field.split(".")
    return getattr(getattr(config, section), name)


def set_config_field(config: Config, field: str, value: object) -> None:
    """Set ``field`` (``"section.field"``) to ``value``."""
    section, name = field.split(".")
    setattr(getattr(config, section), name, value)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def flag_of(field: str) -> str | None:
    """The flag that sets config ``field`` (of either kind): the one that sets it alone, else one that sets it
    with others (``--lambda-cycle`` for ``loss.lambda_cycle_a``); ``None`` when no flag sets it."""
    if field == "preset":
        return "--preset"
    tables = (FLAGS, MULTI_DOMAIN_FLAGS)
    alone = [flag for table in tables for flag, fields in table.items() if fields == (field,)]
    shared = [flag for table in tables for flag, fields in table.items() if field in fields]
    found = alone or shared
    return _flag(found[0]) if found else None


def flag_message(error: Exception) -> str:
    """``error``'s message for the command line: a :class:`ConfigError` names the flags that set its fields
    (``--ngf must be > 0, got 0``; the config field where no flag sets it), any other error as it is."""
    return error.render(flag_of) if isinstance(error, ConfigError) else str(error)


def refuse_changes_on_resume(changed: list[str], output_dir: Path) -> None:
    """The one resume policy (``RESUMABLE_SETTINGS``) for both kinds: ``changed`` lists the given flags whose
    value differs from the run's config.json."""
    fixed = sorted(k for k in changed if k not in RESUMABLE_SETTINGS)
    if fixed:
        raise ValueError(f"cannot change {', '.join(map(_flag, fixed))} when resuming {output_dir}; they come "
                         f"from {output_dir / CONFIG_NAME}")  # fmt: skip


def check_flags_apply(given: set[str], config: Config) -> None:
    """Refuse flags that the chosen preset or model family would silently ignore."""
    multidomain = sorted(given & set(MULTIDOMAIN_ONLY))
    if multidomain:
        raise ValueError(f"{', '.join(map(_flag, multidomain))} only apply to the multi-domain presets "
                         f"(multidomain, multidomain_demo), not to --preset {config.preset}")  # fmt: skip
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
