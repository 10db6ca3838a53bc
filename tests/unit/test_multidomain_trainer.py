"""The multi-domain train step: loss keys, n_critic schedule, gradient penalty in tf.function, config checks."""

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.training.config_errors import ConfigError
from attentiongan_tf.training.tasks.multi_domain import MultiDomainTrainer
from attentiongan_tf.training.tasks.multi_domain_config import MultiDomainConfig

TINY = dict(image_size=32, batch_size=2, ngf=4, n_blocks=1, n_masks=3, ndf=4, n_layers_d=3, steps=10,
            decay_fraction=0.0)


def batch():
    images = tf.random.uniform([2, 32, 32, 3], -1, 1, seed=0)
    return {"image": images, "label": tf.one_hot([0, 1], 3), "target": tf.one_hot([2, 0], 3)}


def test_wgan_gp_steps_and_n_critic():
    trainer = MultiDomainTrainer(MultiDomainConfig(n_critic=2, lambda_attention_l1=0.1, **TINY), 3, "single_label")
    first = trainer.train_step(batch()).values
    assert "g_total" not in first and first["d_gradient_penalty"] > 0
    assert set(first) >= {"d_adversarial", "d_classification", "d_total", "d_real_accuracy"}
    before = [w.numpy().copy() for w in trainer.generator.weights]
    second = trainer.train_step(batch()).values
    assert {"g_adversarial", "g_classification", "g_reconstruction", "g_attention_tv", "g_attention_l1"} <= set(second)
    assert int(trainer.step.numpy()) == 2
    assert any(np.abs(a - b.numpy()).max() > 0 for a, b in zip(before, trainer.generator.weights, strict=True))
    np.testing.assert_allclose(
        second["d_total"],
        second["d_adversarial"] + second["d_classification"] + second["d_gradient_penalty"],
        rtol=1e-5,
    )


def test_lsgan_multi_label_has_no_penalty():
    config = MultiDomainConfig(gan_mode="lsgan", n_critic=1, **TINY)
    trainer = MultiDomainTrainer(config, 3, "multi_label")
    step = {**batch(), "label": tf.constant([[1.0, 0, 1], [0, 1, 0]]), "target": tf.constant([[0.0, 0, 1], [1, 1, 0]])}
    losses = trainer.train_step(step).values
    assert "d_gradient_penalty" not in losses and np.isfinite(losses["g_total"])
    assert 0.0 <= losses["g_fake_accuracy"] <= 1.0


@pytest.mark.parametrize(
    "changes, flag",
    [
        ({"gan_mode": "hinge"}, "^gan_mode must be one of"),
        ({"image_size": 36}, r"^image_size 36 must be divisible by 4 and by 2 \*\* n_layers_d \(3\) = 8$"),
        ({"n_masks": 1}, "^n_masks must be at least 2"),
        ({"layout": "csv"}, "^layout csv needs labels_csv$"),
        ({"lambda_gp": -1.0}, "^lambda_gp must be a finite number >= 0"),
        ({"n_critic": 0}, "^n_critic must be a positive integer, got 0$"),
    ],
)
def test_config_validation_names_the_setting(changes, flag):
    with pytest.raises(ConfigError, match=flag):
        MultiDomainConfig(**{**TINY, **changes}).validate()


def test_config_round_trip(tmp_path):
    config = MultiDomainConfig(attributes=["Male"], **TINY)
    config.save(tmp_path / "config.json", domains=["Male"], classification="multi_label")
    assert MultiDomainConfig.load(tmp_path / "config.json") == config
    with pytest.raises(ValueError, match="unknown"):
        MultiDomainConfig.from_dict({"ngf": 4, "ngff": 3})


def test_config_from_flags():
    from attentiongan_tf.training.tasks.multi_domain_config import MULTI_DOMAIN_PRESETS, config_from_flags

    config = config_from_flags({"ngf": 16, "d_learning_rate": 3e-4, "seed": None})
    assert (config.ngf, config.d_learning_rate, config.seed) == (16, 3e-4, MULTI_DOMAIN_PRESETS["multidomain"].seed)
    assert config.n_blocks == MULTI_DOMAIN_PRESETS["multidomain"].n_blocks
    assert config_from_flags({}, "multidomain_demo").image_size == 32
    with pytest.raises(ValueError, match=r"^unknown multi-domain setting\(s\) \['pool_size'\]$"):
        config_from_flags({"pool_size": 50})
    with pytest.raises(ConfigError, match="^preset must be one of"):
        config_from_flags({}, "official")
    with pytest.raises(ConfigError, match="^image_size 100 must be divisible by 4"):
        config_from_flags({"image_size": 100})


def test_winograd_conv_algorithm_reaches_the_generator_and_keeps_the_losses():
    losses = {}
    for algorithm in ("direct", "winograd"):
        trainer = MultiDomainTrainer(MultiDomainConfig(n_critic=1, conv_algorithm=algorithm, **TINY), 3, "single_label")
        assert {block.conv_algorithm for block in trainer.generator.encoder.blocks} == {algorithm}
        losses[algorithm] = trainer.train_step(batch()).values
    for name, value in losses["direct"].items():
        np.testing.assert_allclose(float(losses["winograd"][name]), float(value), rtol=1e-4, atol=1e-6, err_msg=name)
