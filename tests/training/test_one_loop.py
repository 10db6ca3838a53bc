"""Both families go through the one loop: mixed precision, XLA, TensorBoard and collapse warnings for both."""

import json

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.training.loop import MaskCollapseError, train
from attentiongan_tf.training.tasks.multi_domain import MultiDomainTrainer
from tests.robustness.runs import multidomain_config, two_domain_config


def event_tags(log_dir):
    """Every summary tag written under ``log_dir``."""
    tags = set()
    for path in log_dir.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            tags.update(value.tag for value in event.summary.value)
    return tags


def test_tensorboard_events_for_both_families(tmp_path):
    two = train(two_domain_config(tmp_path, tmp_path / "two", steps=2, sample_every=2), progress=False)
    multi = train(multidomain_config(tmp_path / "multi", steps=2, sample_every=2), progress=False)
    assert {"loss/cycle_a", "masks/background_mean_ab", "train/learning_rate",
            "samples/input_output_masks_content"} <= event_tags(two.output_dir / "logs")  # fmt: skip
    multi_tags = event_tags(multi.output_dir / "logs")
    assert {"loss/d_total", "loss/g_total", "masks/background_mean", "masks/mask_entropy",
            "train/images_per_second", "samples/input_output_masks_content"} <= multi_tags  # fmt: skip
    assert multi.data.domains == ["blue", "red", "violet"] and multi.step == 2


@pytest.mark.parametrize("settings", [{"mixed_precision": "bfloat16"}, {"xla": True}])
def test_multidomain_trains_with_mixed_precision_and_xla(tmp_path, settings):
    result = train(multidomain_config(tmp_path / "run", steps=3, **settings), progress=False)
    assert result.step == 3 and len(result.history) == 3
    assert all(np.isfinite(v) for row in result.history for v in row.values())
    assert "g_total" in result.history[-1]
    rows = [json.loads(x) for x in (result.output_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    if "mixed_precision" in settings:
        assert result.trainer.generator.compute_dtype == "bfloat16"
        assert result.trainer.translate(np.zeros([1, 16, 16, 3]), np.eye(3)[:1])["image"].dtype == tf.float32


def test_multidomain_float16_uses_loss_scaling(tmp_path):
    import keras

    config = multidomain_config(tmp_path / "run", mixed_precision="float16")
    trainer = MultiDomainTrainer(config, 3, "single_label")
    assert isinstance(trainer.generator_optimizer, keras.optimizers.LossScaleOptimizer)
    images = tf.random.uniform([2, 16, 16, 3], -1, 1, seed=1)
    result = trainer.train_step({"image": images, "label": tf.one_hot([0, 1], 3), "target": tf.one_hot([2, 0], 3)})
    assert all(np.isfinite(v) for v in result.values.values())


def test_multidomain_collapse_stops_the_run(tmp_path, monkeypatch):
    original = MultiDomainTrainer._generator_gradients

    def collapsed(self, batch):
        gradients, losses, metrics = original(self, batch)
        return gradients, losses, {**metrics, "background_mean": tf.constant(0.999)}

    monkeypatch.setattr(MultiDomainTrainer, "_generator_gradients", collapsed)
    config = multidomain_config(tmp_path / "run", steps=4, log_every=2, checkpoint_every=100, on_collapse="stop")
    with pytest.raises(MaskCollapseError, match=r"step 2 .*the generator collapsed.*Checkpoint saved"):
        train(config, progress=False)
    assert (tmp_path / "run" / "checkpoints" / "ckpt-2.index").is_file()
