"""load_generator_any: .keras files, official .pth checkpoints, training dirs and clear errors."""

from pathlib import Path

import keras
import numpy as np
import pytest

from attentiongan_tf import build_discriminator, build_generator
from attentiongan_tf.inference.loading import load_generator_any

PARITY = Path(__file__).resolve().parents[2] / ".." / "shared" / "parity"


def test_keras_file_round_trips(tmp_path):
    model = build_generator("geo", ngf=4, n_blocks=1, n_masks=3)
    model.save(tmp_path / "g.keras")
    loaded = load_generator_any(tmp_path / "g.keras")
    images = np.random.default_rng(0).uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)
    np.testing.assert_allclose(loaded(images)["image"], model(images)["image"], atol=1e-6)


def test_keras_file_that_is_not_a_generator_is_rejected(tmp_path):
    build_discriminator(ndf=4, n_layers=1).save(tmp_path / "d.keras")
    with pytest.raises(ValueError, match="not an AttentionGAN generator"):
        load_generator_any(tmp_path / "d.keras")


@pytest.mark.skipif(not (PARITY / "scheme2_ngf8_nb2_G.pth").is_file(), reason="../shared/parity not available")
def test_official_pth_checkpoint():
    model = load_generator_any(PARITY / "scheme2_ngf8_nb2_G.pth", ngf=8, n_blocks=2)
    assert (model.ngf, model.n_blocks, model.variant) == (8, 2, "scheme2")
    with pytest.raises(ValueError, match="does not match"):
        load_generator_any(PARITY / "scheme2_ngf8_nb2_G.pth", ngf=8, n_blocks=3)


def test_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_generator_any(tmp_path / "missing.keras")
    (tmp_path / "weights.h5").write_bytes(b"")
    with pytest.raises(ValueError, match="unsupported checkpoint"):
        load_generator_any(tmp_path / "weights.h5")
    with pytest.raises(ValueError, match="only apply to official .pth"):
        load_generator_any(tmp_path / "weights.h5", ngf=8)
    with pytest.raises(ValueError, match="direction"):
        load_generator_any(tmp_path, direction="AtoC")
    with pytest.raises(ValueError, match="unsupported checkpoint"):
        load_generator_any(tmp_path)


def test_training_dir_is_delegated_to_checkpoints(tmp_path, monkeypatch):
    checkpoints = pytest.importorskip("attentiongan_tf.training.checkpoints")
    calls = []
    sentinel = keras.Sequential()
    monkeypatch.setattr(
        checkpoints, "load_generator", lambda path, direction: calls.append((path, direction)) or sentinel
    )
    (tmp_path / "checkpoints").mkdir()
    assert load_generator_any(tmp_path, direction="BtoA") is sentinel
    assert load_generator_any(tmp_path / "checkpoints") is sentinel
    assert calls == [(tmp_path, "BtoA"), (tmp_path / "checkpoints", "AtoB")]
