"""Every CLI starts quietly on a CPU machine: no CUDA / absl start-up lines, one line naming device and strategy."""

import os
import subprocess
import sys

import pytest

from tests.e2e.export_helpers import REPO_ROOT

pytestmark = pytest.mark.slow
NOISE = ("cuInit", "cuDNN", "cuFFT", "cuBLAS", "computation placer", "absl", "remapper", "rebuild TensorFlow")


def run(*args: str) -> subprocess.CompletedProcess:
    """Run a CLI as a user would: without a TF_CPP_MIN_LOG_LEVEL of our own."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, env=env)


def noise(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if any(word in line for word in NOISE)]


def test_train_one_step_starts_quietly_and_names_device_and_strategy(tmp_path):
    done = run("train.py", "--steps", "1", "--image-size", "16", "--ngf", "4", "--n-blocks", "1", "--ndf", "4",
               "--output-dir", str(tmp_path / "run"))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert noise(done.stderr) == [], done.stderr
    device_lines = [line for line in done.stderr.splitlines() if line.startswith("device: ")]
    assert len(device_lines) == 1, done.stderr
    assert "strategy: default" in device_lines[0] and ("CPU" in device_lines[0] or "GPU" in device_lines[0])
    # the convolutions the run trains with, --conv-algorithm auto resolved: Winograd's on a CPU in float32
    assert device_lines[0].endswith("; convolutions: " + ("direct" if "GPU (" in device_lines[0] else "winograd"))
    assert "INFO" not in done.stderr, done.stderr


def test_verbose_shows_tensorflow_logs(tmp_path):
    done = run("convert.py", "--pth", str(tmp_path / "missing.pth"), "--output", str(tmp_path / "g.keras"), "--verbose")
    assert done.returncode != 0 and "error:" in done.stderr
    assert noise(done.stderr), done.stderr  # TensorFlow's own start-up lines are back


def test_a_verbose_training_step_logs_no_failed_graph_pass(tmp_path):
    """--verbose shows TensorFlow's log: a Grappler pass that fails on the training step (the remapper once did,
    tests/training/test_grappler_remapper.py) would be an error line there for every user who asks for it."""
    done = run("train.py", "--steps", "1", "--image-size", "16", "--ngf", "4", "--n-blocks", "1", "--ndf", "4",
               "--output-dir", str(tmp_path / "run"), "--verbose")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert [line for line in done.stderr.splitlines() if "meta_optimizer" in line] == [], done.stderr[-3000:]


@pytest.mark.parametrize("script", ["translate.py", "export.py", "evaluate.py", "convert.py"])
def test_every_cli_fails_quietly_on_a_missing_file(tmp_path, script):
    missing = str(tmp_path / "missing.pth")
    args = {
        "translate.py": ["--model", missing, "--input", missing, "--output", str(tmp_path / "o")],
        "export.py": ["--checkpoint", missing, "--output", str(tmp_path / "o")],
        "evaluate.py": ["--checkpoint", missing, "--dataroot", str(tmp_path), "--output", str(tmp_path / "o")],
        "convert.py": ["--pth", missing, "--output", str(tmp_path / "g.keras")],
    }[script]
    done = run(script, *args)
    assert done.returncode != 0 and "error:" in done.stderr
    assert noise(done.stderr) == [], done.stderr
