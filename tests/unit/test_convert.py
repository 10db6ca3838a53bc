"""Official checkpoint import: architecture checks and the convert.py CLI (parity is in tests/parity)."""

from __future__ import annotations

import subprocess
import sys

import keras
import numpy as np
import pytest

from attentiongan_tf.official.convert import infer_generator_architecture, load_official_generator
from tests.conftest import REPO_ROOT


def test_infers_architecture_from_official_keys(parity_dir):
    from attentiongan_tf.official.torch_pickle import read_torch_state_dict

    found = infer_generator_architecture(read_torch_state_dict(parity_dir / "geo_ngf8_nb2_G.pth"))
    assert found == {"variant": "geo", "ngf": 8, "n_blocks": 2, "n_masks": 10}


def test_mismatched_architecture_names_what_the_file_looks_like(parity_dir):
    with pytest.raises(ValueError, match=r"ngf=8.*n_blocks=2|n_blocks=2.*ngf=8"):
        load_official_generator(parity_dir / "scheme2_ngf8_nb2_G.pth")
    with pytest.raises(ValueError, match="variant='geo'"):
        load_official_generator(parity_dir / "geo_ngf8_nb2_G.pth", "scheme2", ngf=8, n_blocks=2)


def test_discriminator_file_is_not_a_generator(parity_dir):
    with pytest.raises(ValueError, match="not an official AttentionGAN scheme II generator"):
        load_official_generator(parity_dir / "scheme2_ngf8_nb2_D.pth", ngf=8, n_blocks=2)


@pytest.mark.slow
def test_cli_converts_and_refuses_to_overwrite(parity_dir, tmp_path):
    out = tmp_path / "g.keras"
    command = [sys.executable, str(REPO_ROOT / "convert.py"), "--pth", str(parity_dir / "scheme2_ngf8_nb2_G.pth"),
               "--ngf", "8", "--n-blocks", "2", "--output", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "CC BY-NC-SA 4.0" in done.stdout
    model = keras.saving.load_model(out)
    reference = load_official_generator(parity_dir / "scheme2_ngf8_nb2_G.pth", ngf=8, n_blocks=2)
    x = np.random.default_rng(0).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    np.testing.assert_array_equal(model(x)["image"].numpy(), reference(x)["image"].numpy())
    again = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert again.returncode != 0 and "--overwrite" in again.stderr


def test_cli_reports_unsafe_file(tmp_path):
    import pickle
    import zipfile

    evil = tmp_path / "evil.pth"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("x/data.pkl", pickle.dumps(print))
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "convert.py"), "--pth", str(evil), "--output", str(tmp_path / "o.keras")],
        capture_output=True, text=True,
    )
    assert done.returncode != 0 and "refusing to load builtins.print" in done.stderr
    assert not (tmp_path / "o.keras").exists()


def _official_state_with(parity_dir, tmp_path, key, transform):
    from attentiongan_tf.official.torch_pickle import read_torch_state_dict
    from tests.security.crafting import write_state_dict_zip

    state = read_torch_state_dict(parity_dir / "scheme2_ngf8_nb2_G.pth")
    state[key] = transform(state[key])
    return write_state_dict_zip(tmp_path / "edited.pth", state)


def test_integer_weights_are_refused_not_cast(parity_dir, tmp_path):
    path = _official_state_with(parity_dir, tmp_path, "conv2.weight", lambda w: (w * 100).astype(np.int32))
    with pytest.raises(ValueError, match=r"edited.pth: 'conv2.weight' holds int32 values"):
        load_official_generator(path, ngf=8, n_blocks=2)


def test_non_finite_weights_are_refused(parity_dir, tmp_path):
    def poison(w):
        w = w.copy()
        w.flat[3] = np.nan
        return w

    path = _official_state_with(parity_dir, tmp_path, "resnet_blocks.1.conv1.bias", poison)
    with pytest.raises(ValueError, match=r"'resnet_blocks.1.conv1.bias' holds NaN or infinite values"):
        load_official_generator(path, ngf=8, n_blocks=2)


def test_architecture_inference_names_what_is_missing():
    state = {"conv1.weight": np.zeros((8, 3, 7, 7), np.float32), "deconv3_attention.weight": np.zeros((8, 10, 1, 1))}
    with pytest.raises(ValueError, match="deconv3_content.weight"):
        infer_generator_architecture(state)
    state["deconv3_content.weight"] = np.zeros(())
    with pytest.raises(ValueError, match="4-D"):
        infer_generator_architecture(state)
