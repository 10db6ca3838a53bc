"""Shared test setup: quiet TensorFlow, import the repo, locate ../shared, reset global Keras state."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("ATTENTIONGAN_SHARED", REPO_ROOT.parent / "shared"))
PARITY_DIR = SHARED_DIR / "parity"
DATA_DIR = Path(__file__).resolve().parent / "data"

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


@pytest.fixture
def parity_dir() -> Path:
    """The official PyTorch reference tensors; tests using it skip when ../shared is absent."""
    if not (PARITY_DIR / "scheme2_ngf8_nb2.npz").is_file():
        pytest.skip(f"official parity references not found in {PARITY_DIR}")
    return PARITY_DIR


@pytest.fixture(autouse=True)
def _reset_keras_policy():
    """Tests that switch to mixed precision must not leak the global policy into others."""
    yield
    import keras

    keras.mixed_precision.set_global_policy("float32")
