"""Translation to a named target domain at any image size."""

import keras
import numpy as np
import pytest

from attentiongan_tf.inference.domains import DomainTranslator, target_vector
from attentiongan_tf.multidomain import build_multidomain_generator


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(4)
    generator = build_multidomain_generator(3, ngf=4, n_blocks=1, n_masks=3)
    generator.domain_names = ["blue", "red", "violet"]
    return generator


def test_target_vector(model):
    np.testing.assert_array_equal(target_vector(model, "red"), [0, 1, 0])
    np.testing.assert_array_equal(target_vector(model, [0, 0, 1]), [0, 0, 1])
    with pytest.raises(ValueError, match="3 values"):
        target_vector(model, [1, 0])
    with pytest.raises(ValueError, match="green"):
        target_vector(model, "green")


def test_translator_any_size_and_label(model):
    translator = DomainTranslator(model)
    image = np.random.default_rng(0).integers(0, 256, (13, 22, 3), dtype=np.uint8)
    red = translator(image, "red")
    violet = translator(image, "violet")
    assert red["image"].shape == (13, 22, 3) and red["image"].dtype == np.uint8
    assert red["attention"].shape == (13, 22, 3)
    assert np.abs(red["image"].astype(int) - violet["image"].astype(int)).max() > 0
    with pytest.raises(ValueError, match="uint8"):
        translator(image.astype(np.float32), "red")
