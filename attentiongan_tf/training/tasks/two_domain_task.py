"""The two-domain family (AttentionGAN, horse↔zebra) for the one training loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from attentiongan_tf.data import demo as demo_data
from attentiongan_tf.data import grids
from attentiongan_tf.data import unpaired as data
from attentiongan_tf.training.checkpoints import make_checkpoint
from attentiongan_tf.training.config import Config
from attentiongan_tf.training.run_dir import read_json
from attentiongan_tf.training.tasks.base import RunSettings
from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer

__all__ = ["SAMPLE_COUNT", "TwoDomainTask", "UnpairedData", "load_run_config"]

SAMPLE_COUNT = 4


@dataclass(frozen=True)
class UnpairedData:
    """The scanned training images of each domain (``{"A": [...], "B": [...]}``)."""

    files: dict[str, list[Path]]


def load_run_config(path: str | Path) -> Config:
    """The ``Config`` in a run's ``config.json``; errors name the file."""
    try:
        return Config.from_dict(read_json(path))
    except (TypeError, ValueError) as error:
        message = str(error) if str(path) in str(error) else f"{path}: {error}"
        raise ValueError(message) from None


class TwoDomainTask:
    """Two generators and their discriminators on unpaired folders ``trainA``/``trainB``."""

    kind = Config.kind

    def settings(self, config: Config) -> RunSettings:
        t = config.train
        return RunSettings(
            Path(t.output_dir), t.steps, config.data.batch_size, t.seed, t.strategy, t.deterministic,
            t.checkpoint_every, t.sample_every, t.log_every, t.keep_checkpoints, t.on_collapse,
        )  # fmt: skip

    def check_resume(self, config: Config, output_dir: Path) -> None:
        """The networks must not change."""
        saved = load_run_config(output_dir / "config.json")
        if saved.model != config.model:
            raise ValueError(f"cannot resume {output_dir}: model config differs from its config.json ({saved.model})")

    def prepare_data(self, config: Config, output_dir: Path) -> UnpairedData:
        """Demo data when there is no ``dataroot``; scan both domains; resolve ``--epochs`` into steps."""
        if config.data.dataroot is None:
            demo_root = output_dir / "demo_data"
            demo_data.write_demo_dataset(demo_root, size=config.data.load_size, train=config.data.demo_images)
            config.data.dataroot = str(demo_root)
        folders = data.domain_folders(config.data.dataroot)
        files = {d: data.scan_domain(folder)["files"] for d, folder in folders.items()}
        config.resolve_epochs((len(files["A"]), len(files["B"])))
        return UnpairedData(files)

    def build_trainer(
        self, config: Config, data_: UnpairedData, strategy: tf.distribute.Strategy
    ) -> AttentionGANTrainer:
        return AttentionGANTrainer(config, strategy)

    def checkpoint(self, trainer: AttentionGANTrainer) -> tf.train.Checkpoint:
        return make_checkpoint(trainer)

    def config_writer(self, config: Config, data_: UnpairedData) -> Callable[[Path], object]:
        return config.save

    def dataset(self, config: Config, data_: UnpairedData, start_example: int) -> tf.data.Dataset:
        d = config.data
        return data.train_dataset(
            data_.files["A"], data_.files["B"], d.batch_size, d.load_size, d.crop_size, d.flip, config.train.seed,
            start_example=start_example, preprocess_mode=d.preprocess,
        )  # fmt: skip

    def samples(self, config: Config, data_: UnpairedData) -> dict[str, np.ndarray]:
        assert config.data.dataroot is not None, "the loop resolves the demo data before sampling"
        return {d: data.sample_images(config.data.dataroot, d, SAMPLE_COUNT, config.data.crop_size) for d in "AB"}

    def sample_grid(self, trainer: AttentionGANTrainer, samples: dict, data_: UnpairedData) -> np.ndarray:
        directions = (("A", "B"), ("B", "A"))
        rows = [grids.GridRow(f"{d}→{o}", samples[d], trainer.translate(samples[d], f"{d}to{o}"))
                for d, o in directions]  # fmt: skip
        return grids.labelled_grid(rows).image

    def postfix(self, values: dict[str, float]) -> dict[str, str]:
        return {"G": f"{values['generator_total']:.3f}", "D": f"{values['discriminator_total']:.3f}",
                "cyc": f"{values['cycle_a']:.3f}"}  # fmt: skip
