import tempfile
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.training import checkpoints as ckpt
from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer

from .training_setup import tiny_config


def batch(seed, size=16):
    rng = np.random.default_rng(seed)
    return {d: tf.constant(rng.uniform(-1, 1, (2, size, size, 3)), tf.float32) for d in "AB"}


def run_dir(tmp_path, config, trainer):
    config.save(tmp_path / ckpt.CONFIG_NAME)
    manager = ckpt.make_manager(ckpt.make_checkpoint(trainer), tmp_path / ckpt.CHECKPOINT_DIR, keep=2)
    return manager


def test_restore_then_continue_equals_uninterrupted(tmp_path):
    config = tiny_config(pool_size=2)  # pool is full after one step: later steps exercise swaps
    trainer = AttentionGANTrainer(config)
    manager = run_dir(tmp_path, config, trainer)
    for i in range(2):
        trainer.train_step(batch(i))
    manager.save(checkpoint_number=2)
    expected = [{k: float(v) for k, v in trainer.train_step(batch(i)).values.items()} for i in (2, 3)]

    resumed = AttentionGANTrainer(config)
    ckpt.make_checkpoint(resumed).restore(ckpt.latest_checkpoint(tmp_path)).assert_consumed()
    assert int(resumed.step) == 2 and int(resumed.discriminator_optimizer.iterations) == 2
    got = [{k: float(v) for k, v in resumed.train_step(batch(i)).values.items()} for i in (2, 3)]
    for e, g in zip(expected, got, strict=True):
        assert g == pytest.approx(e, rel=1e-5, abs=1e-6)
    for a, b in zip(trainer.discriminator_a.weights, resumed.discriminator_a.weights, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(trainer.pool_b.images.numpy(), resumed.pool_b.images.numpy(), rtol=1e-5, atol=1e-6)


def test_checkpoint_written_with_keras_adam_resumes_with_torch_adam(tmp_path, monkeypatch):
    """Runs checkpointed before TorchAdam (keras.optimizers.Adam) restore every optimizer variable."""
    import keras

    import attentiongan_tf.training.precision as trainer_module

    config = tiny_config()
    with monkeypatch.context() as patch:
        patch.setattr(trainer_module, "TorchAdam", keras.optimizers.Adam)
        old = AttentionGANTrainer(config)
    assert type(old.generator_optimizer) is keras.optimizers.Adam
    old.train_step(batch(0))
    path = ckpt.make_checkpoint(old).save(str(tmp_path / "ckpt"))

    resumed = AttentionGANTrainer(config)
    assert type(resumed.generator_optimizer).__name__ == "TorchAdam"
    ckpt.make_checkpoint(resumed).restore(path).assert_consumed()
    for name in ("generator_optimizer", "discriminator_optimizer"):
        before, after = getattr(old, name).variables, getattr(resumed, name).variables
        assert len(before) == len(after) > 2
        for a, b in zip(before, after, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_load_generator_both_directions():
    config = tiny_config()
    trainer = AttentionGANTrainer(config)
    trainer.train_step(batch(0))
    with tempfile.TemporaryDirectory() as tmp:
        run_dir(Path(tmp), config, trainer).save(checkpoint_number=1)
        images = batch(5)["A"]
        for direction, attribute in (("AtoB", "generator_ab"), ("BtoA", "generator_ba")):
            expected = getattr(trainer, attribute)(images)["image"].numpy()
            for path in (Path(tmp), Path(tmp) / ckpt.CHECKPOINT_DIR):
                generator = ckpt.load_generator(path, direction)
                np.testing.assert_allclose(generator(images)["image"].numpy(), expected, atol=1e-5)
                assert ckpt.read_run_config(path)["model"]["ngf"] == 4


def test_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        ckpt.read_run_config(tmp_path)
    with pytest.raises(FileNotFoundError):
        ckpt.checkpoint_dir(tmp_path)
    tiny_config().save(tmp_path / ckpt.CONFIG_NAME)
    (tmp_path / ckpt.CHECKPOINT_DIR).mkdir()
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        ckpt.load_generator(tmp_path)
    with pytest.raises(ValueError, match="direction"):
        ckpt.load_generator(tmp_path, "sideways")
