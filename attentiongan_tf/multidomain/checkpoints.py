"""What a multi-domain run checkpoints, and loading its generator back (for translate.py and the exporters)."""

from __future__ import annotations

import os
from pathlib import Path

import tensorflow as tf

from attentiongan_tf.checkpoints import CONFIG_NAME, checkpoint_dir, restore_newest_readable
from attentiongan_tf.models.conditional import ConditionalAttentionGenerator, build_multidomain_generator
from attentiongan_tf.multidomain.config import MultiDomainConfig
from attentiongan_tf.run_dir import read_json


def make_checkpoint(trainer) -> tf.train.Checkpoint:
    """Generator, discriminator, both optimizers and the step: everything an exact resume needs (the data
    position, target labels and GP interpolation weights are pure functions of ``(seed, step)``).

    The weights are also listed explicitly (``generator_weights``): Keras 3 layers held in Python lists
    (encoder downsampling convs, ResNet blocks) are not checkpoint dependencies of their model, so a
    ``Checkpoint(generator=...)`` alone would miss them when loading the generator without its optimizer.
    """
    return tf.train.Checkpoint(
        generator=trainer.generator,
        discriminator=trainer.discriminator,
        generator_weights=list(trainer.generator.weights),
        discriminator_weights=list(trainer.discriminator.weights),
        generator_optimizer=trainer.generator_optimizer,
        discriminator_optimizer=trainer.discriminator_optimizer,
        step=trainer.step,
    )


def is_multidomain_run(path: str | os.PathLike) -> bool:
    """Whether ``path`` (a run dir or its ``checkpoints/``) holds a multi-domain run's ``config.json``."""
    path = Path(path)
    for candidate in (path / CONFIG_NAME, path.parent / CONFIG_NAME):
        if candidate.is_file():
            return read_json(candidate).get("preset") == "multidomain"
    return False


def read_multidomain_run(path: str | os.PathLike) -> dict:
    """``{"config": MultiDomainConfig, "domains": [...], "classification": str}`` of a run dir or its checkpoints."""
    path = Path(path)
    for candidate in (path / CONFIG_NAME, path.parent / CONFIG_NAME):
        if candidate.is_file():
            values = read_json(candidate)
            if values.get("preset") != "multidomain":
                raise ValueError(f"{candidate} is not the config of a multi-domain run")
            try:
                config = MultiDomainConfig.from_dict(values["config"])
                config.validate()
                return {"config": config, "domains": values["domains"], "classification": values["classification"]}
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"{candidate}: invalid multi-domain run config ({error})") from None
    raise FileNotFoundError(f"no {CONFIG_NAME} in {path} or its parent; is it a multi-domain training run?")


def load_multidomain_generator(path: str | os.PathLike) -> ConditionalAttentionGenerator:
    """Rebuild the generator of a multi-domain run and restore its newest readable checkpoint's weights.

    The returned model has ``domain_names`` (the label columns, in order) set as a Python attribute.
    """
    run = read_multidomain_run(path)
    c = run["config"]
    generator = build_multidomain_generator(
        len(run["domains"]), ngf=c.ngf, n_blocks=c.n_blocks, n_masks=c.n_masks, name="generator"
    )
    checkpoint = tf.train.Checkpoint(generator=generator, generator_weights=list(generator.weights))
    restored = restore_newest_readable(checkpoint, checkpoint_dir(path))
    if restored is None:
        raise FileNotFoundError(f"no checkpoint found under {path}")
    restored[1].expect_partial().assert_existing_objects_matched()
    generator.domain_names = list(run["domains"])
    return generator
