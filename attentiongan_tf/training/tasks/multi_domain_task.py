"""The multi-domain family for the one training loop: labelled data, checkpoint layout, per-domain grids, runs."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import tensorflow as tf

from attentiongan_tf.data import grids
from attentiongan_tf.data import labelled as data
from attentiongan_tf.data.labelled_demo import write_multidomain_demo
from attentiongan_tf.models.conditional import ConditionalAttentionGenerator, build_multidomain_generator
from attentiongan_tf.training.checkpoints import restore_model, run_checkpoint
from attentiongan_tf.training.run_dir import CONFIG_NAME, OutputDirError, read_json
from attentiongan_tf.training.tasks.base import RunSettings
from attentiongan_tf.training.tasks.multi_domain import MultiDomainTrainer
from attentiongan_tf.training.tasks.multi_domain_config import MultiDomainConfig, is_multidomain_values

if TYPE_CHECKING:
    from attentiongan_tf.training.loop import TrainResult

__all__ = ["MODEL_KEYS", "LabelledData", "OutputDirError", "MultiDomainRun", "MultiDomainTask", "is_multidomain_run",
           "load_multidomain_generator", "make_checkpoint", "read_multidomain_run", "sample_grid"]  # fmt: skip

#: Settings that define the networks; a resume must not change them.
MODEL_KEYS = ("image_size", "ngf", "n_blocks", "n_masks", "ndf", "n_layers_d")


@dataclass(frozen=True)
class LabelledData:
    """The scanned training set: files, their label vectors, the domain names and the classification mode."""

    files: list[Path]
    labels: np.ndarray
    domains: list[str]
    classification: str


@dataclass(frozen=True)
class MultiDomainRun:
    """What a multi-domain run's ``config.json`` holds."""

    config: MultiDomainConfig
    domains: list[str]
    classification: str


def make_checkpoint(trainer: MultiDomainTrainer) -> tf.train.Checkpoint:
    """Generator, discriminator, both optimizers and the step: everything an exact resume needs (the data
    position, target labels and GP interpolation weights are pure functions of ``(seed, step)``)."""
    return run_checkpoint(
        {"generator": trainer.generator, "discriminator": trainer.discriminator},
        "by_index",
        generator_optimizer=trainer.generator_optimizer,
        discriminator_optimizer=trainer.discriminator_optimizer,
        step=trainer.step,
    )


def _run_config_path(path: str | os.PathLike) -> Path | None:
    path = Path(path)
    return next((c for c in (path / CONFIG_NAME, path.parent / CONFIG_NAME) if c.is_file()), None)


def is_multidomain_run(path: str | os.PathLike) -> bool:
    """Whether ``path`` (a run dir or its ``checkpoints/``) holds a multi-domain run's ``config.json``."""
    candidate = _run_config_path(path)
    return candidate is not None and is_multidomain_values(read_json(candidate))


