"""Shapes, label handling and serialization of the multi-domain generator and discriminator."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf.models.conditional import (
    ConditionalAttentionGenerator,
    LabelConditioning,
    MultiDomainDiscriminator,
    build_multidomain_discriminator,
    build_multidomain_generator,
    tile_label,
)


@pytest.fixture(scope="module")
def generator():
    keras.utils.set_random_seed(1)
    return build_multidomain_generator(3, ngf=4, n_blocks=1, n_masks=3)


def test_generator_outputs_and_fusion(generator):
    image = tf.random.uniform([2, 32, 32, 3], -1, 1, seed=0)
    out = generator({"image": image, "label": tf.one_hot([0, 2], 3)})
    assert out["image"].shape == (2, 32, 32, 3)
    assert out["attention"].shape == (2, 32, 32, 3)
    assert out["content"].shape == (2, 32, 32, 2, 3)
    np.testing.assert_allclose(tf.reduce_sum(out["attention"], -1), 1.0, atol=1e-5)
    expected = image * out["attention"][..., 2:] + tf.reduce_sum(
        out["content"] * out["attention"][..., :2, tf.newaxis], axis=3
    )
    np.testing.assert_allclose(out["image"], expected, atol=1e-5)


def test_generator_depends_on_label(generator):
    image = tf.random.uniform([1, 32, 32, 3], -1, 1, seed=1)
    a = generator((image, tf.one_hot([0], 3)))["image"]
    b = generator((image, tf.one_hot([1], 3)))["image"]
    assert float(tf.reduce_max(tf.abs(a - b))) > 1e-4


def test_tile_label_constant_maps():
    maps = tile_label(tf.zeros([2, 4, 8, 3]), tf.constant([[1.0, 0.0], [0.0, 1.0]]))
    assert maps.shape == (2, 4, 8, 2)
    np.testing.assert_array_equal(maps[1, 3, 7], [0.0, 1.0])


def test_generator_rejects_bad_inputs(generator):
    with pytest.raises(ValueError, match="label"):
        generator({"image": tf.zeros([1, 32, 32, 3]), "label": tf.zeros([1, 4])})
    with pytest.raises(ValueError, match="missing"):
        generator({"image": tf.zeros([1, 32, 32, 3])})
    with pytest.raises(ValueError, match="divisible by 4"):
        generator({"image": tf.zeros([1, 30, 32, 3]), "label": tf.zeros([1, 3])})
    with pytest.raises(ValueError, match="n_domains"):
        ConditionalAttentionGenerator(n_domains=1)


def test_discriminator_outputs():
    d = build_multidomain_discriminator(5, 32, ndf=4, n_layers=3)
    out = d(tf.zeros([2, 32, 32, 3]))
    assert out["logits"].shape == (2, 4, 4, 1)
    assert out["domain_logits"].shape == (2, 5)
    with pytest.raises(ValueError, match="32px"):
        d(tf.zeros([1, 64, 64, 3]))
    with pytest.raises(ValueError, match="divisible"):
        MultiDomainDiscriminator(3, image_size=36, n_layers=3)


def test_keras_round_trip(tmp_path, generator):
    d = build_multidomain_discriminator(3, 32, ndf=4, n_layers=3)
    image = tf.random.uniform([1, 32, 32, 3], -1, 1, seed=2)
    label = tf.constant([[0.0, 1.0, 1.0]])
    for model, inputs, key in ((generator, {"image": image, "label": label}, "image"), (d, image, "domain_logits")):
        path = tmp_path / f"{model.name}.keras"
        model.save(path)
        loaded = keras.saving.load_model(path)
        assert type(loaded) is type(model)
        assert loaded.get_config() == model.get_config()
        np.testing.assert_allclose(loaded(inputs)[key], model(inputs)[key], atol=1e-6)


def test_label_conditioning_config():
    layer = LabelConditioning(8, name="c")
    assert LabelConditioning.from_config(layer.get_config()).get_config() == layer.get_config()


def test_instance_norm_removes_constant_input_label_maps():
    # Why LabelConditioning exists: the encoder alone is blind to constant label maps concatenated to its input.
    from attentiongan_tf.nn.blocks import ResnetEncoder

    encoder = ResnetEncoder(ngf=4, n_blocks=1)
    image = tf.random.uniform([1, 16, 16, 3], -1, 1, seed=3)
    a = encoder(tf.concat([image, tile_label(image, tf.constant([[1.0, 0.0]]))], -1))
    b = encoder(tf.concat([image, tile_label(image, tf.constant([[0.0, 1.0]]))], -1))
    np.testing.assert_allclose(a, b, atol=1e-4)
