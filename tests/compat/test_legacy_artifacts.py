"""Run folders and ``.keras`` files written by the code of commit 0202b8d still resume, translate and load.

The fixtures in ``tests/data/legacy`` (see its README.md) are never regenerated. The tests only use the root CLIs
and documented public names, so that they hold whatever the package layout becomes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": ""}

pytestmark = pytest.mark.slow


def cli(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the root CLI ``name`` (``train`` / ``translate``) in ``cwd``; fail the test on a non-zero exit."""
    result = subprocess.run([sys.executable, str(ROOT / f"{name}.py"), *args], capture_output=True, text=True,
                            timeout=900, env=ENV, cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def copy_run(name: str, tmp_path: Path) -> Path:
    """The old run ``name``, copied to ``tmp_path`` (its config.json holds paths relative to that folder)."""
    return Path(shutil.copytree(LEGACY / name, tmp_path / name))


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)


def assert_same_translation(got: Path, expected: Path) -> None:
    """The new code's PNG equals the old code's, up to one grey level of rounding."""
    a, b = pixels(got), pixels(expected)
    assert a.shape == b.shape
    assert np.abs(a - b).max() <= 1, f"{got} differs from the old code's {expected}"


def steps_logged(run: Path) -> list[int]:
    return [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]


def newest_checkpoint(run: Path) -> str:
    first = (run / "checkpoints" / "checkpoint").read_text().splitlines()[0]
    return first.split('"')[1]


@pytest.mark.parametrize(
    ("run_name", "input_image"),
    [("two_domain_run", "demo_data/testA/0000.png"), ("multi_domain_run", "demo_data/test/blue/0000.png")],
)
def test_old_run_folder_resumes(tmp_path, run_name, input_image):
    run = copy_run(run_name, tmp_path)
    old_lines = (run / "metrics.jsonl").read_text().splitlines()
    assert newest_checkpoint(run) == "ckpt-2" and steps_logged(run) == [1, 2]

    cli("train", "--output-dir", run_name, "--resume", "--steps", "3", cwd=tmp_path)

    assert steps_logged(run) == [1, 2, 3], "the resumed run must continue at step 3, not start again"
    assert (run / "metrics.jsonl").read_text().splitlines()[:2] == old_lines
    assert newest_checkpoint(run) == "ckpt-3"
    args = ["--model", run_name, "--input", f"{run_name}/{input_image}", "--output", "after_resume"]
    if run_name == "multi_domain_run":
        args += ["--target-domain", "red"]
    cli("translate", *args, cwd=tmp_path)
    assert pixels(tmp_path / "after_resume" / "0000.png").shape == (16, 16, 3)


@pytest.mark.parametrize(
    ("run_name", "args", "expected"),
    [
        ("two_domain_run", ["--input", "two_domain_run/demo_data/testA/0000.png"], "two_domain_AtoB"),
        ("two_domain_run", ["--direction", "BtoA", "--input", "two_domain_run/demo_data/testB/0000.png"],
         "two_domain_BtoA"),
        ("multi_domain_run", ["--target-domain", "red", "--input", "multi_domain_run/demo_data/test/blue/0000.png"],
         "multi_domain_red"),
    ],
)
def test_old_run_folder_translates_as_before(tmp_path, run_name, args, expected):
    copy_run(run_name, tmp_path)
    cli("translate", "--model", run_name, *args, "--output", "out", cwd=tmp_path)
    assert_same_translation(tmp_path / "out" / "0000.png", LEGACY / "expected" / expected / "0000.png")


@pytest.mark.parametrize("variant", ["scheme2", "geo"])
def test_old_keras_generator_translates_as_before(tmp_path, variant):
    model = shutil.copy(LEGACY / f"generator_{variant}.keras", tmp_path)
    image = LEGACY / "two_domain_run" / "demo_data" / "testA" / "0000.png"
    cli("translate", "--model", str(model), "--input", str(image), "--output", "out", cwd=tmp_path)
    assert_same_translation(tmp_path / "out" / "0000.png", LEGACY / "expected" / f"keras_{variant}" / "0000.png")


LOAD_SCRIPT = """
import sys

import keras
import numpy as np

import attentiongan_tf
import attentiongan_tf.multidomain  # documented home of the multi-domain models (docs/multidomain.md)

attentiongan_tf.AttentionGANGenerator  # the public name registers the two-domain classes
reference = np.load(sys.argv[1])
for name in ("generator_scheme2", "generator_geo", "multidomain_generator"):
    model = keras.saving.load_model(sys.argv[2] + "/" + name + ".keras", compile=False, safe_mode=True)
    inputs = reference["input"]
    if name == "multidomain_generator":
        inputs = {"image": inputs, "label": reference["label"]}
    got = keras.ops.convert_to_numpy(model(inputs)["image"])
    np.testing.assert_allclose(got, reference[name], atol=1e-5, err_msg=name)
    print("ok", name)
"""


def test_old_keras_files_load_with_keras_and_give_the_same_output(tmp_path):
    for name in ("generator_scheme2", "generator_geo", "multidomain_generator"):
        shutil.copy(LEGACY / f"{name}.keras", tmp_path)
    result = subprocess.run([sys.executable, "-c", LOAD_SCRIPT, str(LEGACY / "keras_reference.npz"), str(tmp_path)],
                            capture_output=True, text=True, timeout=900, env=ENV, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split().count("ok") == 3
