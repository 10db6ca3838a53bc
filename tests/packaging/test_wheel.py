"""The wheel works on its own: built from the sources, installed in a fresh venv, run from outside the repo.

The venv sees the system site-packages (TensorFlow is not downloaded again) but not the repository: the tests
run the console scripts with ``cwd`` in ``tmp_path`` and without ``PYTHONPATH``, and check that the package is
imported from the venv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("attentiongan_tf", "pyproject.toml", "README.md", "LICENSE", "NOTICE")
CONSOLE_SCRIPTS = ("train", "translate", "export", "evaluate", "convert")
TINY = ["--image-size", "16", "--ngf", "4", "--n-blocks", "1", "--ndf", "4", "--n-layers-d", "1", "--batch-size", "1"]

pytestmark = pytest.mark.slow


def clean_env() -> dict[str, str]:
    """The environment without anything that would put the repository on ``sys.path``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return {**env, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}


def run(command: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=clean_env(), cwd=cwd)
    assert result.returncode == 0, f"{command[0]}: {result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv (system site-packages visible) with the wheel of the current sources installed."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"  # a copy, so that the build writes no build/ or *.egg-info into the repository
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif (ROOT / name).is_file():
            shutil.copy(ROOT / name, source / name)
    wheels = base / "dist"
    run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels)],
        cwd=source)
    (wheel,) = wheels.glob("attentiongan_tf-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.split("/")[0] in ("tests", "tools", "benchmarks", "web")], names
    packaged = {n for n in names if n.startswith("attentiongan_tf/")}
    in_repo = {p.relative_to(source).as_posix() for p in (source / "attentiongan_tf").rglob("*") if p.is_file()}
    assert in_repo <= packaged, f"files of the package missing from the wheel: {sorted(in_repo - packaged)}"
    env_dir = base / "venv"
    run([sys.executable, "-m", "venv", "--system-site-packages", str(env_dir)], cwd=base)
    run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], cwd=base)
    return env_dir


def test_package_is_imported_from_the_venv(venv, tmp_path):
    python = str(venv / "bin" / "python")
    code = "import sys, attentiongan_tf; print(attentiongan_tf.__file__); print(sys.path)"
    printed = run([python, "-c", code], cwd=tmp_path).stdout.splitlines()
    location = Path(printed[0]).resolve()
    assert location.is_relative_to(venv.resolve()), location
    assert str(ROOT) not in printed[1], "the repository is on sys.path of the installed package"
    for name in CONSOLE_SCRIPTS:
        assert (venv / "bin" / f"attentiongan-{name}").is_file(), name


def test_console_scripts_train_translate_and_export_outside_the_repo(venv, tmp_path):
    bin_dir = venv / "bin"
    run([str(bin_dir / "attentiongan-train"), *TINY, "--output-dir", "run", "--steps", "2", "--sample-every", "2",
         "--checkpoint-every", "2"], cwd=tmp_path)
    assert (tmp_path / "run" / "config.json").is_file() and (tmp_path / "run" / "checkpoints" / "checkpoint").is_file()
    image = next((tmp_path / "run" / "demo_data" / "testA").glob("*.png"))

    run([str(bin_dir / "attentiongan-translate"), "--model", "run", "--input", str(image), "--output", "out"],
        cwd=tmp_path)
    assert (tmp_path / "out" / f"{image.stem}.png").is_file()

    run([str(bin_dir / "attentiongan-export"), "--checkpoint", "run", "--format", "tflite", "--tflite-variants",
         "float32", "--output", "exported"], cwd=tmp_path)
    tflite = list((tmp_path / "exported" / "tflite").glob("*.tflite"))
    assert tflite and all(path.stat().st_size > 0 for path in tflite), tflite

    run([str(bin_dir / "attentiongan-translate"), "--model", str(tflite[0]), "--input", str(image), "--output",
         "out_tflite"], cwd=tmp_path)
    assert (tmp_path / "out_tflite" / f"{image.stem}.png").is_file()
