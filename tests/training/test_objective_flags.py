"""Issue #12 §1/§5: the official recipe, epochs, every objective term as a flag, flags that do not apply."""

import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.cli import train
from attentiongan_tf.data.demo import write_demo_dataset
from attentiongan_tf.training import losses as L
from attentiongan_tf.training import summaries
from attentiongan_tf.training.config import Config, preset
from attentiongan_tf.training.loop import MaskCollapseError
from attentiongan_tf.training.loop import train as run_training
from attentiongan_tf.training.tasks.two_domain import AttentionGANTrainer

from ..unit.training_setup import tiny_config


def config_for(*flags):
    return train.build_config(train.parse_args(list(flags)))


def test_every_objective_term_has_a_flag_that_reaches_the_config():
    c = config_for("--preset", "official", "--lambda-cycle", "5", "--lambda-identity", "0", "--lambda-tv", "1e-6",
                   "--lambda-pixel", "2", "--attention-discriminator", "--lambda-attention-gan", "0.5",
                   "--lambda-background", "3", "--background-target", "0.4", "--ndf", "32", "--n-layers-d", "2",
                   "--cycle-attention-gradient", "0.2", "--identity-attention-gradient", "0.3")
    lo = c.loss
    assert (lo.lambda_cycle_a, lo.lambda_cycle_b, lo.lambda_identity) == (5, 5, 0)
    assert (lo.lambda_tv, lo.lambda_pixel) == (1e-6, 2)
    assert (lo.lambda_attention_gan, lo.lambda_background, lo.background_target) == (0.5, 3, 0.4)
    assert c.model.attention_discriminator and (c.model.ndf, c.model.n_layers_d) == (32, 2)
    assert (lo.cycle_attention_gradient, lo.identity_attention_gradient) == (0.2, 0.3)
    scheme1 = config_for("--preset", "paper-scheme1", "--no-attention-discriminator")
    assert scheme1.model.attention_discriminator is False


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--preset", "official", "--layout", "csv"], "--layout only apply to the multi-domain presets"),
        (["--preset", "official", "--lambda-cls", "1"], "--lambda-cls only apply"),
        (["--variant", "cyclegan", "--lambda-tv", "1"], "--lambda-tv do not apply to --variant cyclegan"),
        (["--variant", "cyclegan", "--attention-discriminator"], "--attention-discriminator do not apply"),
        (["--lambda-attention-gan", "1"], "needs --attention-discriminator"),
        (["--background-target", "0.5"], "needs --lambda-background"),
        (["--gan-mode", "wgan-gp"], "only applies to the multi-domain presets"),
        (["--preset", "official", "--steps", "3", "--epochs", "2"], "--steps or --epochs, not both"),
        (["--lambda-background", "1", "--background-target", "1"], r"--background-target must be in \[0, 1\)"),
        (["--variant", "cyclegan", "--cycle-attention-gradient", "0.1"], "--cycle-attention-gradient do not apply"),
        (["--preset", "multidomain", "--identity-attention-gradient", "0.1"], "--identity-attention-gradient"),
    ],
)
def test_flags_that_do_not_apply_are_errors(flags, message):
    with pytest.raises(ValueError, match=message):
        config_for(*flags)


def test_negative_background_prior_is_refused_by_the_flag_and_the_config():
    with pytest.raises(SystemExit):
        config_for("--lambda-background", "-1")
    config = preset("robust")
    config.loss.lambda_background = -1.0
    with pytest.raises(ValueError, match="^loss.lambda_background must be >= 0"):
        config.validate()


def test_multidomain_presets_refuse_two_domain_flags():
    with pytest.raises(ValueError, match="^--lambda-cycle only apply to the two-domain presets .*multidomain_demo"):
        config_for("--preset", "multidomain_demo", "--lambda-cycle", "5")


def test_steps_flag_replaces_the_presets_epochs_and_epochs_flag_sets_them():
    assert config_for("--preset", "official", "--steps", "7").train.epochs is None
    c = config_for("--preset", "official", "--epochs", "2")
    assert c.train.epochs == 2
    c.resolve_epochs((10, 14))
    assert c.train.steps == 7  # ceil(2 * 14 / batch 4)


def test_epochs_are_resolved_against_the_dataset_and_saved(tmp_path):
    config = tiny_config(output_dir=str(tmp_path / "run"), checkpoint_every=100, sample_every=100)
    config.data.dataroot = str(write_demo_dataset(tmp_path / "data", size=16, train=6, test=2))
    config.train.epochs = 1.0
    result = run_training(config, progress=False)
    assert result.step == 3  # one epoch: 6 images of each domain at batch 2
    assert Config.load(tmp_path / "run" / "config.json").train.steps == 3


def test_background_prior_is_a_hinge_on_the_mean_background_weight():
    attention = np.zeros((2, 4, 4, 3), np.float32)
    attention[0, ..., -1] = 0.9  # copies 90 % of the image
    attention[1, ..., -1] = 0.2
    np.testing.assert_allclose(L.background_prior(tf.constant(attention), 0.6).numpy(), [0.3, 0.0], atol=1e-6)
    np.testing.assert_allclose(L.background_prior(tf.constant(attention)).numpy(), [0.9, 0.2], atol=1e-6)


