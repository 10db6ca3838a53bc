"""evaluate: KID on fewer images than its subset size, translate.py grids among the fakes, unreadable images."""

import keras
import numpy as np
import pytest
from PIL import Image

from attentiongan_tf.metrics import evaluation, kernel_inception_distance
from attentiongan_tf.metrics.report import report_markdown


def _features(seed, n, d=6):
    return np.random.default_rng(seed).normal(size=(n, d))


def test_kid_with_both_sets_smaller_than_the_subset_is_one_subset_without_std():
    result = kernel_inception_distance(_features(0, 5), _features(1, 5), num_subsets=100, subset_size=1000)
    assert result["subset_size"] == 5 and result["num_subsets"] == 1 and result["std"] is None
    assert result["std_x100"] is None and result["requested_subset_size"] == 1000
    again = kernel_inception_distance(_features(0, 5), _features(1, 5), num_subsets=1, subset_size=5)
    assert result["mean"] == pytest.approx(again["mean"], rel=1e-12)


def test_kid_capped_by_one_set_still_resamples_the_other():
    result = kernel_inception_distance(_features(0, 5), _features(1, 9), num_subsets=10, subset_size=1000)
    assert result["subset_size"] == 5 and result["num_subsets"] == 10 and result["std"] > 0


@pytest.fixture
def tiny_inception(monkeypatch):
    def tiny_features(_weights=None):
        inputs = keras.Input((None, None, 3))
        pooled = keras.layers.GlobalAveragePooling2D()(inputs)
        return keras.Model(inputs, keras.layers.Dense(6)(pooled))

    monkeypatch.setattr(evaluation, "build_fid_inception", tiny_features)


def _folder(path, names, size=(16, 16), seed=0):
    path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for name in names:
        Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).save(path / name)
    return path


def test_few_images_say_so_in_the_report(tmp_path, tiny_inception):
    fake = _folder(tmp_path / "fake", ["a.png", "b.png", "c.png"])
    real = _folder(tmp_path / "real", ["x.png", "y.png", "z.png"], seed=1)
    report = evaluation.evaluate_folders(fake, real, options=evaluation.MetricOptions())
    kid = report["summary"]["kid"]
    assert kid["subset_size"] == 3 and kid["num_subsets"] == 1 and kid["std_x100"] is None
    assert any("KID subset size 3 instead of 1000" in note for note in report["notes"])
    markdown = report_markdown(report)
    assert "± 0.000" not in markdown and "no std" in markdown and "KID subset size 3" in markdown


def test_translate_grids_are_not_counted_as_fakes(tmp_path, tiny_inception):
    fake = _folder(tmp_path / "fake", ["a.png", "a_grid.png", "b.png", "b_grid.png", "c.png", "solo_grid.png"])
    real = _folder(tmp_path / "real", ["x.png", "y.png", "z.png"], seed=1)
    report = evaluation.evaluate_folders(fake, real, options=evaluation.MetricOptions(kid_subsets=2))
    assert [entry["file"] for entry in report["per_image"]] == ["a.png", "b.png", "c.png", "solo_grid.png"]
    assert report["counts"]["translated"] == 4 and report["counts"]["ignored_grids"] == 2
    assert any("ignored 2 translate.py grid" in note for note in report["notes"])


def test_unreadable_and_over_limit_images_are_skipped_and_counted(tmp_path, tiny_inception, monkeypatch):
    fake = _folder(tmp_path / "fake", ["a.png", "b.png", "c.png"])
    (fake / "broken.png").write_bytes(b"\x89PNG garbage")
    real = _folder(tmp_path / "real", ["x.png", "y.png", "z.png"], seed=1)
    _folder(real, ["huge.png"], size=(40, 40))
    monkeypatch.setenv("ATTENTIONGAN_MAX_IMAGE_PIXELS", "1000")
    report = evaluation.evaluate_folders(fake, real, options=evaluation.MetricOptions(kid_subsets=2))
    assert report["counts"]["translated"] == 3 and report["counts"]["real"] == 3
    assert report["counts"]["skipped"] == {"over_pixel_limit": 1, "unreadable": 1}
    assert any("2 image(s) skipped: 1 over the pixel limit, 1 unreadable" in note for note in report["notes"])


def test_generator_mode_skips_unreadable_sources(tmp_path, tiny_inception):
    from attentiongan_tf import build_generator

    source = _folder(tmp_path / "source", ["a.png", "b.png", "c.png"])
    (source / "bad.png").write_bytes(b"nope")
    real = _folder(tmp_path / "real", ["x.png", "y.png"], seed=1)
    report = evaluation.evaluate_generator(
        build_generator(ngf=4, n_blocks=1), source, real, options=evaluation.MetricOptions(kid_subsets=2)
    )
    assert [entry["file"] for entry in report["per_image"]] == ["a.png", "b.png", "c.png"]
    assert report["counts"]["skipped"] == {"over_pixel_limit": 0, "unreadable": 1}
