"""evaluation.py orchestration and report writing, with a tiny stand-in feature network (no Inception weights)."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

from attentiongan_tf.metrics import evaluation, psnr
from attentiongan_tf.metrics.report import write_report


@pytest.fixture
def folders(tmp_path, monkeypatch):
    def tiny_features(_weights=None):
        inputs = keras.Input((None, None, 3))
        pooled = keras.layers.GlobalAveragePooling2D()(inputs)
        return keras.Model(inputs, keras.layers.Dense(6, kernel_initializer="glorot_uniform")(pooled))

    monkeypatch.setattr(evaluation, "build_fid_inception", tiny_features)
    rng = np.random.default_rng(0)
    for name in ("fake", "real", "source", "masks"):
        (tmp_path / name).mkdir()
    for i in range(4):
        source = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
        fake = source.copy()
        fake[:8] = 255 - fake[:8]  # the "object" (top half) changes, the background is kept
        Image.fromarray(source).save(tmp_path / "source" / f"im{i}.png")
        Image.fromarray(fake).save(tmp_path / "fake" / f"im{i}.png")
        Image.fromarray(rng.integers(0, 256, (20, 12, 3), dtype=np.uint8)).save(tmp_path / "real" / f"r{i}.png")
        mask = np.zeros((16, 16), np.uint8)
        mask[:8] = 255
        Image.fromarray(mask).save(tmp_path / "masks" / f"im{i}.png")
    return tmp_path


def test_evaluate_folders_with_sources_and_masks(folders):
    options = evaluation.MetricOptions(kid_subsets=3)
    report = evaluation.evaluate_folders(
        folders / "fake", folders / "real", folders / "source", folders / "masks", options
    )
    summary = report["summary"]
    assert summary["fid"] >= 0 and summary["kid"]["subset_size"] == 4
    assert summary["background_l1"] == 0 and summary["background_psnr"] == evaluation.PSNR_CAP_DB
    assert summary["foreground_change"] > 0.2
    source = np.asarray(Image.open(folders / "source" / "im0.png"))
    fake = np.asarray(Image.open(folders / "fake" / "im0.png"))
    assert report["per_image"][0]["psnr"] == pytest.approx(psnr(source, fake))
    assert report["settings"]["masks"] == str(folders / "masks")


def test_evaluate_folders_errors_name_the_problem(folders):
    (folders / "masks" / "im3.png").unlink()
    with pytest.raises(ValueError, match=r"--masks .*im3"):
        evaluation.evaluate_folders(folders / "fake", folders / "real", folders / "source", folders / "masks")
    with pytest.raises(ValueError, match="--masks needs --source"):
        evaluation.evaluate_folders(folders / "fake", folders / "real", masks_dir=folders / "masks")
    with pytest.raises(ValueError, match="--max-images is too small"):
        evaluation.MetricOptions(max_images=1)
    for i in range(1, 4):
        (folders / "fake" / f"im{i}.png").unlink()
    with pytest.raises(ValueError, match="at least 2"):
        evaluation.evaluate_folders(folders / "fake", folders / "real")
    with pytest.raises(ValueError, match="--kid-subsets"):
        evaluation.MetricOptions(kid_subsets=0)


def test_evaluate_generator_keeps_attention_and_saves_images(folders):
    from attentiongan_tf import build_generator

    generator = build_generator(ngf=4, n_blocks=1)
    options = evaluation.MetricOptions(kid_subsets=2, image_size=12)
    report = evaluation.evaluate_generator(
        generator, folders / "source", folders / "real", folders / "masks", options, folders / "out"
    )
    assert 0 <= report["summary"]["attention_iou"] <= 1
    assert sorted(p.name for p in (folders / "out").iterdir()) == [f"im{i}.png" for i in range(4)]
    assert np.asarray(Image.open(folders / "out" / "im0.png")).shape == (12, 12, 3)
    with pytest.raises(FileExistsError, match="out"):
        evaluation.evaluate_generator(generator, folders / "source", folders / "real", None, options, folders / "out")


def test_write_report_json_markdown_and_no_silent_overwrite(tmp_path):
    report = {
        "summary": {
            "fid": 12.5,
            "kid": {"mean_x100": 1.5, "std_x100": 0.25, "num_subsets": 3, "subset_size": 4},
            "background_psnr": float("inf"),
        },
        "per_image": [{"file": "a.png", "psnr": float("inf")}],
        "settings": {"source": "testA"},
    }
    paths = write_report(report, tmp_path / "r")
    saved = json.loads(paths["json"].read_text())
    assert saved["summary"]["background_psnr"] is None and saved["per_image"][0]["psnr"] is None
    markdown = paths["markdown"].read_text()
    assert "| FID ↓ | 12.50 |" in markdown and "1.500 ± 0.250" in markdown and "| ∞ |" in markdown
    with pytest.raises(FileExistsError, match="--overwrite"):
        write_report(report, tmp_path / "r")
    write_report(report, tmp_path / "r", overwrite=True)