def read_multidomain_run(path: str | os.PathLike) -> MultiDomainRun:
    """The settings, domain names and classification mode of a run dir or its checkpoints."""
    candidate = _run_config_path(path)
    if candidate is None:
        raise FileNotFoundError(f"no {CONFIG_NAME} in {path} or its parent; is it a multi-domain training run?")
    values = read_json(candidate)
    if not is_multidomain_values(values):
        raise ValueError(f"{candidate} is not the config of a multi-domain run")
    try:
        config = MultiDomainConfig.from_dict(values["config"])
        config.validate()
        return MultiDomainRun(config, list(values["domains"]), values["classification"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{candidate}: invalid multi-domain run config ({error})") from None


def load_multidomain_generator(path: str | os.PathLike) -> ConditionalAttentionGenerator:
    """Rebuild the generator of a multi-domain run and restore its newest readable checkpoint's weights.

    The returned model has ``domain_names`` (the label columns, in order) set as a Python attribute.
    """
    run = read_multidomain_run(path)
    c = run.config
    generator = build_multidomain_generator(
        len(run.domains), ngf=c.ngf, n_blocks=c.n_blocks, n_masks=c.n_masks, name="generator"
    )
    restore_model(generator, "generator", path, "by_index")
    generator.domain_names = list(run.domains)
    return generator


def sample_grid(trainer: MultiDomainTrainer, samples: dict, domains: list[str] | None = None) -> np.ndarray:
    """One labelled block of rows per target domain (``grids.labelled_grid``), named after ``domains``."""
    rows = []
    for column in range(trainer.n_domains):
        if trainer.classification == "single_label":
            target = np.tile(np.eye(trainer.n_domains, dtype=np.float32)[column], (len(samples["label"]), 1))
        else:
            target = samples["label"].copy()
            target[:, column] = 1.0 - target[:, column]
        outputs = {k: np.asarray(v) for k, v in trainer.translate(samples["image"], target).items()}
        name = domains[column] if domains else f"domain {column}"
        rows.append(grids.GridRow(f"→{name}", samples["image"], outputs))
    return grids.labelled_grid(rows).image


class MultiDomainTask:
    """The multi-domain family (paper Sec. 4.2.2) for :func:`attentiongan_tf.training.loop.train`."""

    kind = MultiDomainConfig.kind

    def settings(self, config: MultiDomainConfig) -> RunSettings:
        c = config
        return RunSettings(
            Path(c.output_dir), c.steps, c.batch_size, c.seed, c.strategy, c.deterministic,
            c.checkpoint_every, c.sample_every, c.log_every, c.keep_checkpoints, c.on_collapse, steps_field="steps",
        )  # fmt: skip

    def check_resume(self, config: MultiDomainConfig, output_dir: Path) -> None:
        """The networks must not change; a resume without ``dataroot`` uses the run's data."""
        saved = read_multidomain_run(output_dir).config
        changed = [k for k in MODEL_KEYS if getattr(saved, k) != getattr(config, k)]
        if changed:
            raise ValueError(f"cannot resume {output_dir}: {changed} differ from its {CONFIG_NAME}")
        if config.dataroot is None:
            config.dataroot, config.layout, config.labels_csv = saved.dataroot, saved.layout, saved.labels_csv

    def prepare_data(self, config: MultiDomainConfig, output_dir: Path) -> LabelledData:
        if config.dataroot is None:
            demo = write_multidomain_demo(output_dir / "demo_data", size=config.image_size, train=config.demo_images)
            config.dataroot, config.layout, config.labels_csv = str(demo["train_dir"]), "folders", None
        found = data.load_labelled_images(config.dataroot, config.layout, config.labels_csv, config.attributes)
        classification = data.resolve_classification(found["labels"], config.classification)
        return LabelledData(found["files"], found["labels"], found["domains"], classification)

    def build_trainer(
        self, config: MultiDomainConfig, data: LabelledData, strategy: tf.distribute.Strategy
    ) -> MultiDomainTrainer:
        return MultiDomainTrainer(config, len(data.domains), data.classification, strategy)

    def checkpoint(self, trainer: MultiDomainTrainer) -> tf.train.Checkpoint:
        return make_checkpoint(trainer)

    def config_writer(self, config: MultiDomainConfig, data: LabelledData) -> Callable[[Path], object]:
        return lambda path: config.save(path, domains=data.domains, classification=data.classification)

    def dataset(self, config: MultiDomainConfig, data_: LabelledData, start_example: int) -> tf.data.Dataset:
        c = config
        return data.train_dataset(data_.files, data_.labels, c.batch_size, c.image_size, c.flip, c.seed,
                                  start_example=start_example)  # fmt: skip

    def samples(self, config: MultiDomainConfig, data_: LabelledData) -> dict:
        return data.sample_batch(data_.files, data_.labels, config.image_size)

    def sample_grid(self, trainer: MultiDomainTrainer, samples: dict, data_: LabelledData) -> np.ndarray:
        return sample_grid(trainer, samples, data_.domains)

    def postfix(self, values: dict[str, float]) -> dict[str, str]:
        return {"D": f"{values['d_total']:.3f}", "G": f"{values.get('g_total', float('nan')):.3f}"}


def train_multidomain(
    config: MultiDomainConfig | None = None,
    resume: bool = False,
    progress: bool = True,
    overwrite: bool = False,
    **overrides: Any,
) -> TrainResult:
    """:func:`attentiongan_tf.training.loop.train` of ``config`` (default ``MultiDomainConfig()``) with keyword
    ``overrides`` replacing fields; returns its ``TrainResult`` (``data`` holds the domains)."""
    from attentiongan_tf.training.loop import train

    config = dataclasses.replace(config or MultiDomainConfig(), **overrides)
    return train(config, resume=resume, progress=progress, overwrite=overwrite)
