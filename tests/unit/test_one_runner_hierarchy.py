"""One endpoint builder and one runner hierarchy for both families: the domain label is an optional input of
the endpoints and of every runner; the family of a training run is found at one dispatch point."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from attentiongan_tf import build_generator
from attentiongan_tf.export.savedmodel import export_savedmodel, read_metadata
from attentiongan_tf.export.serving import ENCODED_SIGNATURE, FLOAT_SIGNATURE, UINT8_SIGNATURE, make_endpoints
from attentiongan_tf.inference import KerasRunner, SavedModelRunner, open_runner
from attentiongan_tf.inference.domains import DomainTranslator, label_vector
from attentiongan_tf.inference.families import family_of
from attentiongan_tf.models.conditional import build_multidomain_generator

DOMAINS = ["blue", "red", "violet"]


@pytest.fixture(scope="module")
def conditional():
    keras.utils.set_random_seed(5)
    generator = build_multidomain_generator(3, ngf=4, n_blocks=1, n_masks=3)
    generator.domain_names = list(DOMAINS)
    return generator


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(1).integers(0, 256, (9, 14, 3), dtype=np.uint8)


def test_the_endpoints_of_a_conditional_generator_take_labels(conditional):
    endpoints = make_endpoints(conditional)
    assert list(endpoints) == [UINT8_SIGNATURE, FLOAT_SIGNATURE, ENCODED_SIGNATURE]
    for endpoint in endpoints.values():
        assert [spec.name for spec in endpoint.input_signature][1:] == ["labels"]
        assert endpoint.input_signature[1].shape.as_list() == [None, 3]
    labels = tf.constant(np.eye(3, dtype=np.float32)[[1]])
    floats = tf.random.uniform([1, 6, 9, 3], -1.0, 1.0)
    served = endpoints[FLOAT_SIGNATURE].fn(floats, labels)
    assert served["image"].shape == (1, 6, 9, 3) and served["content"].shape[:3] == (1, 6, 9)
    png = tf.io.encode_png(tf.fill([5, 7, 3], tf.constant(9, tf.uint8)))
    encoded = endpoints[ENCODED_SIGNATURE].fn(tf.stack([png, png]), tf.constant(np.eye(3, dtype=np.float32)[[0, 2]]))
    assert encoded["png_bytes"].shape == (2,)


def test_two_domain_endpoints_take_images_only():
    endpoints = make_endpoints(build_generator(ngf=4, n_blocks=1, n_masks=2))
    assert all([spec.name for spec in e.input_signature] in (["images"], ["image_bytes"]) for e in endpoints.values())


def test_keras_runner_serves_a_multidomain_model_like_the_translator(conditional, image):
    runner = KerasRunner(conditional, target="red")
    assert runner.label_size == 3 and runner.label.tolist() == [0, 1, 0]
    result = runner.run([image])[0]
    expected = DomainTranslator(conditional)(image, "red")
    np.testing.assert_array_equal(result["image"], expected["image"])
    np.testing.assert_allclose(result["attention"], expected["attention"], atol=1e-6)
    assert result["content"].shape == (9, 14, 2, 3)
    other = KerasRunner(conditional, target=[0, 0, 1]).run([image])[0]
    assert np.abs(other["image"].astype(int) - result["image"].astype(int)).max() > 0


def test_the_label_is_required_for_multidomain_models_and_refused_for_two_domain_ones(conditional):
    with pytest.raises(ValueError, match="multi-domain model: choose the output with --target-domain"):
        KerasRunner(conditional)
    with pytest.raises(ValueError, match="green"):
        KerasRunner(conditional, target="green")
    with pytest.raises(ValueError, match="--target-domain only applies to multi-domain models"):
        KerasRunner(build_generator(ngf=4, n_blocks=1), target="red")
    with pytest.raises(ValueError, match="3 values"):
        label_vector([1, 0], 3)


def test_a_multidomain_savedmodel_runs_with_its_stored_domain_names(conditional, image, tmp_path):
    saved = export_savedmodel(conditional, tmp_path, "md")
    assert saved["domains"] == DOMAINS and read_metadata(saved["path"])["domains"] == DOMAINS
    runner = open_runner(saved["path"], target="violet")
    assert isinstance(runner, SavedModelRunner) and runner.domains == DOMAINS
    result = runner.run([image])[0]
    reference = KerasRunner(conditional, target="violet").run_raw([image])[0]
    for key in ("attention", "content"):
        np.testing.assert_allclose(result[key], reference[key], atol=2e-5)
    assert np.abs(result["image"].astype(int) - KerasRunner(conditional, "violet").run([image])[0]["image"]).max() <= 1
    with pytest.raises(ValueError, match=r"multi-domain SavedModel.*--target-domain"):
        SavedModelRunner(saved["path"])


def test_domain_names_only_apply_to_multidomain_exports(tmp_path, conditional):
    with pytest.raises(ValueError, match="only apply to multi-domain generators"):
        export_savedmodel(build_generator(ngf=4, n_blocks=1), tmp_path, domains=["a", "b"])
    with pytest.raises(ValueError, match="2 domain names given for a generator with 3 label entries"):
        export_savedmodel(conditional, tmp_path, domains=["a", "b"])


def test_the_family_of_a_run_is_read_from_its_config(tmp_path):
    runs = {  # config.json as today's code writes it (kind) and as 0.1 wrote it (preset + nested config)
        "multi": {"kind": "multidomain"},
        "multi_legacy": {"preset": "multidomain", "config": {}},
        "two": {"kind": "two_domain"},
        "two_legacy": {"preset": "official"},
    }
    for name, values in runs.items():
        (tmp_path / name / "checkpoints").mkdir(parents=True)
        (tmp_path / name / "config.json").write_text(json.dumps(values))
    for name in ("multi", "multi_legacy"):
        assert family_of(tmp_path / name).name == family_of(tmp_path / name / "checkpoints").name == "multidomain"
    for name in ("two", "two_legacy"):
        assert family_of(tmp_path / name).name == "two_domain" and family_of(tmp_path / name).directional