def test_background_prior_pushes_the_background_down():
    config = tiny_config()
    config.loss.lambda_cycle_a = config.loss.lambda_cycle_b = 0.0
    config.loss.lambda_identity, config.loss.lambda_background = 0.0, 1.0
    trainer = AttentionGANTrainer(config)
    images = tf.random.stateless_uniform([2, 16, 16, 3], [1, 2], -1, 1)
    with tf.GradientTape() as tape:
        terms = trainer.generator_losses(images, images, tf.constant(0)).terms
        prior = tf.reduce_sum(terms["background_prior_ab"])
    bias = trainer.generator_ab.attention_head.conv_out.bias
    gradient = tape.gradient(prior, bias).numpy()
    assert gradient[-1] > 0 and np.all(gradient[:-1] < 0)  # descent lowers the background logit only


def test_collapse_message_says_what_to_try():
    message = summaries.collapse_warning(0.97, "ab")
    assert "docs/qa.md (mask collapse)" in message and "--on-collapse stop" in message
    assert summaries.collapse_warning(0.9, "ab") is None


def test_on_collapse_stop_saves_and_stops(tmp_path, monkeypatch):
    original = AttentionGANTrainer._train_step

    def collapsed(self, batch):
        losses, metrics = original(self, batch)
        metrics["background_mean_ab"] = tf.constant(0.999)
        return losses, metrics

    monkeypatch.setattr(AttentionGANTrainer, "_train_step", collapsed)
    config = tiny_config(steps=6, log_every=2, on_collapse="stop", output_dir=str(tmp_path / "run"))
    config.data.dataroot = str(write_demo_dataset(tmp_path / "data", size=16, train=4, test=2))
    with pytest.raises(MaskCollapseError, match=r"step 2 .*mask collapse.*Checkpoint saved"):
        run_training(config, progress=False)
    from attentiongan_tf.training import checkpoints as ckpt

    assert ckpt.latest_checkpoint(tmp_path / "run").endswith("ckpt-2")


def test_attention_gradient_shares_are_fractions_for_the_flag_and_the_config():
    with pytest.raises(SystemExit):
        config_for("--cycle-attention-gradient", "1.5")
    config = preset("official")
    config.loss.identity_attention_gradient = -0.1
    with pytest.raises(ValueError, match=r"^loss.identity_attention_gradient must be in \[0, 1\]"):
        config.validate()


def test_robust_preset_is_official_with_a_tenth_of_the_reconstruction_gradient_on_the_masks():
    official, robust = preset("official"), preset("robust")
    assert (robust.loss.cycle_attention_gradient, robust.loss.identity_attention_gradient) == (0.1, 0.1)
    robust.loss.cycle_attention_gradient = robust.loss.identity_attention_gradient = 1.0
    robust.preset = official.preset
    assert robust == official


def test_official_preset_is_the_official_training_script():
    c = preset("official")
    assert (c.data.batch_size, c.train.epochs, c.lr_decay_steps) == (4, 60, 0)
    assert (c.data.load_size, c.data.crop_size) == (286, 256)


def test_attention_kernel_size_reaches_the_generator_and_round_trips(tmp_path):
    import keras

    from attentiongan_tf.models.generators import build_generator

    c = config_for("--attention-kernel-size", "3")
    trainer = AttentionGANTrainer(c)
    assert trainer.generator_ab.attention_head.conv_out.kernel.shape[:2] == (3, 3)
    generator = build_generator(ngf=4, n_blocks=1, n_masks=3, attention_kernel_size=3)
    generator.save(tmp_path / "g.keras")
    restored = keras.saving.load_model(tmp_path / "g.keras", compile=False)
    assert restored.attention_kernel_size == 3
    x = tf.random.stateless_uniform([1, 16, 16, 3], [0, 1], -1, 1)
    np.testing.assert_allclose(restored(x)["image"], generator(x)["image"], atol=1e-6)
    with pytest.raises(ValueError, match="--attention-kernel-size"):
        config_for("--attention-kernel-size", "2")
    with pytest.raises(ValueError, match="do not apply to --variant cyclegan"):
        config_for("--variant", "cyclegan", "--attention-kernel-size", "3")


def test_a_3x3_attention_head_has_no_input_independent_pixels():
    from attentiongan_tf.models.generators import build_generator

    # Kill every feature at the (even, even) outputs of the last transposed conv, as a trained official
    # generator does: a 1x1 attention conv then outputs only its bias there, whatever the input.
    for size, expect_constant in ((1, True), (3, False)):
        generator = build_generator(ngf=4, n_blocks=1, n_masks=3, attention_kernel_size=size)
        head = generator.attention_head
        original = head.up_norms[1].call

        def dead_grid(x, training=None, original=original):
            y = original(x, training=training)
            keep = np.ones((1, 16, 16, 1), np.float32)
            keep[:, ::2, ::2] = 0.0
            return y * keep - 10.0 * (1 - keep)

        head.up_norms[1].call = dead_grid
        a = generator(tf.random.stateless_uniform([1, 16, 16, 3], [0, 1], -1, 1))["attention"].numpy()
        b = generator(tf.random.stateless_uniform([1, 16, 16, 3], [5, 7], -1, 1))["attention"].numpy()
        same = np.allclose(a[:, ::2, ::2], b[:, ::2, ::2], atol=1e-7)
        assert same == expect_constant
