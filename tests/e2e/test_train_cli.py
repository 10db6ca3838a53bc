import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from attentiongan_tf.data.grids import GAP, HEADER, LABEL_WIDTH, MIN_TILE

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--image-size", "16", "--ngf", "4", "--n-blocks", "1", "--batch-size", "2", "--log-every", "1"]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": ""}

pytestmark = pytest.mark.slow


def train_cmd(*args):
    return [sys.executable, str(ROOT / "train.py"), *TINY, *args]


def run(*args, timeout=240):
    return subprocess.run(train_cmd(*args), capture_output=True, text=True, timeout=timeout, env=ENV, cwd=ROOT)


def last_metrics(run_dir):
    records = {}
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        record.pop("images_per_second")
        records[record["step"]] = record  # a resumed run rewrites the steps after its checkpoint
    return records


def test_demo_run_outputs_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "run"
    result = run("--output-dir", str(out), "--steps", "3")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "sample grid" in result.stdout
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["ngf"] == 4 and config["data"]["crop_size"] == 16 and config["train"]["steps"] == 3
    grid = np.asarray(Image.open(out / "samples" / "step_000003.png"))
    n_tiles = 4 + (config["model"]["n_masks"] - 1)  # input|output|background|overlay|contents
    assert grid.shape == (HEADER + 2 * 4 * (MIN_TILE + GAP), LABEL_WIDTH + n_tiles * (MIN_TILE + GAP), 3)
    assert (out / "checkpoints" / "checkpoint").is_file() and list((out / "logs").iterdir())
    before = (out / "checkpoints" / "checkpoint").read_text()
    again = run("--output-dir", str(out), "--steps", "3")
    assert again.returncode != 0 and "--resume" in again.stderr and "--overwrite" in again.stderr
    assert (out / "checkpoints" / "checkpoint").read_text() == before
    replaced = run("--output-dir", str(out), "--steps", "1", "--overwrite")
    assert replaced.returncode == 0 and "moved the previous run" in replaced.stderr, replaced.stderr[-3000:]
    (moved,) = tmp_path.glob("run.replaced-*")
    assert (moved / "checkpoints" / "checkpoint").read_text() == before
    assert [json.loads(x)["step"] for x in (out / "metrics.jsonl").read_text().splitlines()] == [1]


def test_winograd_run_trains_and_resumes_with_either_algorithm(tmp_path):
    out = tmp_path / "run"
    result = run("--output-dir", str(out), "--steps", "2", "--conv-algorithm", "winograd", "--checkpoint-every", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((out / "config.json").read_text())["train"]["conv_algorithm"] == "winograd"
    resumed = run("--output-dir", str(out), "--resume", "--steps", "3", "--conv-algorithm", "direct")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    metrics = last_metrics(out)
    assert sorted(metrics) == [1, 2, 3] and np.isfinite(metrics[3]["generator_total"])
    bfloat16 = run("--output-dir", str(tmp_path / "bf16"), "--steps", "2", "--conv-algorithm", "winograd",
                   "--mixed-precision", "bfloat16")  # fmt: skip
    assert bfloat16.returncode == 0, bfloat16.stderr[-3000:]
    assert np.isfinite(last_metrics(tmp_path / "bf16")[2]["generator_total"])
    refused = run("--output-dir", str(tmp_path / "fp16"), "--conv-algorithm", "winograd", "--mixed-precision",
                  "float16")  # fmt: skip
    assert refused.returncode == 2 and refused.stderr.strip().splitlines()[-1] == (
        "error: --conv-algorithm winograd computes in float32 or bfloat16; it cannot be combined with "
        "--mixed-precision float16")
    assert not (tmp_path / "fp16").exists()


def test_kill_and_resume_equals_uninterrupted(tmp_path):
    common = ["--steps", "12", "--checkpoint-every", "4", "--sample-every", "100", "--deterministic", "--seed", "3"]
    reference = run("--output-dir", str(tmp_path / "ref"), *common)
    assert reference.returncode == 0, reference.stderr[-3000:]

    killed_dir = tmp_path / "killed"
    process = subprocess.Popen(train_cmd("--output-dir", str(killed_dir), *common), env=ENV, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while not (killed_dir / "checkpoints" / "checkpoint").is_file() and process.poll() is None:
        assert time.time() < deadline, "no checkpoint written"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL  # killed mid-run, not finished
    resumed = run("--output-dir", str(killed_dir), "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    expected, got = last_metrics(tmp_path / "ref"), last_metrics(killed_dir)
    assert sorted(got) == list(range(1, 13))
    for step in range(1, 13):
        assert got[step] == pytest.approx(expected[step], rel=1e-5, abs=1e-6), step

    from attentiongan_tf.training.checkpoints import load_generator

    image = np.random.default_rng(0).uniform(-1, 1, (1, 16, 16, 3)).astype("float32")
    a = load_generator(tmp_path / "ref")(image)["image"].numpy()
    b = load_generator(killed_dir)(image)["image"].numpy()
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_bad_inputs(tmp_path):
    result = run("--dataroot", str(tmp_path / "missing"), "--output-dir", str(tmp_path / "o1"))
    assert result.returncode == 2 and "missing" in result.stderr
    root = tmp_path / "data"
    (root / "trainA").mkdir(parents=True)
    (root / "trainB").mkdir()
    Image.new("L", (20, 20), 90).save(root / "trainA" / "gray.png")
    result = run("--dataroot", str(root), "--output-dir", str(tmp_path / "o2"), "--steps", "1")
    assert result.returncode == 1 and "trainB" in result.stderr
    result = run("--image-size", "18", "--output-dir", str(tmp_path / "o3"))
    assert result.returncode == 2 and "image-size" in result.stderr


def test_grayscale_rgba_and_corrupt_files_train(tmp_path):
    root = tmp_path / "data"
    for domain in "AB":
        (root / f"train{domain}").mkdir(parents=True)
    Image.new("L", (20, 24), 90).save(root / "trainA" / "gray.png")
    Image.new("RGBA", (24, 20), (200, 10, 10, 128)).save(root / "trainA" / "rgba.png")
    Image.new("P", (20, 20)).save(root / "trainB" / "palette.png")
    Image.new("RGB", (20, 20), (0, 0, 255)).save(root / "trainB" / "blue.webp")
    (root / "trainB" / "corrupt.jpg").write_bytes(b"\xff\xd8\xff broken")
    result = run("--dataroot", str(root), "--output-dir", str(tmp_path / "run"), "--steps", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.count("unreadable") == 1 and "corrupt.jpg" in result.stderr
