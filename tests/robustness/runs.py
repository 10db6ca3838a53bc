"""Tiny two-domain and multi-domain runs shared by the robustness tests (16 px, ngf 4, one ResNet block)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from attentiongan_tf.data.demo import write_demo_dataset
from attentiongan_tf.training.config import Config
from attentiongan_tf.training.tasks.multi_domain_config import MULTI_DOMAIN_PRESETS, MultiDomainConfig
from tests.unit.training_setup import tiny_config

ROOT = Path(__file__).resolve().parents[2]
TINY_FLAGS = ["--image-size", "16", "--ngf", "4", "--n-blocks", "1", "--batch-size", "2", "--log-every", "1"]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": ""}


def two_domain_config(tmp_path: Path, output_dir: Path, **train) -> Config:
    """A tiny demo-preset config on 4 demo images per domain (written once under ``tmp_path/data``)."""
    config = tiny_config(**{"sample_every": 100, "checkpoint_every": 2, "log_every": 1, **train})
    config.train.output_dir = str(output_dir)
    config.data.dataroot = str(write_demo_dataset(tmp_path / "data", size=16, train=4, test=2))
    return config


def multidomain_config(output_dir: Path, **overrides) -> MultiDomainConfig:
    """The multi-domain demo preset at 16 px, ngf 4: seconds per run."""
    values = dict(output_dir=str(output_dir), image_size=16, ngf=4, ndf=4, n_layers_d=2, batch_size=2,
                  demo_images=4, steps=2, checkpoint_every=1, sample_every=100, log_every=1)
    return dataclasses.replace(MULTI_DOMAIN_PRESETS["multidomain_demo"], **{**values, **overrides})


def tree_digest(folder: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file below ``folder``."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def train_cli(*args: str, timeout: float = 240, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """``python train.py TINY_FLAGS *args`` in a subprocess."""
    command = [*prefix, sys.executable, str(ROOT / "train.py"), *TINY_FLAGS, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=ENV, cwd=ROOT)
