"""Training checkpoints: what is saved, where, and loading a trained generator back."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keras
import tensorflow as tf

from attentiongan_tf.generators import build_generator

CONFIG_NAME = "config.json"
CHECKPOINT_DIR = "checkpoints"
DIRECTIONS = {"AtoB": "generator_ab", "BtoA": "generator_ba"}


def model_variables(model: keras.Model) -> dict[str, tf.Variable]:
    """All weights of a Keras 3 model keyed by their path below the model (``encoder.conv_in.kernel``).

    Keras 3 models are not checkpoint dependencies of ``tf.train.Checkpoint`` by themselves, so checkpoints
    hold these explicit, name-keyed variable dicts (independent of the model's name and of optimizers).
    """
    prefix = model.name + "/"
    return {v.path.removeprefix(prefix).replace("/", "."): v.value for v in model.weights}


def make_checkpoint(trainer) -> tf.train.Checkpoint:
    """A ``tf.train.Checkpoint`` of everything a resume needs: generators, discriminators, both optimizers
    (slots, iterations, loss scales), the step counter and both image pools. The data position and every
    random choice are pure functions of ``(seed, step)``, so they need no extra state."""
    items = {
        "generator_ab": model_variables(trainer.generator_ab),
        "generator_ba": model_variables(trainer.generator_ba),
        "discriminator_a": model_variables(trainer.discriminator_a),
        "discriminator_b": model_variables(trainer.discriminator_b),
        "generator_optimizer": trainer.generator_optimizer,
        "discriminator_optimizer": trainer.discriminator_optimizer,
        "step": trainer.step,
        "pool_a": trainer.pool_a,
        "pool_b": trainer.pool_b,
    }
    if trainer.use_attention_discriminator:
        items["attention_discriminator_a"] = model_variables(trainer.attention_discriminator_a)
        items["attention_discriminator_b"] = model_variables(trainer.attention_discriminator_b)
    return tf.train.Checkpoint(**items)


def make_manager(
    checkpoint: tf.train.Checkpoint, directory: str | os.PathLike, keep: int
) -> tf.train.CheckpointManager:
    """A manager keeping ``keep`` checkpoints. TF writes the data files first and then atomically rewrites the
    small ``checkpoint`` index, so a process killed while saving leaves the previous checkpoint usable."""
    return tf.train.CheckpointManager(checkpoint, str(directory), max_to_keep=keep)


def checkpoint_dir(path: str | os.PathLike) -> Path:
    """The checkpoint folder for a run dir (``<run>/checkpoints``) or a checkpoint folder itself."""
    path = Path(path)
    if (path / CHECKPOINT_DIR).is_dir():
        return path / CHECKPOINT_DIR
    if (path / "checkpoint").is_file():
        return path
    raise FileNotFoundError(f"{path} is neither a training output dir (with {CHECKPOINT_DIR}/) nor a checkpoint folder")


def latest_checkpoint(path: str | os.PathLike) -> str | None:
    """Prefix of the newest checkpoint under ``path`` (run dir or checkpoint folder), or ``None``."""
    try:
        return tf.train.latest_checkpoint(str(checkpoint_dir(path)))
    except FileNotFoundError:
        return None


def read_run_config(path: str | os.PathLike) -> dict:
    """The ``config.json`` of a training run, given the run dir or its ``checkpoints/`` folder."""
    path = Path(path)
    for candidate in (path / CONFIG_NAME, path.parent / CONFIG_NAME):
        if candidate.is_file():
            return json.loads(candidate.read_text())
    raise FileNotFoundError(f"no {CONFIG_NAME} in {path} or its parent; is it a train.py output dir?")


def load_generator(path: str | os.PathLike, direction: str = "AtoB") -> keras.Model:
    """Rebuild a trained generator from a run's ``config.json`` and restore the latest checkpoint's weights.

    Args:
        path: a ``train.py`` output dir or its ``checkpoints/`` folder.
        direction: ``"AtoB"`` (``generator_ab``, official G_A) or ``"BtoA"`` (``generator_ba``, G_B).

    Returns:
        A float32 generator returning ``{"image", "attention", "content"}``.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {sorted(DIRECTIONS)}, got {direction!r}")
    model_config = read_run_config(path)["model"]
    prefix = latest_checkpoint(path)
    if prefix is None:
        raise FileNotFoundError(f"no checkpoint found under {path}")
    generator = build_generator(
        variant=model_config["variant"],
        ngf=model_config["ngf"],
        n_blocks=model_config["n_blocks"],
        n_masks=model_config["n_masks"],  # ignored by scheme1 / cyclegan
        attention_kernel_size=model_config.get("attention_kernel_size", 1),  # runs written before it existed: 1
        name=DIRECTIONS[direction],
        dtype="float32",
    )
    variables = model_variables(generator)
    checkpoint = tf.train.Checkpoint(**{DIRECTIONS[direction]: variables})
    checkpoint.restore(prefix).expect_partial().assert_existing_objects_matched()
    return generator
