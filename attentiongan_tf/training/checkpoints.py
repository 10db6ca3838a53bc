"""Training checkpoints: what is saved, where, and loading a trained generator back."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from attentiongan_tf.models.generators import build_generator
from attentiongan_tf.training.run_dir import CHECKPOINT_DIR, CONFIG_NAME, RunWriteError, read_json

logger = logging.getLogger(__name__)
DIRECTIONS = {"AtoB": "generator_ab", "BtoA": "generator_ba"}


def model_variables(model: keras.Model) -> dict[str, tf.Variable]:
    """All weights of a Keras 3 model keyed by their path below the model (``encoder.conv_in.kernel``)."""
    prefix = model.name + "/"
    return {v.path.removeprefix(prefix).replace("/", "."): v.value for v in model.weights}


def model_items(name: str, model: keras.Model, layout: str = "by_path") -> dict[str, object]:
    """The checkpoint entries of one model, in one of the two layouts runs have been written with.

    Keras 3 models are not complete checkpoint dependencies of ``tf.train.Checkpoint`` by themselves (layers
    held in Python lists, e.g. ResNet blocks, are missed), so every checkpoint lists the weights explicitly:

    - ``by_path`` (two-domain runs): ``{name: {weight path: variable}}``, independent of the model's name;
    - ``by_index`` (multi-domain runs): ``{name: model, name_weights: [variables in model order]}``.

    Args:
        name: the model's key in the checkpoint (``generator_ab``, ``generator``).
        model: the model.
        layout: ``by_path`` or ``by_index``.
    """
    if layout == "by_path":
        return {name: model_variables(model)}
    if layout == "by_index":
        return {name: model, f"{name}_weights": list(model.weights)}
    raise ValueError(f"layout must be by_path or by_index, got {layout!r}")


def run_checkpoint(models: dict[str, keras.Model], layout: str, **state: object) -> tf.train.Checkpoint:
    """A ``tf.train.Checkpoint`` of ``models`` (:func:`model_items`) and the other ``state`` (optimizers, the
    step counter, image pools)."""
    items: dict[str, object] = {}
    for name, model in models.items():
        items.update(model_items(name, model, layout))
    return tf.train.Checkpoint(**items, **state)


def restore_model(model: keras.Model, name: str, path: str | os.PathLike, layout: str = "by_path") -> None:
    """Restore the weights of ``model`` (checkpoint key ``name``) from the newest readable checkpoint of the
    run dir or checkpoint folder ``path``; ``FileNotFoundError`` when there is none."""
    checkpoint = tf.train.Checkpoint(**model_items(name, model, layout))
    restored = restore_newest_readable(checkpoint, checkpoint_dir(path))
    if restored is None:
        raise FileNotFoundError(f"no checkpoint found under {path}")
    restored[1].expect_partial().assert_existing_objects_matched()


def make_checkpoint(trainer) -> tf.train.Checkpoint:
    """A ``tf.train.Checkpoint`` of everything a two-domain resume needs: generators, discriminators, both
    optimizers (slots, iterations, loss scales), the step counter and both image pools. The data position and
    every random choice are pure functions of ``(seed, step)``, so they need no extra state."""
    models = {
        "generator_ab": trainer.generator_ab,
        "generator_ba": trainer.generator_ba,
        "discriminator_a": trainer.discriminator_a,
        "discriminator_b": trainer.discriminator_b,
    }
    if trainer.use_attention_discriminator:
        models["attention_discriminator_a"] = trainer.attention_discriminator_a
        models["attention_discriminator_b"] = trainer.attention_discriminator_b
    return run_checkpoint(
        models,
        "by_path",
        generator_optimizer=trainer.generator_optimizer,
        discriminator_optimizer=trainer.discriminator_optimizer,
        step=trainer.step,
        pool_a=trainer.pool_a,
        pool_b=trainer.pool_b,
    )


def make_manager(
    checkpoint: tf.train.Checkpoint, directory: str | os.PathLike, keep: int
) -> tf.train.CheckpointManager:
    """A manager keeping ``keep`` checkpoints. TF writes the data files first and then atomically rewrites the
    small ``checkpoint`` index, so a process killed while saving leaves the previous checkpoint usable."""
    return tf.train.CheckpointManager(checkpoint, str(directory), max_to_keep=keep)


class UnreadableCheckpointError(ValueError):
    """Every checkpoint of a folder is corrupt or truncated; the message lists each one and why."""


def checkpoint_prefixes(directory: str | os.PathLike) -> list[str]:
    """The checkpoints (``<prefix>.index`` files) in ``directory``, newest (highest number) first."""

    def newest(index: Path) -> tuple[int, float]:
        number = re.search(r"-(\d+)$", index.stem)
        return (int(number.group(1)) if number else -1, index.stat().st_mtime)

    return [str(p.with_suffix("")) for p in sorted(Path(directory).glob("*.index"), key=newest, reverse=True)]


def checkpoint_problem(prefix: str) -> str | None:
    """Why the checkpoint ``prefix`` cannot be restored, or ``None``: reads every tensor, which checks its size
    and its CRC32C checksum (a truncated or bit-flipped ``.data-*`` or ``.index`` file fails here)."""
    try:
        reader = tf.train.load_checkpoint(prefix)
        for name in reader.get_variable_to_dtype_map():
            reader.get_tensor(name)
    except Exception as error:  # any failure to read means "unreadable"; the reason is reported
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
    return None


def restore_newest_readable(
    checkpoint: tf.train.Checkpoint, directory: str | os.PathLike
) -> tuple[str, Any] | None:
    """Restore the newest checkpoint of ``directory`` that reads back completely, warning about newer ones
    that do not.

    Args:
        checkpoint: the object graph to restore into.
        directory: a checkpoint folder.

    Returns:
        ``(prefix, load_status)``, or ``None`` when the folder holds no checkpoint.

    Raises ``UnreadableCheckpointError`` when there are checkpoints but none is readable.
    """
    problems = []
    for prefix in checkpoint_prefixes(directory):
        problem = checkpoint_problem(prefix)
        if problem is not None:
            problems.append(f"{Path(prefix).name} ({problem})")
            continue
        if problems:
            logger.warning("skipping unreadable checkpoint(s) %s; using %s, the newest readable one",
                           "; ".join(problems), prefix)
        return prefix, checkpoint.restore(prefix)
    if problems:
        raise UnreadableCheckpointError(f"no readable checkpoint in {directory}: {'; '.join(problems)}")
    return None


class RunCheckpoints:
    """The checkpoints of a training run: resume from the newest readable one, save with clear errors.

    Args:
        checkpoint: everything a resume needs (``make_checkpoint``).
        directory: the checkpoint folder.
        keep: checkpoints kept.
    """

    def __init__(self, checkpoint: tf.train.Checkpoint, directory: str | os.PathLike, keep: int) -> None:
        self.checkpoint = checkpoint
        self.directory = Path(directory)
        self.manager = make_manager(checkpoint, directory, keep)
        self.latest: str | None = None
        self.saved_step: int | None = None

    def resume(self, step: tf.Variable) -> int:
        """Restore the newest readable checkpoint; returns the step it holds (0 when there is none yet)."""
        restored = restore_newest_readable(self.checkpoint, self.directory)
        if restored is None:
            logger.warning("--resume: no checkpoint in %s yet, starting from step 0", self.directory)
            return 0
        self.latest, status = restored
        status.assert_existing_objects_matched()
        logger.info("resumed from %s at step %d", self.latest, int(step.numpy()))
        return int(step.numpy())

    def save(self, step: int) -> str:
        """Save the checkpoint of ``step`` (once per step); ``RunWriteError`` naming it when that fails."""
        if self.saved_step == step and self.latest is not None:
            return self.latest
        try:
            self.latest = self.manager.save(checkpoint_number=step)
        except (tf.errors.OpError, OSError) as error:
            reason = getattr(error, "message", None) or str(error)
            raise RunWriteError(
                f"cannot write checkpoint {self.directory / f'ckpt-{step}'}: {reason}; the previous checkpoint "
                f"{self.latest or '(none)'} is intact"
            ) from None
        self.saved_step = step
        return self.latest


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
            return read_json(candidate)
    raise FileNotFoundError(f"no {CONFIG_NAME} in {path} or its parent; is it a train.py output dir?")


def load_generator(path: str | os.PathLike, direction: str = "AtoB") -> keras.Model:
    """Rebuild a trained generator from a run's ``config.json`` and restore the newest readable checkpoint.

    Args:
        path: a ``train.py`` output dir or its ``checkpoints/`` folder.
        direction: ``"AtoB"`` (``generator_ab``, official G_A) or ``"BtoA"`` (``generator_ba``, G_B).

    Returns:
        A float32 generator returning ``{"image", "attention", "content"}``.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {sorted(DIRECTIONS)}, got {direction!r}")
    model_config = read_run_config(path)["model"]
    generator = build_generator(
        variant=model_config["variant"],
        ngf=model_config["ngf"],
        n_blocks=model_config["n_blocks"],
        n_masks=model_config["n_masks"],  # ignored by scheme1 / cyclegan
        attention_kernel_size=model_config.get("attention_kernel_size", 1),  # runs written before it existed: 1
        name=DIRECTIONS[direction],
        dtype="float32",
    )
    restore_model(generator, DIRECTIONS[direction], path)
    return generator
