"""The multi-domain model through the real CLIs: train.py --preset, translate.py --target-domain, export.py."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


def _run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd or REPO_ROOT, timeout=600)


def test_train_translate_and_export_a_multidomain_run(tmp_path):
    run = tmp_path / "md"
    done = _run("train.py", "--preset", "multidomain_demo", "--output-dir", str(run), "--steps", "2",
                "--image-size", "32", "--ngf", "4", "--n-blocks", "1", "--checkpoint-every", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    config = json.loads((run / "config.json").read_text())
    assert config["kind"] == "multidomain" and config["preset"] == "multidomain_demo" and len(config["domains"]) == 3
    domain = config["domains"][1]

    # Resuming needs no --preset: the run's config.json says it is multi-domain.
    resumed = _run("train.py", "--output-dir", str(run), "--resume", "--steps", "3")
    assert resumed.returncode == 0, resumed.stderr[-2000:]

    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (30, 45, 3), np.uint8)).save(photos / "a.png")
    missing = _run("translate.py", "--model", str(run), "--input", str(photos), "--output", str(tmp_path / "x"))
    assert missing.returncode != 0 and "--target-domain" in missing.stderr
    unknown = _run("translate.py", "--model", str(run), "--input", str(photos), "--output", str(tmp_path / "x"),
                   "--target-domain", "no_such_domain")
    assert unknown.returncode != 0 and "no_such_domain" in unknown.stderr
    out = tmp_path / "translated"
    done = _run("translate.py", "--model", str(run), "--input", str(photos), "--output", str(out),
                "--target-domain", domain, "--grid")
    assert done.returncode == 0, done.stderr[-2000:]
    assert Image.open(out / "a.png").size == (45, 30)
    assert (out / "a_grid.png").is_file()

    exports = tmp_path / "exports"
    done = _run("export.py", "--checkpoint", str(run), "--format", "savedmodel,tflite",
                "--tflite-variants", "float32", "--output", str(exports))
    assert done.returncode == 0, done.stderr[-2000:]
    assert list((exports / "savedmodel").rglob("saved_model.pb"))
    assert list((exports / "tflite").glob("*float32.tflite"))
