"""Tiny-shape tests of the PatchGAN and attention-guided discriminators."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf import AttentionGuidedDiscriminator, PatchGANDiscriminator, build_discriminator


def test_patchgan_output_map_size():
    assert build_discriminator(ndf=4)(tf.zeros([2, 64, 64, 3])).shape == (2, 6, 6, 1)
    assert build_discriminator(ndf=4, n_layers=2)(tf.zeros([1, 32, 48, 3])).shape == (1, 6, 10, 1)


def test_official_parameter_count():
    assert build_discriminator().count_params() == 2_764_737


def test_too_small_images_are_refused():
    with pytest.raises(ValueError, match="too small"):
        build_discriminator(ndf=4)(tf.zeros([1, 16, 16, 3]))


def test_attention_guided_discriminator_concatenates_mask_and_image():
    model = build_discriminator(ndf=4, attention_channels=1)
    assert isinstance(model, AttentionGuidedDiscriminator)
    image = tf.random.stateless_uniform([2, 32, 32, 3], seed=[1, 2], minval=-1, maxval=1)
    mask = tf.random.stateless_uniform([2, 32, 32, 1], seed=[3, 4])
    as_dict = model({"image": image, "attention": mask})
    as_pair = model((image, mask))
    np.testing.assert_array_equal(as_dict.numpy(), as_pair.numpy())
    assert model.convs[0].kernel.shape == (4, 4, 4, 4)
    # The mask matters: the same image with another mask is judged differently.
    assert not np.allclose(model({"image": image, "attention": 1 - mask}).numpy(), as_dict.numpy())


@pytest.mark.parametrize("attention_channels", [0, 2])
def test_keras_file_round_trip(tmp_path, attention_channels):
    model = build_discriminator(ndf=4, attention_channels=attention_channels)
    x = tf.random.stateless_uniform([1, 32, 32, 3], seed=[5, 6])
    inputs = {"image": x, "attention": x[..., :2]} if attention_channels else x
    model.save(tmp_path / "d.keras")
    loaded = keras.saving.load_model(tmp_path / "d.keras")
    assert type(loaded) is type(model) and loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded(inputs).numpy(), model(inputs).numpy())


def test_batch_independence_and_config():
    model = PatchGANDiscriminator(ndf=4, n_layers=2, init_std=0.05)
    x = tf.random.stateless_uniform([3, 32, 32, 3], seed=[7, 8])
    together = model(x).numpy()
    alone = np.concatenate([model(x[i : i + 1]).numpy() for i in range(3)])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert PatchGANDiscriminator.from_config(model.get_config()).get_config() == model.get_config()
