"""Typed per-image results: every runner of both families returns a frozen ``Translation``."""

import dataclasses

import keras
import numpy as np
import pytest

from attentiongan_tf import build_generator
from attentiongan_tf.data.images import to_uint8
from attentiongan_tf.inference import KerasRunner, Translation
from attentiongan_tf.inference.domains import DomainTranslator
from attentiongan_tf.models.conditional import build_multidomain_generator


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(2).integers(0, 256, (7, 10, 3), dtype=np.uint8)


def test_translation_fields_and_the_dict_view():
    attention = np.stack([np.full((2, 3), 0.25), np.full((2, 3), 0.75)], -1).astype(np.float32)
    t = Translation(np.zeros((2, 3, 3), np.uint8), attention, np.zeros((2, 3, 1, 3), np.float32))
    np.testing.assert_allclose(t.foreground, np.full((2, 3), 0.25))
    assert list(t) == ["image", "attention", "content"] and len(t) == 3 and t["content"] is t.content
    assert {key: value.shape for key, value in t.to_dict().items()} == {
        "image": (2, 3, 3), "attention": (2, 3, 2), "content": (2, 3, 1, 3)}  # fmt: skip
    without = Translation(t.image, t.attention)
    assert "content" not in without and list(without.to_dict()) == ["image", "attention"]
    with pytest.raises(KeyError):
        without["content"]
    with pytest.raises(KeyError):
        t["masks"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.image = t.image  # type: ignore[misc]


def test_from_batch_takes_the_first_item_as_float32():
    t = Translation.from_batch({"image": np.ones((1, 4, 5, 3), np.float64), "attention": np.ones((1, 4, 5, 2))})
    assert t.image.shape == (4, 5, 3) and t.image.dtype == np.float32 and t.content is None


@pytest.mark.parametrize("family", ["two_domain", "multidomain"])
def test_keras_runners_of_both_families_return_translations(family, image):
    keras.utils.set_random_seed(3)
    if family == "two_domain":
        runner = KerasRunner(build_generator(ngf=4, n_blocks=1, n_masks=3))
    else:
        runner = KerasRunner(build_multidomain_generator(2, ngf=4, n_blocks=1, n_masks=3), target=[0, 1])
    raw, result = runner.run_raw([image])[0], runner.run([image])[0]
    assert isinstance(raw, Translation) and isinstance(result, Translation)
    assert raw.image.dtype == np.float32 and result.image.dtype == np.uint8 and result.image.shape == (7, 10, 3)
    np.testing.assert_array_equal(to_uint8(raw.image), result.image)
    assert result.attention.shape == (7, 10, 3) and result.content.shape == (7, 10, 2, 3)
    np.testing.assert_allclose(result.attention.sum(-1), 1.0, atol=1e-5)


def test_the_domain_translator_returns_a_translation_without_content(image):
    keras.utils.set_random_seed(4)
    generator = build_multidomain_generator(2, ngf=4, n_blocks=1, n_masks=3)
    out = DomainTranslator(generator)(image, [1, 0])
    assert isinstance(out, Translation) and out.content is None and out.image.dtype == np.uint8
    reference = KerasRunner(generator, target=[1, 0]).run([image])[0]
    np.testing.assert_array_equal(out.image, reference.image)
    np.testing.assert_allclose(out.attention, reference.attention, atol=1e-6)
