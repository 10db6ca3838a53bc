"""Numerical parity with the official PyTorch AttentionGAN (references in ../shared/parity).

The official forward returns 30 (scheme II) or 31 (geo) tensors, NCHW:
out0 = image, out1..n = content_i·attention_i, out(n+1)..(2n) = attention_i (3 channels each),
then the content images. Weights are loaded from the official .pth files through the converter.

Tolerance: float32 rounding alone moves these outputs by up to 1.5e-5 (our float32 vs our float64
forward of the same weights), and the references are float32 too; the official outputs differ from an
exact float64 forward by up to 1.8e-5. So we require max |diff| ≤ 3e-5 everywhere and a mean
|diff| ≤ 5e-6 (measured: 1e-6 to 3.3e-6); any structural mistake (alignment, padding, channel order)
gives errors of 1e-2 or more.
"""

from __future__ import annotations

import numpy as np
import pytest

from attentiongan_tf.official.convert import load_official_discriminator, load_official_generator

MAX_ABS = 3e-5
MEAN_ABS = 5e-6


def _nhwc(array: np.ndarray) -> np.ndarray:
    return np.transpose(array, (0, 2, 3, 1))


def _assert_close(actual: np.ndarray, expected: np.ndarray, what: str):
    diff = np.abs(actual.astype(np.float64) - expected)
    assert diff.max() <= MAX_ABS, f"{what}: max abs diff {diff.max():.2e}"
    assert diff.mean() <= MEAN_ABS, f"{what}: mean abs diff {diff.mean():.2e}"


@pytest.mark.parametrize("name, variant", [("scheme2_ngf8_nb2", "scheme2"), ("geo_ngf8_nb2", "geo")])
def test_generator_matches_every_official_output(parity_dir, name, variant):
    ref = np.load(parity_dir / f"{name}.npz")
    model = load_official_generator(parity_dir / f"{name}_G.pth", variant, ngf=8, n_blocks=2)
    out = {k: v.numpy() for k, v in model(_nhwc(ref["x"])).items()}
    n, n_content = model.n_masks, model.n_content
    assert len([k for k in ref.files if k.startswith("out")]) == 1 + 2 * n + n_content

    _assert_close(out["image"], _nhwc(ref["out0"]), "image")
    x = _nhwc(ref["x"])
    for i in range(n):
        attention = out["attention"][..., i : i + 1]
        _assert_close(np.repeat(attention, 3, axis=-1), _nhwc(ref[f"out{n + 1 + i}"]), f"attention {i}")
        if i < n - 1 or variant == "geo":
            term = out["content"][..., i, :] * attention
        else:
            term = x * attention
        _assert_close(term, _nhwc(ref[f"out{1 + i}"]), f"fused term {i}")
    for i in range(n_content):
        _assert_close(out["content"][..., i, :], _nhwc(ref[f"out{2 * n + 1 + i}"]), f"content {i}")


@pytest.mark.parametrize("name", ["scheme2_ngf8_nb2", "geo_ngf8_nb2"])
def test_discriminator_matches_official_on_real_and_fake(parity_dir, name):
    ref = np.load(parity_dir / f"{name}.npz")
    model = load_official_discriminator(parity_dir / f"{name}_D.pth", ndf=8, n_layers=3)
    _assert_close(model(_nhwc(ref["x"])).numpy(), _nhwc(ref["d_out"]), "D(real)")
    _assert_close(model(_nhwc(ref["out0"])).numpy(), _nhwc(ref["d_out_fake"]), "D(fake)")


def test_parameter_counts_equal_the_official_full_size_models(parity_dir):
    import json

    from attentiongan_tf import build_discriminator, build_generator

    official = json.loads((parity_dir / "official_architecture.json").read_text())
    assert build_generator("scheme2").count_params() == official["G_schemeII_params"] == 11_822_949
    assert build_generator("geo").count_params() == official["G_geo_params"]
    assert build_discriminator().count_params() == official["D_params"] == 2_764_737


def test_full_size_weight_shapes_match_the_official_state_dict(parity_dir):
    import json

    from attentiongan_tf import build_generator
    from attentiongan_tf.official.convert import _generator_layers

    official = dict(map(tuple, json.loads((parity_dir / "official_architecture.json").read_text())
                        ["G_schemeII_state_dict"]))
    model = build_generator("scheme2")
    for prefix, layer in _generator_layers(model):
        torch_shape = official[f"{prefix}.weight"]
        assert tuple(layer.kernel.shape) == tuple(torch_shape[i] for i in (2, 3, 1, 0)), prefix
