"""Shared helpers of the export e2e tests: a tiny generator, real (or synthetic) images, a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_TEST_IMAGES = REPO_ROOT / ".." / "shared" / "data" / "horse2zebra_128" / "testA"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def run_cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run a repo-root script (``export.py``, ``translate.py``...) with the current Python."""
    return subprocess.run(
        [sys.executable, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, env=ENV
    )


def representative_folder(tmp_path: Path, count: int = 4) -> Path:
    """Real horse photos from ../shared/data when present, else smooth synthetic images (for CI without data)."""
    if SHARED_TEST_IMAGES.is_dir():
        return SHARED_TEST_IMAGES
    folder = tmp_path / "representative"
    folder.mkdir()
    grid = np.linspace(0, 1, 48)
    for i in range(count):
        channels = [np.outer(np.sin(grid * (i + c + 1) * 3), np.cos(grid * (c + 2))) for c in range(3)]
        image = ((np.stack(channels, -1) + 1) * 127.5).astype(np.uint8)
        Image.fromarray(image).save(folder / f"r{i}.png")
    return folder


def saved_tiny_generator(root: Path, n_masks: int = 3, seed: int = 3):
    """A seeded tiny scheme II generator (ngf 4, 1 block), also saved as ``root/g.keras`` for the CLIs."""
    import keras

    from attentiongan_tf import build_generator

    keras.utils.set_random_seed(seed)
    model = build_generator(ngf=4, n_blocks=1, n_masks=n_masks)
    model.save(root / "g.keras")
    return model


def random_uint8(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def assert_translate_refuses_a_larger_image(model: str, folder: Path) -> None:
    """translate.py on a fixed-size export (32×32) with a 36×40 photo: one ``error:`` line naming --load-size."""
    Image.fromarray(random_uint8((40, 36, 3), 8)).save(folder / "big.png")
    photo, output = str(folder / "big.png"), str(folder / "out")
    done = run_cli("translate.py", "--model", model, "--input", photo, "--output", output)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1].startswith("error: ") and "--load-size" in done.stderr
    assert "Traceback" not in done.stderr


def fixed_size_export(root: Path, kind: str, variants: str, size: int) -> dict:
    """export.py ``--format KIND --KIND-fixed-size SIZE`` of the tiny generator; its model and export summary."""
    import json

    model = saved_tiny_generator(root)
    done = run_cli(
        "export.py", "--checkpoint", str(root / "g.keras"), "--output", str(root / "out"), "--format", kind,
        f"--{kind}-variants", variants, f"--{kind}-fixed-size", str(size),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return {"root": root, "model": model, "summary": json.loads((root / "out" / "export_summary.json").read_text())}
