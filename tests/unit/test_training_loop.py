import json

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.data.demo import write_demo_dataset
from attentiongan_tf.training import checkpoints as ckpt
from attentiongan_tf.training import summaries
from attentiongan_tf.training.loop import OutputDirError, TrainingDivergedError, train
from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer

from .training_setup import tiny_config


def test_nan_stops_training_and_keeps_last_checkpoint(tmp_path, monkeypatch):
    original = AttentionGANTrainer._train_step

    def poisoned(self, batch):
        losses, metrics = original(self, batch)
        losses["cycle_a"] = tf.where(self.step >= 3, float("nan"), losses["cycle_a"])
        return losses, metrics

    monkeypatch.setattr(AttentionGANTrainer, "_train_step", poisoned)
    config = tiny_config(steps=6, checkpoint_every=2, sample_every=100, output_dir=str(tmp_path / "run"))
    config.data.dataroot = str(write_demo_dataset(tmp_path / "data", size=16, train=4, test=2))
    with pytest.raises(TrainingDivergedError, match=r"cycle_a became nan at step 2.*ckpt-2"):
        train(config, progress=False)
    assert ckpt.latest_checkpoint(tmp_path / "run").endswith("ckpt-2")
    assert ckpt.load_generator(tmp_path / "run") is not None
    assert json.loads((tmp_path / "run" / "config.json").read_text())["train"]["steps"] == 6


def test_existing_run_is_not_overwritten(tmp_path):
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    (tmp_path / "run" / "checkpoints" / "checkpoint").write_text('model_checkpoint_path: "ckpt-1"\n')
    config = tiny_config(output_dir=str(tmp_path / "run"))
    with pytest.raises(OutputDirError, match="holds no training run to resume.*--overwrite"):  # no config.json
        train(config, progress=False)
    config.save(tmp_path / "run" / "config.json")
    with pytest.raises(OutputDirError, match="--resume"):
        train(config, progress=False)


def test_collapse_warning():
    assert "all background" in summaries.collapse_warning(0.999, "ab")
    assert "all foreground" in summaries.collapse_warning(0.001, "ba")
    assert summaries.collapse_warning(0.7, "ab") is None


def test_summaries_warn_once_and_write_events(tmp_path):
    writer = summaries.TrainingSummaries(tmp_path)
    assert len(writer.scalars({"background_mean_ab": 1.0, "background_mean_ba": 0.5, "cycle_a": 1.0}, 1)) == 1
    assert writer.scalars({"background_mean_ab": 1.0}, 2) == []
    writer.image("grid", np.zeros((8, 8, 3), np.uint8), 1)
    assert list(tmp_path.glob("events.out.tfevents.*"))
