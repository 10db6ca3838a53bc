"""Every CLI that reads model files refuses hostile or broken ones with one `error: <path>: ...` line.

Subprocess runs (each imports TensorFlow): one crafted file per CLI at least; the .pth whose pickle
would run `touch pwned` must leave no `pwned` behind.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO_ROOT
from tests.security.keras_cases import KERAS_CASES, genuine_keras
from tests.security.pth_cases import ALL_CASES

pytestmark = pytest.mark.slow

PTH = {case.name: case for case in ALL_CASES}
KERAS = {case.name: case for case in KERAS_CASES}


def _images(folder):
    folder.mkdir()
    Image.fromarray(np.full((16, 16, 3), 128, np.uint8)).save(folder / "a.png")
    return folder


def _command(cli: str, model, tmp_path) -> list[str]:
    if cli == "convert":
        return ["convert.py", "--pth", str(model), "--output", str(tmp_path / "o.keras")]
    if cli == "translate":
        return ["translate.py", "--model", str(model), "--input", str(_images(tmp_path / "in")), "--output",
                str(tmp_path / "out")]  # fmt: skip
    if cli == "export":
        return ["export.py", "--checkpoint", str(model), "--format", "tflite", "--tflite-variants", "float32",
                "--output", str(tmp_path / "exp")]  # fmt: skip
    images = str(_images(tmp_path / "in"))
    return ["evaluate.py", "--checkpoint", str(model), "--source", images, "--target", images, "--output",
            str(tmp_path / "eval")]  # fmt: skip


CASES = [
    ("convert", "pth", "os_system_reduce"),
    ("convert", "pth", "huge_size_over_4_floats"),  # segfaulted (exit 139) before
    ("convert", "pth", "truncated_legacy"),
    ("translate", "pth", "missing_storage_entry"),
    ("translate", "pth", "builtins_eval"),
    ("translate", "keras", "random_bytes"),  # said "File not found" before
    ("export", "keras", "module_os"),
    ("export", "pth", "zip_bomb_3gib"),
    ("evaluate", "keras", "damaged_weights"),
    ("evaluate", "pth", "global_in_persistent_id"),
]


@pytest.mark.parametrize(("cli", "kind", "name"), CASES, ids=lambda v: str(v))
def test_cli_refuses_in_one_line(cli, kind, name, tmp_path):
    crafted = tmp_path / "crafted"
    crafted.mkdir()
    if kind == "pth":
        model = PTH[name].build(crafted)
    else:
        model = KERAS[name].build(genuine_keras(tmp_path / "genuine.keras"), crafted)
    done = subprocess.run(
        [sys.executable, *_command(cli, model, tmp_path)], capture_output=True, text=True, cwd=REPO_ROOT, timeout=300
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith(f"error: {model}: "), done.stderr[-2000:]
    assert not (crafted / "pwned").exists()
